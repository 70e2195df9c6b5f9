// Issue 13: a storage whose `set` rejects (as chrome.storage.local does at its
// quota). The SDK never throws, keeps its items in memory, retries the write
// later, and once space is back persists them: a worker killed after that
// restores and delivers every one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupWithConfigSource, sleep, sdkStatus, flushUntilDrained, collectorReport, waitFor, delivered, trackRange } from './lib/harness.mjs';

// chrome.storage.local behind a switch: while `self.__refuse` is set, every
// `set` rejects like a full quota; get and remove still work.
const CONFIG = (url) => `
const local = chrome.storage.local;
self.__refuse = false;
self.__refused = 0;
const storage = {
  get: (keys) => local.get(keys),
  remove: (keys) => local.remove(keys),
  set(items) {
    if (self.__refuse) {
      self.__refused++;
      return Promise.reject(new Error('QUOTA_BYTES quota exceeded'));
    }
    return local.set(items);
  },
};
export const options = {
  endpoint: ${JSON.stringify(url)},
  defaultConsent: 'granted',
  lifecycleEvents: false,
  batch: { flushIntervalMs: 600000 },
  storage,
};`;

const chunkedItems = (stored) => Object.entries(stored)
  .filter(([key]) => key.startsWith('mv3t.chunk.'))
  .reduce((n, [, text]) => n + String(text).split('\n').filter(Boolean).length, 0);

test('a storage whose set rejects: nothing throws, items stay in memory, and are persisted once space is back', { timeout: 120_000 }, async (t) => {
  const env = await setupWithConfigSource(CONFIG);
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  await sdkStatus(browser);

  const threw = await browser.evaluate(() => {
    self.__refuse = true;
    try {
      for (let i = 0; i < 30; i++) self.telemetry.track('e2e_full', { i });
      return null;
    } catch (error) {
      return String(error);
    }
  });
  assert.equal(threw, null, 'recording never throws');
  await sleep(2500);
  const refusing = await browser.evaluate(() => ({ refused: self.__refused, stats: self.telemetry.stats() }));
  t.diagnostic(`while refusing: ${refusing.refused} refused sets; stats ${JSON.stringify(refusing.stats)}`);
  assert.ok(refusing.refused >= 2, 'the write was tried, and tried again later');
  assert.equal(refusing.stats.queued, 30, 'kept in memory');
  assert.equal(chunkedItems(await browser.storage()), 0, 'nothing reached storage');

  await browser.evaluate(() => { self.__refuse = false; });
  let stored = {};
  try {
    await waitFor(async () => chunkedItems(stored = await browser.storage()) === 30,
      { timeout: 30_000, interval: 250, message: 'the 30 items to be persisted once space is back' });
  } catch (err) {
    assert.fail(`${err.message}; stored keys ${Object.keys(stored).join(', ')}${await context()}`);
  }

  // A new worker finds them in storage and delivers them.
  await browser.killWorker();
  await browser.wake();
  const restored = await sdkStatus(browser);
  assert.equal(restored.stats.queued, 30, 'restored from storage');
  await trackRange(browser, 'e2e_full_after', 0, 1);
  await flushUntilDrained(browser);
  let got;
  await waitFor(async () => (got = await delivered(mock, 'e2e_full')).byIndex.size === 30,
    { timeout: 30_000, message: 'the 30 events to arrive' }).catch(async (err) => assert.fail(`${err.message}; got ${got?.byIndex.size}${await context()}`));
});
