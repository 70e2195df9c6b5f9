// js/store.js: the storage calls the core decides, against a memory storage
// area and one that refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { read, write } from '../../js/store.js';
import { createMemoryStorage } from '../../js/memory-storage.js';
import { capturingWarnings } from './fake-core.mjs';

const refusing = (what) => ({
  get: async () => { throw what; },
  set: async () => { throw what; },
  remove: async () => { throw what; },
});

test('a write sets every pair in one call, then removes, and says both landed', async () => {
  const area = createMemoryStorage();
  area.data.set('old', 'x');
  const calls = [];
  const set = area.set.bind(area);
  area.set = (items) => { calls.push(items); return set(items); };
  assert.deepEqual(await write(area, ['a', '1', 'b', '2'], ['old'], false), [true, true]);
  assert.deepEqual(calls, [{ a: '1', b: '2' }], 'one set, one transaction');
  assert.deepEqual(await read(area, ['a', 'b', 'old'], false), { a: '1', b: '2' });
  assert.deepEqual(await write(area, [], [], false), [true, true], 'nothing to do lands at once');
});

test('a refused set removes nothing; a refused remove keeps the set; debug mode says which, with a string reason only', async () => {
  const full = refusing('QUOTA_BYTES quota exceeded');
  const warnings = await capturingWarnings(async () => {
    assert.deepEqual(await write(full, ['a', '1'], ['old'], true), [false, false]);
    assert.deepEqual(await write({ ...createMemoryStorage(), remove: async () => { throw new Error('busy'); } }, [], ['old'], true), [true, false]);
    assert.equal(await read(full, ['a'], true), null);
  });
  assert.deepEqual(warnings, [
    'mv3-telemetry: could not persist state: QUOTA_BYTES quota exceeded',
    'mv3-telemetry: could not remove old state',
    'mv3-telemetry: could not read queued items: QUOTA_BYTES quota exceeded',
  ]);
  const quiet = await capturingWarnings(() => write(full, ['a', '1'], [], false));
  assert.deepEqual(quiet, [], 'silent outside debug mode');
});
