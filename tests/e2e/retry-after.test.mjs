// DESIGN 5: 5xx and 429 are retried with backoff, never earlier than
// Retry-After, and every event still arrives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, trackRange, sdkStatus, delivered, collectorReport, waitFor, ranges, missingIn } from './lib/harness.mjs';

const N = 120;

test('after five 503s and a 429 with Retry-After: 2, every event arrives and no request comes before Retry-After allows', { timeout: 120_000 }, async (t) => {
  const env = await setup({
    defaultConsent: 'granted',
    lifecycleEvents: false, // only the test's own events reach the faulted collector
    batch: { flushIntervalMs: 300 },
    retry: { baseDelayMs: 200, maxDelayMs: 2000 },
  });
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;

  assert.equal((await sdkStatus(browser)).consent, 'granted');
  await mock.faults([
    { status: 503, count: 5, endpoint: 'events' },
    { status: 429, count: 1, retry_after: 2, endpoint: 'events' },
  ]);
  await trackRange(browser, 'e2e_retry', 0, N);

  let got;
  try {
    // No flush() here: the SDK's own retry schedule must deliver.
    await waitFor(async () => { got = await delivered(mock, 'e2e_retry'); return got.byIndex.size >= N; },
      { timeout: 60_000, interval: 250, message: `${N} events to arrive through the faults` });
  } catch (err) {
    assert.fail(`${err.message}; arrived ${got ? got.byIndex.size : 0}, missing i = ${got ? ranges(missingIn(got.byIndex, 0, N)) : '?'}${await context()}`);
  }

  const requests = (await mock.requests('events')).sort((a, b) => a.seq - b.seq);
  const statuses = requests.map((r) => r.status);
  assert.deepEqual(statuses.slice(0, 6), [503, 503, 503, 503, 503, 429],
    `the collector answered the first six requests with the faults${await context()}`);
  const tooMany = requests[5];
  const after = requests.slice(6);
  assert.ok(after.length > 0, 'requests follow the 429');
  const early = after.filter((r) => r.received_at_ms < tooMany.received_at_ms + 2000);
  assert.deepEqual(early.map((r) => `#${r.seq} +${r.received_at_ms - tooMany.received_at_ms} ms`), [],
    `no request may come earlier than Retry-After: 2 s after the 429 (#${tooMany.seq} at ${tooMany.received_at_ms})${await context()}`);

  t.diagnostic(`events requests: ${requests.map((r) => `#${r.seq} ${r.status} +${r.received_at_ms - requests[0].received_at_ms}ms`).join(', ')}`);
  const gaps = requests.slice(1, 7).map((r, k) => r.received_at_ms - requests[k].received_at_ms);
  t.diagnostic(`gaps between the first 7 requests (ms): ${gaps.join(', ')}`);
  const stats = await browser.evaluate(() => self.telemetry.stats());
  t.diagnostic(`sdk stats ${JSON.stringify(stats)}`);
  assert.ok(stats.retries >= 6, `stats().retries counts the retries (got ${stats.retries})`);
});
