// DESIGN 3, 5, 6: errors thrown in the worker, unhandled rejections and
// captureError() calls arrive at /v1/errors with parsed stack frames and
// scrubbed messages; repeats fold into one item with a count; a panic in the
// SDK's Rust core is contained and reported as `sdk_panic` by the next worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, sleep, sdkStatus, collectorReport, waitFor } from './lib/harness.mjs';

const OPTIONS = { defaultConsent: 'granted', batch: { flushIntervalMs: 500, errorFlushDelayMs: 300 } };

async function errorItems(mock) {
  const seen = new Map();
  for (const item of await mock.items('errors')) if (!seen.has(item.id)) seen.set(item.id, item);
  return [...seen.values()];
}

test('a thrown error and an unhandled rejection arrive with parsed frames and scrubbed messages', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  await browser.evaluate(() => {
    function lookUpAccount() {
      throw new Error('Lookup failed for alice@example.com with https://api.example.com/v1?token=s3cr3tvalue');
    }
    setTimeout(() => lookUpAccount(), 0);
    Promise.reject(new TypeError('Card 4111 1111 1111 1111 was declined'));
  });

  let items = [];
  try {
    await waitFor(async () => (items = await errorItems(mock)).length >= 2, { timeout: 30_000, message: 'two error items' });
  } catch (err) {
    assert.fail(`${err.message}${await collectorReport(mock)}\n${browser.dumpLogs()}`);
  }
  const thrown = items.find((i) => i.kind === 'Error');
  const rejected = items.find((i) => i.kind === 'TypeError');
  assert.ok(thrown, `the thrown error arrived: ${JSON.stringify(items)}`);
  assert.ok(rejected, `the rejection arrived: ${JSON.stringify(items)}`);

  assert.ok(!thrown.message.includes('alice@example.com'), thrown.message);
  assert.ok(!thrown.message.includes('s3cr3tvalue'), thrown.message);
  assert.match(thrown.message, /\[email\]/);
  assert.ok(!rejected.message.includes('4111'), rejected.message);
  assert.match(rejected.message, /\[creditcard\]/);

  assert.ok(thrown.stack.length >= 1, 'frames were parsed');
  const top = thrown.stack[0];
  assert.equal(top.function, 'lookUpAccount');
  assert.ok(Number.isInteger(top.line) && Number.isInteger(top.column), JSON.stringify(top));
  for (const frame of thrown.stack) {
    assert.ok(!String(frame.file ?? '').startsWith('chrome-extension://'), `extension paths are reduced: ${frame.file}`);
  }
  assert.equal(thrown.context.mechanism, 'onerror');
  assert.equal(rejected.context.mechanism, 'onunhandledrejection');
  assert.match(thrown.fingerprint, /^[0-9a-f]{8,}$/);
  assert.equal(thrown.count, 1);
});

test('repeats of one error within a flush window become one item with a count, and breadcrumbs ride along', { timeout: 120_000 }, async (t) => {
  const env = await setup({ ...OPTIONS, batch: { flushIntervalMs: 500, errorFlushDelayMs: 1500 } });
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  await browser.evaluate(() => {
    self.telemetry.track('opened_popup');
    self.telemetry.track('clicked_sync');
    for (const id of [17, 18, 19]) self.telemetry.captureError(new RangeError(`Failed to fetch item ${id}`), { attempt: id });
    self.telemetry.captureError('plain string failure');
    self.telemetry.captureError({ message: 'The message port closed before a response was received.' });
    self.telemetry.captureError(undefined);
  });
  let items = [];
  await waitFor(async () => (items = await errorItems(mock)).length >= 4, { timeout: 30_000, message: 'four error items' });
  await sleep(1000);
  items = await errorItems(mock);
  const ranged = items.filter((i) => i.kind === 'RangeError');
  assert.equal(ranged.length, 1, `one item for three repeats: ${JSON.stringify(ranged)}`);
  assert.equal(ranged[0].count, 3);
  assert.deepEqual(ranged[0].breadcrumbs.map((b) => b.name), ['opened_popup', 'clicked_sync']);
  assert.ok(items.some((i) => i.message === 'plain string failure'));
  assert.ok(items.some((i) => i.message.startsWith('The message port closed')));
  assert.ok(items.some((i) => i.kind === 'undefined'));
});

test('an error\'s cause chain arrives as causes, direct cause first, scrubbed like the error', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  await browser.evaluate(() => {
    const root = new TypeError('bad header for alice@example.com');
    const middle = new Error('fetch failed', { cause: root });
    self.telemetry.captureError(new Error('sync failed', { cause: middle }));
  });
  let items = [];
  try {
    await waitFor(async () => (items = await errorItems(mock)).some((i) => i.message === 'sync failed'), { timeout: 30_000, message: 'the error item' });
  } catch (err) {
    assert.fail(`${err.message}${await collectorReport(mock)}\n${browser.dumpLogs()}`);
  }
  const item = items.find((i) => i.message === 'sync failed');
  assert.deepEqual(item.causes.map((c) => c.kind), ['Error', 'TypeError'], JSON.stringify(item.causes));
  assert.equal(item.causes[0].message, 'fetch failed');
  assert.ok(!item.causes[1].message.includes('alice@example.com'), item.causes[1].message);
  assert.ok(Array.isArray(item.causes[1].stack) && item.causes[1].stack.length > 0, JSON.stringify(item.causes[1].stack));
});

test('a panic in the Rust core leaves the worker running and is reported as sdk_panic after a restart', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  const after = await browser.evaluate(() => {
    self.telemetry.__panicForTests();
    self.telemetry.track('after_panic'); // must not throw
    return 'the worker still runs';
  });
  assert.equal(after, 'the worker still runs');
  await sleep(500);

  await browser.killWorker();
  await sleep(300);
  await browser.wake();
  await sdkStatus(browser);
  let items = [];
  try {
    await waitFor(async () => (items = await errorItems(mock)).some((i) => i.kind === 'sdk_panic'), { timeout: 30_000, message: 'an sdk_panic item' });
  } catch (err) {
    assert.fail(`${err.message}${await collectorReport(mock)}\n${browser.dumpLogs()}`);
  }
  const panic = items.find((i) => i.kind === 'sdk_panic');
  assert.match(panic.message, /core failed/);
  const storage = await browser.storage();
  assert.equal(storage['mv3t.panic'], undefined, 'the note is removed once reported');
});
