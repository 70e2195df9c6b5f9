// Issue 11, item 7: user code that the SDK calls while it works — a
// `beforeSend` hook, a `scrub.extraPatterns` RegExp — may call back into the
// SDK (`stats()`, `track()`). That must work: the callbacks get answers, what
// they record is delivered, and the core never panics (it must not hold its
// engine borrowed while user code runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupWithConfigSource, sdkStatus, flushUntilDrained, collectorReport, waitFor, sleep } from './lib/harness.mjs';
import { PANIC_KEY } from '../../js/constants.js';

// The hook and the pattern log what they did in the worker (self.__hook,
// self.__pattern), so the test can tell "not called" from "called and failed".
// The pattern keeps the `g` flag, so the SDK uses this very object and its own
// `exec`, which both RegExp.prototype.test and [Symbol.replace] call.
const REENTRANT = (url) => `
const pattern = /ACME-\\d+/g;
const nativeExec = RegExp.prototype.exec;
let inPattern = false;
pattern.exec = function (text) {
  const log = (self.__pattern ||= { calls: 0, stats: 0, tracked: 0, errors: [] });
  log.calls++;
  if (!inPattern && self.telemetry) {
    inPattern = true; // the event recorded below is scrubbed too: once is enough
    try {
      if (typeof self.telemetry.stats().queued === 'number') log.stats++;
      if (String(text).includes('ACME-') && log.tracked === 0) {
        log.tracked++;
        self.telemetry.track('from_pattern', { calls: log.calls });
      }
    } catch (err) {
      log.errors.push(String(err && err.stack || err));
    } finally {
      inPattern = false;
    }
  }
  return nativeExec.call(this, text);
};

export const options = {
  endpoint: ${JSON.stringify(url)},
  defaultConsent: 'granted',
  batch: { flushIntervalMs: 500, errorFlushDelayMs: 300 },
  scrub: { extraPatterns: [pattern] },
  beforeSend(item) {
    const log = (self.__hook ||= { calls: 0, queuedSeen: [], errors: [] });
    log.calls++;
    try {
      const stats = self.telemetry.stats();
      log.queuedSeen.push(stats.queued);
      if (item.type === 'event' && item.name === 'outer') {
        self.telemetry.track('from_hook', { parent: item.props.i });
        return { ...item, props: { ...item.props, stats_in_hook: typeof stats.queued } };
      }
    } catch (err) {
      log.errors.push(String(err && err.stack || err));
    }
    return item;
  },
};`;

async function uniqueEvents(mock) {
  const seen = new Map();
  for (const it of await mock.items('events')) if (!seen.has(it.id)) seen.set(it.id, it);
  return [...seen.values()];
}

test('a beforeSend hook and an extraPatterns RegExp that call stats() and track() work, their events are delivered, and the core never panics', { timeout: 150_000 }, async (t) => {
  const env = await setupWithConfigSource(REENTRANT);
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  await sdkStatus(browser);

  await browser.evaluate(() => {
    self.telemetry.track('outer', { i: 1 });
    self.telemetry.track('order', { ref: 'ACME-1234 for bob@example.com' });
    self.telemetry.track('outer', { i: 2 });
  });
  const alive = await browser.evaluate(() => ({
    anonymousId: self.telemetry.anonymousId(),
    hook: self.__hook ?? null,
    pattern: self.__pattern ?? null,
  }));
  assert.ok(alive.anonymousId, `the core is still running after the callbacks (a contained panic switches it off)${await context()}`);
  assert.ok(alive.hook && alive.hook.calls >= 3, `beforeSend ran: ${JSON.stringify(alive.hook)}`);
  assert.deepEqual(alive.hook.errors, [], 'stats() and track() from inside beforeSend do not throw');
  assert.ok(alive.hook.queuedSeen.every((n) => typeof n === 'number'), `stats() inside beforeSend answers: ${JSON.stringify(alive.hook.queuedSeen)}`);
  assert.ok(alive.pattern && alive.pattern.calls >= 1, `the extraPatterns RegExp's own exec ran: ${JSON.stringify(alive.pattern)}`);
  assert.deepEqual(alive.pattern.errors, [], 'stats() and track() from inside the RegExp do not throw');
  assert.ok(alive.pattern.stats >= 1 && alive.pattern.tracked === 1, `the RegExp called back into the SDK: ${JSON.stringify(alive.pattern)}`);

  await flushUntilDrained(browser);
  const want = ['outer', 'order', 'from_hook', 'from_pattern'];
  try {
    await waitFor(async () => {
      const names = (await uniqueEvents(mock)).map((e) => e.name);
      return want.every((n) => names.includes(n)) && names.filter((n) => n === 'from_hook').length >= 2;
    }, { timeout: 30_000, message: `${want.join(', ')} (from_hook twice) to arrive` });
  } catch (err) {
    assert.fail(`${err.message}; arrived ${JSON.stringify((await uniqueEvents(mock)).map((e) => e.name))}${await context()}`);
  }
  await sleep(500);

  const events = await uniqueEvents(mock);
  const byName = (n) => events.filter((e) => e.name === n);
  assert.deepEqual(byName('outer').map((e) => e.props).sort((a, b) => a.i - b.i),
    [{ i: 1, stats_in_hook: 'number' }, { i: 2, stats_in_hook: 'number' }], 'the hook\'s edit, made after its stats() call, is kept');
  assert.deepEqual(byName('from_hook').map((e) => e.props.parent).sort(), [1, 2], 'each event tracked from inside the hook arrives once');
  assert.equal(byName('from_pattern').length, 1, 'the event tracked from inside the RegExp arrives');
  const order = byName('order');
  assert.equal(order.length, 1);
  assert.equal(order[0].props.ref, '[Filtered] for [email]', 'the re-entrant pattern still scrubs, and the built-in rules still run');

  const storage = await browser.storage();
  assert.equal(storage[PANIC_KEY], undefined, `no panic note was left${await context()}`);
  assert.doesNotMatch(browser.dumpLogs(1_000), /internal failure/, 'the worker never logged an internal failure');
  const after = await browser.evaluate(() => self.telemetry.anonymousId());
  assert.ok(after, 'the core is still running at the end');
});
