// Every code block of README.md is exercised: JavaScript runs as an
// extension's service worker against the mock collector, the manifest is the
// one we ship, the wire-format examples have the shape the SDK really sends
// and are accepted by the collector, and the commands are ones this
// repository runs. (Other test files check the other kinds; see KINDS.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { ROOT, flushUntilDrained, readJson, setup, startMock, waitFor } from './lib/harness.mjs';
import { recordWorkerConsole } from './lib/console.mjs';
import { readmeBlocks } from './lib/readme.mjs';

const blocks = readmeBlocks();
const ofKind = (kind) => blocks.filter((b) => b.kind === kind);
// `console` blocks are checked by troubleshooting.test.mjs, `esbuild`,
// `vite-config` and `wxt-*` by consumers.test.mjs, which builds extensions with them,
// `types` by types.test.mjs against the installed tarball.
const KINDS = [
  'commands', 'manifest', 'background', 'worker-body', 'types', 'wire-batch', 'wire-items', 'wire-deletion', 'console', 'esbuild', 'vite-config',
  'page', 'content-manifest', 'content-script', 'wxt-config', 'wxt-background', 'wxt-content', 'destination',
];
const EXAMPLE_COLLECTOR = 'https://collector.example.com';

test('every README code block says how it is checked', () => {
  const unchecked = blocks.filter((b) => !KINDS.includes(b.kind)).map((b) => `line ${b.line} (${b.kind ?? 'no marker'})`);
  assert.deepEqual(unchecked, [], 'each block needs a <!-- check: KIND --> line above it');
  for (const kind of ['commands', 'manifest', 'background', 'worker-body', 'types', 'wire-batch', 'console', 'page', 'content-manifest', 'content-script']) {
    assert.ok(ofKind(kind).length > 0, `the README has a ${kind} block`);
  }
});

// Each command the README shows, and what in this repository runs it.
const COMMANDS = {
  'make demo': () => assert.ok(existsSync(join(ROOT, 'tests/e2e/demo.test.mjs')), 'demo.test.mjs runs the demo script'),
  'make test': () => assert.match(readFileSync(join(ROOT, '.ci/run'), 'utf8'), /make test/, 'CI runs make test'),
  'make package': () => {},
  'make bench': () => {},
  'make fuzz': () => {},
  'UPDATE_SCREENSHOTS=1 make test-e2e': () => assert.match(readFileSync(join(ROOT, 'tests/e2e/lib/tour.mjs'), 'utf8'), /UPDATE_SCREENSHOTS/),
  'npm install mv3-telemetry': () => assert.ok(existsSync(join(ROOT, 'tests/e2e/consumers.test.mjs')), 'the consumer tests install the packed tarball'),
};

test('the README\'s commands are make targets this repository has, each run by a test or by CI', () => {
  const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');
  for (const block of ofKind('commands')) {
    for (const raw of block.code.split('\n')) {
      const command = raw.replace(/#.*$/, '').trim();
      if (!command) continue;
      assert.ok(command in COMMANDS, `README line ${block.line}: unknown command "${command}"`);
      const target = /make (\S+)/.exec(command)?.[1];
      if (target) assert.match(makefile, new RegExp(`^${target}:`, 'm'), `the Makefile has ${target}`);
      COMMANDS[command]();
    }
  }
});

test('the README\'s manifest is manifest-example.json', () => {
  for (const block of ofKind('manifest')) assert.deepEqual(JSON.parse(block.code), readJson('manifest-example.json'));
});

// ------------------------------------------------------------- in Chromium

// The package's specifier becomes the vendored copy, and `init` also exposes
// the instance as self.telemetry so the test can flush it; the example
// collector becomes the mock.
function asWorkerScript(code, mockUrl) {
  const importLine = /^import \{([^}]*)\} from 'mv3-telemetry';$/m;
  assert.match(code, importLine, 'the block imports from mv3-telemetry');
  return code
    .replace(importLine, (_, names) => {
      const others = names.split(',').map((n) => n.trim()).filter((n) => n && n !== 'init');
      return `import { init as __init${others.map((n) => `, ${n}`).join('')} } from './vendor/mv3-telemetry/index.js';\n`
        + 'const init = (options) => (self.telemetry = __init(options));';
    })
    .replaceAll(EXAMPLE_COLLECTOR, mockUrl);
}

