// `make demo`: the example extension, in Chromium, sending telemetry to the
// mock collector on 127.0.0.1:8787 (DEMO_PORT to change it).
//
//   1. starts the mock collector,
//   2. launches Chromium with examples/extension (headless unless $DISPLAY is set),
//   3. grants consent by clicking "Allow" on the extension's options page,
//   4. sends a few events, an error, a timing and a feedback item, and flushes,
//   5. prints what the collector received and the address of its live page.
//
// DEMO_KEEP=1 keeps the browser and the collector running until Ctrl-C.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startMock, prepareExtension, launchBrowser, sleep, withTimeout } from './lib/harness.mjs';

const port = Number(process.env.DEMO_PORT || 8787);
const keep = process.env.DEMO_KEEP === '1';
const headless = !process.env.DISPLAY;
const say = (...a) => console.log('[demo]', ...a);

let mock;
let browser;
async function shutdown(code) {
  if (browser) await browser.close().catch(() => {});
  if (mock) await mock.stop().catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => { say('stopping'); shutdown(0); });

try {
  mock = await startMock({ port });
} catch (err) {
  console.error(`[demo] could not start the mock collector on 127.0.0.1:${port}: ${err.message}`);
  console.error('[demo] is another one running? Set DEMO_PORT to use another port.');
  process.exit(1);
}
say(`mock collector listening on ${mock.url}`);

try {
  const extDir = prepareExtension({ endpoint: mock.url, debug: true });
  browser = await launchBrowser(extDir, { headless });
  say(`Chromium started ${headless ? 'headless' : 'with a window'}; extension ${browser.extensionId}`);

  // Consent, the way a user gives it: the options page and its Allow button.
  const options = await browser.openOptions();
  await options.waitForSelector('#consent-status[data-consent]', { timeout: 30_000 });
  say(`consent before: ${await options.getAttribute('#consent-status', 'data-consent')}`);
  await options.click('#allow');
  await options.waitForSelector('#consent-status[data-consent="granted"]', { timeout: 30_000 });
  say(`consent after clicking Allow: granted; anonymous ID ${await options.textContent('#anonymous-id')}`);

  // Usage events through the extension's own message path.
  const features = ['popup_opened', 'settings_changed', 'export_clicked', 'popup_opened', 'search_used'];
  for (const [n, feature] of features.entries()) {
    await browser.message({ cmd: 'track', name: 'feature_used', props: { feature, n } });
  }
  await options.click('#send-test');

  // The rest of the API, straight in the worker (each optional while the SDK grows).
  const extras = await browser.evaluate(async () => {
    const t = self.telemetry;
    const done = [];
    const attempt = async (method, fn) => {
      if (typeof t[method] !== 'function') { done.push(`${method} (not in this SDK build)`); return; }
      try { await fn(); done.push(method); } catch (e) { done.push(`${method} failed: ${e.message}`); }
    };
    await attempt('captureError', () => t.captureError(new Error('Sync failed for alice@example.com with token=abc123secret'), { step: 'sync' }));
    await attempt('startTimer', () => { const timer = t.startTimer('popup_render'); timer.stop(); });
    await attempt('measure', () => t.measure('fetch_settings', async () => new Promise((r) => setTimeout(r, 20))));
    await attempt('feedback', () => t.feedback({ type: 'praise', rating: 5, message: 'Love it! Reach me at bob@example.org' }));
    return done;
  });
  say(`also recorded: ${extras.join(', ')}`);

  const flushed = await browser.message({ cmd: 'flush' });
  say(`flush(): ${JSON.stringify(flushed && flushed.value)}`);
  const stats = await mock.waitForStats((s) => s.per_endpoint.events.items >= features.length, { timeout: 30_000, message: 'the events to arrive' });

  // What arrived.
  say('collector received (per endpoint: requests / batches / items):');
  for (const [endpoint, s] of Object.entries(stats.per_endpoint)) {
    console.log(`  ${endpoint.padEnd(12)} ${String(s.requests).padStart(4)} ${String(s.batches).padStart(4)} ${String(s.items).padStart(6)}`);
  }
  const errors = await mock.batches('errors').catch(() => []);
  const firstError = errors.flatMap((b) => b.body.items || [])[0];
  if (firstError) say(`an error as the collector sees it (scrubbed): ${JSON.stringify(firstError.message)}`);

  await options.reload();
  await options.waitForSelector('#consent-status[data-consent="granted"]', { timeout: 30_000 });
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  await options.screenshot({ path: join(ROOT, 'test-results/demo-options.png'), fullPage: true });
  say(`options page: ${await options.textContent('#stats')} (screenshot: test-results/demo-options.png)`);
  say(`live page of the collector: ${mock.url}/`);

  if (keep) {
    say('DEMO_KEEP=1: browser and collector keep running; Ctrl-C to stop');
    await new Promise(() => {});
  }
  await withTimeout(shutdown(0), 30_000, 'shutdown');
} catch (err) {
  console.error(`[demo] failed: ${err.stack || err.message}`);
  if (browser) console.error(`[demo] worker log:\n${browser.dumpLogs(40)}`);
  await sleep(0);
  await shutdown(1);
}
