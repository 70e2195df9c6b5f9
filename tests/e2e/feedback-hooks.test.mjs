// DESIGN 3, 5 and 6: feedback() items on /v1/feedback (message scrubbed and
// capped, contact kept only if given, bad types dropped as `invalid`); the
// `beforeSend` hook sees every item type as it will be sent, its edits are
// scrubbed again, `null` drops (counted `before_send`, reported in the next
// batch), a throw keeps the item (counted `hook_error`); `sampleRate` samples
// usage events only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, setupWithConfigSource, droppedReported, sleep, sdkStatus, flushUntilDrained, collectorReport, waitFor } from './lib/harness.mjs';

const OPTIONS = { defaultConsent: 'granted', batch: { flushIntervalMs: 500, errorFlushDelayMs: 300 } };

async function unique(mock, endpoint) {
  const seen = new Map();
  for (const it of await mock.items(endpoint)) if (!seen.has(it.id)) seen.set(it.id, it);
  return [...seen.values()];
}

/** Waits until stats() in the worker satisfies `pred`; returns it. */
async function waitForWorkerStats(browser, pred, message) {
  let last;
  return waitFor(async () => { last = await browser.evaluate(() => self.telemetry.stats()); return pred(last) ? last : null; },
    { timeout: 15_000, interval: 200, message, describe: async () => `last stats() ${JSON.stringify(last)}` });
}

const LONG = 'lorem ipsum dolor sit amet '.repeat(200); // 5,400 characters

test('feedback arrives on /v1/feedback with the message scrubbed and capped, the contact kept, and a bad type dropped as invalid', { timeout: 120_000 }, async (t) => {
  const env = await setup(OPTIONS);
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  await sdkStatus(browser);

  const invalidBefore = await browser.evaluate((long) => {
    const tel = self.telemetry;
    const before = tel.stats().dropped.invalid ?? 0;
    tel.feedback({
      type: 'bug',
      rating: 4,
      message: 'Sync broke again. Mail me at alice@example.com; I paid with 4111 1111 1111 1111.',
      contact: 'alice@example.com',
    });
    tel.feedback({ type: 'idea', message: 'A dark theme, please' });
    tel.feedback({ type: 'praise', rating: 9, message: 'Great' });
    tel.feedback({ type: 'other', rating: 2.5, message: long });
    tel.feedback({ type: 'complaint', rating: 1, message: 'not one of the four types' });
    return before;
  }, LONG);
  const stats = await waitForWorkerStats(browser, (s) => (s.dropped.invalid ?? 0) >= invalidBefore + 1, 'dropped.invalid to count the bad type');

  await flushUntilDrained(browser);
  let items = [];
  try {
    await waitFor(async () => (items = await unique(mock, 'feedback')).length >= 4, { timeout: 30_000, message: 'four feedback items' });
  } catch (err) {
    assert.fail(`${err.message}; arrived ${JSON.stringify(items)}${await context()}`);
  }
  await sleep(500);
  items = await unique(mock, 'feedback');
  assert.equal(items.length, 4, `four valid feedbacks, the fifth dropped: ${JSON.stringify(items)}`);
  assert.equal((stats.dropped.invalid ?? 0) - invalidBefore, 1, `one invalid drop: ${JSON.stringify(stats.dropped)}`);
  assert.deepEqual(items.filter((it) => it.kind === 'complaint'), [], 'the bad type never arrives');

  const byKind = Object.fromEntries(items.map((it) => [it.kind, it]));
  for (const it of items) {
    assert.equal(it.type, 'feedback', `the item's own type is "feedback": ${JSON.stringify(it)}`);
    assert.equal(typeof it.id, 'string');
    assert.ok(Number.isInteger(it.ts) && it.ts > 1.6e12, `ts is epoch ms: ${it.ts}`);
  }

  const bug = byKind.bug;
  assert.ok(bug, `the bug report arrived: ${JSON.stringify(items)}`);
  assert.equal(bug.rating, 4);
  assert.ok(!bug.message.includes('alice@example.com'), `email scrubbed: ${bug.message}`);
  assert.ok(!bug.message.includes('4111'), `card number scrubbed: ${bug.message}`);
  assert.match(bug.message, /\[email\]/);
  assert.match(bug.message, /\[creditcard\]/);
  assert.match(bug.message, /^Sync broke again\. Mail me at /, 'the rest of the message is kept');
  assert.equal(bug.contact, 'alice@example.com', 'contact is kept as given (not scrubbed)');

  const idea = byKind.idea;
  assert.ok(idea, 'the idea arrived');
  assert.equal(idea.message, 'A dark theme, please');
  assert.ok(!('contact' in idea), `no contact given, none sent: ${JSON.stringify(idea)}`);
  assert.ok(!('rating' in idea), `no rating given, none sent: ${JSON.stringify(idea)}`);

  assert.ok(byKind.praise, 'the praise arrived');
  assert.ok(!('rating' in byKind.praise), `rating 9 (out of 1-5) is omitted: ${JSON.stringify(byKind.praise)}`);

  const other = byKind.other;
  assert.ok(other, 'the long feedback arrived');
  assert.ok(!('rating' in other), `rating 2.5 (not an integer) is omitted: rating ${other.rating}`);
  assert.ok(other.message.length <= 4000, `message capped at 4,000 characters: ${other.message.length}`);
  assert.ok(other.message.length >= 3900, `message cut near 4,000, not shortened further: ${other.message.length}`);
  assert.ok(LONG.startsWith(other.message.replace(/…$/, '').slice(0, 3800)), 'the capped message is the start of the original');
});

