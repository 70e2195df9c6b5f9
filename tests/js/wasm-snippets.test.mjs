// tests/wasm_service_worker.rs loads js/wrapper.js as a wasm-bindgen snippet.
// wasm-bindgen copies only the files named by a `module = "/..."` attribute,
// not what they import, so that test names every module wrapper.js reaches;
// this keeps the list in step with js/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const read = (path) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The js/ modules reachable from `entry` through relative imports. */
function reachable(entry, seen = new Set()) {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const [, path] of read(`js/${entry}`).matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]\.\/([\w.-]+)['"]/gm)) reachable(path, seen);
  return seen;
}

test('every module js/wrapper.js reaches is named in tests/wasm_service_worker.rs, so wasm-bindgen copies it', () => {
  const rust = read('tests/wasm_service_worker.rs');
  const named = new Set([...rust.matchAll(/module = "\/js\/([\w.-]+)"/g)].map((m) => m[1]));
  const modules = reachable('wrapper.js');
  assert.ok(modules.size > 1, `wrapper.js imports its siblings: ${[...modules]}`);
  for (const module of modules) assert.ok(named.has(module), `tests/wasm_service_worker.rs names /js/${module}`);
});
