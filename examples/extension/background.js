// The extension's service worker (an ES module).
//
// init() is synchronous and registers the SDK's own listeners (alarms,
// install/startup, the worker's error and unhandledrejection) in this first
// turn, as MV3 requires; calls made before the wasm core is ready are buffered
// by the SDK, so nothing here waits for it.
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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// What the popup's buttons do. Each is what a real extension would do by
// mistake or on purpose; the SDK records it without any code in these
// functions knowing about telemetry, except where telemetry is the point.
const actions = {
  // A usage event: which feature was used, and how.
  sendEvent(props) {
    telemetry.track('feature_used', { feature: 'popup_button', ...props });
  },
  // An exception nobody catches: the SDK sees it through the worker's `error`
  // event. The message carries an e-mail address and a token, which the
  // scrubber removes before the error is stored.
  throwError() {
    setTimeout(() => {
      throw new Error('Could not sync settings for alice@example.com (token=sk_live_51HqLyjWDarjtT1zdp7dc)');
    }, 0);
  },
  // A rejected promise nobody handles: the `unhandledrejection` event.
  rejectPromise() {
    Promise.reject(new TypeError('Failed to load https://api.example.com/v1/items?api_key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW'));
  },
  // An operation timed with measure(): slower than slowThresholdMs, so it
  // also produces a `slow_operation` event beside its timing aggregate.
  async slowOperation() {
    const ms = Number(options.slowThresholdMs ?? 1000) + 200;
    await telemetry.measure('sync_settings', () => sleep(ms));
    return ms;
  },
  feedback(fields) {
    telemetry.feedback(fields);
  },
  // Work that needs a DOM, in an offscreen document (offscreen.js), which
  // reports through connect() like every page of the extension.
  async openOffscreen() {
    if (await chrome.offscreen.hasDocument?.()) await chrome.offscreen.closeDocument();
    await chrome.offscreen.createDocument({
      url: 'offscreen.html',
      reasons: ['DOM_PARSER'],
      justification: 'Parses HTML for the example',
    });
    return 'offscreen document opened';
  },
};

// Messages from the options page and the popup. Registered synchronously at
// top level, so a message can wake a stopped worker.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  // Only the example's own commands: the SDK's page messages (connect()) are
  // answered by the SDK's listener, so this one must leave them alone.
  if (sender.id !== chrome.runtime.id || !msg || typeof msg !== 'object' || typeof msg.cmd !== 'string') return false;
  const reply = (work) => {
    Promise.resolve()
      .then(work)
      .then((value) => sendResponse({ ok: true, value }))
      .catch((err) => sendResponse({ ok: false, error: String((err && err.message) || err) }));
    return true; // the answer is asynchronous
  };
  switch (msg.cmd) {
    case 'ping':
      return reply(() => 'pong');
    case 'status':
      return reply(() => telemetry.ready.then(status));
    case 'setConsent':
      return reply(() => telemetry.setConsent(Boolean(msg.granted)).then(status));
    case 'track':
      return reply(() => telemetry.track(String(msg.name), msg.props));
    case 'action':
      if (!Object.hasOwn(actions, msg.name)) return reply(() => Promise.reject(new Error(`unknown action ${msg.name}`)));
      return reply(() => actions[msg.name](msg.args));
    case 'flush':
      return reply(() => telemetry.flush());
    default:
      return reply(() => Promise.reject(new Error(`unknown command ${msg.cmd}`)));
  }
});
