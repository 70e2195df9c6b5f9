// mv3-telemetry as the README tells an extension to use it: init() at the
// top level of the worker, every option at its default except consent (the
// bench has no consent page; the peers below are opted in too).
import { init } from 'mv3-telemetry';

// How the bench reads the size of the wasm memory (not needed in an app).
import '../../wasm-memory-probe.js';

const telemetry = init({
  endpoint: `${__COLLECTOR__}/mv3-telemetry`,
  defaultConsent: 'granted',
});

self.benchSdk = {
  ready: telemetry.ready,
  track: (name, props) => telemetry.track(name, props),
  captureError: (error) => telemetry.captureError(error),
  flush: () => telemetry.flush(),
  wasmBytes: async () => self.__benchWasmMemory?.buffer.byteLength ?? 0,
  stats: () => telemetry.stats(),
};
