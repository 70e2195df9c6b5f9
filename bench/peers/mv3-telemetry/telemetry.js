// mv3-telemetry as the README tells an extension to use it: init() at the
// top level of the worker, every option at its default except consent (the
// bench has no consent page; the peers below are opted in too).
import { init } from 'mv3-telemetry';
// The wasm-bindgen glue's init returns the instance it already made, which
// is how the bench reads the size of the wasm memory (not needed in an app).
import loadWasm from 'mv3-telemetry/glue';

const telemetry = init({
  endpoint: `${__COLLECTOR__}/mv3-telemetry`,
  defaultConsent: 'granted',
});

self.benchSdk = {
  ready: telemetry.ready,
  track: (name, props) => telemetry.track(name, props),
  captureError: (error) => telemetry.captureError(error),
  flush: () => telemetry.flush(),
  wasmBytes: async () => (await loadWasm()).memory.buffer.byteLength,
  stats: () => telemetry.stats(),
};
