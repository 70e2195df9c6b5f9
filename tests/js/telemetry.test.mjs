// js/telemetry.js against a fake core: buffering before `ready`, the start-up
// order the core relies on (start, replay, countDrops, then wake in a later
// task), record codes decoded only in debug mode, and panic containment.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createTelemetry, readStoredState } from '../../js/telemetry.js';
import { DROP_REASONS, DROP_REASON_INDEX, PANIC_KEY, RECORD_DROPPED_BASE, RECORD_NOT_CONSENTED, RECORD_NOT_READY, ALARM_NAME, RECORD_KEY, LEGACY_STATE_KEY, CONSENT_KEY, DEFAULTS } from '../../js/constants.js';
import { createMemoryStorage } from '../../js/memory-storage.js';
import { fakeCore, loaderFor, gate, nextTask, BASE, capturingWarnings } from './fake-core.mjs';

const RECORDING = new Set(['track', 'trackSystem', 'captureError', 'recordTiming', 'feedback']);

afterEach(() => { delete globalThis.chrome; });

test('calls made before ready are replayed in order once the core has started', async () => {
  const core = fakeCore();
  const loaded = gate();
  const telemetry = createTelemetry(BASE, loaderFor(core, loaded.promise));
  telemetry.track('first', { i: 1 });
  telemetry.captureError(new TypeError('second'));
  telemetry.track('third');
  telemetry.feedback({ type: 'idea', message: 'fourth' });
  telemetry.startTimer('fifth').stop();
  assert.deepEqual(core.calls, [], 'nothing reaches the core before it is loaded');
  assert.equal(telemetry.stats().buffered, 5);
  loaded.open();
  await telemetry.ready;
  const recorded = core.calls.filter((c) => RECORDING.has(c.method));
  assert.deepEqual(recorded.map((c) => c.method), ['track', 'captureError', 'track', 'feedback', 'recordTiming']);
  assert.deepEqual(recorded[0].args, ['first', '{"i":1}']);
  assert.deepEqual(recorded[1].args.slice(0, 2), ['TypeError', 'second']);
  assert.equal(recorded[2].args[0], 'third');
  assert.deepEqual(recorded[3].args, ['idea', undefined, 'fourth', undefined]);
  assert.equal(recorded[4].args[0], 'fifth');
  assert.ok(core.methods().indexOf('start') < core.methods().indexOf('track'), 'replay waits for start()');
  assert.equal(telemetry.stats().buffered, 0);
});

test('the core receives its options as one JSON text with every default filled in, and the hook, patterns and storage beside it', async () => {
  const core = fakeCore();
  const load = loaderFor(core);
  const storage = createMemoryStorage();
  const beforeSend = (item) => item;
  const patterns = [/ACME-\d+/];
  const telemetry = createTelemetry({ ...BASE, storage, beforeSend, scrub: { extraPatterns: patterns } }, load);
  await telemetry.ready;
  const [text, givenStorage, givenPatterns, givenHook] = load.args;
  // One string crossing into wasm, read by the core's JSON parser (src/core/options.rs).
  assert.equal(typeof text, 'string', 'JSON text, not an object read field by field');
  const options = JSON.parse(text);
  assert.equal(options.endpoint, BASE.endpoint);
  assert.equal(options.batch.maxEvents, DEFAULTS.batch.maxEvents);
  assert.equal(givenStorage, storage);
  assert.equal(givenPatterns, patterns);
  assert.equal(givenHook, beforeSend);
  assert.ok(!('extraPatterns' in options.scrub) && !('beforeSend' in options) && !('storage' in options));
});

/** A storage holding a record and a previous worker's panic note, whose get() calls are listed in `reads`. */
function storageWithRecordAndPanicNote() {
  const storage = createMemoryStorage();
  storage.data.set(RECORD_KEY, '{"v":2}');
  storage.data.set(PANIC_KEY, JSON.stringify({ message: 'boom', stack: '', ts: 1 }));
  const reads = [];
  const get = storage.get.bind(storage);
  storage.get = (keys) => { reads.push(keys); return get(keys); };
  return { storage, reads };
}

test('start-up reads storage once, during init, and hands the record from that read to start(), the panic note coming from the same read', async () => {
  const { storage, reads } = storageWithRecordAndPanicNote();
  const core = fakeCore();
  const loaded = gate();
  const telemetry = createTelemetry({ ...BASE, storage }, loaderFor(core, loaded.promise));
  assert.deepEqual(reads, [[RECORD_KEY, LEGACY_STATE_KEY, PANIC_KEY, CONSENT_KEY]], 'read in the first turn, before the core is loaded');
  loaded.open();
  await telemetry.ready;
  assert.equal(reads.length, 1, 'no second read for the panic note');
  const [record, legacy] = core.calls.find((c) => c.method === 'start').args;
  assert.equal(record, '{"v":2}');
  assert.equal(legacy, undefined, 'absent keys are undefined');
  assert.equal(core.calls.find((c) => c.method === 'captureError')?.args[0], 'sdk_panic');
});

