// js/options.js: every numeric option is checked against OPTION_LIMITS (the
// table generated from src/core/policy.rs), errors are TypeErrors naming the
// field, and the core is handed every default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateOptions, coreOptions } from '../../js/options.js';
import { DEFAULTS, OPTION_LIMITS } from '../../js/constants.js';

const ENDPOINT = 'https://collector.example.com';

/** Options with `path` (dotted for sections) set to `value`. */
function withValue(path, value) {
  const [head, key] = path.split('.');
  if (key === undefined) return { endpoint: ENDPOINT, [head]: value };
  // retry.baseDelayMs must not exceed retry.maxDelayMs: keep that rule out of the way.
  const section = head === 'retry' && key !== 'baseDelayMs' ? { baseDelayMs: 0 } : {};
  return { endpoint: ENDPOINT, [head]: { ...section, [key]: value } };
}

function thrown(options) {
  try {
    validateOptions(options);
  } catch (error) {
    return error;
  }
  return null;
}

function assertRejects(options, field, pattern) {
  const error = thrown(options);
  assert.ok(error instanceof TypeError, `${JSON.stringify(options)} throws a TypeError (got ${error})`);
  assert.ok(error.message.includes(`\`${field}\``), `the message names \`${field}\`: ${error.message}`);
  if (pattern) assert.match(error.message, pattern);
}

test('every limit in OPTION_LIMITS accepts its bounds and its default, and rejects what lies outside, naming the field and the range', () => {
  for (const { path, min, max, integer, default: fallback } of OPTION_LIMITS) {
    for (const ok of [min, fallback, ...(Number.isFinite(max) ? [max] : [])]) {
      assert.equal(thrown(withValue(path, ok)), null, `${path} = ${ok} is accepted`);
    }
    const range = Number.isFinite(max) ? `from ${min} to ${max}` : `>= ${min}`;
    const kind = integer ? 'an integer' : 'a number';
    const message = new RegExp(`must be ${kind} ${range.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(got `);
    const bad = [min - 1, NaN, String(fallback), null, true];
    if (Number.isFinite(max)) bad.push(max + 1);
    if (integer) bad.push(min + 0.5);
    for (const value of bad) assertRejects(withValue(path, value), path, message);
  }
});

test('the README example message is what a bad batch.maxEvents produces', () => {
  assertRejects(withValue('batch.maxEvents', 0), 'batch.maxEvents', /^mv3-telemetry: option `batch\.maxEvents` must be an integer from 1 to 10000 \(got 0\)$/);
});

test('other invalid options throw a TypeError naming the field', () => {
  const cases = [
    [{}, 'endpoint'],
    [{ endpoint: 'http://collector.example.com' }, 'endpoint'],
    [{ endpoint: 'https://user:pw@collector.example.com' }, 'endpoint'],
    [{ endpoint: 'not a url' }, 'endpoint'],
    [{ endpoint: ENDPOINT, flushInterval: 5 }, 'flushInterval'],
    [{ endpoint: ENDPOINT, batch: { maxEvent: 5 } }, 'batch.maxEvent'],
    [{ endpoint: ENDPOINT, batch: [] }, 'batch'],
    [{ endpoint: ENDPOINT, retry: { baseDelayMs: 10, maxDelayMs: 5 } }, 'retry.baseDelayMs'],
    [{ endpoint: ENDPOINT, retry: { baseDelayMs: DEFAULTS.retry.maxDelayMs + 1 } }, 'retry.baseDelayMs'],
    [{ endpoint: ENDPOINT, defaultConsent: 'yes' }, 'defaultConsent'],
    [{ endpoint: ENDPOINT, compression: 'br' }, 'compression'],
    [{ endpoint: ENDPOINT, debug: 'true' }, 'debug'],
    [{ endpoint: ENDPOINT, scrub: { denyKeys: 'token' } }, 'scrub.denyKeys'],
    [{ endpoint: ENDPOINT, scrub: { extraPatterns: ['ACME'] } }, 'scrub.extraPatterns'],
    [{ endpoint: ENDPOINT, beforeSend: 'drop' }, 'beforeSend'],
    [{ endpoint: ENDPOINT, storage: {} }, 'storage'],
    [{ endpoint: ENDPOINT, appVersion: Symbol('v') }, 'appVersion'],
  ];
  for (const [options, field] of cases) assertRejects(options, field);
  assert.throws(() => validateOptions('https://collector.example.com'), TypeError);
  assert.match(thrown({ endpoint: ENDPOINT, defaultConsent: 'yes' }).message, /must be 'pending', 'granted' or 'denied' \(got "yes"\)/);
  assert.match(thrown({ endpoint: ENDPOINT, compression: 'br' }).message, /must be 'gzip' or 'none'/);
});

