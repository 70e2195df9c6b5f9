// js/constants.js is generated from the Rust (tests/constants.rs checks that);
// these tests check that the rest of js/ uses it instead of keeping copies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALARM_NAME, PANIC_KEY, DROP_REASONS, DROP_REASON_INDEX, OPTION_LIMITS, DEFAULTS } from '../../js/constants.js';

const JS_DIR = new URL('../../js/', import.meta.url).pathname;
const SOURCES = readdirSync(JS_DIR).filter((f) => f.endsWith('.js') && f !== 'constants.js');

test('no module of js/ other than constants.js spells a shared name as a string', () => {
  const shared = [ALARM_NAME, PANIC_KEY, ...DROP_REASONS];
  for (const file of SOURCES) {
    const text = readFileSync(join(JS_DIR, file), 'utf8');
    for (const name of shared) {
      for (const quote of ["'", '"']) { // backticks are left to comments
        assert.ok(!text.includes(`${quote}${name}${quote}`), `${file} spells ${quote}${name}${quote}: import it from constants.js`);
      }
    }
  }
});

test('the drop reason index agrees with the wire order', () => {
  assert.deepEqual(Object.keys(DROP_REASON_INDEX), [...DROP_REASONS]);
  for (const [i, reason] of DROP_REASONS.entries()) assert.equal(DROP_REASON_INDEX[reason], i);
});

test('DEFAULTS holds the default of every limit, nested as the options are', () => {
  for (const { path, default: fallback } of OPTION_LIMITS) {
    const [head, key] = path.split('.');
    assert.equal(key === undefined ? DEFAULTS[head] : DEFAULTS[head][key], fallback, path);
  }
});
