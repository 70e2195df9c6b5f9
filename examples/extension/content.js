// Content script (a classic script, after vendor/mv3-telemetry/page.global.js):
// runs on the pages the end-to-end tests serve (http://127.0.0.1/*). Its
// events and errors go to the worker's SDK through connect(): the worker
// records them with this page's origin only, never its path or query.
const telemetry = mv3Telemetry.connect();

telemetry.track('content_script_ran', { links: document.links.length });

// A feature with a bug, for the tests and the demo to call: its uncaught
// error is captured through this content script's `error` event.
function brokenFeature() {
  setTimeout(() => {
    throw new Error('Could not read the reading list of alice@example.com');
  }, 0);
}
