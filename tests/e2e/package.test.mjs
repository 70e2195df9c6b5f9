// The npm package as `make package` builds it into pkg/ and `npm pack` packs
// it (DESIGN 3): the package.json fields registries and bundlers read, exactly
// the files a consumer needs in the tarball, the entry's runtime exports equal
// to the declared ones, and a package README that names every API member.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { packedProject, repoText, interfaceMembers, PKG_DIR } from '../package/project.mjs';

// What a consumer gets, and nothing else (no stamp, no .gitignore, no sources).
const TARBALL_FILES = [
  'LICENSE-APACHE',
  'LICENSE-MIT',
  'README.md',
  'index.d.ts',
  'index.js',
  'mv3_telemetry_bg.wasm',
  'package.json',
  'page.d.ts',
  'page.global.js',
  'page.js',
];

let project;
before(async () => { project = await packedProject(); });
after(() => project?.remove());

const pkgJson = () => JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8'));

test('package.json carries the name, the crate version and every field the issue names, pointing at files that exist', () => {
  const pkg = pkgJson();
  const crateVersion = /^\[package\][\s\S]*?^version\s*=\s*"([^"]+)"/m.exec(repoText('Cargo.toml'))[1];
  assert.equal(pkg.name, 'mv3-telemetry');
  assert.equal(pkg.version, crateVersion, 'the version is the crate\'s');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.license, 'MIT OR Apache-2.0');
  assert.equal(pkg.sideEffects, false);
  assert.match(pkg.repository?.url ?? '', /^git\+https:\/\/github\.com\/.+\.git$/);
  assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.includes('chrome-extension') && pkg.keywords.includes('manifest-v3'));
  assert.ok(typeof pkg.description === 'string' && pkg.description.length > 20);
  assert.ok(Array.isArray(pkg.files) && pkg.files.length > 0);
  // TypeScript takes the first matching condition: "types" must come first.
  assert.deepEqual(Object.keys(pkg.exports['.']), ['types', 'default']);
  assert.equal(pkg.exports['.'].types, './index.d.ts');
  assert.equal(pkg.exports['.'].default, './index.js');
  assert.equal(pkg.module, './index.js');
  assert.equal(pkg.types, './index.d.ts');
  for (const target of [pkg.main, pkg.module, pkg.types, ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))]) {
    assert.ok(existsSync(join(PKG_DIR, target)), `pkg/${target} exists`);
  }
});

test('npm pack puts exactly the wasm, the bundled entry (its glue inside), the types, the README and the licenses in the tarball', () => {
  const files = project.pack.files.map((f) => f.path).sort();
  assert.deepEqual(files, TARBALL_FILES);
  assert.equal(project.pack.name, 'mv3-telemetry');
  assert.equal(project.pack.version, pkgJson().version);
  const kib = (project.pack.size / 1024).toFixed(1);
  assert.ok(project.pack.size < 200 * 1024, `the tarball stays small (${kib} KiB)`);
});