test('a start-up read issued before createTelemetry (js/index.js issues it in init, before the options are checked) is the one read: start() and the panic note use it', async () => {
  const { storage, reads } = storageWithRecordAndPanicNote();
  const early = readStoredState(storage);
  // Written after the early read was issued: the record start() gets is the early read's.
  storage.data.set(RECORD_KEY, '{"v":3}');
  const core = fakeCore();
  const telemetry = createTelemetry({ ...BASE, storage }, loaderFor(core), early);
  await telemetry.ready;
  assert.deepEqual(reads, [[RECORD_KEY, LEGACY_STATE_KEY, PANIC_KEY, CONSENT_KEY]], 'no read besides the early one');
  assert.deepEqual(core.calls.find((c) => c.method === 'start').args, ['{"v":2}', undefined]);
  assert.equal(core.calls.find((c) => c.method === 'captureError')?.args[0], 'sdk_panic');
});

test('a failed start-up read is not an unhandled rejection, the record is read again for start(), and so is the panic note', async () => {
  const storage = createMemoryStorage();
  storage.data.set(RECORD_KEY, '{"v":2}');
  storage.data.set(PANIC_KEY, JSON.stringify({ message: 'boom', stack: '', ts: 1 }));
  const get = storage.get.bind(storage);
  let first = true;
  storage.get = (keys) => (first ? ((first = false), Promise.reject(new Error('storage is busy'))) : get(keys));
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const core = fakeCore();
    const telemetry = createTelemetry({ ...BASE, storage }, loaderFor(core));
    await telemetry.ready;
    await nextTask();
    assert.deepEqual(unhandled, []);
    assert.equal(core.calls.find((c) => c.method === 'captureError')?.args[0], 'sdk_panic');
    assert.deepEqual(core.calls.find((c) => c.method === 'start').args, ['{"v":2}', undefined], 'the core starts from the second read');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('calls past the pre-ready buffer are counted as queue_full in one countDrops call', async () => {
  const core = fakeCore();
  const loaded = gate();
  const telemetry = createTelemetry(BASE, loaderFor(core, loaded.promise));
  for (let i = 0; i < 1_007; i++) telemetry.track('burst', { i });
  const before = telemetry.stats();
  assert.equal(before.dropped[DROP_REASONS[DROP_REASON_INDEX.queue_full]], 7, 'stats() counts them before ready');
  assert.equal(before.buffered, 1_000);
  loaded.open();
  await telemetry.ready;
  const counted = core.calls.filter((c) => c.method === 'countDrops');
  assert.deepEqual(counted.map((c) => c.args), [[DROP_REASON_INDEX.queue_full, 7]], 'one call with the count, not one per drop');
  assert.equal(core.calls.filter((c) => c.method === 'track').length, 1_000);
  assert.ok(core.methods().lastIndexOf('track') < core.methods().indexOf('countDrops'), 'drops are counted after the replay');
});

test('countDrops is not called when nothing was dropped before ready', async () => {
  const core = fakeCore();
  const telemetry = createTelemetry(BASE, loaderFor(core));
  telemetry.track('one');
  await telemetry.ready;
  await nextTask();
  assert.ok(!core.methods().includes('countDrops'));
});

test('wake and the start-up timing come in a later task, after the code awaiting ready has run', async () => {
  const core = fakeCore();
  core.holdStart = true;
  const telemetry = createTelemetry(BASE, loaderFor(core));
  let awaited = false;
  const user = telemetry.ready.then(() => {
    awaited = true;
    assert.deepEqual(core.methods().filter((m) => m === 'wake' || m === 'recordTiming'), [], 'no wake and no start-up timing before ready resolves');
  });
  await nextTask();
  assert.deepEqual(core.methods(), ['start'], 'start() only: nothing else while state is restored');
  core.finishStart();
  await user;
  assert.ok(awaited);
  assert.ok(!core.methods().includes('wake'), 'not in the microtasks that follow ready either');
  await nextTask();
  assert.equal(core.methods().filter((m) => m === 'wake').length, 1, 'exactly one wake after ready');
  const timing = core.calls.find((c) => c.method === 'recordTiming');
  assert.equal(timing?.args[0], 'sdk.init_to_ready');
  assert.ok(typeof timing.args[1] === 'number' && timing.args[1] >= 0);
  assert.ok(core.methods().indexOf('recordTiming') < core.methods().indexOf('wake'), 'the timing is recorded before the wake that may send it');
});

test('the alarm wakes the core after start-up, and an alarm before ready is left to the start-up wake', async () => {
  const listeners = {};
  const event = (name) => ({ addListener: (fn) => { listeners[name] = fn; } });
  globalThis.chrome = { alarms: { onAlarm: event('alarm') }, runtime: { onStartup: event('startup'), onInstalled: event('installed') } };
  const core = fakeCore();
  const loaded = gate();
  const telemetry = createTelemetry({ ...BASE, lifecycleEvents: true }, loaderFor(core, loaded.promise));
  assert.ok(listeners.alarm && listeners.startup && listeners.installed, 'listeners are registered synchronously by init');
  listeners.alarm({ name: ALARM_NAME });
  listeners.startup();
  loaded.open();
  await telemetry.ready;
  assert.ok(!core.methods().includes('wake'));
  assert.deepEqual(core.calls.filter((c) => c.method === 'trackSystem').map((c) => c.args[0]), ['browser_startup']);
  await nextTask();
  assert.equal(core.methods().filter((m) => m === 'wake').length, 1, 'the pre-ready alarm and startup add no wake of their own');
  listeners.alarm({ name: 'someone-elses-alarm' });
  assert.equal(core.methods().filter((m) => m === 'wake').length, 1, "another extension alarm's name is ignored");
  listeners.alarm({ name: ALARM_NAME });
  assert.equal(core.methods().filter((m) => m === 'wake').length, 2);
});

test('record codes are decoded only in debug mode, to warn with the drop reason by name', async () => {
  const sampled = RECORD_DROPPED_BASE + DROP_REASON_INDEX.sampled;
  const invalid = RECORD_DROPPED_BASE + DROP_REASON_INDEX.invalid;
  const codes = { track: sampled, feedback: invalid, captureError: RECORD_NOT_CONSENTED, recordTiming: RECORD_NOT_READY };
  const run = async (debug) => capturingWarnings(async () => {
    const core = fakeCore({ codes });
    const telemetry = createTelemetry({ ...BASE, debug }, loaderFor(core));
    await telemetry.ready;
    telemetry.track('thinned');
    telemetry.feedback({ type: 'nope' });
    telemetry.captureError(new Error('not consented'));
    telemetry.startTimer('early').stop();
    await nextTask(); // the start-up timing, recorded in a later task
  });
  assert.deepEqual(await run(false), [], 'outside debug mode nothing is decoded or printed');
  const warnings = await run(true);
  assert.ok(warnings.some((w) => /track\("thinned"\) dropped: sampled/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /feedback dropped: invalid/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /timing\("early"\) dropped: not ready/.test(w)), warnings.join('\n'));
  assert.ok(!warnings.some((w) => /captureError/.test(w)), `no consent is not worth a warning: ${warnings.join('\n')}`);
});

test('recording calls never throw, even when the core does', async () => {
  const core = fakeCore();
  core.track = () => { throw new TypeError('the core misbehaved'); };
  const telemetry = createTelemetry(BASE, loaderFor(core));
  await telemetry.ready;
  assert.doesNotThrow(() => telemetry.track('x', { a: 1 }));
  const hostile = new Proxy({}, { ownKeys() { throw new Error('no keys'); }, getPrototypeOf() { throw new Error('no proto'); } });
  assert.doesNotThrow(() => telemetry.track(hostile, hostile));
  assert.doesNotThrow(() => telemetry.captureError(hostile, hostile));
  assert.doesNotThrow(() => telemetry.feedback(hostile));
  assert.doesNotThrow(() => telemetry.startTimer(Symbol('s'), hostile).stop(hostile));
  assert.doesNotThrow(() => telemetry.feedback({ type: 'bug', rating: 261 }));
  const rated = core.calls.filter((c) => c.method === 'feedback').at(-1);
  assert.equal(rated.args[1], undefined, 'a rating that does not fit a u8 is not passed (it would wrap)');
});

test('a panic in the core switches the SDK off for this worker and leaves a note for the next one', async () => {
  const storage = createMemoryStorage();
  const core = fakeCore({ consent: 'granted' });
  const telemetry = createTelemetry({ ...BASE, storage }, loaderFor(core));
  await telemetry.ready;
  const errors = [];
  const original = console.error;
  console.error = (...args) => errors.push(args);
  try {
    telemetry.__panicForTests();
  } finally {
    console.error = original;
  }
  assert.equal(errors.length, 1);
  await nextTask();
  assert.equal(typeof storage.data.get(PANIC_KEY), 'string', 'the note is stored under PANIC_KEY');
  const before = core.calls.length;
  telemetry.track('after');
  assert.equal(core.calls.length, before, 'the core is no longer called');
  await assert.rejects(telemetry.flush(), /failed to load/);

  const next = fakeCore({ consent: 'granted' });
  const restarted = createTelemetry({ ...BASE, storage }, loaderFor(next));
  await restarted.ready;
  const reported = next.calls.find((c) => c.method === 'captureError');
  assert.equal(reported?.args[0], 'sdk_panic');
  assert.ok(!storage.data.has(PANIC_KEY), 'the note is reported once');
});

test('stats() has the same shape before and after ready, with every drop reason', async () => {
  const core = fakeCore({ stats: { queued: 2, sent: 1, retries: 0, truncated: 0, dropped: { sampled: 3 } } });
  const loaded = gate();
  const telemetry = createTelemetry(BASE, loaderFor(core, loaded.promise));
  const before = telemetry.stats();
  assert.deepEqual(Object.keys(before.dropped), [...DROP_REASONS]);
  loaded.open();
  await telemetry.ready;
  const after = telemetry.stats();
  assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
  assert.deepEqual(Object.keys(after.dropped), [...DROP_REASONS]);
  assert.equal(after.dropped.sampled, 3);
});

test('consent, anonymous ID, setConsent and flush go through to the core', async () => {
  const core = fakeCore({ consent: 'pending' });
  const telemetry = createTelemetry({ ...BASE, defaultConsent: 'pending' }, loaderFor(core));
  assert.equal(telemetry.consentStatus(), 'pending');
  assert.equal(telemetry.anonymousId(), null);
  const granting = telemetry.setConsent(true);
  await telemetry.ready;
  await granting;
  assert.equal(telemetry.consentStatus(), 'granted');
  assert.equal(typeof telemetry.anonymousId(), 'string');
  assert.deepEqual(await telemetry.flush(), { sent: 0, pending: 0 });
  assert.ok(core.calls.some((c) => c.method === 'recordTiming' && c.args[0] === 'sdk.flush_round_trip'));
});

test('setConsent with anything but a boolean changes nothing: no consent granted by a truthy object, nothing purged by undefined', async () => {
  const core = fakeCore({ consent: 'granted' });
  const telemetry = createTelemetry(BASE, loaderFor(core));
  await telemetry.ready;
  const hostile = new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); } });
  for (const value of [undefined, null, 0, 1, 'false', 'true', {}, [], hostile, 1n, Symbol('s')]) {
    await telemetry.setConsent(value);
  }
  assert.deepEqual(core.calls.filter((c) => c.method === 'setConsent'), [], 'the core never heard of them');
  await telemetry.setConsent(false);
  assert.deepEqual(core.calls.filter((c) => c.method === 'setConsent').map((c) => c.args), [[false]]);
});