// The hook records what it saw in the worker (self.__seen) and acts by name.
const HOOKED = (url) => `export const options = {
  ...${JSON.stringify({ endpoint: url, ...OPTIONS })},
  beforeSend(item) {
    (self.__seen ||= []).push(JSON.parse(JSON.stringify(item)));
    if (item.type === 'event' && item.name === 'drop_me') return null;
    if (item.type === 'event' && item.name === 'throw_me') throw new Error('a bug in the hook');
    if (item.type === 'event' && item.name === 'edit_me') {
      return { ...item, props: { ...item.props, edited: true, note: 'reach me at carol@example.com', token: 'abc123' } };
    }
    if (item.type === 'feedback') return { ...item, message: item.message + ' (via hook: dave@example.com)' };
    return item;
  },
};`;

test('beforeSend sees every item type as sent; its edits are scrubbed again, null drops and is counted, a throw keeps the item and counts hook_error', { timeout: 150_000 }, async (t) => {
  const env = await setupWithConfigSource(HOOKED);
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  await sdkStatus(browser);

  await browser.evaluate(() => {
    const tel = self.telemetry;
    tel.track('keep_me', { i: 1 });
    tel.track('edit_me', { i: 2 });
    tel.track('drop_me', { i: 3 });
    tel.track('throw_me', { i: 4 });
    tel.captureError(new Error('an error through the hook'));
    tel.feedback({ type: 'idea', message: 'hello' });
    tel.startTimer('hooked_timer').stop();
  });
  await flushUntilDrained(browser);
  const want = async () => {
    const ev = await unique(mock, 'events');
    return ['keep_me', 'edit_me', 'throw_me'].every((n) => ev.some((e) => e.name === n))
      && (await unique(mock, 'errors')).length >= 1
      && (await unique(mock, 'feedback')).length >= 1
      && (await unique(mock, 'performance')).some((it) => it.name === 'hooked_timer');
  };
  try {
    await waitFor(want, { timeout: 30_000, message: 'keep_me, edit_me, throw_me, the error, the feedback and the timing to arrive' });
  } catch (err) {
    assert.fail(`${err.message}${await context()}`);
  }
  // One more batch after the drop, so "the next batch" has certainly gone out.
  await browser.evaluate(() => self.telemetry.track('after_drop'));
  await flushUntilDrained(browser);
  await waitFor(async () => (await unique(mock, 'events')).some((e) => e.name === 'after_drop'), { timeout: 30_000, message: 'after_drop to arrive' });
  await sleep(500);

  const events = await unique(mock, 'events');
  const byName = (n) => events.filter((e) => e.name === n);
  assert.deepEqual(byName('drop_me'), [], 'the dropped event never arrives');
  assert.deepEqual(byName('keep_me').map((e) => e.props), [{ i: 1 }], 'an item returned as is arrives as is');
  assert.deepEqual(byName('throw_me').map((e) => e.props), [{ i: 4 }], 'a throwing hook keeps the item unchanged');
  const edited = byName('edit_me');
  assert.equal(edited.length, 1);
  assert.equal(edited[0].props.i, 2);
  assert.equal(edited[0].props.edited, true, `the edit is honoured: ${JSON.stringify(edited[0].props)}`);
  assert.equal(edited[0].props.note, 'reach me at [email]', `an edited item is scrubbed again: ${JSON.stringify(edited[0].props)}`);
  assert.equal(edited[0].props.token, '[Filtered]', `a denied key added by the hook is filtered: ${JSON.stringify(edited[0].props)}`);

  const feedback = await unique(mock, 'feedback');
  assert.equal(feedback[0].message, 'hello (via hook: [email])', 'feedback edits are scrubbed too');

  const stats = await browser.evaluate(() => self.telemetry.stats());
  assert.equal(stats.dropped.before_send, 1, `stats().dropped.before_send: ${JSON.stringify(stats.dropped)}`);
  assert.equal(stats.dropped.hook_error, 1, `stats().dropped.hook_error, once per throw: ${JSON.stringify(stats.dropped)}`);
  const reported = await droppedReported(mock, 'before_send');
  assert.equal(reported, 1, `batches report the before_send drop once in dropped.before_send (sum over batches ${reported})${await context()}`);

  const seen = await browser.evaluate(() => self.__seen || []);
  const types = new Set(seen.map((it) => it.type));
  for (const type of ['event', 'error', 'timing', 'feedback']) assert.ok(types.has(type), `beforeSend saw a ${type} item; saw ${JSON.stringify([...types])}`);
  const keepSeen = seen.find((it) => it.type === 'event' && it.name === 'keep_me');
  assert.deepEqual(Object.keys(keepSeen).sort(), ['id', 'name', 'props', 'ts', 'type'], `the event as it will be sent: ${JSON.stringify(keepSeen)}`);
  assert.equal(keepSeen.id, byName('keep_me')[0].id, 'the hook saw the very item that was sent (same id)');
  const feedbackSeen = seen.find((it) => it.type === 'feedback');
  assert.equal(feedbackSeen.kind, 'idea', `feedback seen by the hook: ${JSON.stringify(feedbackSeen)}`);
});

