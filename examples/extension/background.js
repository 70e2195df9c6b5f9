// The extension's service worker (an ES module).
//
// init() is synchronous and registers the SDK's own listeners (alarms,
// install/startup) in this first turn; calls made before the wasm core is
// ready are buffered by the SDK.
import { init } from './vendor/mv3-telemetry/index.js';
import { options } from './config.js';

const telemetry = init(options);
self.telemetry = telemetry; // handy from DevTools, and used by the tests

function status() {
  return {
    consent: telemetry.consentStatus(),
    anonymousId: telemetry.anonymousId(),
    stats: telemetry.stats(),
  };
}

// Messages from the options page. Registered synchronously at top level, so a
// message can wake a stopped worker.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !msg || typeof msg !== 'object') return false;
  const reply = (promise) => {
    Promise.resolve(promise)
      .then((value) => sendResponse({ ok: true, value }))
      .catch((err) => sendResponse({ ok: false, error: String(err && err.message || err) }));
    return true; // the answer is asynchronous
  };
  switch (msg.cmd) {
    case 'ping':
      return reply('pong');
    case 'status':
      return reply(telemetry.ready.then(status));
    case 'setConsent':
      return reply(telemetry.setConsent(Boolean(msg.granted)).then(status));
    case 'track':
      telemetry.track(String(msg.name), msg.props);
      return reply(true);
    case 'flush':
      return reply(telemetry.flush());
    default:
      return reply(Promise.reject(new Error(`unknown command ${msg.cmd}`)));
  }
});
