// js/causes.js: the error.cause walk, and captureError handing its result to
// the core as JSON text (the last argument).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCauses, MAX_CAUSES } from '../../js/causes.js';
import { createTelemetry } from '../../js/telemetry.js';
import { MAX_TEXT_CHARS } from '../../js/normalize.js';
import { fakeCore, loaderFor, BASE } from './fake-core.mjs';

const kinds = (causes) => causes.map((c) => `${c.kind}: ${c.message}`);

test('the chain runs from the direct cause to the root cause, with each one\'s stack', () => {
  const root = new RangeError('root');
  const middle = new TypeError('middle', { cause: root });
  const thrown = new Error('thrown', { cause: middle });
  const causes = describeCauses(thrown);
  assert.deepEqual(kinds(causes), ['TypeError: middle', 'RangeError: root']);
  assert.match(causes[0].stack, /^TypeError: middle\n    at /);
  assert.equal(describeCauses(root), undefined, 'no cause, nothing');
  assert.equal(describeCauses('a string'), undefined);
  assert.equal(describeCauses(null), undefined);
});

test('only Error-like causes are taken, at most five, and a cycle ends the walk', () => {
  assert.equal(describeCauses(new Error('x', { cause: 'a reason string' })), undefined);
  assert.equal(describeCauses(new Error('x', { cause: { code: 42 } })), undefined);
  // An Error of another realm: not instanceof Error, but a stack string.
  const foreign = { name: 'DOMException', message: 'aborted', stack: 'AbortError: aborted\n    at x (y.js:1:2)' };
  assert.deepEqual(kinds(describeCauses(new Error('x', { cause: foreign }))), ['DOMException: aborted']);

  let deep = new Error('level 0');
  for (let i = 1; i <= 8; i++) deep = new Error(`level ${i}`, { cause: deep });
  const causes = describeCauses(deep);
  assert.equal(causes.length, MAX_CAUSES);
  assert.deepEqual(kinds(causes).at(-1), 'Error: level 3');

  const a = new Error('a');
  const b = new Error('b', { cause: a });
  a.cause = b;
  assert.deepEqual(kinds(describeCauses(a)), ['Error: b'], 'a is the thrown error: not again as a cause');
  const c = new Error('c', { cause: b });
  assert.deepEqual(kinds(describeCauses(c)), ['Error: b', 'Error: a']);
  const self = new Error('self');
  self.cause = self;
  assert.equal(describeCauses(self), undefined);
});

test('hostile causes never throw: what was read before is kept', () => {
  const trap = new Proxy(new Error('trap'), { get() { throw new Error('get'); }, getPrototypeOf() { throw new Error('proto'); } });
  assert.doesNotThrow(() => describeCauses(trap));
  assert.equal(describeCauses(trap), undefined);
  const first = new Error('first');
  Object.defineProperty(first, 'cause', { get() { throw new Error('getter'); } });
  assert.deepEqual(kinds(describeCauses(new Error('x', { cause: first }))), ['Error: first']);
  const named = new Error('odd name', { cause: Object.assign(new Error('inner'), { name: Symbol('s') }) });
  assert.doesNotThrow(() => describeCauses(named));
});

test('captureError passes the chain to the core as JSON text, its last argument', async () => {
  const core = fakeCore();
  const telemetry = createTelemetry(BASE, loaderFor(core));
  await telemetry.ready;
  telemetry.captureError(new Error('save failed', { cause: new TypeError('bad header') }));
  telemetry.captureError(new Error('alone'));
  telemetry.captureError(new Error('big', { cause: new Error('y'.repeat(100_000)) }));
  const calls = core.calls.filter((c) => c.method === 'captureError');
  assert.equal(calls.length, 3);
  assert.equal(JSON.parse(calls[2].args[6])[0].message.length, MAX_TEXT_CHARS + 1, 'each text bounded like the error\'s own');
  const causes = JSON.parse(calls[0].args[6]);
  assert.deepEqual(causes.map((c) => [c.kind, c.message]), [['TypeError', 'bad header']]);
  assert.equal(typeof causes[0].stack, 'string');
  assert.equal(calls[1].args[6], undefined);
});
