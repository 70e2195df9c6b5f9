// Checks the end-to-end harness itself, without the SDK: Chromium loads an
// unpacked extension, its service worker can be stopped like Chrome stops it
// and woken again, alarms wake it, and the mock collector answers as agreed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, prepareExtension, launchBrowser, startMock, sleep } from './lib/harness.mjs';

const FIXTURE = join(ROOT, 'tests/e2e/fixtures/trivial-extension');

test('the harness stops an extension service worker, wakes it again, and an alarm wakes it too', { timeout: 90_000 }, async (t) => {
  const browser = await launchBrowser(prepareExtension(undefined, { source: FIXTURE }));
  t.after(() => browser.close());
  assert.match(browser.extensionId, /^[a-p]{32}$/);

  assert.deepEqual(await browser.evaluate(() => self.bump()), { memory: 1, count: 1 });
  await browser.killWorker();
  assert.equal(browser.status, 'stopped');
  await sleep(300);
  assert.equal(browser.status, 'stopped', 'nothing the harness does by itself restarts the worker');
  assert.deepEqual(await browser.storage(), { count: 1 }, 'storage can be read without waking the worker');
  assert.equal(browser.status, 'stopped');

  await browser.wake();
  assert.equal(browser.status, 'running');
  assert.deepEqual(await browser.evaluate(() => self.bump()), { memory: 1, count: 2 }, 'memory is lost, storage is kept');

  await browser.evaluate(() => chrome.alarms.create('harness', { when: Date.now() + 2000 }));
  await browser.killWorker();
  await browser.waitForStatus('running', 60_000, 'the alarm to wake the worker');
  const { alarms } = await (async () => { for (;;) { const s = await browser.storage(); if (s.alarms) return s; await sleep(100); } })();
  assert.equal(alarms, 1);
});

test('the mock collector listens on a free port and records ingestion requests', { timeout: 60_000 }, async (t) => {
  const mock = await startMock();
  t.after(() => mock.stop());
  assert.ok(mock.port > 0);
  const batch = {
    batch_id: 'harness-batch-1',
    sent_at: new Date().toISOString(),
    sdk: { name: 'mv3-telemetry', version: '0.0.0' },
    anonymous_id: '6f1c2d3e-0000-4000-8000-000000000001',
    session_id: 'harness-session',
    context: { app_version: '1.0.0', environment: 'test', browser: 'Chrome 156', os: 'linux', locale: 'en-US' },
    items: [{ id: 'harness-item-1', type: 'event', name: 'harness', ts: Date.now(), props: {} }],
    dropped: { queue_full: 0, sampled: 0, before_send: 0, rejected: 0, invalid: 0 },
  };
  const post = () => fetch(`${mock.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-batch-id': batch.batch_id },
    body: JSON.stringify(batch),
  });
  await mock.faults({ status: 503, count: 1, endpoint: 'events' });
  assert.equal((await post()).status, 503);
  assert.equal((await post()).status, 200);
  const requests = await mock.requests('events');
  assert.deepEqual(requests.map((r) => r.status), [503, 200]);
  const batches = await mock.batches('events');
  assert.equal(batches.length, 1);
  assert.equal(batches[0].body.items[0].id, 'harness-item-1');
  const stats = await mock.stats();
  assert.equal(stats.per_endpoint.events.unique_items, 1);
  await mock.reset();
  assert.deepEqual(await mock.requests(), []);
});
