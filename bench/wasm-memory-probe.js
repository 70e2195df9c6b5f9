// Keeps the wasm memory of the SDK's instance as the package makes it, for
// the benches' memory figures (bench/lean.mjs, bench/peers.mjs): wraps
// WebAssembly.instantiateStreaming and .instantiate before the SDK loads.
// Nothing of the SDK is imported or changed. Import it before calling init().
for (const name of ['instantiateStreaming', 'instantiate']) {
  const original = WebAssembly[name];
  WebAssembly[name] = async function benchKeptInstance(...args) {
    const result = await original.apply(this, args);
    const instance = result instanceof WebAssembly.Instance ? result : result?.instance;
    if (instance?.exports?.memory) self.__benchWasmMemory = instance.exports.memory;
    return result;
  };
}
