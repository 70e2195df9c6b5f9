// Keeps the wasm memory of the SDK's instance as the package makes it, for
// the benches' memory figures (bench/lean.mjs, bench/peers.mjs): wraps
// WebAssembly.instantiateStreaming, .instantiate and the Instance constructor
// (the package compiles, then instantiates synchronously) before the SDK
// loads. Nothing of the SDK is imported or changed. Import it before calling
// init().
const keep = (instance) => {
  if (instance?.exports?.memory) self.__benchWasmMemory = instance.exports.memory;
};
for (const name of ['instantiateStreaming', 'instantiate']) {
  const original = WebAssembly[name];
  WebAssembly[name] = async function benchKeptInstance(...args) {
    const result = await original.apply(this, args);
    keep(result instanceof WebAssembly.Instance ? result : result?.instance);
    return result;
  };
}
WebAssembly.Instance = class BenchKeptInstance extends WebAssembly.Instance {
  constructor(...args) {
    super(...args);
    keep(this);
  }
};
