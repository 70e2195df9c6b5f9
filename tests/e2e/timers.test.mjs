// DESIGN 3 and 5: startTimer()/stop() and measure() record samples that are
// aggregated per (name, props) and flush window into `timing` items on
// /v1/performance with count/sum/min/max and p50/p95/p99 within 1% relative
// error (lower-rank convention); a sample over `slowThresholdMs` also sends a
// `slow_operation` event; the SDK times its own start and flush round trips;
// aggregates survive a worker restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, sleep, sdkStatus, collectorReport, waitFor } from './lib/harness.mjs';

// One long window: the samples of a test land in one aggregate, sent by flush().
const OPTIONS = { defaultConsent: 'granted', batch: { flushIntervalMs: 60_000, errorFlushDelayMs: 300 } };

const TIMING_KEYS = ['id', 'type', 'name', 'ts', 'props', 'count', 'sum', 'min', 'max', 'p50', 'p95', 'p99', 'unit'];

/** Unique (by id) timing items named `name` that arrived on /v1/performance. */
async function timings(mock, name) {
  const seen = new Map();
  for (const it of await mock.items('performance')) if (it.name === name && !seen.has(it.id)) seen.set(it.id, it);
  return [...seen.values()];
}

const totalCount = (items) => items.reduce((n, it) => n + Number(it.count || 0), 0);
const emptyProps = (p) => p === undefined || p === null || (typeof p === 'object' && Object.keys(p).length === 0);
/** Exact quantile of `values`, lower-rank convention: sorted[floor(q * (n - 1))]. */
const lowerRank = (values, q) => { const s = [...values].sort((a, b) => a - b); return s[Math.floor(q * (s.length - 1))]; };
const within = (got, want, rel) => Math.abs(got - want) <= rel * Math.abs(want);

async function flushOnce(browser) {
  return browser.evaluate(() => self.telemetry.flush(), undefined, { timeout: 30_000 });
}

test('1,000 timer samples arrive as aggregates with a total count of 1,000 and p50/p95/p99 within 1% of the exact values', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  await sdkStatus(browser);

  // 1,000 timers started together and stopped at log-spaced targets from
  // 0.2 ms to 40 ms (in a shuffled order of creation), so the durations are
  // real performance.now() differences spread over two orders of magnitude.
  const values = await browser.evaluate(async () => {
    const tel = self.telemetry;
    await tel.ready;
    const n = 1000;
    const targets = Array.from({ length: n }, (_, i) => 0.2 * 200 ** (((i * 389) % n) / n));
    const order = [...targets.keys()].sort((a, b) => targets[a] - targets[b]);
    const timers = targets.map(() => tel.startTimer('work'));
    const t0 = performance.now();
    const out = new Array(n);
    for (const i of order) {
      while (performance.now() - t0 < targets[i]) { /* busy-wait */ }
      out[i] = timers[i].stop();
    }
    return out;
  });
  assert.equal(values.length, 1000);
  assert.ok(values.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0), `stop() returns ms as a number: ${values.slice(0, 5)}`);

  await flushOnce(browser);
  let items = [];
  try {
    await waitFor(async () => totalCount(items = await timings(mock, 'work')) >= 1000, { timeout: 30_000, message: "timing items for 'work' with a total count of 1,000" });
  } catch (err) {
    assert.fail(`${err.message}; arrived ${items.length} items, total count ${totalCount(items)}: ${JSON.stringify(items)}${await context()}`);
  }
  await sleep(500);
  items = await timings(mock, 'work');
  assert.equal(totalCount(items), 1000, `total count over ${items.length} aggregate(s): ${JSON.stringify(items)}`);
  assert.equal(items.length, 1, `one window, one (name, props): one aggregate, got ${items.length}: ${JSON.stringify(items)}`);

  const agg = items[0];
  for (const key of TIMING_KEYS) assert.ok(key in agg, `timing item has \`${key}\`: ${JSON.stringify(agg)}`);
  assert.equal(agg.type, 'timing');
  assert.equal(agg.unit, 'ms');
  assert.equal(typeof agg.id, 'string');
  assert.ok(Number.isInteger(agg.ts) && agg.ts > 1.6e12, `ts is epoch ms: ${agg.ts}`);
  assert.ok(emptyProps(agg.props), `no props given, none reported: ${JSON.stringify(agg.props)}`);

  const exact = {
    sum: values.reduce((a, b) => a + b, 0),
    min: Math.min(...values),
    max: Math.max(...values),
    p50: lowerRank(values, 0.5),
    p95: lowerRank(values, 0.95),
    p99: lowerRank(values, 0.99),
  };
  t.diagnostic(`exact ${JSON.stringify(exact)}`);
  t.diagnostic(`arrived ${JSON.stringify({ sum: agg.sum, min: agg.min, max: agg.max, p50: agg.p50, p95: agg.p95, p99: agg.p99 })}`);
  // The sketch's answer is within 1% of the exact quantile; the wire format
  // then rounds milliseconds to whole microseconds (half a microsecond more).
  for (const q of ['p50', 'p95', 'p99']) {
    assert.ok(within(agg[q], exact[q], 0.01) || Math.abs(agg[q] - exact[q]) <= 0.01 * exact[q] + 0.0005, `${q}: expected ${exact[q]} within 1%, arrived ${agg[q]} (${((agg[q] / exact[q] - 1) * 100).toFixed(3)}%)`);
  }
  assert.ok(within(agg.min, exact.min, 1e-6) || Math.abs(agg.min - exact.min) < 1e-3, `min: expected ${exact.min}, arrived ${agg.min}`);
  assert.ok(within(agg.max, exact.max, 1e-6) || Math.abs(agg.max - exact.max) < 1e-3, `max: expected ${exact.max}, arrived ${agg.max}`);
  assert.ok(within(agg.sum, exact.sum, 1e-3), `sum: expected ${exact.sum}, arrived ${agg.sum}`);
});

