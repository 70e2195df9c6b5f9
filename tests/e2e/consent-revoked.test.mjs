// DESIGN 4: granted -> denied deletes queue and ID from memory and storage
// first, then sends one deletion request; nothing else is ever sent for that ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, sleep, trackRange, sdkStatus, collectorReport, waitFor } from './lib/harness.mjs';

async function revokeAndCheck(t, { mock, browser }, { queuedBy }) {
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  const granted = await sdkStatus(browser);
  assert.equal(granted.consent, 'granted');
  const oldId = granted.anonymousId;
  assert.ok(oldId, 'an anonymous ID exists while granted');

  await trackRange(browser, 'e2e_revoked', 0, 30);
  await waitFor(async () => (await browser.evaluate(() => self.telemetry.stats())).queued >= 30,
    { timeout: 10_000, message: '30 queued events' });
  await waitFor(async () => JSON.stringify(await browser.storage()).includes(oldId),
    { timeout: 10_000, message: 'the ID to be persisted' });
  const sentBefore = (await mock.batches('events')).flatMap((b) => b.body.items || []).filter((it) => it.name === 'e2e_revoked');
  assert.equal(sentBefore.length, 0, `the events are still queued (${queuedBy}) when consent is revoked`);

  const revokedAt = Date.now();
  await browser.evaluate(() => self.telemetry.setConsent(false));
  const after = await sdkStatus(browser);
  assert.equal(after.consent, 'denied');
  assert.equal(after.anonymousId, null, 'anonymousId() is null after revoking');
  assert.equal(after.stats.queued, 0, `the queue is empty after revoking: ${JSON.stringify(after.stats)}`);

  await waitFor(async () => (await mock.requests('deletion')).length >= 1,
    { timeout: 30_000, message: 'the deletion request', describe: context });
  // Give any stray sends (retry timers, alarms, a restarted worker) a chance.
  await sleep(3000);
  await browser.killWorker();
  await browser.wake();
  assert.equal((await sdkStatus(browser)).consent, 'denied', 'denied survives a worker restart');
  await sleep(4000);

  const deletions = await mock.requests('deletion');
  assert.equal(deletions.length, 1, `exactly one deletion request${await context()}`);
  const [deletion] = await mock.batches('deletion');
  assert.equal(deletion.body.anonymous_id, oldId, 'the deletion request names the old ID');
  assert.ok(typeof deletion.body.requested_at === 'string' && !Number.isNaN(Date.parse(deletion.body.requested_at)),
    `requested_at is a date: ${JSON.stringify(deletion.body)}`);

  // A retry already on the wire when the revoke ran cannot be called back; it
  // may reach the collector a moment after the test's clock read. Any other
  // request after the revoke is a leak.
  const requests = await mock.requests('events');
  const before = new Set(requests.filter((r) => r.received_at_ms < revokedAt).map((r) => r.batch_id));
  const eventsAfterRevoke = requests.filter((r) => r.received_at_ms >= revokedAt
    && !(r.status !== 200 && before.has(r.batch_id) && r.received_at_ms < revokedAt + 500));
  assert.deepEqual(eventsAfterRevoke, [], `no events request after revoking${await context()}`);
  const accepted = (await mock.batches()).filter((b) => b.endpoint !== 'deletion');
  const leaked = accepted.flatMap((b) => b.body.items || []).filter((it) => it.name === 'e2e_revoked');
  assert.deepEqual(leaked, [], 'none of the queued events was ever delivered');
  // The same holds for the other lanes (the SDK's own timings go out every
  // flush interval): a batch of items all recorded before the revoke that
  // arrives within 500 ms of it was on the wire already.
  const onTheWire = (b) => b.received_at_ms < revokedAt + 500
    && (b.body.items || []).every((it) => typeof it.ts === 'number' && it.ts < revokedAt);
  const sentWithId = accepted.filter((b) => b.body.anonymous_id === oldId && b.received_at_ms >= revokedAt && !onTheWire(b));
  assert.deepEqual(sentWithId, [], 'nothing but the deletion is sent for the old ID after revoking');

  const storage = await browser.storage();
  const dump = JSON.stringify(storage);
  assert.ok(!dump.includes(oldId), `chrome.storage.local still holds the old ID: ${dump.slice(0, 800)}`);
  assert.ok(!dump.includes('e2e_revoked'), `chrome.storage.local still holds queued events: ${dump.slice(0, 800)}`);
  t.diagnostic(`storage after revoking: ${dump.slice(0, 300)}`);
}

test('revoking consent with events queued by the flush interval sends none of them, one deletion request, and keeps no ID', { timeout: 120_000 }, async (t) => {
  const env = await setup({ defaultConsent: 'granted', batch: { flushIntervalMs: 600_000 } });
  t.after(() => env.close());
  await revokeAndCheck(t, env, { queuedBy: 'interval' });
});

test('revoking consent while the collector is failing sends none of the queued events, one deletion request, and keeps no ID', { timeout: 120_000 }, async (t) => {
  const env = await setup({ defaultConsent: 'granted', batch: { flushIntervalMs: 300 }, retry: { baseDelayMs: 1000 } });
  t.after(() => env.close());
  await env.mock.faults({ status: 503, count: 1000, endpoint: 'events' });
  await revokeAndCheck(t, env, { queuedBy: 'faults' });
});