// `worker-body` blocks continue the quick start: they run inside an async
// function after its set-up lines.
function asWorkerBody(code) {
  return `import { init, scrub } from 'mv3-telemetry';\n`
    + `const telemetry = init({ endpoint: '${EXAMPLE_COLLECTOR}' });\n`
    + `self.__readme = (async () => {\n${code}\n})().then(() => 'done', (e) => 'failed: ' + (e && e.stack || e));\n`;
}

// What arrived, by endpoint, for the shape checks below.
const realBodies = { events: [], errors: [], performance: [], feedback: [], deletion: [] };

async function runInWorker(block, source) {
  const env = await setup({}, { files: (url) => ({ 'background.js': asWorkerScript(source, url) }) });
  const { browser, mock } = env;
  try {
    const consoleLog = await recordWorkerConsole(browser);
    const where = `README line ${block.line}`;
    await browser.evaluate(() => self.telemetry.ready);
    for (const msg of (block.args.send ? JSON.parse(block.args.send) : [])) {
      await browser.message(msg);
    }
    if (block.kind === 'worker-body') {
      const outcome = await waitFor(() => browser.evaluate(() => self.__readme), { timeout: 30_000, message: `${where} to finish` });
      assert.equal(outcome, 'done', `${where} ran without throwing`);
    }
    if (browser.running || block.args.expect) await flushUntilDrained(browser).catch(() => {});
    for (const expected of (block.args.expect || '').split(',').filter(Boolean)) {
      const [endpoint, name] = expected.split(':');
      await waitFor(async () => (await mock.uniqueItems(endpoint)).some((it) => [it.name, it.kind].includes(name)),
        { timeout: 20_000, message: `${where}: a ${name} item on /v1/${endpoint}`, describe: async () => JSON.stringify(await mock.uniqueItems(endpoint)) });
    }
    if (block.args.expect) {
      await browser.evaluate(() => self.telemetry.setConsent(false));
      await waitFor(async () => (await mock.batches('deletion')).length > 0, { timeout: 20_000, message: 'the deletion request' });
    }
    for (const endpoint of Object.keys(realBodies)) {
      for (const b of await mock.batches(endpoint)) realBodies[endpoint].push(b.body);
    }
    const uncaught = consoleLog.lines.filter((l) => /^error: /.test(l));
    assert.deepEqual(uncaught, [], `${where}: no errors in the worker's console`);
  } finally {
    await env.close();
  }
}

test('the README\'s service-worker code runs in an extension and its telemetry reaches the collector', { timeout: 240_000 }, async () => {
  for (const block of ofKind('background')) await runInWorker(block, block.code);
  for (const block of ofKind('worker-body')) await runInWorker(block, asWorkerBody(block.code));
  assert.ok(realBodies.events.length && realBodies.errors.length && realBodies.performance.length && realBodies.feedback.length
    && realBodies.deletion.length, 'the README\'s code produced every kind of request');
});

// A `destination` block is a worker's init() with another backend's example
// values, which become the mock's receivers: after consent, an event, an error
// and feedback must reach the receiver named by `expect`.
test('the README\'s destination snippets deliver to their backend', { timeout: 180_000 }, async () => {
  const snippets = ofKind('destination');
  assert.ok(snippets.length >= 3, 'one snippet per backend');
  for (const block of snippets) {
    const where = `README line ${block.line}`;
    const env = await setup({}, {
      files: (url) => {
        const host = new URL(url).host;
        const code = asWorkerScript(block.code, url)
          .replaceAll('https://abc123@o1.ingest.sentry.io', `http://abc123@${host}`)
          .replaceAll('https://otel.example.com', url)
          .replaceAll('https://us.i.posthog.com', url);
        return { 'background.js': code };
      },
    });
    const { browser, mock } = env;
    try {
      await browser.evaluate(async () => {
        const t = self.telemetry;
        await t.setConsent(true);
        t.track('readme_destination', { n: 1 });
        t.captureError(new TypeError('readme destination'));
        t.feedback({ type: 'idea', message: 'readme destination' });
        await t.flush();
      });
      const endpoint = block.args.expect;
      await waitFor(async () => (await mock.stats()).per_endpoint[endpoint].items > 0,
        { timeout: 30_000, message: `${where}: items at the ${endpoint} receiver`, describe: async () => JSON.stringify((await mock.stats()).per_endpoint) });
      assert.equal((await mock.stats()).per_status['400'] ?? 0, 0, `${where}: the receiver accepted every request`);
    } finally {
      await env.close();
    }
  }
});

