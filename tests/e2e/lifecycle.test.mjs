// DESIGN 3 (`lifecycleEvents`, default true): with consent granted the SDK
// sends `extension_installed` on install and `daily_active` once per UTC day
// per installation, however often the worker starts that day; nothing of the
// kind without consent, and nothing at all with `lifecycleEvents: false`.
//
// (Chromium fires runtime.onInstalled with reason "install" on every launch of
// an extension loaded with --load-extension, even on the same profile, and no
// runtime.onStartup; so `extension_updated` and `browser_startup` are not
// driven from here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, sleep, sdkStatus, flushUntilDrained, collectorReport, waitFor } from './lib/harness.mjs';

const OPTIONS = { defaultConsent: 'granted', batch: { flushIntervalMs: 500 } };
const LIFECYCLE = ['extension_installed', 'extension_updated', 'browser_startup', 'daily_active'];

const utcDay = (ms = Date.now()) => new Date(ms).toISOString().slice(0, 10);

/** Unique (by id) events named `name` on /v1/events. */
async function events(mock, name) {
  const seen = new Map();
  for (const it of await mock.items('events')) if (it.name === name && !seen.has(it.id)) seen.set(it.id, it);
  return [...seen.values()];
}

async function restart(browser) {
  await browser.killWorker();
  await sleep(300);
  await browser.wake();
  await sdkStatus(browser);
}

test('installing the extension with consent granted sends exactly one extension_installed with reason install', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  assert.equal((await sdkStatus(browser)).consent, 'granted');

  await flushUntilDrained(browser);
  let installed = [];
  try {
    await waitFor(async () => (installed = await events(mock, 'extension_installed')).length >= 1, { timeout: 30_000, message: 'an extension_installed event' });
  } catch (err) {
    const names = [...new Set((await mock.items('events')).map((e) => e.name))];
    assert.fail(`${err.message}; event names that arrived: ${JSON.stringify(names)}${await context()}`);
  }
  // A worker restart is not an install.
  await restart(browser);
  await flushUntilDrained(browser);
  await sleep(1000);
  installed = await events(mock, 'extension_installed');
  assert.equal(installed.length, 1, `exactly one extension_installed: ${JSON.stringify(installed)}`);
  assert.equal(installed[0].type, 'event');
  assert.deepEqual(installed[0].props, { reason: 'install' });
  assert.deepEqual(await events(mock, 'extension_updated'), [], 'no extension_updated on a fresh install');
});

test('three worker restarts on the same UTC day give exactly one daily_active', { timeout: 150_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  const dayAtStart = utcDay();
  await sdkStatus(browser);

  await flushUntilDrained(browser);
  let daily = [];
  try {
    await waitFor(async () => (daily = await events(mock, 'daily_active')).length >= 1, { timeout: 30_000, message: 'the first daily_active event' });
  } catch (err) {
    const names = [...new Set((await mock.items('events')).map((e) => e.name))];
    assert.fail(`${err.message}; event names that arrived: ${JSON.stringify(names)}${await context()}`);
  }
  for (let k = 1; k <= 3; k++) {
    await sleep(1000); // each worker lives 1 s after the test last touched it
    await restart(browser);
    await flushUntilDrained(browser);
    t.diagnostic(`restart ${k}: ${(await events(mock, 'daily_active')).length} daily_active so far`);
  }
  await sleep(1000);
  daily = await events(mock, 'daily_active');
  if (utcDay() !== dayAtStart) {
    t.skip(`the run crossed UTC midnight (${dayAtStart} -> ${utcDay()}); ${daily.length} daily_active arrived`);
    return;
  }
  assert.equal(browser.workerStarts.length, 4, `the worker started 4 times: ${browser.workerStarts}`);
  assert.equal(daily.length, 1, `exactly one daily_active over 4 worker starts: ${JSON.stringify(daily)}${await context()}`);
  assert.equal(daily[0].type, 'event');
  assert.equal(utcDay(daily[0].ts), dayAtStart, `daily_active carries today's date: ts ${daily[0].ts}`);
});

