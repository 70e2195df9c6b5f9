// mv3-telemetry: privacy-first telemetry for Chrome extensions (Manifest V3).
// Import this from the extension's service worker; see README.md.
import { initSync, Client, scrubText, scrubJson } from './mv3_telemetry.js';
import { createTelemetry, readStoredState, storageOf } from './telemetry.js';
import { createHost } from './host.js';
import { createMemoryStorage } from './memory-storage.js';
import { normalizeToJson } from './normalize.js';
import { connect } from './page.js';

export { createMemoryStorage };

let wasmReady = null;
let warnedPage = false;
let wasmLoaded = false;
let instance = null;

function loadWasm() {
  // The .wasm sits beside this file: copying the package folder into an
  // extension, or letting a bundler emit the asset, both keep that true.
  // Compiled as it streams, then instantiated by the glue's initSync: its
  // async loader (MIME fallbacks for web servers, deprecated call shapes)
  // is 353 B gzip an extension never needs (docs/size.md).
  wasmReady ??= WebAssembly.compileStreaming(fetch(new URL('./mv3_telemetry_bg.wasm', import.meta.url))).then((module) => {
    initSync({ module });
    wasmLoaded = true;
  });
  return wasmReady;
}

/**
 * Starts the SDK. Call it at the top level of the service worker: it returns
 * at once, registers its listeners synchronously and buffers calls until the
 * core is ready (`await telemetry.ready` if you need to know when). Called in
 * a page or content script, it warns once and behaves as `connect()` from
 * `mv3-telemetry/page`: a second engine there would fight the worker's over
 * the same storage.
 */
export function init(options) {
  // Every worker has importScripts; pages and content scripts do not.
  if (typeof ServiceWorkerGlobalScope === 'undefined' && typeof importScripts === 'undefined') {
    if (!warnedPage) {
      warnedPage = true;
      console.warn("mv3-telemetry: init() belongs in the service worker; in pages and content scripts use connect() from 'mv3-telemetry/page'. Behaving as connect().");
    }
    return (instance ??= connect({ captureGlobalErrors: options?.captureGlobalErrors !== false }));
  }
  if (instance) {
    if (options?.debug) console.warn('mv3-telemetry: init() was called twice; the first instance is returned');
    return instance;
  }
  // A cold start waits for two things: the start-up storage read and the
  // .wasm (fetch and compile, the longer: its answer alone takes 6-8 ms in a
  // worker, and the read's answer waits behind its stream). Both start
  // before anything else, so that validating options and registering
  // listeners run while they are in flight; the read first: its call costs
  // 0.2 ms, the first fetch() call of a worker 1.3-1.9 ms (measured with
  // bench/cold.mjs, docs/size.md). Invalid options throw below; the read's
  // answer is then dropped.
  const stored = readStoredState(storageOf(options));
  // A failure surfaces through `ready`; this early call only must not leave
  // it unhandled.
  loadWasm().catch(() => {});
  instance = createTelemetry(options, async (coreOptions, storage, extraPatterns, beforeSend) => {
    await loadWasm();
    return new Client(coreOptions, storage !== undefined, extraPatterns, beforeSend, createHost(storage, options.debug === true));
  }, stored);
  return instance;
}

/**
 * The scrubber alone (default rules), on a string or a JSON-like value; pure.
 * Needs the core: call it after `await telemetry.ready`.
 */
export function scrub(value) {
  if (!wasmLoaded) throw new Error('mv3-telemetry: scrub() needs the wasm core; call it after `await telemetry.ready`');
  if (typeof value === 'string') return scrubText(value);
  const json = normalizeToJson(value);
  if (json === undefined) return value;
  const cleaned = scrubJson(json);
  return cleaned === undefined ? value : JSON.parse(cleaned);
}
