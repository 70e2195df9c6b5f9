// Size: gives the wasm's imports short names and rewrites the wasm-bindgen
// glue to match. wasm-bindgen names every import after its JS function plus a
// 16-hex-digit hash (`__wbg_setTimeout_7788f782c212e2b3`), and each name is
// stored twice, in the .wasm import section and as a key of the glue's import
// object; hashes do not compress. Renaming them saves about 2.5 KB gzipped.
// The exports get short names too (the glue calls each as `wasm.<name>`;
// closure shims are named after their whole Rust type, 200 characters and
// more): about 0.7 KB. `memory` keeps its name. Used by scripts/package.sh;
// fails loudly if the glue does not have the shape it expects, rather than
// ship a module that cannot link.
//
// Usage: node scripts/minify-imports.mjs <module_bg.wasm> <glue.js>
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmPath, gluePath] = process.argv.slice(2);
const wasm = readFileSync(wasmPath);
let glue = readFileSync(gluePath, 'utf8');

function fail(message) {
  console.error(`minify-imports: ${message}`);
  process.exit(1);
}

let pos = 0;
function uleb() {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = wasm[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return result;
    shift += 7;
  }
}
function encodeUleb(n) {
  const out = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}
function encodeName(name) {
  const bytes = Buffer.from(name, 'utf8');
  return Buffer.concat([encodeUleb(bytes.length), bytes]);
}
function readName() {
  const len = uleb();
  const name = wasm.toString('utf8', pos, pos + len);
  pos += len;
  return name;
}
// Skips an import's description (after its kind byte), per the core spec.
function skipDesc(kind) {
  if (kind === 0x00) uleb(); // func: type index
  else if (kind === 0x01 || kind === 0x02) {
    if (kind === 0x01) pos++; // table: reference type
    const flags = uleb(); // limits
    uleb();
    if (flags & 1) uleb();
  } else if (kind === 0x03) pos += 2; // global: value type, mutability
  else if (kind === 0x04) { pos++; uleb(); } // tag: attribute, type index
  else fail(`unknown import kind ${kind}`);
}

// a..z, A..Z, then two letters: enough for any wasm-bindgen module.
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
function shortName(i) {
  return i < LETTERS.length ? LETTERS[i] : LETTERS[Math.floor(i / LETTERS.length) - 1] + LETTERS[i % LETTERS.length];
}

// `name` as a whole identifier (not a prefix of a longer one), after `prefix`.
function wordRegExp(name, prefix = '') {
  return new RegExp(`(?<![\\w$])${prefix}${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g');
}

// The export section (at `pos`, ending at `end`) with short names; each
// renamed export must be called as `wasm.<name>` in the glue.
let exportsRenamed = 0;
function renameExports(end) {
  const count = uleb();
  const entries = [encodeUleb(count)];
  for (let i = 0; i < count; i++) {
    const name = readName();
    const descStart = pos;
    pos++; // kind
    uleb(); // index
    let short = name;
    if (name !== 'memory') {
      short = `_${shortName(exportsRenamed++)}`;
      // Reached only as `wasm.<name>`: never by a computed key (the glue's
      // own functions may share the name, as `scrubJson` does).
      if ([`'${name}'`, `"${name}"`, `\`${name}\``].some((q) => glue.includes(q))) {
        fail(`export ${name} is named in a string in the glue`);
      }
      glue = glue.replace(wordRegExp(name, 'wasm\\.'), `wasm.${short}`);
    }
    entries.push(encodeName(short), wasm.subarray(descStart, pos));
  }
  if (pos !== end) fail('the export section did not parse to its end');
  const content = Buffer.concat(entries);
  return Buffer.concat([Buffer.from([7]), encodeUleb(content.length), content]);
}

if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmPath} is not a wasm module`);
if (/\bwasm\[/.test(glue)) fail('the glue reaches an export by a computed key (wasm[...])');
pos = 8;
const parts = [wasm.subarray(0, 8)];
let renamed = 0;
while (pos < wasm.length) {
  const sectionStart = pos;
  const id = wasm[pos++];
  const size = uleb();
  const contentStart = pos;
  const end = contentStart + size;
  if (id === 7) {
    parts.push(renameExports(end));
    continue;
  }
  if (id !== 2) {
    parts.push(wasm.subarray(sectionStart, end));
    pos = end;
    continue;
  }
  const count = uleb();
  const entries = [encodeUleb(count)];
  const modules = new Map();
  for (let i = 0; i < count; i++) {
    const module = readName();
    const field = readName();
    const descStart = pos;
    const kind = wasm[pos++];
    skipDesc(kind);
    if (!modules.has(module)) {
      const key = JSON.stringify(module);
      if (glue.split(`${key}: import`).length !== 2) fail(`module ${key} is not exactly once in the glue's imports`);
      const short = shortName(modules.size);
      glue = glue.replace(`${key}: import`, `${JSON.stringify(short)}: import`);
      modules.set(module, short);
    }
    const short = shortName(renamed++);
    // Each import is exactly one key of the glue's import object, `name: function(...)`.
    const uses = glue.match(wordRegExp(field))?.length ?? 0;
    const asKey = glue.split(`${field}: function`).length - 1;
    if (uses !== 1 || asKey !== 1) fail(`import ${field} is used ${uses} times in the glue (${asKey} as an import key)`);
    glue = glue.replace(`${field}: function`, `${short}: function`);
    entries.push(encodeName(modules.get(module)), encodeName(short), wasm.subarray(descStart, pos));
  }
  if (pos !== end) fail('the import section did not parse to its end');
  const content = Buffer.concat(entries);
  parts.push(Buffer.from([2]), encodeUleb(content.length), content);
}

writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(gluePath, glue);
console.log(`minify-imports: ${renamed} imports and ${exportsRenamed} exports renamed`);
