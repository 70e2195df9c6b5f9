// Loaded by bench/lean.mjs's test extensions as the FIRST import of the
// service worker, so it runs before any module of the SDK is evaluated.
// It stamps the worker's first line, keeps the wasm instance's memory, and
// wraps chrome.storage.local's writes to count what every set() and remove()
// carries, whatever the keys and the storage format of the SDK. It reads
// nothing of the SDK's state.
// Keeps the wasm instance's memory (a module of its own, shared with bench/peers).
import './bench-wasm-memory.js';

self.__benchT0 = performance.now();

const area = chrome.storage.local;
const ops = [];          // {kind: 'set'|'remove'|'clear', at, keys, bytes}
let pending = 0;         // writes whose promise (or callback) has not settled
let lastActivity = performance.now();

// Bytes of one stored value as the SDK handed it over: a string's length,
// anything else's JSON text length.
const sizeOf = (v) => {
  if (typeof v === 'string') return v.length;
  try { return (JSON.stringify(v) ?? '').length; } catch { return 0; }
};
const measure = {
  set(items) {
    let keys = 0;
    let bytes = 0;
    for (const [key, value] of Object.entries(items ?? {})) {
      keys++;
      bytes += key.length + sizeOf(value);
    }
    return { keys, bytes };
  },
  remove(keys) {
    return { keys: Array.isArray(keys) ? keys.length : keys == null ? 0 : 1, bytes: 0 };
  },
  clear() {
    return { keys: 0, bytes: 0 };
  },
};

function wrap(name) {
  const original = area[name];
  if (typeof original !== 'function') return false;
  const wrapped = function benchWrappedStorageWrite(...args) {
    const op = { kind: name, at: performance.now(), ...measure[name](args[0]) };
    ops.push(op);
    pending++;
    lastActivity = op.at;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      pending--;
      lastActivity = performance.now();
    };
    const last = args.length - 1;
    if (last >= 0 && typeof args[last] === 'function') {
      const callback = args[last];
      args[last] = function (...results) { done(); return callback.apply(this, results); };
    }
    let result;
    try {
      result = original.apply(this, args);
    } catch (error) {
      done();
      throw error;
    }
    if (result && typeof result.then === 'function') result.then(done, done);
    else if (!(last >= 0 && typeof args[last] === 'function')) done();
    return result;
  };
  try {
    area[name] = wrapped;
  } catch { /* read-only: reported below */ }
  if (area[name] !== wrapped) {
    try { Object.defineProperty(area, name, { value: wrapped, configurable: true, writable: true }); } catch { /* reported */ }
  }
  return area[name] === wrapped;
}

const wrapped = { set: wrap('set'), remove: wrap('remove'), clear: wrap('clear') };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

self.__bench = {
  // Whether each write method is ours, and whether chrome.storage.local is one object.
  wrapped: { ...wrapped, sameArea: chrome.storage.local === area },
  /** A position in the write log. */
  mark() { return ops.length; },
  /** What was written since `mark`: set() calls, their keys and bytes; remove() calls and keys. */
  since(mark) {
    const out = { sets: 0, setKeys: 0, setBytes: 0, removes: 0, removeKeys: 0, clears: 0 };
    for (const op of ops.slice(mark)) {
      if (op.kind === 'set') { out.sets++; out.setKeys += op.keys; out.setBytes += op.bytes; }
      else if (op.kind === 'remove') { out.removes++; out.removeKeys += op.keys; }
      else out.clears++;
    }
    return out;
  },
  /**
   * Resolves when storage has settled: no write pending, none begun for
   * `quietMs`, and (with `requireWrite`) at least one write since `mark`;
   * at least `minMs` after the call, at most `maxMs`. {ok, ms, pending, wrote}.
   */
  async settled({ mark = ops.length, requireWrite = false, quietMs = 500, minMs = 0, maxMs = 10_000, pollMs = 50 } = {}) {
    const start = performance.now();
    for (;;) {
      const now = performance.now();
      const wrote = ops.length > mark;
      if (pending === 0 && now - lastActivity >= quietMs && now - start >= minMs && (!requireWrite || wrote)) {
        return { ok: true, ms: now - start, pending, wrote };
      }
      if (now - start >= maxMs) return { ok: false, ms: now - start, pending, wrote };
      await sleep(pollMs);
    }
  },
};
