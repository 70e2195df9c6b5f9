// The README's troubleshooting section quotes console messages. Each test
// here makes the mistake in a real extension, reads the worker's console as
// DevTools shows it, checks that the fix works, and checks that the README
// quotes the message exactly (with the collector's address and the extension
// ID written as in the README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_EXTENSION, ROOT, launchBrowser, prepareExtension, setup, waitFor, sleep } from './lib/harness.mjs';
import { recordWorkerConsole } from './lib/console.mjs';
import { readmeBlocks } from './lib/readme.mjs';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const exampleManifest = () => JSON.parse(readFileSync(join(EXAMPLE_EXTENSION, 'manifest.json'), 'utf8'));

/** A console line as the README writes it: the example collector and a placeholder ID. */
function asInReadme(line) {
  return line
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, 'https://collector.example.com')
    .replace(/chrome-extension:\/\/[a-p]{32}/g, 'chrome-extension://<extension-id>')
    .split('\n')[0]
    .replace(/^(error|warning|info|log|debug|verbose): /, ''); // DevTools shows the level as a colour
}

// Every message a test here saw and found quoted in the README.
const seen = new Set();

function assertQuoted(line, what) {
  assert.ok(line, `no console message for ${what}`);
  const quoted = asInReadme(line);
  seen.add(quoted);
  assert.ok(README.includes(quoted), `README.md quotes the console message for ${what}:\n${quoted}`);
}

async function withConsole(env, fn) {
  try {
    return await fn(await recordWorkerConsole(env.browser));
  } finally {
    await env.close();
  }
}

test('without wasm-unsafe-eval in the CSP the SDK says it could not start and names the fix', { timeout: 90_000 }, async () => {
  const manifest = exampleManifest();
  manifest.content_security_policy.extension_pages = "script-src 'self'; object-src 'self'";
  const env = await setup({ debug: true }, { files: { 'manifest.json': JSON.stringify(manifest) } });
  await withConsole(env, async (rec) => {
    const failure = await env.browser.evaluate(() => self.telemetry.ready.then(() => 'ready', (e) => String(e)));
    assert.match(failure, /CompileError: WebAssembly/, 'ready rejects with the CompileError');
    const line = await rec.waitForLine(/mv3-telemetry: could not start/, { timeout: 10_000, message: 'the start failure' });
    assert.match(line, /'wasm-unsafe-eval'/);
    assertQuoted(line, 'a CSP without wasm-unsafe-eval');
    // Recording calls still never throw.
    assert.equal(await env.browser.evaluate(() => { self.telemetry.track('after_failure'); return 'no throw'; }), 'no throw');
  });
});

test('a dynamic import() of the SDK in the worker fails with the browser\'s message; the static import works', { timeout: 90_000 }, async () => {
  const background = `import('./vendor/mv3-telemetry/index.js').then(({ init }) => { self.telemetry = init({ endpoint: 'http://127.0.0.1:9' }); });\n`;
  const extDir = prepareExtension({ endpoint: 'http://127.0.0.1:9' }, { files: { 'background.js': background } });
  const browser = await launchBrowser(extDir);
  await withConsole({ browser, close: () => browser.close() }, async (rec) => {
    const line = await rec.waitForLine(/import\(\) is disallowed/, { timeout: 10_000, message: 'the import() error' });
    assert.equal(await browser.evaluate(() => typeof self.telemetry), 'undefined');
    assertQuoted(line, 'a dynamic import()');
  });
});