test('after an unreadable record, every chunk key is removed before the first buffered call reaches the core', async () => {
  const core = fakeCore({ needsSweep: true });
  const storage = createMemoryStorage();
  storage.data.set('mv3t.chunk.0.3', 'old');
  storage.data.set('mv3t.chunk.2.0', 'old');
  storage.data.set('their.key', 'kept');
  storage.getKeys = async () => [...storage.data.keys()];
  const order = [];
  const remove = storage.remove;
  storage.remove = async (keys) => { order.push(`remove ${keys.join(',')}`); return remove(keys); };
  const telemetry = createTelemetry({ ...BASE, storage }, loaderFor(core));
  telemetry.track('first');
  await telemetry.ready;
  const trackAt = core.calls.findIndex((c) => c.method === 'track');
  assert.ok(trackAt >= 0);
  assert.deepEqual(order, ['remove mv3t.chunk.0.3,mv3t.chunk.2.0']);
  // Besides the extension's own key, only the consent mirrored for page clients.
  assert.deepEqual([...storage.data.keys()].filter((k) => k !== 'mv3t.consent'), ['their.key']);
});

test('setConsent asks a busy core again, then persists before the wake that may send the deletion request', async () => {
  const core = fakeCore();
  const apply = core.setConsent;
  let busy = 2;
  core.setConsent = (granted) => (busy-- > 0 ? (core.calls.push({ method: 'setConsent', args: [granted] }), undefined) : apply(granted));
  const telemetry = createTelemetry({ ...BASE }, loaderFor(core));
  await telemetry.ready;
  await nextTask(); // the start-up wake
  const before = core.calls.length;
  await telemetry.setConsent(false);
  assert.deepEqual(core.calls.slice(before).map((c) => c.method), ['setConsent', 'setConsent', 'setConsent', 'persist', 'wake']);
  assert.equal(telemetry.consentStatus(), 'denied');
  const unchanged = core.calls.length;
  await telemetry.setConsent(false);
  assert.deepEqual(core.calls.slice(unchanged).map((c) => c.method), ['setConsent', 'wake'], 'no write when nothing changed');
});
