// `make demo`: the example extension, in Chromium, sending telemetry to the
// mock collector on 127.0.0.1:8787 (DEMO_PORT to change it; 0 picks a free port).
//
//   1. starts the mock collector,
//   2. launches Chromium with examples/extension (headless unless $DISPLAY is set),
//   3. grants consent by clicking "Allow" on the extension's options page,
//   4. clicks every button of the popup (event, thrown error, rejected promise,
//      slow operation, feedback, send now),
//   5. prints what the collector received (counts per endpoint, a scrubbed
//      error, a timing aggregate, the same error as a Sentry event) and the
//      address of its live page. The extension sends to the v1 collector and
//      to Sentry (the mock's Sentry receiver) at once.
//
// DEMO_KEEP=1 keeps the browser and the collector running until Ctrl-C.
import { startMock, prepareExtension, launchBrowser, sleep, withTimeout } from './lib/harness.mjs';
import { chooseOnOptionsPage, clickEveryPopupButton, describeCollected, openPopup, screenshot, waitForTour } from './lib/tour.mjs';

const port = Number(process.env.DEMO_PORT ?? 8787);
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
  console.error('[demo] is another one running? Set DEMO_PORT to use another port (0: any free port).');
  process.exit(1);
}
say(`mock collector listening on ${mock.url}`);

try {
  // The v1 collector, and Sentry beside it (the mock's Sentry receiver): errors
  // and feedback go to both; the same items, stored once.
  const sentryDsn = `http://demo@${new URL(mock.url).host}/1`;
  const extDir = prepareExtension({ endpoint: mock.url, sentry: { dsn: sentryDsn }, debug: true });
  browser = await launchBrowser(extDir, { headless });
  say(`Chromium started ${headless ? 'headless' : 'with a window'}; extension ${browser.extensionId}`);

  // Consent, the way a user gives it: the options page and its Allow button.
  const consent = await chooseOnOptionsPage(browser);
  say(`options page: consent was "${consent.before}"; clicked Allow; now "${consent.after}", anonymous ID ${consent.anonymousId}`);

  // The popup's buttons, one after the other.
  const popup = await openPopup(browser);
  const said = await clickEveryPopupButton(popup);
  for (const [button, text] of Object.entries(said)) say(`popup: ${button.padEnd(15)} -> ${text}`);

  const items = await waitForTour(mock, popup);
  // Sentry gets its envelopes on its own schedule, beside the collector's batches.
  await mock.waitForStats((s) => s.per_endpoint.sentry.items >= 2, { timeout: 30_000, message: 'Sentry to receive the errors' })
    .catch((err) => say(err.message));
  for (const line of await describeCollected(mock, items)) say(line);

  await consent.page.reload();
  await consent.page.waitForSelector('#consent-status[data-consent="granted"]', { timeout: 30_000 });
  const shots = [await screenshot(consent.page, 'options'), await screenshot(popup, 'popup')];
  say(`options page counters: ${await consent.page.textContent('#stats')}`);
  say(`screenshots: ${shots.join(', ')}`);
  say(`live page of the collector: ${mock.url}/`);

  if (keep) {
    say('DEMO_KEEP=1: browser and collector keep running; Ctrl-C to stop');
    await new Promise(() => {});
  }
  say('done');
  await withTimeout(shutdown(0), 30_000, 'shutdown');
} catch (err) {
  console.error(`[demo] failed: ${err.stack || err.message}`);
  if (browser) console.error(`[demo] worker log:\n${browser.dumpLogs(40)}`);
  await sleep(0);
  await shutdown(1);
}