test('stopping a timer twice records one sample and returns the same duration both times', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  const r = await browser.evaluate(async () => {
    const tel = self.telemetry;
    await tel.ready;
    const timer = tel.startTimer('stop_twice', { step: 'a' });
    await new Promise((res) => setTimeout(res, 20));
    const first = timer.stop();
    await new Promise((res) => setTimeout(res, 20));
    const second = timer.stop({ step: 'b' });
    return { first, second };
  });
  assert.equal(typeof r.first, 'number');
  assert.ok(r.first >= 15, `about 20 ms: ${r.first}`);
  assert.equal(r.second, r.first, 'the second stop() returns the first duration');

  await flushOnce(browser);
  let items = [];
  await waitFor(async () => (items = await timings(mock, 'stop_twice')).length >= 1, { timeout: 30_000, message: "a timing item for 'stop_twice'" })
    .catch(async (err) => assert.fail(`${err.message}${await collectorReport(mock)}\n${browser.dumpLogs()}`));
  await flushOnce(browser);
  await sleep(1000);
  items = await timings(mock, 'stop_twice');
  assert.equal(totalCount(items), 1, `one sample in total: ${JSON.stringify(items)}`);
  assert.deepEqual(items[0].props, { step: 'a' }, 'the props of the stop that counted');
  assert.ok(within(items[0].sum, r.first, 1e-6), `the sample is the first duration ${r.first}: ${JSON.stringify(items[0])}`);
});

test('measure() resolves to the function result, and on rejection records ok:false and rethrows the same error', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  const r = await browser.evaluate(async () => {
    const tel = self.telemetry;
    await tel.ready;
    const pause = (ms) => new Promise((res) => setTimeout(res, ms));
    const value = await tel.measure('load_settings', async () => { await pause(10); return { theme: 'dark' }; });
    const boom = new Error('settings storage unavailable');
    let caught = null;
    try {
      await tel.measure('load_settings', async () => { await pause(10); throw boom; });
    } catch (err) {
      caught = err;
    }
    return { value, rethrownSame: caught === boom, caughtMessage: caught && caught.message };
  });
  assert.deepEqual(r.value, { theme: 'dark' }, 'measure resolves to the function result');
  assert.equal(r.caughtMessage, 'settings storage unavailable', 'measure rethrows');
  assert.equal(r.rethrownSame, true, 'measure rethrows the very same error object');

  await flushOnce(browser);
  let items = [];
  try {
    await waitFor(async () => totalCount(items = await timings(mock, 'load_settings')) >= 2, { timeout: 30_000, message: "two samples for 'load_settings'" });
  } catch (err) {
    assert.fail(`${err.message}; arrived ${JSON.stringify(items)}${await collectorReport(mock)}\n${browser.dumpLogs()}`);
  }
  const ok = items.filter((it) => it.props && it.props.ok === true);
  const failed = items.filter((it) => it.props && it.props.ok === false);
  assert.equal(totalCount(ok), 1, `one sample with props {ok: true}: ${JSON.stringify(items)}`);
  assert.equal(totalCount(failed), 1, `one sample with props {ok: false}: ${JSON.stringify(items)}`);
  assert.deepEqual(failed[0].props, { ok: false });
  assert.ok(failed[0].min >= 5, `the failed call was timed too (about 10 ms): ${failed[0].min}`);

  // The caller handled the rejection: the SDK must not leave an unhandled
  // rejection of its own behind (it would be captured as an error item).
  await sleep(1500);
  await flushOnce(browser);
  await sleep(500);
  const errors = (await mock.items('errors')).filter((e) => String(e.message).includes('settings storage unavailable'));
  assert.deepEqual(errors, [], 'no error item for a rejection the caller caught');
});