test('http: is accepted for localhost only', () => {
  for (const endpoint of ['http://localhost:8787', 'http://127.0.0.1:8787', 'http://[::1]:8787']) assert.equal(thrown({ endpoint }), null, endpoint);
});

test('the core is handed every option with the defaults of DEFAULTS filled in', () => {
  const options = coreOptions({ endpoint: ENDPOINT, appVersion: '1.2.3' });
  assert.deepEqual(options, {
    endpoint: ENDPOINT,
    appVersion: '1.2.3',
    environment: DEFAULTS.environment,
    defaultConsent: DEFAULTS.defaultConsent,
    maxQueuedItems: DEFAULTS.maxQueuedItems,
    sampleRate: DEFAULTS.sampleRate,
    slowThresholdMs: DEFAULTS.slowThresholdMs,
    maxStorageBytes: DEFAULTS.maxStorageBytes,
    batch: { ...DEFAULTS.batch },
    retry: { ...DEFAULTS.retry },
    scrub: { denyKeys: [], allowKeys: [] },
    compression: DEFAULTS.compression,
    debug: false,
    lifecycleEvents: DEFAULTS.lifecycleEvents,
    browser: options.browser,
    os: options.os,
    locale: options.locale,
  });
  for (const key of ['browser', 'os', 'locale']) assert.equal(typeof options[key], 'string');
  for (const { path } of OPTION_LIMITS) {
    const [head, key] = path.split('.');
    assert.equal(typeof (key ? options[head][key] : options[head]), 'number', `${path} is filled in`);
  }
});

test('the core is handed what the user set, and no functions, patterns or storage', () => {
  const options = coreOptions({
    endpoint: ENDPOINT, environment: 'staging', defaultConsent: 'granted', sampleRate: 0.5, maxQueuedItems: 10,
    batch: { maxBytes: 2048 }, retry: { maxAttempts: 3 }, debug: true, lifecycleEvents: false, compression: 'none',
    scrub: { denyKeys: ['ssn'], extraPatterns: [/x/] }, beforeSend: (i) => i, captureGlobalErrors: false,
  });
  assert.equal(options.environment, 'staging');
  assert.equal(options.defaultConsent, 'granted');
  assert.equal(options.sampleRate, 0.5);
  assert.equal(options.maxQueuedItems, 10);
  assert.deepEqual(options.batch, { ...DEFAULTS.batch, maxBytes: 2048 });
  assert.deepEqual(options.retry, { ...DEFAULTS.retry, maxAttempts: 3 });
  assert.deepEqual(options.scrub, { denyKeys: ['ssn'], allowKeys: [] });
  assert.equal(options.debug, true);
  assert.equal(options.lifecycleEvents, false);
  assert.equal(options.compression, 'none');
  assert.equal(JSON.stringify(JSON.parse(JSON.stringify(options))), JSON.stringify(options), 'plain data only');
});

test('maxStorageBytes defaults to 4 MiB, is handed to the core, and a bad value throws a TypeError naming it', () => {
  assert.equal(DEFAULTS.maxStorageBytes, 4 * 1024 * 1024);
  assert.equal(coreOptions({ endpoint: ENDPOINT, maxStorageBytes: 1 << 20 }).maxStorageBytes, 1 << 20);
  for (const bad of [1024, 65536.5, -1, 'big', Infinity]) {
    assert.throws(() => validateOptions({ endpoint: ENDPOINT, maxStorageBytes: bad }),
      (e) => e instanceof TypeError && e.message.includes('maxStorageBytes'), String(bad));
  }
});
