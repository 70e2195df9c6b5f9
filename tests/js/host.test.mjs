// js/host.js: the effects the core decides, carried out and reported back
// through a recording stand-in for the core's Callbacks; fetch and the storage
// area are plain stand-ins too.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHost } from '../../js/host.js';
import { createMemoryStorage } from '../../js/memory-storage.js';
import { gate, nextTask } from './fake-core.mjs';

const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Callbacks that log every report; `sized` answers `mode`. */
function callbacks(mode = 2) {
  const reports = [];
  const back = {
    reports,
    fired: (kind) => reports.push(['fired', kind]),
    readDone: (id, items) => reports.push(['readDone', id, items]),
    written: (ok, removed) => reports.push(['written', ok, removed]),
    sized: (id, size) => { reports.push(['sized', id, size]); return mode; },
    answered: (id, kept, answer) => reports.push(['answered', id, kept, answer]),
  };
  return back;
}

/** A host bound to fresh callbacks. */
function hostWith(area, mode, timeoutMs) {
  const host = createHost(area, false, timeoutMs);
  const back = callbacks(mode);
  host.bind(back);
  return { host, reports: back.reports };
}

test('a timer fires once with its kind, re-arming replaces it and a negative delay clears it', async () => {
  const { host, reports } = hostWith(undefined);
  host.arm(0, 30);
  host.arm(0, 5);
  host.arm(1, 5);
  host.arm(1, -1);
  await sleep(60);
  assert.deepEqual(reports, [['fired', 0]]);
});

test('a read reports what the area found, an empty object without an area, and null when it failed', async () => {
  const area = createMemoryStorage();
  await area.set({ a: 'x' });
  const found = hostWith(area);
  found.host.read(7, ['a', 'b']);
  const none = hostWith(undefined);
  none.host.read(8, ['a']);
  const broken = hostWith({ get: async () => { throw new Error('gone'); } });
  broken.host.read(9, ['a']);
  await nextTask();
  assert.deepEqual(found.reports, [['readDone', 7, { a: 'x' }]]);
  assert.deepEqual(none.reports, [['readDone', 8, {}]]);
  assert.deepEqual(broken.reports, [['readDone', 9, null]]);
});

test('a write reports whether its set and its remove landed', async () => {
  const area = createMemoryStorage();
  await area.set({ old: '1' });
  const { host, reports } = hostWith(area);
  host.write(['k', 'v'], ['old']);
  await nextTask();
  assert.deepEqual(reports, [['written', true, true]]);
  assert.deepEqual(await area.get(null), { k: 'v' });
});

test('a write whose storage call never settles counts as refused after the timeout', async () => {
  const never = gate();
  const { host, reports } = hostWith({ set: () => never.promise, get: async () => ({}), remove: async () => {} }, 2, 20);
  host.write(['k', 'v'], []);
  await sleep(5);
  assert.deepEqual(reports, [], 'not before the timeout');
  await sleep(40);
  assert.deepEqual(reports, [['written', false, false]]);
});

test('a request asks the core with its size, then posts with keepalive as answered and reports the budget held', async () => {
  const seen = [];
  globalThis.fetch = async (url, init) => {
    seen.push({ url, init });
    return new Response(null, { status: 204, headers: { 'Retry-After': '3' } });
  };
  const keep = hostWith(undefined, 1);
  // The text is 'é' (2 UTF-8 bytes, 1 UTF-16 unit): the size is the core's count.
  await keep.host.send(4, 'https://c.example/v1/events', '"é"', 4, false, 'application/json', ['X-Batch-Id', 'b'], false, 25_000);
  assert.deepEqual(keep.reports, [['sized', 4, 4], ['answered', 4, 4, [204, '3', undefined, undefined]]]);
  assert.equal(seen[0].init.keepalive, true);
  assert.equal(seen[0].init.headers['X-Batch-Id'], 'b');
  const plain = hostWith(undefined, 2);
  await plain.host.send(5, 'https://c.example/v1/events', '{}', 2, true, 'application/json', [], false, 25_000);
  const [, , zipped] = plain.reports[0];
  assert.equal(zipped, seen[1].init.body.length, 'gzip bytes are sized as sent');
  assert.equal(seen[1].init.keepalive, false);
  assert.deepEqual(plain.reports[1], ['answered', 5, 0, [204, '3', undefined, undefined]]);
});

test('a request the core gives up after compression is never posted', async () => {
  let posted = 0;
  globalThis.fetch = async () => { posted++; return new Response(null, { status: 204 }); };
  const { host, reports } = hostWith(undefined, 0);
  await host.send(6, 'https://c.example/v1/events', '{}', 2, false, 'application/json', [], false, 25_000);
  assert.equal(posted, 0);
  assert.deepEqual(reports, [['sized', 6, 2]]);
});

test('no answer is reported as null', async () => {
  globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
  const { host, reports } = hostWith(undefined, 2);
  await host.send(1, 'https://c.example/v1/events', '{}', 2, false, 'application/json', [], false, 25_000);
  assert.deepEqual(reports[1], ['answered', 1, 0, null]);
});

test('the alarm is created for its time and cleared by a negative one; a refusal or no chrome.alarms is silent', async () => {
  const calls = [];
  globalThis.chrome = { alarms: {
    create: async (name, info) => { calls.push(['create', name, info]); throw new Error('refused'); },
    clear: async (name) => { calls.push(['clear', name]); },
  } };
  try {
    const { host } = hostWith(undefined);
    host.alarm(1_000);
    host.alarm(-1);
    delete globalThis.chrome;
    host.alarm(2_000);
    await nextTask();
  } finally {
    delete globalThis.chrome;
  }
  assert.deepEqual(calls, [['create', 'mv3-telemetry.wake', { when: 1_000 }], ['clear', 'mv3-telemetry.wake']]);
});
