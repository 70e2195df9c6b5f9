// The JS layer's internal surface in one place, for the tests that load it
// without the package entry (tests/wasm_service_worker.rs, the troubleshooting
// test). The package entry is index.js; each job lives in its own module.
export { createTelemetry } from './telemetry.js';
export { createMemoryStorage } from './memory-storage.js';
export { normalizeToJson, describeThrown } from './normalize.js';
export { validateOptions } from './options.js';
