// Size: removes from the wasm-bindgen glue what an MV3 service worker never
// runs, before scripts/package.sh bundles it into index.js (docs/size.md):
//
// - Safari's TextDecoder reset: Safari stops decoding after about 2 GiB
//   through one decoder, so the glue counts the bytes it decodes and makes a
//   new decoder past that. Chromium has no such limit.
// - The `TextEncoder.prototype.encodeInto` polyfill: every browser with MV3
//   extensions has had encodeInto since 2019 (Chrome 74).
// - `initSync`'s older call shapes (bytes, or a module passed bare, with a
//   deprecation warning): index.js always passes `{ module }`, a compiled
//   `WebAssembly.Module`.
// - The FinalizationRegistry of each exported class, and its
//   `Symbol.dispose` alias of `free()`: index.js makes one `Client` (and it
//   one `Callbacks`) per worker, held for the worker's life, so nothing is
//   ever left for the registry to free.
//
// Each edit must find its text exactly once: the glue's shape comes from
// wasm-bindgen, pinned in Cargo.toml; an upgrade that changes it fails the
// build here, naming the edit, rather than ship a glue half edited.
//
// Usage: node scripts/trim-glue.mjs <glue.js>   (rewrites the file)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The edits: [what the edit is, the glue's text (a RegExp or a string), its replacement]. */
export const EDITS = [
  [
    "Safari's decoder reset",
    /const MAX_SAFARI_DECODE_BYTES = \d+;\nlet numBytesDecoded = 0;\nfunction decodeText\(bytes\) \{\n[\s\S]*?\n    return cachedTextDecoder\.decode\(bytes\);\n\}\n/,
    'function decodeText(bytes) {\n    return cachedTextDecoder.decode(bytes);\n}\n',
  ],
  [
    'the encodeInto polyfill',
    /if \(!\('encodeInto' in cachedTextEncoder\)\) \{\n[\s\S]*?\n\}\n/,
    '',
  ],
  [
    "initSync's older call shapes",
    /    if \(module !== undefined\) \{\n        if \(Object\.getPrototypeOf\(module\) === Object\.prototype\) \{\n            \(\{module\} = module\)\n        \} else \{\n            console\.warn\('using deprecated parameters for `initSync\(\)`[^\n]*\n        \}\n    \}\n/,
    '    ({ module } = module);\n',
  ],
  [
    'initSync compiling bytes',
    /    if \(!\(module instanceof WebAssembly\.Module\)\) \{\n        module = new WebAssembly\.Module\(module\);\n    \}\n/,
    '',
  ],
  // Both exported classes: the same two edits each.
  ...['Callbacks', 'Client'].flatMap((name) => [
    [
      `${name}'s FinalizationRegistry`,
      new RegExp(`const ${name}Finalization = \\(typeof FinalizationRegistry === 'undefined'\\)\\n[^\\n]*\\n[^\\n]*;\\n`),
      `const ${name}Finalization = { register: () => {}, unregister: () => {} };\n`,
    ],
    [`${name}'s Symbol.dispose`, `if (Symbol.dispose) ${name}.prototype[Symbol.dispose] = ${name}.prototype.free;\n`, ''],
  ]),
];

/** `glue` with every edit made; throws naming the first edit whose text is not there exactly once. */
export function trimGlue(glue) {
  let out = glue;
  for (const [what, find, replacement] of EDITS) {
    const pattern = typeof find === 'string' ? new RegExp(find.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : new RegExp(find.source, 'g');
    const found = out.match(pattern)?.length ?? 0;
    if (found !== 1) throw new Error(`trim-glue: ${what}: expected its text once in the glue, found it ${found} times (did wasm-bindgen change?)`);
    out = out.replace(pattern, () => replacement);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [gluePath] = process.argv.slice(2);
  try {
    const glue = readFileSync(gluePath, 'utf8');
    const trimmed = trimGlue(glue);
    writeFileSync(gluePath, trimmed);
    console.log(`trim-glue: ${EDITS.length} edits, ${glue.length - trimmed.length} characters fewer`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