test('with consent pending no lifecycle event is sent, and granting consent sends daily_active that day, once', { timeout: 150_000 }, async (t) => {
  const env = await setup({ ...OPTIONS, defaultConsent: 'pending' });
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  const dayAtStart = utcDay();
  assert.equal((await sdkStatus(browser)).consent, 'pending');

  await sleep(1500);
  await restart(browser);
  await sleep(1000);
  assert.deepEqual(await mock.requests(), [], 'nothing leaves the browser while consent is pending');

  await browser.evaluate(() => self.telemetry.setConsent(true));
  await flushUntilDrained(browser);
  let daily = [];
  try {
    await waitFor(async () => (daily = await events(mock, 'daily_active')).length >= 1, { timeout: 30_000, message: 'daily_active after consent was granted' });
  } catch (err) {
    assert.fail(`${err.message}${await context()}`);
  }
  await sleep(1500); // accepted well before the restart (see the next test for a restart at once)
  await restart(browser);
  await flushUntilDrained(browser);
  await sleep(1000);
  daily = await events(mock, 'daily_active');
  const installed = await events(mock, 'extension_installed');
  t.diagnostic(`extension_installed after the install happened under pending consent: ${installed.length}`);
  if (utcDay() !== dayAtStart) {
    t.skip(`the run crossed UTC midnight (${dayAtStart} -> ${utcDay()})`);
    return;
  }
  assert.equal(daily.length, 1, `one daily_active: ${JSON.stringify(daily)}`);
});

test('workers stopped as soon as their daily_active reaches the collector still send one daily_active that day', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  const dayAtStart = utcDay();
  await sdkStatus(browser);

  // Once the collector has the event the SDK must remember it sent it, even
  // if the worker is stopped at once: a second daily_active carries a new id,
  // so the collector cannot de-duplicate it. Each worker is stopped as soon as
  // a new daily_active arrives, or after 1.5 s without one.
  let count = 0;
  for (let start = 0; start < 4; start++) {
    if (start > 0) {
      await browser.wake();
      await sdkStatus(browser);
    }
    await browser.evaluate(() => { self.telemetry.flush(); });
    let now = [];
    const arrived = await waitFor(async () => (now = await events(mock, 'daily_active')).length > count,
      { timeout: start === 0 ? 30_000 : 1500, interval: 20, message: 'a new daily_active' }).then(() => true, () => false);
    const killedAt = await browser.killWorker();
    if (start === 0 && !arrived) assert.fail(`the first daily_active never arrived${await context()}`);
    if (arrived) {
      const last = now[now.length - 1];
      t.diagnostic(`worker ${start + 1}: daily_active #${now.length} recorded at ts ${last.ts}, worker stopped ${killedAt - last.ts} ms later`);
    }
    count = now.length;
    await sleep(300);
  }
  await browser.wake();
  await sdkStatus(browser);
  await flushUntilDrained(browser);
  await sleep(1000);
  const daily = await events(mock, 'daily_active');
  if (utcDay() !== dayAtStart) {
    t.skip(`the run crossed UTC midnight (${dayAtStart} -> ${utcDay()})`);
    return;
  }
  const storage = await browser.storage();
  assert.equal(daily.length, 1, `one daily_active over 5 worker starts, got ${daily.length}: ${JSON.stringify(daily)}\nstored state: ${JSON.stringify(storage).slice(0, 700)}`);
});

test('with lifecycleEvents false no lifecycle event is sent', { timeout: 120_000 }, async (t) => {
  const env = await setup({ ...OPTIONS, lifecycleEvents: false });
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  await restart(browser);
  await browser.evaluate(() => self.telemetry.track('marker'));
  await flushUntilDrained(browser);
  await waitFor(async () => (await events(mock, 'marker')).length >= 1, { timeout: 30_000, message: 'the marker event' })
    .catch(async (err) => assert.fail(`${err.message}${await collectorReport(mock)}\n${browser.dumpLogs()}`));
  await sleep(500);
  const names = (await mock.items('events')).map((e) => e.name);
  assert.deepEqual(names.filter((n) => LIFECYCLE.includes(n)), [], `no lifecycle events: ${JSON.stringify(names)}`);
});