test('the bundled entry carries the glue without what an MV3 worker never runs (scripts/trim-glue.mjs)', () => {
  const entry = readFileSync(join(PKG_DIR, 'index.js'), 'utf8');
  // Safari's decoder reset (its byte limit), the encodeInto polyfill's test,
  // initSync's deprecation warning, the finalizers.
  for (const gone of ['2146435072', 'deprecated parameters', 'FinalizationRegistry', 'Symbol.dispose']) {
    assert.ok(!entry.includes(gone), `index.js has no ${gone}`);
  }
  assert.doesNotMatch(entry, /["']encodeInto["']\s*in\b/, 'index.js does not test for encodeInto');
  assert.match(entry, /\.encodeInto\(/, 'strings still enter the wasm through encodeInto');
});

test('the installed entry exports at run time exactly the functions its types declare', async () => {
  // Node can import the entry (loading the wasm waits for init()); a
  // mismatch means a user's import type-checks and then fails, or the reverse.
  const entry = join(project.dir, 'node_modules/mv3-telemetry/index.js');
  const runtime = Object.keys(await import(entry)).sort();
  const dts = readFileSync(join(project.dir, 'node_modules/mv3-telemetry/index.d.ts'), 'utf8');
  const declared = [...dts.matchAll(/^export (?:declare )?function (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(runtime, declared);
  for (const name of runtime) assert.equal(typeof (await import(entry))[name], 'function');
});

test('the package README names every API member and option the types declare', () => {
  const readme = readFileSync(join(project.dir, 'node_modules/mv3-telemetry/README.md'), 'utf8');
  const dts = repoText('js/index.d.ts');
  const members = (name) => interfaceMembers(dts, name);
  const names = (pattern, what) => assert.ok(new RegExp(pattern).test(readme), `the package README names ${what}`);
  for (const m of members('Telemetry')) names(`\`telemetry\\.${m}\\b`, `telemetry.${m}`);
  for (const f of ['init', 'scrub', 'createMemoryStorage']) names(`\`${f}\\(`, `${f}()`);
  for (const iface of ['TelemetryOptions', 'BatchOptions', 'RetryOptions', 'ScrubOptions']) {
    for (const m of members(iface)) names(`\`(?:\\w+\\.)?${m}[\`.]`, `the option ${m}`);
  }
});

test('mv3-telemetry/page exports connect() with its types, and page.global.js sets globalThis.mv3Telemetry', async () => {
  const pkg = pkgJson();
  assert.deepEqual(pkg.exports['./page'], { types: './page.d.ts', default: './page.js' });
  const installed = join(project.dir, 'node_modules/mv3-telemetry');
  const page = await import(join(installed, 'page.js'));
  assert.deepEqual(Object.keys(page), ['connect']);
  const dts = readFileSync(join(installed, 'page.d.ts'), 'utf8');
  assert.deepEqual([...dts.matchAll(/^export (?:declare )?function (\w+)/gm)].map((m) => m[1]), ['connect']);
  const sandbox = {};
  runInNewContext(readFileSync(join(installed, 'page.global.js'), 'utf8'), sandbox);
  assert.equal(typeof sandbox.mv3Telemetry?.connect, 'function', 'a classic script gets globalThis.mv3Telemetry.connect');
});

test('the page client is at most 2 KiB gzipped, without the wasm glue or a storage queue', () => {
  for (const file of ['page.js', 'page.global.js']) {
    const text = readFileSync(join(PKG_DIR, file), 'utf8');
    const gzip = gzipSync(text, { level: 9 }).length;
    console.log(`# ${file}: ${text.length} bytes, ${gzip} bytes gzip -9 (budget 2048)`);
    assert.ok(gzip <= 2048, `${file} is ${gzip} bytes gzipped`);
    assert.doesNotMatch(text, /mv3_telemetry|WebAssembly/, `${file} does not load the wasm`);
    assert.doesNotMatch(text, /\.set\(|\.remove\(/, `${file} never writes storage: no queue of its own`);
  }
});

test('init() in a page warns once, naming connect, and behaves as connect()', async () => {
  const entry = join(project.dir, 'node_modules/mv3-telemetry/index.js');
  const { init } = await import(entry);
  // Node has neither a service worker global nor importScripts: a page, to init().
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => warnings.push(args.join(' '));
  try {
    const first = init({ endpoint: 'https://collector.example.com', captureGlobalErrors: false });
    const second = init({ endpoint: 'https://collector.example.com', captureGlobalErrors: false });
    assert.equal(first, second);
    assert.equal(await first.track('x'), false, 'a page client: outside an extension nothing is sent');
    assert.equal(typeof first.consentStatus().then, 'function', 'consentStatus() is a promise, as connect()\'s');
    assert.equal(first.ready, undefined, 'no wasm engine was started');
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /connect\(\)/);
});
