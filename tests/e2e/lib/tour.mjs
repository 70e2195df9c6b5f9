// A user's tour of the example extension, shared by its end-to-end test and by
// `make demo`: consent on the options page, then every button of the popup,
// then what the collector received. Every wait is bounded.
import { mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, waitFor } from './harness.mjs';

const UI_TIMEOUT = 30_000;

/** Where screenshots go: test-results/screenshots, and docs/screenshots with UPDATE_SCREENSHOTS=1. */
export const SCREENSHOT_DIR = join(ROOT, 'test-results/screenshots');
export const README_SCREENSHOT_DIR = join(ROOT, 'docs/screenshots');

/** Saves a full-page screenshot as `name`.png; returns its path. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(README_SCREENSHOT_DIR, { recursive: true });
    copyFileSync(path, join(README_SCREENSHOT_DIR, `${name}.png`));
  }
  return path;
}

/** The consent shown by a page (options or popup), once it has loaded. */
export async function shownConsent(page) {
  await page.waitForSelector('#consent-status[data-consent]:not([data-consent=""])', { timeout: UI_TIMEOUT });
  return page.getAttribute('#consent-status', 'data-consent');
}

/**
 * Opens the options page and clicks Allow (or Deny). Returns the page and
 * what it showed before and after.
 */
export async function chooseOnOptionsPage(browser, { allow = true, page } = {}) {
  const options = page || await browser.openOptions();
  const before = await shownConsent(options);
  await options.click(allow ? '#allow' : '#deny');
  const want = allow ? 'granted' : 'denied';
  await options.waitForSelector(`#consent-status[data-consent="${want}"]`, { timeout: UI_TIMEOUT });
  return { page: options, before, after: want, anonymousId: await options.textContent('#anonymous-id') };
}

/** Opens the popup as a tab at popup width (a headless browser has no toolbar to click). */
export async function openPopup(browser) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 340, height: 560 });
  await page.goto(browser.extensionUrl('popup.html'));
  await shownConsent(page);
  return page;
}

// Clicks `selector` and waits for the popup's result line to say something new.
async function clickAndRead(popup, selector) {
  await popup.waitForSelector(`${selector}:not([disabled])`, { timeout: UI_TIMEOUT });
  await popup.evaluate(() => { document.getElementById('result').textContent = ''; });
  await popup.click(selector);
  const handle = await popup.waitForFunction(() => {
    const text = document.getElementById('result').textContent;
    return text && text !== '…' ? text : null;
  }, undefined, { timeout: UI_TIMEOUT });
  return handle.jsonValue();
}

/** The feedback the tour sends (its message carries an address the scrubber removes). */
export const TOUR_FEEDBACK = {
  type: 'idea',
  rating: '4',
  message: 'Please add a dark mode. My backup address is carol@example.net',
  contact: 'carol@example.net',
};

/**
 * Clicks every button of the popup, fills in and sends the feedback form,
 * then "send now". Returns the result line after each step.
 */
export async function clickEveryPopupButton(popup) {
  const said = {};
  for (const id of ['send-event', 'throw-error', 'reject-promise', 'slow-operation']) {
    said[id] = await clickAndRead(popup, `#${id}`);
  }
  await popup.selectOption('#feedback-type', TOUR_FEEDBACK.type);
  await popup.selectOption('#feedback-rating', TOUR_FEEDBACK.rating);
  await popup.fill('#feedback-message', TOUR_FEEDBACK.message);
  await popup.fill('#feedback-contact', TOUR_FEEDBACK.contact);
  said['send-feedback'] = await clickAndRead(popup, '#send-feedback');
  said.flush = await clickAndRead(popup, '#flush');
  return said;
}

/** What the tour must have delivered, by endpoint. */
export function tourArrived(items) {
  return items.events.some((it) => it.name === 'feature_used')
    && items.events.some((it) => it.name === 'slow_operation')
    && items.errors.length >= 2
    && items.performance.some((it) => it.name === 'sync_settings')
    && items.feedback.length >= 1;
}

/** Items per endpoint, de-duplicated by id. */
export async function collectedItems(mock) {
  const out = {};
  for (const endpoint of ['events', 'errors', 'performance', 'feedback']) out[endpoint] = await mock.uniqueItems(endpoint);
  return out;
}

/**
 * Flushes from the popup until the collector holds everything the tour
 * produced (errors may still be in their short flush delay). Returns the items.
 */
export async function waitForTour(mock, popup, { timeout = 60_000 } = {}) {
  let items;
  await waitFor(async () => {
    items = await collectedItems(mock);
    if (tourArrived(items)) return true;
    await clickAndRead(popup, '#flush').catch(() => {});
    return false;
  }, {
    timeout,
    interval: 1_000,
    message: 'the tour\'s events, errors, timing and feedback to reach the collector',
    describe: async () => JSON.stringify(Object.fromEntries(Object.entries(items || {}).map(([k, v]) => [k, v.map((it) => it.name || it.kind || it.type)]))),
  });
  return items;
}

/** Lines for a person: counts per endpoint, one scrubbed error, one timing aggregate. */
export async function describeCollected(mock, items) {
  const stats = await mock.stats();
  const lines = ['collector received (requests / batches / items per endpoint):'];
  for (const [endpoint, s] of Object.entries(stats.per_endpoint)) {
    lines.push(`  ${endpoint.padEnd(12)} ${String(s.requests).padStart(4)} ${String(s.batches).padStart(4)} ${String(s.items).padStart(6)}`);
  }
  const error = items.errors.find((it) => /sync settings/.test(it.message)) || items.errors[0];
  if (error) {
    const top = error.stack && error.stack[0];
    lines.push(`an error, as stored (scrubbed): ${error.kind}: ${JSON.stringify(error.message)}`
      + (top ? ` at ${top.function || '<anonymous>'} (${top.file}:${top.line})` : ''));
  }
  const timing = items.performance.find((it) => it.name === 'sync_settings');
  if (timing) {
    const { name, count, sum, min, max, p50, p95, p99, unit } = timing;
    lines.push(`a timing aggregate: ${JSON.stringify({ name, count, sum, min, max, p50, p95, p99, unit })}`);
  }
  // Envelopes carry an event, feedback or release-health session updates.
  const envelopes = await mock.batches('sentry');
  const event = envelopes.flatMap((b) => b.body.items).find((i) => i.header.type === 'event');
  if (event) {
    const { release, user, exception } = event.payload;
    const thrown = exception.values.at(-1);
    lines.push(`the same error at Sentry: ${JSON.stringify({ release, user, type: thrown.type, value: thrown.value, top: thrown.stacktrace?.frames?.at(-1)?.filename })}`);
  }
  const feedback = items.feedback[0];
  if (feedback) lines.push(`feedback, as stored: ${JSON.stringify({ kind: feedback.kind, rating: feedback.rating, message: feedback.message, contact: feedback.contact })}`);
  return lines;
}
