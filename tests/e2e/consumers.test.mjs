// The package as consumers use it (DESIGN 3): the tarball installed into a
// fresh project, then tiny extensions built the documented ways (no bundler:
// the package folder copied in; esbuild; Vite; WXT, whose content script uses
// connect()), each loaded unpacked in Chromium, whose service worker must
// deliver an event to the mock collector. The recipes here are the README's.
//
// The no-bundler consumer also records what the SDK really produces (the
// items `beforeSend` sees, stats(), flush(), the batches the collector got)
// and type-checks it against the published types, so the types cannot drift
// from the wire.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { readmeBlocks } from './lib/readme.mjs';
import { startMock, launchBrowser, readJson, waitFor, delivered, collectorReport, BLANK_PAGE, writeBlankPage } from './lib/harness.mjs';
import { packedProject, sh, typecheck, writeTsconfig, BIN } from '../package/project.mjs';

let project;
let mock;
before(async () => {
  [project, mock] = await Promise.all([packedProject(), startMock()]);
});
after(async () => {
  await mock?.stop();
  project?.remove();
});

/** manifest-example.json, with the mock collector's origin as the host permission. */
function manifest(kind) {
  const m = readJson('manifest-example.json');
  m.name = `mv3-telemetry consumer (${kind})`;
  m.host_permissions = ['http://127.0.0.1/*'];
  return JSON.stringify(m, null, 2);
}

/**
 * The consumer's service worker: init at top level with consent granted, one
 * item of each type, and a flush once the core is ready. `beforeSend` keeps a
 * copy of every item it sees for the shape check.
 */
function background(specifier, kind) {
  return `import { init } from '${specifier}';

const seen = [];
const telemetry = init({
  endpoint: ${JSON.stringify(mock.url)},
  defaultConsent: 'granted',
  lifecycleEvents: false,
  batch: { flushIntervalMs: 500, errorFlushDelayMs: 200 },
  beforeSend(item) {
    seen.push(JSON.parse(JSON.stringify(item)));
    return undefined;
  },
});
self.telemetry = telemetry;
self.seen = seen;
self.statsAtInit = telemetry.stats();

telemetry.track('consumer_${kind}', { recipe: '${kind}' });
telemetry.captureError(new Error('consumer_${kind} failed'), { recipe: '${kind}' });
telemetry.startTimer('consumer_${kind}.timer').stop();
telemetry.feedback({ type: 'praise', rating: 5, message: 'consumer_${kind}', contact: 'me@example.com' });
self.flushed = telemetry.ready.then(() => telemetry.stats()).then((stats) => {
  self.statsWhenReady = stats;
  return telemetry.flush();
});
`;
}

