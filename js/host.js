// The host of the wasm core: carries out the effects the core decides (a
// request, a storage read or write, a timer, the alarm) and reports each
// outcome back through the core's Callbacks (src/wasm/exports.rs). The core
// calls these synchronously and never waits: the wasm holds no futures and no
// closures (docs/size.md). The browser work itself is in transport.js and
// store.js; nothing here throws.
import { ALARM_NAME } from './constants.js';
import { compress, post } from './transport.js';
import { read, write } from './store.js';

// A storage call that never settles must not stall every later write: after
// this long the write counts as refused, and the core retries it later.
const WRITE_TIMEOUT_MS = 10_000;

/**
 * The host for one core. `area` is the storage area (chrome.storage.local or
 * the `storage` option; undefined for none), `debug` logs failures;
 * `writeTimeoutMs` is for tests.
 */
export function createHost(area, debug, writeTimeoutMs = WRITE_TIMEOUT_MS) {
  const timers = [];
  let back;
  return {
    bind(callbacks) {
      back = callbacks;
    },
    arm(kind, ms) {
      clearTimeout(timers[kind]);
      timers[kind] = ms < 0 ? undefined : setTimeout(() => back.fired(kind), ms);
    },
    alarm(when) {
      // A rejection only means the wake-up is not armed; the next tick re-arms it.
      try {
        const alarms = globalThis.chrome?.alarms;
        Promise.resolve(when < 0 ? alarms?.clear(ALARM_NAME) : alarms?.create(ALARM_NAME, { when })).catch(() => {});
      } catch {}
    },
    read(id, keys) {
      Promise.resolve(area ? read(area, keys, debug) : {}).then((items) => back.readDone(id, items));
    },
    write(pairs, removals) {
      let timer;
      const stalled = new Promise((resolve) => {
        timer = setTimeout(() => resolve([false, false]), writeTimeoutMs);
      });
      Promise.race([write(area, pairs, removals, debug), stalled]).then(([ok, removed]) => {
        clearTimeout(timer);
        back.written(ok, removed);
      });
    },
    async send(id, url, text, bytes, gzip, contentType, headers, readBody, timeoutMs) {
      const body = await compress(text, gzip);
      // The text's length is UTF-16 units: the core gives its UTF-8 bytes.
      const size = typeof body === 'string' ? bytes : body.length;
      const mode = back.sized(id, size);
      if (mode === 0) return;
      const answer = await post(url, body, contentType, headers, mode === 1, readBody, timeoutMs, debug);
      back.answered(id, mode === 1 ? size : 0, answer);
    },
  };
}