test('a sample over slowThresholdMs also sends a slow_operation event with its name and duration', { timeout: 120_000 }, async (t) => {
  const env = await setup({ ...OPTIONS, slowThresholdMs: 50 });
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  const r = await browser.evaluate(async () => {
    const tel = self.telemetry;
    await tel.ready;
    const pause = (ms) => new Promise((res) => setTimeout(res, ms));
    const fast = tel.startTimer('fast_op');
    await pause(5);
    const fastMs = fast.stop();
    const slow = tel.startTimer('slow_op');
    await pause(60);
    const slowMs = slow.stop();
    return { fastMs, slowMs };
  });
  assert.ok(r.slowMs > 50, `the slow sample is over the threshold: ${r.slowMs}`);
  assert.ok(r.fastMs < 50, `the fast sample is under it: ${r.fastMs}`);

  await flushOnce(browser);
  let slowEvents = [];
  const slowOf = async () => (await mock.items('events')).filter((e) => e.name === 'slow_operation');
  try {
    await waitFor(async () => (slowEvents = await slowOf()).some((e) => e.props && e.props.name === 'slow_op'),
      { timeout: 30_000, message: "a slow_operation event for 'slow_op'" });
  } catch (err) {
    assert.fail(`${err.message}; slow_operation events: ${JSON.stringify(slowEvents)}${await collectorReport(mock)}\n${browser.dumpLogs()}`);
  }
  await sleep(500);
  slowEvents = await slowOf();
  const mine = [...new Map(slowEvents.filter((e) => e.props && e.props.name === 'slow_op').map((e) => [e.id, e])).values()];
  assert.equal(mine.length, 1, `one slow_operation for one slow sample: ${JSON.stringify(mine)}`);
  assert.equal(mine[0].type, 'event');
  assert.deepEqual(Object.keys(mine[0].props).sort(), ['duration_ms', 'name']);
  assert.equal(typeof mine[0].props.duration_ms, 'number');
  assert.ok(Math.abs(mine[0].props.duration_ms - r.slowMs) <= 1, `duration_ms ${mine[0].props.duration_ms} is the measured ${r.slowMs} (to 1 ms)`);
  assert.deepEqual(slowEvents.filter((e) => e.props && e.props.name === 'fast_op'), [], 'no slow_operation for the fast sample');

  const slowTimings = await timings(mock, 'slow_op');
  assert.equal(totalCount(slowTimings), 1, `the slow sample is also in the timing aggregate: ${JSON.stringify(slowTimings)}`);
});

test('the SDK times itself: sdk.init_to_ready and sdk.flush_round_trip arrive as timing items', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  // The first flush sends init_to_ready and is itself timed; the second sends that.
  await flushOnce(browser);
  await sleep(300);
  await flushOnce(browser);
  let init = [];
  let flushes = [];
  try {
    await waitFor(async () => {
      init = await timings(mock, 'sdk.init_to_ready');
      flushes = await timings(mock, 'sdk.flush_round_trip');
      return init.length > 0 && flushes.length > 0;
    }, { timeout: 30_000, message: 'sdk.init_to_ready and sdk.flush_round_trip timing items' });
  } catch (err) {
    const names = [...new Set((await mock.items('performance')).map((it) => it.name))];
    assert.fail(`${err.message}; timing names that arrived: ${JSON.stringify(names)}${await collectorReport(mock)}\n${browser.dumpLogs()}`);
  }
  t.diagnostic(`sdk.init_to_ready ${JSON.stringify(init[0])}`);
  t.diagnostic(`sdk.flush_round_trip ${JSON.stringify(flushes[0])}`);
  assert.equal(totalCount(init), 1, `one worker start, one init_to_ready sample: ${JSON.stringify(init)}`);
  for (const it of [...init, ...flushes]) {
    assert.equal(it.type, 'timing');
    assert.equal(it.unit, 'ms');
    assert.ok(it.count >= 1 && it.min >= 0 && it.max >= it.min && it.max < 60_000, JSON.stringify(it));
  }
});

test('timer samples recorded before a worker restart arrive in the aggregate flushed after it', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  await sdkStatus(browser);

  const before = await browser.evaluate(async () => {
    const tel = self.telemetry;
    await tel.ready;
    const out = [];
    for (let i = 0; i < 10; i++) {
      const timer = tel.startTimer('survives_restart');
      await new Promise((res) => setTimeout(res, 2));
      out.push(timer.stop());
    }
    return out;
  });
  await sleep(2000); // accepted well before the kill: persisted by then
  await browser.killWorker();
  await sleep(300);
  await browser.wake();
  await sdkStatus(browser);
  const after = await browser.evaluate(async () => {
    const timer = self.telemetry.startTimer('survives_restart');
    await new Promise((res) => setTimeout(res, 2));
    return timer.stop();
  });
  await flushOnce(browser);
  let items = [];
  try {
    await waitFor(async () => totalCount(items = await timings(mock, 'survives_restart')) >= 11, { timeout: 30_000, message: "11 samples of 'survives_restart'" });
  } catch (err) {
    assert.fail(`${err.message}; arrived ${JSON.stringify(items)} (10 before the restart, 1 after)${await collectorReport(mock)}\n${browser.dumpLogs()}`);
  }
  await sleep(500);
  items = await timings(mock, 'survives_restart');
  assert.equal(totalCount(items), 11, `10 samples before the restart and 1 after, none twice: ${JSON.stringify(items)}`);
  const all = [...before, after];
  const sum = items.reduce((s, it) => s + it.sum, 0);
  assert.ok(within(sum, all.reduce((a, b) => a + b, 0), 1e-3), `sum of the samples: expected ${all.reduce((a, b) => a + b, 0)}, arrived ${sum}`);
});
