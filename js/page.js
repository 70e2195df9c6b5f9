// mv3-telemetry/page: connect() for content scripts, the popup, the options
// page, side panels and offscreen documents. No wasm and no queue of its own:
// each call is a chrome.runtime message to the worker's SDK (js/bridge.js),
// which records it under the worker's consent, anonymous ID and queue. See
// the README, "Every extension context".
import { describeCauses } from './causes.js';
import { CONSENT_KEY, CONTEXT_KINDS, PAGE_MESSAGE_TAG as TAG, RECORD_ACCEPTED } from './constants.js';

// Calls waiting for the consent state or for the worker's answer. Past it a
// call is dropped, counted, and the count reported with the next message.
const MAX_WAITING = 100;

// Which kind of context this is, from the manifest: the worker trusts it only
// for pages of the extension (a content script is known by its sender URL).
function contextKind(chrome, location) {
  if (location?.protocol !== 'chrome-extension:') return 'content_script';
  const manifest = chrome.runtime.getManifest?.() ?? {};
  const is = (path) => typeof path === 'string' && path.replace(/^\//, '') === location.pathname.slice(1);
  if (is(manifest.action?.default_popup)) return 'popup';
  if (is(manifest.options_ui?.page) || is(manifest.options_page)) return 'options';
  if (is(manifest.side_panel?.default_path)) return 'side_panel';
  // An offscreen document is given chrome.runtime and no other extension API.
  return chrome.tabs ? 'extension_page' : 'offscreen';
}

// What can cross a chrome.runtime message (JSON): anything else is left out.
function plain(value) {
  try {
    return value === undefined ? value : JSON.parse(JSON.stringify(value));
  } catch {
    return undefined;
  }
}

/**
 * A recording call that never throws: whatever the caller passes (getters or
 * Proxy traps that throw, Symbols, BigInts...), it resolves to false instead.
 */
const guarded = (call) => (...args) => {
  try {
    return call(...args);
  } catch {
    return Promise.resolve(false);
  }
};

/**
 * Connects this page or content script to the SDK running in the worker and
 * returns the same recording calls as `init()`'s, each resolving to whether
 * the worker accepted the item. Nothing is sent while consent is not granted.
 */
export function connect(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('mv3-telemetry: connect(options) takes an object');
  const { captureGlobalErrors = true, context } = options;
  if (typeof captureGlobalErrors !== 'boolean') throw new TypeError('mv3-telemetry: connect option `captureGlobalErrors` must be a boolean');
  if (context !== undefined && !CONTEXT_KINDS.includes(context)) {
    throw new TypeError(`mv3-telemetry: connect option \`context\` must be one of ${CONTEXT_KINDS.join(', ')}`);
  }
  const chrome = globalThis.chrome;
  const runtime = chrome?.runtime;
  const kind = context ?? (runtime ? contextKind(chrome, globalThis.location) : 'content_script');
  let consent;
  let waiting = 0;
  let dropped = 0;
  const captured = new WeakSet();

  // One message; sent again once if the worker was stopped while it was
  // under way. Resolves to the worker's answer, or undefined.
  const send = (op, args) => {
    const message = { [TAG]: op, k: kind, a: args };
    if (dropped) {
      message.n = dropped;
      dropped = 0;
    }
    const once = () => runtime.sendMessage(message);
    return Promise.resolve()
      .then(once)
      .catch(once)
      .catch(() => {
        dropped += message.n ?? 0;
      });
  };

  // The consent state, then its changes: from storage where this context has
  // it, else (offscreen documents) from the worker.
  const known = new Promise((resolve) => {
    const learn = (status) => resolve((consent = typeof status === 'string' ? status : 'pending'));
    const area = chrome?.storage?.local;
    if (area) {
      Promise.resolve()
        .then(() => area.get(CONSENT_KEY))
        .then((found) => learn(found?.[CONSENT_KEY]), learn);
      chrome.storage.onChanged?.addListener((changes, name) => {
        if (name === 'local' && changes[CONSENT_KEY]) consent = changes[CONSENT_KEY].newValue ?? 'pending';
      });
    } else if (runtime) {
      send('consent', []).then(learn);
      runtime.onMessage?.addListener((message) => {
        if (message?.[TAG] === 'consent' && typeof message.status === 'string') consent = message.status;
      });
    } else learn();
  });

  const record = (op, args) => {
    if (waiting >= MAX_WAITING) {
      dropped++;
      return Promise.resolve(false);
    }
    waiting++;
    return known
      .then(() => consent === 'granted' && send(op, args).then((code) => code === RECORD_ACCEPTED))
      .finally(() => waiting--);
  };

  const capture = guarded((error, context, mechanism) => {
    const object = error !== null && typeof error === 'object';
    if (object) {
      if (captured.has(error)) return Promise.resolve(false);
      captured.add(error);
    }
    const kindOf = object ? String(error.name ?? error.constructor?.name ?? 'Error') : typeof error;
    const message = String((object ? error.message : error) ?? '');
    const stack = object && typeof error.stack === 'string' ? error.stack : undefined;
    return record('error', [kindOf, message, stack, plain(mechanism ? { ...context, mechanism } : context), describeCauses(error)]);
  });

  const client = {
    track: guarded((name, props) => record('track', [name, plain(props)])),
    captureError: (error, context) => capture(error, context),
    startTimer(name, props) {
      const begun = performance.now();
      let elapsed;
      return {
        stop(more) {
          if (elapsed === undefined) {
            elapsed = performance.now() - begun;
            guarded(() => record('timing', [name, elapsed, plain(more && typeof more === 'object' ? { ...props, ...more } : props)]))();
          }
          return elapsed;
        },
      };
    },
    async measure(name, fn) {
      const timer = client.startTimer(name);
      try {
        const result = await fn();
        timer.stop({ ok: true });
        return result;
      } catch (error) {
        timer.stop({ ok: false });
        throw error;
      }
    },
    feedback: guarded((fields) => record('feedback', [plain(fields)])),
    consentStatus: () => known.then(() => consent),
    setConsent: (granted) =>
      send('setConsent', [Boolean(granted)]).then((status) => {
        if (typeof status === 'string') consent = status;
      }),
    flush: () =>
      known
        .then(() => consent === 'granted' && send('flush', []))
        .then((counts) => counts || { sent: 0, pending: 0 }),
  };

  if (captureGlobalErrors) {
    // Observed only: the page's own handling is unchanged.
    globalThis.addEventListener?.('error', (event) => capture(event.error ?? event.message, undefined, 'onerror'));
    globalThis.addEventListener?.('unhandledrejection', (event) => capture(event.reason, undefined, 'onunhandledrejection'));
  }
  return client;
}
