// js/normalize.js: whatever a caller passes, the result is JSON text (or
// undefined) and nothing throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeToJson, coerceName, describeThrown, mergeProps, MAX_TEXT_CHARS } from '../../js/normalize.js';

function hostileValues() {
  const cyclic = { name: 'loop' };
  cyclic.self = cyclic;
  cyclic.list = [cyclic, { back: cyclic }];
  const getterThrows = {};
  Object.defineProperty(getterThrows, 'boom', { enumerable: true, get() { throw new Error('no'); } });
  let deep = {};
  const root = deep;
  for (let i = 0; i < 10_000; i++) deep = deep.next = {};
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  return {
    cyclic,
    getterThrows,
    deep: root,
    wide: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])),
    huge: new Array(1e6).fill('x'),
    bigint: { n: 10n },
    bareBigint: 10n,
    symbolsAndFunctions: { s: Symbol('x'), f() {}, [Symbol('key')]: 1 },
    nonFinite: { a: NaN, b: Infinity, c: -Infinity },
    dates: { ok: new Date(0), bad: new Date('nope') },
    error: { e: new RangeError('r') },
    collections: { m: new Map([['a', 1]]), s: new Set([1, 2]) },
    typed: new Uint8Array([1, 2, 3]),
    nullProto: Object.assign(Object.create(null), { a: 1 }),
    toJsonThrows: { toJSON() { throw new Error('toJSON'); } },
    proxyOwnKeysThrows: new Proxy({}, { ownKeys() { throw new Error('ownKeys'); } }),
    proxyGetThrows: new Proxy({ a: 1 }, { get() { throw new Error('get'); } }),
    revokedProxy: revoked.proxy,
    fn: () => {},
    sym: Symbol('alone'),
  };
}

test('normalizeToJson returns JSON text or undefined for every hostile value, and never throws', () => {
  for (const [label, value] of Object.entries(hostileValues())) {
    let json;
    assert.doesNotThrow(() => { json = normalizeToJson(value); }, label);
    if (json !== undefined) {
      assert.equal(typeof json, 'string', label);
      assert.doesNotThrow(() => JSON.parse(json), `${label}: ${json.slice(0, 80)}`);
      assert.ok(json.length < 200_000, `${label} is bounded (${json.length} characters)`);
    }
  }
});

test('normalizeToJson keeps what can be kept and marks what cannot', () => {
  const values = hostileValues();
  const parse = (v) => JSON.parse(normalizeToJson(v));
  assert.equal(parse(values.cyclic).self, '[Circular]');
  assert.deepEqual(parse(values.getterThrows), { boom: '[unreadable]' });
  assert.deepEqual(parse(values.bigint), { n: '10n' });
  assert.deepEqual(parse(values.symbolsAndFunctions), {});
  assert.deepEqual(parse(values.nonFinite), { a: 'NaN', b: 'Infinity', c: '-Infinity' });
  assert.deepEqual(parse(values.dates), { ok: '1970-01-01T00:00:00.000Z', bad: 'Invalid Date' });
  assert.deepEqual(parse(values.error), { e: { name: 'RangeError', message: 'r' } });
  assert.deepEqual(parse(values.collections), { m: { a: 1 }, s: [1, 2] });
  assert.deepEqual(parse(values.typed), [1, 2, 3]);
  assert.deepEqual(parse(values.nullProto), { a: 1 });
  assert.match(normalizeToJson(values.deep), /\[depth limit\]/);
  assert.equal(normalizeToJson(undefined), undefined);
  assert.equal(normalizeToJson(null), undefined);
  assert.equal(normalizeToJson({ a: 'b', n: 1, t: true, z: null }), '{"a":"b","n":1,"t":true,"z":null}');
});

