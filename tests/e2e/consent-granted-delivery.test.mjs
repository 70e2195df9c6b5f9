// DESIGN 4 and 5: with consent granted, every event arrives (at least once;
// exactly once after de-duplication by item id).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, trackRange, sdkStatus, delivered, flushUntilDrained, collectorReport, waitFor, ranges, missingIn } from './lib/harness.mjs';

test('with consent granted, all 500 tracked events arrive, none twice after de-duplication', { timeout: 120_000 }, async (t) => {
  const env = await setup({ defaultConsent: 'granted', batch: { flushIntervalMs: 500 } });
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;

  const status = await sdkStatus(browser);
  assert.equal(status.consent, 'granted');
  assert.match(String(status.anonymousId), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'anonymous ID is a UUID v4');

  await trackRange(browser, 'e2e_event', 0, 500);
  await flushUntilDrained(browser);
  let got;
  try {
    await waitFor(async () => { got = await delivered(mock, 'e2e_event'); return got.byIndex.size >= 500; },
      { timeout: 60_000, message: '500 distinct events to arrive' });
  } catch (err) {
    assert.fail(`${err.message}; arrived ${got ? got.byIndex.size : 0}, missing i = ${got ? ranges(missingIn(got.byIndex, 0, 500)) : '?'}${await context()}`);
  }
  const indices = [...got.byIndex.keys()].sort((a, b) => a - b);
  assert.deepEqual(indices, Array.from({ length: 500 }, (_, i) => i), 'props.i covers exactly 0..499');
  assert.equal(got.unique.length, 500, `500 unique item ids (got ${got.unique.length})`);
  const twice = [...got.byIndex].filter(([, ids]) => ids.size > 1).map(([i]) => i);
  assert.deepEqual(twice, [], `events recorded twice under different ids: i = ${ranges(twice)}`);
  for (const b of await mock.batches('events')) {
    assert.equal(b.body.anonymous_id, status.anonymousId, 'every batch carries the anonymous ID');
  }
  const stats = await mock.stats();
  t.diagnostic(`collector: ${stats.per_endpoint.events.requests} requests, ${stats.per_endpoint.events.items} items, ${stats.duplicate_item_ids} duplicate item ids`);
});
