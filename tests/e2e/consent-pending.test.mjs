// DESIGN 4: while consent is pending, nothing is recorded, stored or sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, sleep, trackRange, sdkStatus, delivered, flushUntilDrained, collectorReport, waitFor } from './lib/harness.mjs';

test('with consent pending, 200 tracked events and 10 s of waiting send nothing and store nothing', { timeout: 120_000 }, async (t) => {
  const env = await setup({ batch: { flushIntervalMs: 200 }, retry: { baseDelayMs: 200 } });
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;

  const before = await sdkStatus(browser);
  assert.equal(before.consent, 'pending', 'defaultConsent is pending');
  assert.equal(before.anonymousId, null, 'no anonymous ID before consent');

  await trackRange(browser, 'e2e_pending', 0, 200);
  const flushed = await browser.evaluate(() => self.telemetry.flush());
  await sleep(10_000);

  const requests = await mock.requests();
  assert.deepEqual(requests, [], `no request may reach the collector while consent is pending${await context()}`);
  const storage = await browser.storage();
  assert.deepEqual(storage, {}, `chrome.storage.local must hold nothing while consent is pending, found ${JSON.stringify(storage).slice(0, 500)}`);
  const after = await sdkStatus(browser);
  assert.equal(after.anonymousId, null);
  assert.equal(after.stats.queued, 0, `nothing is queued while pending: stats ${JSON.stringify(after.stats)}`);
  assert.ok(flushed && flushed.sent === 0, `flush() while pending sends nothing: got ${JSON.stringify(flushed)}`);

  // The pipeline works (so the silence above means something): after consent,
  // a new event arrives, and none of the 200 from before.
  await browser.evaluate(() => self.telemetry.setConsent(true));
  await trackRange(browser, 'e2e_after_grant', 0, 1);
  await flushUntilDrained(browser);
  await waitFor(async () => (await delivered(mock, 'e2e_after_grant')).unique.length === 1,
    { timeout: 30_000, message: 'the event tracked after consent to arrive', describe: context });
  const pendingOnes = await delivered(mock, 'e2e_pending');
  assert.equal(pendingOnes.all.length, 0, 'events tracked while pending are never sent, even after consent');
});
