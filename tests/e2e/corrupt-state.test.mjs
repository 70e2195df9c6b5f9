// Issue 13: garbage under the SDK's keys in the real chrome.storage.local. A
// new worker starts, does not reuse the old ID, counts `corrupt_state` once,
// and removes the chunks the unreadable record named (found with getKeys);
// the extension's own keys are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, sleep, sdkStatus, trackRange, collectorReport, waitFor } from './lib/harness.mjs';

test('a truncated record and an orphan chunk: the worker starts fresh, counts corrupt_state once, and sweeps the old chunks', { timeout: 120_000 }, async (t) => {
  const env = await setup({ defaultConsent: 'granted', lifecycleEvents: false, batch: { flushIntervalMs: 600000 } });
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  const before = await sdkStatus(browser);
  await trackRange(browser, 'e2e_old', 0, 5);
  await sleep(800);
  const oldChunks = Object.keys(await browser.storage()).filter((k) => k.startsWith('mv3t.chunk.'));
  assert.ok(oldChunks.length >= 1, 'the events were persisted');

  // Damage storage from inside the worker (the SDK is idle: nothing of it is
  // pending), then stop the worker before anything else happens.
  await browser.evaluate(async () => {
    const record = (await chrome.storage.local.get('mv3t.record'))['mv3t.record'];
    await chrome.storage.local.set({
      'mv3t.record': record.slice(0, Math.floor(record.length / 2)),
      'mv3t.chunk.0.99': 'not\ta\tchunk',
      'extension.own.key': 'kept',
    });
  });
  await browser.killWorker();
  await browser.wake();
  const after = await sdkStatus(browser);
  t.diagnostic(`after: ${JSON.stringify(after)}`);
  assert.equal(after.consent, 'granted', 'defaultConsent, never the unreadable record');
  assert.notEqual(after.anonymousId, before.anonymousId, 'the old ID is not reused');
  assert.equal(after.stats.queued, 0, 'nothing of the unreadable state is queued');
  assert.equal(after.stats.dropped.corrupt_state, 1, 'counted once');

  let stored = {};
  try {
    await waitFor(async () => {
      stored = await browser.storage();
      return [...oldChunks, 'mv3t.chunk.0.99'].every((k) => !(k in stored) || !String(stored[k]).includes('e2e_old'))
        && !('mv3t.chunk.0.99' in stored);
    }, { timeout: 20_000, interval: 250, message: 'the old chunks to be swept' });
  } catch (err) {
    assert.fail(`${err.message}; stored ${JSON.stringify(Object.keys(stored))}${await context()}`);
  }
  assert.equal(stored['extension.own.key'], 'kept', "the extension's own key is left alone");
  // Recording goes on, and a restart counts nothing again.
  await trackRange(browser, 'e2e_new', 0, 3);
  await sleep(800);
  await browser.killWorker();
  await browser.wake();
  const again = await sdkStatus(browser);
  assert.equal(again.stats.queued, 3);
  assert.equal(again.stats.dropped.corrupt_state, 1, 'not counted again on the next start');
});