test('sampleRate 0 drops every usage event, counted as sampled, but never errors, feedback, timings or lifecycle events', { timeout: 150_000 }, async (t) => {
  const env = await setup({ ...OPTIONS, sampleRate: 0 });
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  await sdkStatus(browser);

  const sampledBefore = await browser.evaluate(() => {
    const tel = self.telemetry;
    const before = tel.stats().dropped.sampled ?? 0;
    for (let i = 0; i < 20; i++) tel.track('sampled_out', { i });
    tel.captureError(new Error('errors are never sampled'));
    tel.feedback({ type: 'bug', message: 'feedback is never sampled' });
    tel.startTimer('timings_are_never_sampled').stop();
    return before;
  });
  const stats = await waitForWorkerStats(browser, (s) => (s.dropped.sampled ?? 0) - sampledBefore >= 20, 'dropped.sampled to count 20');
  assert.equal((stats.dropped.sampled ?? 0) - sampledBefore, 20, `stats().dropped.sampled: ${JSON.stringify(stats.dropped)}`);

  await flushUntilDrained(browser);
  try {
    await waitFor(async () =>
      (await unique(mock, 'errors')).some((e) => e.message === 'errors are never sampled')
      && (await unique(mock, 'feedback')).some((f) => f.message === 'feedback is never sampled')
      && (await unique(mock, 'performance')).some((p) => p.name === 'timings_are_never_sampled')
      && (await unique(mock, 'events')).some((e) => e.name === 'extension_installed'),
    { timeout: 30_000, message: 'the error, the feedback, the timing and extension_installed to arrive' });
  } catch (err) {
    assert.fail(`${err.message}; event names: ${JSON.stringify((await unique(mock, 'events')).map((e) => e.name))}${await context()}`);
  }
  await browser.evaluate(() => self.telemetry.captureError(new Error('one more batch')));
  await flushUntilDrained(browser);
  await sleep(1000);
  assert.deepEqual((await unique(mock, 'events')).filter((e) => e.name === 'sampled_out'), [], 'no sampled-out event arrives');
  const reported = await droppedReported(mock, 'sampled');
  assert.equal(reported, 20, `batches report the 20 sampled drops in dropped.sampled (sum over batches ${reported})${await context()}`);
});
