// js/options.js: every numeric option is checked against OPTION_LIMITS (the
// table generated from src/core/policy.rs), errors are TypeErrors naming the
// field, and the core is handed every default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateOptions, checkOptions, coreOptions, coreOptionsText } from '../../js/options.js';
import { DEFAULTS, DESTINATION_TYPES, OPTION_LIMITS } from '../../js/constants.js';

const ENDPOINT = 'https://collector.example.com';

/** Options with `path` (dotted for sections) set to `value`. */
function withValue(path, value) {
  const [head, key] = path.split('.');
  if (key === undefined) return { endpoint: ENDPOINT, [head]: value };
  // retry.baseDelayMs must not exceed retry.maxDelayMs: keep that rule out of the way.
  const section = head === 'retry' && key !== 'baseDelayMs' ? { baseDelayMs: 0 } : {};
  return { endpoint: ENDPOINT, [head]: { ...section, [key]: value } };
}

function thrown(options, check = validateOptions) {
  try {
    check(options);
  } catch (error) {
    return error;
  }
  return null;
}

/** What checkOptions throws: the destination rules, without the refusal of this build. */
const checked = (options) => thrown(options, checkOptions);

function assertRejects(options, field, pattern, check = validateOptions) {
  const error = thrown(options, check);
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
    appName: '',
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

const DSN = 'https://abc123@o1.ingest.sentry.io/4505';

test('one destination is enough: endpoint becomes optional once sentry, otlp or posthog is set', () => {
  for (const options of [{ sentry: { dsn: DSN } }, { otlp: { endpoint: 'http://127.0.0.1:4318' } }, { posthog: { apiKey: 'phc_x' } }]) {
    assert.equal(checked(options), null, JSON.stringify(options));
  }
  assertRejects({}, 'endpoint', undefined, checkOptions);
  assertRejects({ endpoint: 'http://collector.example.com', sentry: { dsn: DSN } }, 'endpoint', undefined, checkOptions);
});

test('init accepts a valid destination with or without endpoint, and hands it to the core with its defaults', () => {
  for (const options of [{ sentry: { dsn: DSN } }, { endpoint: ENDPOINT, otlp: { endpoint: 'https://otel.example.com' } }, { endpoint: ENDPOINT, posthog: { apiKey: 'phc_x' } }]) {
    assert.doesNotThrow(() => validateOptions(options), JSON.stringify(options));
  }
  const core = coreOptions({ sentry: { dsn: DSN }, posthog: { apiKey: 'phc_x' } });
  assert.equal(core.endpoint, undefined);
  assert.deepEqual(core.sentry, { dsn: DSN, types: ['error', 'feedback'] });
  assert.deepEqual(core.posthog.types, ['event', 'error']);
  // An invalid one still gets its own message.
  assertRejects({ sentry: { dsn: 'https://o1.ingest.sentry.io/1' } }, 'sentry.dsn', /needs a public key/);
});

test('an invalid destination throws a TypeError naming its field', () => {
  const cases = [
    [{ sentry: { dsn: 'https://o1.ingest.sentry.io/4505' } }, 'sentry.dsn', /needs a public key/],
    [{ sentry: { dsn: 'https://abc@o1.ingest.sentry.io/' } }, 'sentry.dsn', /needs a project id/],
    [{ sentry: { dsn: 'http://abc@o1.ingest.sentry.io/1' } }, 'sentry.dsn', /https:/],
    [{ sentry: {} }, 'sentry.dsn', /is required/],
    [{ sentry: 'dsn' }, 'sentry', /must be an object/],
    [{ sentry: { dsn: DSN, types: ['event'] } }, 'sentry.types', /sentry cannot carry/],
    [{ sentry: { dsn: DSN, types: [] } }, 'sentry.types'],
    [{ sentry: { dsn: DSN, release: 'x' } }, 'sentry.release', /not a known option/],
    [{ otlp: { endpoint: 'https://otel.example.com/v1/logs' } }, 'otlp.endpoint', /base URL/],
    [{ otlp: { endpoint: 'http://otel.example.com' } }, 'otlp.endpoint', /https:/],
    [{ otlp: { endpoint: 'https://otel.example.com', headers: { 'x-api-key': 1 } } }, 'otlp.headers'],
    [{ otlp: { endpoint: 'https://otel.example.com', types: ['metric'] } }, 'otlp.types'],
    [{ posthog: {} }, 'posthog.apiKey', /is required/],
    [{ posthog: { apiKey: 'phc_x', host: 'http://eu.i.posthog.com' } }, 'posthog.host'],
    [{ posthog: { apiKey: 'phc_x', types: ['timing'] } }, 'posthog.types', /posthog cannot carry/],
    [{ posthog: { apiKey: 'phc_x', types: ['feedback'] } }, 'posthog.types'],
  ];
  for (const [options, field, pattern] of cases) assertRejects(options, field, pattern, checkOptions);
});

test('the core is handed each destination with its default types and host', () => {
  const options = coreOptions({
    sentry: { dsn: DSN },
    otlp: { endpoint: 'https://otel.example.com', headers: { 'x-api-key': 'k' }, types: ['timing'] },
    posthog: { apiKey: 'phc_x' },
  });
  assert.equal(options.endpoint, undefined, 'no v1 collector');
  assert.deepEqual(options.sentry, { dsn: DSN, types: ['error', 'feedback'] });
  assert.deepEqual(options.otlp, { endpoint: 'https://otel.example.com', headers: { 'x-api-key': 'k' }, types: ['timing'] });
  assert.deepEqual(options.posthog, { apiKey: 'phc_x', host: 'https://us.i.posthog.com', types: ['event', 'error'] });
  assert.deepEqual(DESTINATION_TYPES.otlp, ['event', 'error', 'timing', 'feedback']);
  assert.equal(coreOptions({ endpoint: ENDPOINT }).sentry, undefined, 'absent destinations stay absent');
});

test('the core is handed its options as one JSON text, with an infinite slowThresholdMs as the largest finite number', () => {
  const text = coreOptionsText({ endpoint: ENDPOINT, slowThresholdMs: Infinity, sampleRate: 0.5 });
  assert.equal(typeof text, 'string');
  const parsed = JSON.parse(text);
  assert.equal(parsed.slowThresholdMs, Number.MAX_VALUE);
  assert.equal(parsed.sampleRate, 0.5);
  assert.deepEqual({ ...parsed, slowThresholdMs: Infinity }, coreOptions({ endpoint: ENDPOINT, slowThresholdMs: Infinity, sampleRate: 0.5 }));
});
