// The service worker of every extension of the peer benchmark (a classic
// script, copied as is). The SDK's bundle, telemetry.js, is loaded with
// importScripts so that an SDK that throws while loading or initialising in
// a service worker leaves its error here instead of a worker that never
// starts; telemetry.js sets `self.benchSdk` (see bench/peers/README.md).
function describe(err) {
  if (err && typeof err === 'object' && 'message' in err) return `${err.name || 'Error'}: ${err.message}`;
  return String(err);
}

self.bench = { loadError: null, readyAt: null, readyError: null, asyncErrors: [] };

// What an SDK throws later (in its timers or promises) is part of its result.
self.addEventListener('error', (e) => { self.bench.asyncErrors.push(describe(e.error ?? e.message)); });
self.addEventListener('unhandledrejection', (e) => { self.bench.asyncErrors.push(describe(e.reason)); });

try {
  importScripts('telemetry.js');
  if (!self.benchSdk) throw new Error('telemetry.js did not set self.benchSdk');
  // performance.now() in a worker counts from the worker's start.
  Promise.resolve(self.benchSdk.ready).then(
    () => { self.bench.readyAt = performance.now(); },
    (err) => { self.bench.readyError = describe(err); },
  );
} catch (err) {
  self.bench.loadError = describe(err);
}

// The harness wakes a stopped worker with {cmd: 'ping'}.
chrome.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
  if (msg && msg.cmd === 'ping') sendResponse('pong');
  return false;
});