// The page set-ups run in the example extension (its worker calls init()):
// the `page` block as a module page of the extension, the `content-script`
// block as content.js with the README's content_scripts entry, on a page of a
// local site (the entry's match pattern becomes that site's).
test('the README\'s page and content-script set-ups record through the worker', { timeout: 180_000 }, async () => {
  const [page] = ofKind('page');
  const [contentManifest] = ofKind('content-manifest');
  const [content] = ofKind('content-script');
  const entry = JSON.parse(contentManifest.code).content_scripts[0];
  assert.deepEqual(entry.js, ['vendor/mv3-telemetry/page.global.js', 'content.js'], 'page.global.js, then the content script');
  const site = createServer((req, res) => res.end('<!doctype html><p>one</p><p>two</p>'));
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  const manifest = readJson('examples/extension/manifest.json');
  manifest.content_scripts = [{ ...entry, matches: ['http://127.0.0.1/*'] }];
  const pageCode = page.code.replace("from 'mv3-telemetry/page'", "from './vendor/mv3-telemetry/page.js'");
  assert.notEqual(pageCode, page.code, 'the page block imports mv3-telemetry/page');
  const env = await setup({}, {
    files: {
      'manifest.json': JSON.stringify(manifest, null, 2),
      'content.js': content.code,
      'readme-page.html': '<!doctype html><meta charset="utf-8"><script type="module" src="readme-page.js"></script>',
      'readme-page.js': pageCode,
    },
  });
  const { browser, mock } = env;
  try {
    await browser.message({ cmd: 'setConsent', granted: true });
    const tab = await browser.context.newPage();
    await tab.goto(browser.extensionUrl('readme-page.html'));
    await tab.goto(`http://127.0.0.1:${site.address().port}/article?id=7`);
    for (const block of [page, content]) {
      for (const expected of block.args.expect.split(',')) {
        const [endpoint, name] = expected.split(':');
        await waitFor(async () => {
          await browser.evaluate(() => self.telemetry.flush());
          return (await mock.uniqueItems(endpoint)).find((it) => [it.name, it.kind].includes(name) && it.context_kind);
        }, { timeout: 30_000, interval: 1_000, message: `README line ${block.line}: a ${name} item from a page on /v1/${endpoint}` });
      }
    }
    const reader = (await mock.uniqueItems('events')).find((it) => it.name === 'reader_opened');
    assert.deepEqual([reader.context_kind, reader.props], ['content_script', { paragraphs: 2 }]);
    assert.equal(reader.origin, `http://127.0.0.1:${site.address().port}`);
  } catch (err) {
    err.message += `\n--- log ---\n${browser.dumpLogs(40)}`;
    throw err;
  } finally {
    await env.close();
    await new Promise((resolve) => site.close(resolve));
  }
});

const keys = (o) => Object.keys(o).sort();

test('the README\'s wire-format examples have the shape the SDK sends, and the collector accepts them', { timeout: 60_000 }, async (t) => {
  if (!realBodies.events.length) t.skip('needs the previous test\'s requests');
  const mock = await startMock();
  try {
    const post = async (endpoint, body) => {
      const res = await fetch(`${mock.url}/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, `the collector accepts the README's ${endpoint} example: ${await res.text()}`);
    };
    for (const block of ofKind('wire-batch')) {
      const body = JSON.parse(block.code);
      const endpoint = block.args.endpoint || 'events';
      const real = realBodies[endpoint][0];
      assert.deepEqual(keys(body), keys(real), `README line ${block.line}: batch fields`);
      assert.deepEqual(keys(body.context), keys(real.context), 'context fields');
      assert.deepEqual(keys(body.dropped), keys(real.dropped), 'dropped reasons');
      assert.deepEqual(keys(body.sdk), keys(real.sdk), 'sdk fields');
      await post(endpoint, body);
    }
    const realItems = Object.values(realBodies).flat().flatMap((b) => b.items || []);
    for (const block of ofKind('wire-items')) {
      for (const item of JSON.parse(block.code)) {
        const real = realItems.find((it) => it.type === item.type && keys(it).length === keys(item).length) || realItems.find((it) => it.type === item.type);
        assert.ok(real, `the SDK sent a ${item.type} item`);
        assert.deepEqual(keys(item), keys(real), `README line ${block.line}: ${item.type} item fields`);
        if (item.stack) assert.deepEqual(keys(item.stack[0]), keys(real.stack[0]), 'stack frame fields');
      }
    }
    for (const block of ofKind('wire-deletion')) {
      const body = JSON.parse(block.code);
      assert.deepEqual(keys(body), keys(realBodies.deletion[0]), 'deletion fields');
      await post('deletion', body);
    }
  } finally {
    await mock.stop();
  }
});
