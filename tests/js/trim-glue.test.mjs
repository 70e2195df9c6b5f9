// scripts/trim-glue.mjs against a glue-shaped text: each edit lands, what it
// leaves still works, and a glue of another shape stops the build by name.
// (The package's own glue is checked in tests/e2e/package.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EDITS, trimGlue } from '../../scripts/trim-glue.mjs';

// The parts of wasm-bindgen 0.2.130's glue (--target web) the edits touch,
// in its layout, around lines that must survive untouched.
const GLUE = `export class Client {
    free() {
        ClientFinalization.unregister(this);
    }
}
if (Symbol.dispose) Client.prototype[Symbol.dispose] = Client.prototype.free;
export class Callbacks {
}
if (Symbol.dispose) Callbacks.prototype[Symbol.dispose] = Callbacks.prototype.free;
const CallbacksFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm._a(ptr, 1));
const ClientFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm._b(ptr, 1));
let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}

const cachedTextEncoder = new TextEncoder();

if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for \`initSync()\`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}
`;

test('trimming the glue drops the Safari reset, the encodeInto polyfill, the old initSync shapes and the finalizers', () => {
  const trimmed = trimGlue(GLUE);
  for (const gone of ['MAX_SAFARI_DECODE_BYTES', 'numBytesDecoded', "'encodeInto' in", 'deprecated parameters', 'new WebAssembly.Module', 'FinalizationRegistry', 'Symbol.dispose']) {
    assert.ok(!trimmed.includes(gone), `${gone} is gone`);
  }
  for (const kept of ['export class Client', 'ClientFinalization.unregister(this)', 'cachedTextDecoder.decode();', 'const cachedTextEncoder = new TextEncoder();', 'new WebAssembly.Instance(module, imports)']) {
    assert.ok(trimmed.includes(kept), `${kept} is kept`);
  }
  assert.ok(trimmed.length < GLUE.length - 1000);
});

test('the trimmed glue still decodes text, takes { module } and registers nothing', () => {
  const trimmed = trimGlue(GLUE);
  const run = new Function('WebAssembly', `let wasm;\nconst __wbg_get_imports = () => ({});\nconst __wbg_finalize_init = (instance) => instance;\n${trimmed.replace(/export /g, '')}\nreturn { decodeText, initSync, ClientFinalization, CallbacksFinalization };`);
  const made = [];
  const fakeWasm = { Module: class {}, Instance: class { constructor(module) { made.push(module); } } };
  const glue = run(fakeWasm);
  assert.equal(glue.decodeText(new TextEncoder().encode('grüße')), 'grüße');
  const module = new fakeWasm.Module();
  glue.initSync({ module });
  assert.deepEqual(made, [module], 'the module passed as { module } is instantiated as it is');
  assert.equal(glue.ClientFinalization.register({}, 1, {}), undefined);
  assert.equal(glue.CallbacksFinalization.unregister({}), undefined);
});

test('a glue of another shape stops the build, naming the edit that found nothing', () => {
  const withoutPolyfill = GLUE.replace(/if \(!\('encodeInto' in cachedTextEncoder\)\) \{[\s\S]*?\n\}\n/, '');
  assert.throws(() => trimGlue(withoutPolyfill), /trim-glue: the encodeInto polyfill: expected its text once in the glue, found it 0 times/);
  const twice = GLUE + 'if (Symbol.dispose) Client.prototype[Symbol.dispose] = Client.prototype.free;\n';
  assert.throws(() => trimGlue(twice), /trim-glue: Client's Symbol\.dispose: expected its text once in the glue, found it 2 times/);
  assert.equal(EDITS.length, 8);
});