test('flat props with arrays of primitives take the quick path and give the text the careful walk gives', () => {
  assert.equal(normalizeToJson({ tags: ['a', 'b'], n: [1, 2.5], mixed: [true, null, 'x'], empty: [] }),
    '{"tags":["a","b"],"n":[1,2.5],"mixed":[true,null,"x"],"empty":[]}');
  // What the quick path must not take: the walk's own marks show it ran.
  assert.equal(normalizeToJson({ bad: [1, NaN] }), '{"bad":[1,"NaN"]}');
  assert.equal(normalizeToJson({ holes: [1, , 3] }), '{"holes":[1,null,3]}'); // eslint-disable-line no-sparse-arrays
  assert.equal(normalizeToJson({ nested: [[1]] }), '{"nested":[[1]]}');
  const long = JSON.parse(normalizeToJson({ list: ['x'.repeat(MAX_TEXT_CHARS + 50)] }));
  assert.equal(long.list[0].length, MAX_TEXT_CHARS + 1, 'a long string in an array is still cut');
  const many = JSON.parse(normalizeToJson({ list: Array.from({ length: 5000 }, (_, i) => i) }));
  assert.ok((many.list?.length ?? 0) <= 1000, 'bounded by the walk, not copied whole');
  const getter = [1];
  Object.defineProperty(getter, 0, { get() { throw new Error('read'); } });
  assert.doesNotThrow(() => normalizeToJson({ getter }));
});

test('coerceName turns primitives into text and anything else into the empty name the core counts as invalid', () => {
  assert.equal(coerceName('x'), 'x');
  assert.equal(coerceName(42), '42');
  assert.equal(coerceName(false), 'false');
  assert.equal(coerceName(7n), '7');
  for (const bad of [undefined, null, {}, [], Symbol('s'), () => {}]) assert.equal(coerceName(bad), '');
});

test('describeThrown takes any thrown value apart without throwing', () => {
  assert.deepEqual(describeThrown('plain'), { kind: 'Error', message: 'plain' });
  assert.deepEqual(describeThrown(undefined), { kind: 'undefined', message: 'undefined' });
  assert.equal(describeThrown(new TypeError('t')).kind, 'TypeError');
  assert.deepEqual(describeThrown({ message: 'lastError' }), { kind: 'Error', message: 'lastError', stack: undefined });
  assert.equal(describeThrown({ code: 1 }).kind, 'Object');
  const hostile = new Proxy({}, { get() { throw new Error('get'); }, getPrototypeOf() { throw new Error('proto'); } });
  assert.deepEqual(describeThrown(hostile), { kind: 'Error', message: '[unreadable thrown value]' });
  assert.equal(describeThrown(Symbol('s')).kind, 'symbol');
  assert.ok(describeThrown({ long: 'x'.repeat(10_000) }).message.length <= 501);
});

test('a 10 MB string is cut before it reaches the core, in props, names, thrown values and at the top', () => {
  const huge = 'x'.repeat(10 * 1024 * 1024);
  const started = performance.now();
  const json = normalizeToJson({ huge, nested: { huge } });
  const top = normalizeToJson(huge);
  const name = coerceName(huge);
  const thrown = describeThrown(huge);
  const error = describeThrown(Object.assign(new Error(huge), { stack: huge }));
  const ms = performance.now() - started;
  assert.ok(ms < 50, `${ms.toFixed(1)} ms`);
  assert.ok(json.length < 3 * (MAX_TEXT_CHARS + 100), `${json.length} chars`);
  assert.equal(JSON.parse(top).length, MAX_TEXT_CHARS + 1, 'one char over: the core still counts a truncation');
  assert.equal(name.length, MAX_TEXT_CHARS + 1);
  assert.equal(thrown.message.length, MAX_TEXT_CHARS + 1);
  assert.equal(error.message.length, MAX_TEXT_CHARS + 1);
  assert.equal(error.stack.length, MAX_TEXT_CHARS + 1);
});

test('mergeProps keeps a bounded number of keys and never throws on a Proxy whose every trap throws', () => {
  const many = {};
  for (let i = 0; i < 100_000; i++) many[`k${i}`] = i;
  const trap = () => { throw new Error('trap'); };
  const hostile = new Proxy({}, { get: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap, has: trap });
  const started = performance.now();
  const merged = mergeProps(many, { ok: true });
  // Listing 100,000 keys is itself O(n) (about 70 ms on a loaded 2-core
  // machine); what is bounded is everything after it.
  assert.ok(performance.now() - started < 500);
  assert.equal(Object.keys(merged).length, 1001);
  assert.equal(merged.ok, true);
  assert.deepEqual(mergeProps(hostile, { a: 1 }), { a: 1 });
  assert.deepEqual(mergeProps({ a: 1 }, hostile), { a: 1 });
});