/** Files every consumer extension folder gets beside its build. */
function extensionFiles(dir, kind) {
  writeFileSync(join(dir, 'manifest.json'), manifest(kind));
  writeBlankPage(dir);
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

/** An MV3 worker cannot use dynamic import() or the DOM: a bundle must not carry them. */
function assertWorkerSafe(file) {
  const code = readFileSync(file, 'utf8');
  assert.doesNotMatch(code, /\bimport\s*\(/, `${file} has no dynamic import()`);
  assert.doesNotMatch(code, /\bdocument\b|\bwindow\./, `${file} does not touch the DOM`);
  assert.doesNotMatch(code, /modulepreload|__vitePreload/, `${file} has no module preload helper`);
}

/** Loads `extDir` unpacked and waits for the consumer's event at the collector. */
async function deliversEvent(t, extDir, kind) {
  const browser = await launchBrowser(extDir);
  t.after(() => browser.close());
  const name = `consumer_${kind}`;
  try {
    await waitFor(async () => (await delivered(mock, name)).unique.length > 0, { timeout: 20_000, message: `the ${name} event at the collector` });
  } catch (err) {
    assert.fail(`${err.message}\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`);
  }
  const [event] = (await delivered(mock, name)).unique;
  assert.deepEqual(event.props, { recipe: kind });
  return browser;
}

test('without a bundler, the package folder copied into an extension and imported from its service worker delivers an event; what it produces matches the published types', { timeout: 90_000 }, async (t) => {
  const ext = join(project.dir, 'ext-plain');
  mkdirSync(ext);
  cpSync(join(project.dir, 'node_modules/mv3-telemetry'), join(ext, 'vendor/mv3-telemetry'), { recursive: true });
  writeFileSync(join(ext, 'background.js'), background('./vendor/mv3-telemetry/index.js', 'plain'));
  extensionFiles(ext, 'plain');
  const browser = await deliversEvent(t, ext, 'plain');

  // Everything the SDK handed out, with every item type present.
  const observed = await browser.evaluate(async () => {
    const flushed = await self.flushed;
    return { seen: self.seen, statsAtInit: self.statsAtInit, statsWhenReady: self.statsWhenReady, flushed, stats: self.telemetry.stats() };
  });
  const endpoints = ['events', 'errors', 'performance', 'feedback'];
  await waitFor(async () => (await Promise.all(endpoints.map((e) => mock.items(e))))
    .every((items) => items.some((it) => JSON.stringify(it).includes('consumer_plain'))), { timeout: 20_000, message: 'one item of each type at the collector' });
  const batches = (await Promise.all(endpoints.map((e) => mock.batches(e)))).flat().map((b) => b.body);
  const types = new Set(observed.seen.map((item) => item.type));
  assert.deepEqual([...types].sort(), ['error', 'event', 'feedback', 'timing'], 'beforeSend saw every item type');
  assert.deepEqual(Object.keys(observed.stats.dropped).sort(), Object.keys(observed.statsWhenReady.dropped).sort());

  // Object literals get tsc's excess-property check: a field the types lack
  // fails as surely as a field the SDK no longer sends.
  const literal = (value) => JSON.stringify(value, null, 2);
  writeFileSync(join(project.dir, 'observed.ts'), [
    "import type { Batch, FlushResult, Item, TelemetryStats } from 'mv3-telemetry';",
    `export const seen: Item[] = ${literal(observed.seen)};`,
    `export const statsAtInit: TelemetryStats = ${literal(observed.statsAtInit)};`,
    `export const statsWhenReady: TelemetryStats = ${literal(observed.statsWhenReady)};`,
    `export const stats: TelemetryStats = ${literal(observed.stats)};`,
    `export const flushed: FlushResult = ${literal(observed.flushed)};`,
    `export const batches: Batch[] = ${literal(batches)};`,
    '',
  ].join('\n'));
  const tsconfig = writeTsconfig(project.dir, 'tsconfig.observed.json', ['observed.ts'], {
    module: 'nodenext', moduleResolution: 'nodenext', exactOptionalPropertyTypes: true,
  });
  const { ok, output } = await typecheck(project.dir, tsconfig);
  assert.ok(ok, `what the SDK produced does not match index.d.ts:\n${output.slice(0, 4000)}`);
});

test('bundled by esbuild into one service-worker script with the .wasm copied beside it, the extension delivers an event', { timeout: 90_000 }, async (t) => {
  const src = join(project.dir, 'esbuild-app');
  const dist = join(src, 'dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(src, 'background.js'), background('mv3-telemetry', 'esbuild'));
  // The recipe is the README's (an ES module bundle: the SDK finds its .wasm
  // through import.meta.url, which esbuild keeps as is; the .wasm beside it),
  // run line by line in an app folder that sees the project's node_modules.
  symlinkSync(join(project.dir, 'node_modules'), join(src, 'node_modules'));
  const [recipe] = readmeBlocks().filter((b) => b.kind === 'esbuild');
  assert.ok(recipe, 'README.md has the esbuild recipe');
  for (const line of recipe.code.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [command, ...args] = line.split(/\s+/);
    if (command === 'npx' && args[0] === 'esbuild') {
      await sh(process.execPath, [BIN.esbuild, ...args.slice(1), '--log-level=warning'], { cwd: src });
    } else if (command === 'cp' && args.length === 2) {
      const to = join(src, args[1]);
      cpSync(join(src, args[0]), args[1].endsWith('/') ? join(to, args[0].split('/').pop()) : to);
    } else {
      assert.fail(`README esbuild recipe: a line this test cannot run: ${line}`);
    }
  }
  extensionFiles(dist, 'esbuild');
  assert.deepEqual(listFiles(dist), [BLANK_PAGE, 'background.js', 'manifest.json', 'mv3_telemetry_bg.wasm'].sort());
  assertWorkerSafe(join(dist, 'background.js'));
  await deliversEvent(t, dist, 'esbuild');
});

test('bundled by Vite with the worker as the build input, the emitted .wasm asset loads and the extension delivers an event', { timeout: 90_000 }, async (t) => {
  const src = join(project.dir, 'vite-app');
  mkdirSync(join(src, 'public'), { recursive: true });
  writeFileSync(join(src, 'background.js'), background('mv3-telemetry', 'vite'));
  // The recipe is the README's vite.config.js: the worker is the input, its
  // output name is stable for manifest.json, no module preload polyfill (it
  // uses `document`); Vite emits the .wasm as an asset from new URL(..., import.meta.url).
  const [config] = readmeBlocks().filter((b) => b.kind === 'vite-config');
  assert.ok(config, 'README.md has the Vite config');
  writeFileSync(join(src, 'vite.config.js'), config.code + '\n');
  extensionFiles(join(src, 'public'), 'vite');
  await sh(process.execPath, [BIN.vite, 'build', '--logLevel', 'warn'], { cwd: src });
  const dist = join(src, 'dist');
  const files = listFiles(dist);
  assert.deepEqual(files.filter((f) => !f.startsWith('assets/')), [BLANK_PAGE, 'background.js', 'manifest.json'].sort());
  assert.equal(files.filter((f) => /^assets\/mv3_telemetry_bg-[\w-]+\.wasm$/.test(f)).length, 1, `one emitted .wasm asset in ${files}`);
  assertWorkerSafe(join(dist, 'background.js'));
  await deliversEvent(t, dist, 'vite');
});

test('built by WXT from the README recipe, the background (init) and a content script (connect) both deliver to the collector', { timeout: 150_000 }, async (t) => {
  const app = join(project.dir, 'wxt-app');
  mkdirSync(join(app, 'entrypoints'), { recursive: true });
  // The app sees the installed tarball; WXT itself comes from the workspace.
  symlinkSync(join(project.dir, 'node_modules'), join(app, 'node_modules'));
  symlinkSync(dirname(dirname(BIN.wxt)), join(project.dir, 'node_modules/wxt'));
  const site = createServer((req, res) => res.end('<!doctype html><title>site</title><p>three short words</p>'));
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => site.close(resolve)));

  const block = (kind) => {
    const [found] = readmeBlocks().filter((b) => b.kind === kind);
    assert.ok(found, `README.md has the ${kind} block`);
    return found.code;
  };
  // The README's recipe, pointed at the mock collector and the local site;
  // consent granted by default stands in for the consent UI.
  const local = (code) => code
    .replaceAll('https://collector.example.com/*', 'http://127.0.0.1/*')
    .replaceAll('https://*.example.com/*', 'http://127.0.0.1/*')
    .replaceAll("{ endpoint: 'https://collector.example.com' }",
      `{ endpoint: ${JSON.stringify(mock.url)}, defaultConsent: 'granted', lifecycleEvents: false, batch: { flushIntervalMs: 500 } }`);
  const recipes = { 'wxt.config.ts': 'wxt-config', 'entrypoints/background.ts': 'wxt-background', 'entrypoints/content.ts': 'wxt-content' };
  for (const [name, kind] of Object.entries(recipes)) {
    const code = local(block(kind));
    assert.notEqual(code, block(kind), `${name}: the recipe was pointed at the local collector and site`);
    writeFileSync(join(app, name), code);
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'wxt-consumer', version: '1.0.0', private: true, type: 'module' }));
  await sh(process.execPath, [BIN.wxt, 'build'], { cwd: app });
  const dist = join(app, '.output/chrome-mv3');
  const built = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'));
  assert.deepEqual(built.background, { type: 'module', service_worker: 'background.js' });
  assert.ok(listFiles(dist).some((f) => /^assets\/mv3_telemetry_bg-[\w-]+\.wasm$/.test(f)), 'WXT emitted the .wasm');
  const contentFile = join(dist, built.content_scripts[0].js[0]);
  assert.doesNotMatch(readFileSync(contentFile, 'utf8'), /WebAssembly|mv3_telemetry_bg/, 'the content script carries no wasm');
  writeBlankPage(dist);

  const browser = await launchBrowser(dist);
  t.after(() => browser.close());
  const tab = await browser.context.newPage();
  await tab.goto(`http://127.0.0.1:${site.address().port}/articles/42?ref=mail`);
  try {
    // flushIntervalMs 500: the batches go out on their own.
    await waitFor(async () => {
      return (await delivered(mock, 'background_started')).unique.length > 0 && (await delivered(mock, 'article_opened')).unique.length > 0;
    }, { timeout: 40_000, interval: 1_000, message: 'the WXT background and content script events at the collector' });
  } catch (err) {
    assert.fail(`${err.message}\n${await collectorReport(mock)}\nlog:\n${browser.dumpLogs()}`);
  }
  const [article] = (await delivered(mock, 'article_opened')).unique;
  assert.equal(article.context_kind, 'content_script');
  assert.equal(article.origin, `http://127.0.0.1:${site.address().port}`);
  assert.deepEqual(article.props, { words: 3 });
});
