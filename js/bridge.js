// The worker's end of connect() (js/page.js): one chrome.runtime.onMessage
// listener, registered by init() in the worker's first turn so that a message
// can wake a stopped worker. It takes messages from this extension only,
// decides the context kind and origin from what Chrome says about the sender
// (never from the message), and drops anything malformed as `invalid`.
import { CONTEXT_KINDS, PAGE_MESSAGE_TAG as TAG } from './constants.js';

// Larger messages are dropped as `invalid` (the core's item limit is far below).
export const MAX_PAGE_MESSAGE_CHARS = 65_536;
// A page never holds more than its 100 waiting calls; a bigger count is forged.
const MAX_REPORTED_DROPS = 1_000;

const isString = (v) => typeof v === 'string';
const isOptional = (check) => (v) => v === undefined || v === null || check(v);
const any = () => true;

// The arguments of each operation, by position.
const OPERATIONS = {
  track: [isString, any],
  // kind, message, stack, context, causes (js/causes.js; the core ignores what is not its shape)
  error: [isString, isString, isOptional(isString), any, any],
  timing: [isString, Number.isFinite, any],
  feedback: [(v) => v !== null && typeof v === 'object'],
  consent: [],
  setConsent: [(v) => typeof v === 'boolean'],
  flush: [],
};

/**
 * Where a message came from: `{ kind, origin }`, or null for a sender that is
 * not this extension. A content script is known by its page's URL; only an
 * extension page's own word on its kind (popup, options...) is taken.
 */
export function senderSource(chrome, sender, declared) {
  if (!sender || sender.id !== chrome.runtime.id) return null;
  const own = chrome.runtime.getURL('');
  const url = String(sender.url ?? '');
  if (url.startsWith(own)) {
    const kind = CONTEXT_KINDS.includes(declared) && declared !== 'content_script' ? declared : 'extension_page';
    return { kind, origin: undefined };
  }
  let origin = sender.origin;
  try {
    origin ??= new URL(url).origin;
  } catch {}
  // Only http(s) pages have an origin worth keeping (file: pages say "null").
  return { kind: 'content_script', origin: /^https?:\/\//.test(origin ?? '') ? origin : undefined };
}

/** Checks a message's shape; the operation's arguments, or null. */
export function pageArguments(message) {
  const checks = OPERATIONS[message[TAG]];
  const args = message.a;
  if (!checks || !Object.hasOwn(OPERATIONS, message[TAG]) || !Array.isArray(args) || args.length > checks.length) return null;
  if (!checks.every((check, i) => check(args[i]))) return null;
  const n = message.n;
  if (n !== undefined && !(Number.isInteger(n) && n > 0 && n <= MAX_REPORTED_DROPS)) return null;
  let size;
  try {
    size = JSON.stringify(message).length;
  } catch {
    return null;
  }
  return size <= MAX_PAGE_MESSAGE_CHARS ? args : null;
}

/**
 * Registers the listener. `handle(op, args, source, reportedDrops)` returns
 * a promise of the answer; `invalid()` counts one dropped message.
 */
export function listenToPages(chrome, handle, invalid) {
  chrome?.runtime?.onMessage?.addListener((message, sender, sendResponse) => {
    // Not a page client's message: the extension's own, for its own listeners.
    if (message === null || typeof message !== 'object' || !Object.hasOwn(message, TAG)) return false;
    const source = senderSource(chrome, sender, message.k);
    const args = source && pageArguments(message);
    if (!args) {
      invalid();
      sendResponse(null);
      return false;
    }
    Promise.resolve()
      .then(() => handle(message[TAG], args, source, message.n ?? 0))
      .then(sendResponse, () => sendResponse(null));
    return true; // the answer is asynchronous
  });
}