// A collector that accepts batches but sends no CORS headers, as most servers do.
async function startCollectorWithoutCors() {
  const received = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (d) => { bytes += d.length; });
    req.on('end', () => {
      if (req.method === 'POST') received.push({ path: req.url, bytes });
      res.writeHead(req.method === 'POST' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, received, close: () => new Promise((r) => server.close(r)) };
}

test('without a host permission a collector lacking CORS headers is blocked; with it the batch arrives', { timeout: 120_000 }, async () => {
  const collector = await startCollectorWithoutCors();
  try {
    const options = { endpoint: collector.url, defaultConsent: 'granted', debug: true, lifecycleEvents: false, retry: { baseDelayMs: 60_000 } };
    for (const withPermission of [false, true]) {
      const manifest = exampleManifest();
      // A content script's match patterns grant host access too: the
      // example's (on 127.0.0.1) goes with the host permission.
      if (!withPermission) {
        delete manifest.host_permissions;
        delete manifest.content_scripts;
      }
      const browser = await launchBrowser(prepareExtension(options, { files: { 'manifest.json': JSON.stringify(manifest) } }));
      await withConsole({ browser, close: () => browser.close() }, async (rec) => {
        const before = collector.received.length;
        await browser.evaluate(async () => { self.telemetry.track('needs_host_permission'); await self.telemetry.flush(); });
        if (withPermission) {
          await waitFor(() => collector.received.slice(before).some((r) => r.path === '/v1/events'),
            { timeout: 20_000, message: 'the events batch to arrive' });
          return;
        }
        const blocked = await rec.waitForLine(/has been blocked by CORS policy/, { timeout: 15_000, message: 'the CORS message' });
        const sdkLine = await rec.waitForLine(/mv3-telemetry: POST .* failed/, { timeout: 15_000, message: 'the SDK\'s debug line' });
        assert.equal(collector.received.length, before, 'nothing got through');
        assertQuoted(blocked, 'a missing host permission (browser)');
        assertQuoted(sdkLine, 'a missing host permission (SDK, debug)');
        const stats = await browser.evaluate(() => self.telemetry.stats());
        assert.ok(stats.queued >= 1 && Object.values(stats.dropped).every((n) => n === 0),
          `the event waits for a retry, it is not lost: ${JSON.stringify(stats)}`);
      });
    }
  } finally {
    await collector.close();
  }
});

test('after the worker is stopped with items queued, the next start says it restored and delivers them', { timeout: 120_000 }, async () => {
  const env = await setup({ defaultConsent: 'granted', debug: true, lifecycleEvents: false, batch: { flushIntervalMs: 600_000 } });
  try {
    const { browser, mock } = env;
    await browser.evaluate(async () => {
      await self.telemetry.ready;
      for (let i = 0; i < 3; i++) self.telemetry.track('before_stop', { i });
    });
    await sleep(1_000); // persisted within 200 ms
    await browser.killWorker();
    await browser.wake();
    const rec = await recordWorkerConsole(browser);
    const line = await rec.waitForLine(/queued items restored from storage/, { timeout: 15_000, message: 'the restore note' });
    assert.match(line, /^warning: mv3-telemetry: 3 queued items restored/);
    assertQuoted(line, 'a stopped worker');
    await browser.evaluate(() => self.telemetry.flush());
    await waitFor(async () => (await mock.uniqueItems('events')).filter((it) => it.name === 'before_stop').length === 3,
      { timeout: 30_000, message: 'the three events to arrive' });
  } finally {
    await env.close();
  }
});

test('invalid options throw a TypeError at init that names the field', async () => {
  const { createTelemetry } = await import(join(ROOT, 'js/wrapper.js'));
  const thrown = (options) => {
    try {
      createTelemetry(options, async () => { throw new Error('not loaded in this test'); });
    } catch (err) {
      return err;
    }
    return null;
  };
  const err = thrown({ endpoint: 'http://collector.example.com' });
  assert.ok(err instanceof TypeError);
  assertQuoted(`Uncaught TypeError: ${err.message}`, 'an http: endpoint');
  assert.match(thrown({ endpoint: 'https://collector.example.com', sampleRate: 2 }).message, /`sampleRate`/);
  assert.match(thrown({ endpoint: 'https://collector.example.com', flushInterval: 5 }).message, /flushInterval/);
});

test('every console message the README quotes was produced by a test above', (t) => {
  if (seen.size < 6) t.skip('runs after the tests above');
  for (const block of readmeBlocks().filter((b) => b.kind === 'console')) {
    for (const line of block.code.split('\n').filter(Boolean)) {
      assert.ok(seen.has(line), `README line ${block.line} quotes a message no test produced:\n${line}`);
    }
  }
});
