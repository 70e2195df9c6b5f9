// The options users pass to init(): checked here, in the worker's first turn,
// so a mistake throws a TypeError naming the field at the call site instead of
// surfacing later from inside the wasm core. Numeric ranges and defaults come
// from constants.js (generated from the Rust policy), so both sides agree.
import { CONSENT_STATES, DEFAULTS, DESTINATION_TYPES, OPTION_LIMITS, POSTHOG_DEFAULT_HOST } from './constants.js';

const COMPRESSION_VALUES = ['gzip', 'none'];
const STORAGE_METHODS = ['get', 'set', 'remove'];

const SECTION_KEYS = {
  batch: sectionKeys('batch'),
  retry: sectionKeys('retry'),
  scrub: ['denyKeys', 'allowKeys', 'extraPatterns'],
  sentry: ['dsn', 'types'],
  otlp: ['endpoint', 'headers', 'types'],
  posthog: ['apiKey', 'host', 'types'],
};

const KNOWN_OPTIONS = [
  'endpoint', 'appVersion', 'environment', 'defaultConsent', ...OPTION_LIMITS.map((l) => l.path).filter((p) => !p.includes('.')),
  ...Object.keys(SECTION_KEYS), ...Object.keys(DESTINATION_TYPES), 'beforeSend', 'captureGlobalErrors', 'lifecycleEvents', 'compression', 'debug', 'storage',
];

// A section's keys are the table's paths under it: a new limit needs no edit here.
function sectionKeys(section) {
  return OPTION_LIMITS.filter((l) => l.path.startsWith(`${section}.`)).map((l) => l.path.slice(section.length + 1));
}

function fail(field, message) {
  throw new TypeError(`mv3-telemetry: option \`${field}\` ${message}`);
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'symbol') return value.toString();
  return typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : String(value);
}

function valueAt(options, path) {
  const dot = path.indexOf('.');
  return dot < 0 ? options[path] : options[path.slice(0, dot)]?.[path.slice(dot + 1)];
}

function checkLimit(value, { path, min, max, integer }) {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    const range = max === Infinity ? `>= ${min}` : `from ${min} to ${max}`;
    fail(path, `must be ${kind} ${range} (got ${describe(value)})`);
  }
}

function checkBoolean(value, field) {
  if (value !== undefined && typeof value !== 'boolean') fail(field, `must be true or false (got ${describe(value)})`);
}

function checkString(value, field) {
  if (value !== undefined && typeof value !== 'string') fail(field, `must be a string (got ${describe(value)})`);
}

function checkStrings(value, field) {
  if (value !== undefined && (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))) fail(field, 'must be an array of strings');
}

function checkOneOf(value, field, allowed) {
  if (value !== undefined && !allowed.includes(value)) {
    fail(field, `must be ${allowed.map((v) => `'${v}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')} (got ${describe(value)})`);
  }
}

function checkSection(value, field) {
  if (value === undefined) return;
  if (!isPlainObject(value)) fail(field, `must be an object (got ${describe(value)})`);
  const known = SECTION_KEYS[field];
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`${field}.${key}`, `is not a known option (known: ${known.join(', ')})`);
  }
}

// `https:`, or `http:` for this machine only; no credentials. Returns the URL.
function checkUrl(value, field, example) {
  if (typeof value !== 'string' || value === '') fail(field, `is required: ${example}`);
  let url;
  try {
    url = new URL(value);
  } catch {
    fail(field, `must be an absolute URL (got ${describe(value)})`);
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    fail(field, `must use https: (http: is allowed only for localhost and 127.0.0.1; got ${describe(value)})`);
  }
  return url;
}

function checkEndpoint(endpoint) {
  const url = checkUrl(endpoint, 'endpoint', 'the collector URL, e.g. "https://collector.example.com"');
  if (url.username || url.password) fail('endpoint', 'must not contain credentials');
}

// `types` of a destination: the names it can carry (constants.js, from the Rust table).
function checkTypes(value, name) {
  if (value === undefined) return;
  const field = `${name}.types`;
  const allowed = DESTINATION_TYPES[name];
  if (!Array.isArray(value) || value.length === 0) fail(field, `must be a non-empty array of ${allowed.map((t) => `'${t}'`).join(', ')}`);
  for (const type of value) {
    if (!allowed.includes(type)) fail(field, `lists ${describe(type)}, which ${name} cannot carry (it takes ${allowed.map((t) => `'${t}'`).join(', ')})`);
  }
}

function checkSentry(sentry) {
  const example = 'https://<publicKey>@o1.ingest.sentry.io/<projectId>';
  const url = checkUrl(sentry.dsn, 'sentry.dsn', `the project's DSN, ${example}`);
  if (!/^[A-Za-z0-9]+$/.test(url.username)) fail('sentry.dsn', `needs a public key: ${example}`);
  if (!/\/\d+\/?$/.test(url.pathname)) fail('sentry.dsn', `needs a project id: ${example}`);
  checkTypes(sentry.types, 'sentry');
}

function checkOtlp(otlp) {
  const url = checkUrl(otlp.endpoint, 'otlp.endpoint', 'the collector\'s base URL, e.g. "https://otel.example.com"');
  if (url.username || url.password) fail('otlp.endpoint', 'must not contain credentials');
  if (/\/v1\/(logs|metrics)\/?$/.test(url.pathname)) fail('otlp.endpoint', 'must be the collector\'s base URL: the SDK appends /v1/logs and /v1/metrics');
  const headers = otlp.headers;
  if (headers !== undefined && (!isPlainObject(headers) || Object.entries(headers).some(([k, v]) => !/^[A-Za-z0-9-]+$/.test(k) || typeof v !== 'string'))) {
    fail('otlp.headers', 'must map header names to strings, e.g. { "x-api-key": "…" }');
  }
  checkTypes(otlp.types, 'otlp');
}

function checkPosthog(posthog) {
  if (typeof posthog.apiKey !== 'string' || posthog.apiKey === '' || /\s/.test(posthog.apiKey)) fail('posthog.apiKey', 'is required: the project API key, phc_…');
  if (posthog.host !== undefined) {
    const url = checkUrl(posthog.host, 'posthog.host', '"https://us.i.posthog.com" or "https://eu.i.posthog.com"');
    if (url.username || url.password) fail('posthog.host', 'must not contain credentials');
  }
  checkTypes(posthog.types, 'posthog');
}

const DESTINATION_CHECKS = { sentry: checkSentry, otlp: checkOtlp, posthog: checkPosthog };

/** Validates user options; throws a TypeError naming the first bad field. */
export function validateOptions(options) {
  checkOptions(options);
}

/**
 * Every check of validateOptions, destinations included, without refusing a
 * valid destination: the rules they will be held to. Returns the names of the
 * destinations set besides `endpoint`.
 */
export function checkOptions(options) {
  if (!isPlainObject(options)) throw new TypeError('mv3-telemetry: init(options) needs an options object with an `endpoint`');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key)) fail(key, `is not a known option (known: ${KNOWN_OPTIONS.join(', ')})`);
  }
  const destinations = Object.keys(DESTINATION_CHECKS).filter((name) => options[name] !== undefined);
  // The v1 collector is optional once another destination is set.
  if (options.endpoint !== undefined || destinations.length === 0) checkEndpoint(options.endpoint);
  for (const name of destinations) {
    checkSection(options[name], name);
    DESTINATION_CHECKS[name](options[name]);
  }
  checkString(options.appVersion, 'appVersion');
  checkString(options.environment, 'environment');
  checkOneOf(options.defaultConsent, 'defaultConsent', CONSENT_STATES);
  for (const section of Object.keys(SECTION_KEYS)) checkSection(options[section], section);
  for (const limit of OPTION_LIMITS) checkLimit(valueAt(options, limit.path), limit);
  const retry = options.retry ?? {};
  if ((retry.baseDelayMs ?? DEFAULTS.retry.baseDelayMs) > (retry.maxDelayMs ?? DEFAULTS.retry.maxDelayMs)) {
    fail('retry.baseDelayMs', 'must not exceed retry.maxDelayMs');
  }
  checkStrings(options.scrub?.denyKeys, 'scrub.denyKeys');
  checkStrings(options.scrub?.allowKeys, 'scrub.allowKeys');
  const patterns = options.scrub?.extraPatterns;
  if (patterns !== undefined && (!Array.isArray(patterns) || patterns.some((p) => !(p instanceof RegExp)))) {
    fail('scrub.extraPatterns', 'must be an array of RegExp');
  }
  if (options.beforeSend !== undefined && typeof options.beforeSend !== 'function') fail('beforeSend', 'must be a function (item) => item | null');
  checkBoolean(options.captureGlobalErrors, 'captureGlobalErrors');
  checkBoolean(options.lifecycleEvents, 'lifecycleEvents');
  checkBoolean(options.debug, 'debug');
  checkOneOf(options.compression, 'compression', COMPRESSION_VALUES);
  const storage = options.storage;
  if (storage !== undefined && !(storage && STORAGE_METHODS.every((m) => typeof storage[m] === 'function'))) {
    fail('storage', 'must be an object with get, set and remove, like chrome.storage.local');
  }
  return destinations;
}

// getManifest() builds a new object from the whole manifest at each call
// (a copy from the browser's data): called once for both fields.
function manifest() {
  try {
    return globalThis.chrome?.runtime?.getManifest?.() ?? {};
  } catch {
    return {};
  }
}

function browserFacts() {
  const nav = globalThis.navigator ?? {};
  const ua = String(nav.userAgent ?? '');
  const chrome = /(?:Chrome|Chromium)\/(\d+)/.exec(ua);
  const platform = String(nav.userAgentData?.platform ?? '').toLowerCase();
  const os = platform || (/Windows/.test(ua) ? 'windows' : /Mac OS X/.test(ua) ? 'macos' : /CrOS/.test(ua) ? 'chromeos' : /Android/.test(ua) ? 'android' : /Linux/.test(ua) ? 'linux' : '');
  return { browser: chrome ? `Chrome ${chrome[1]}` : '', os, locale: String(nav.language ?? '') };
}

/**
 * The options object the wasm core's Client is built from, for options that
 * passed validateOptions: every field present, every default filled in, so the
 * core never needs to know a default. The hook, the patterns and the storage
 * area are passed to the Client separately.
 */
export function coreOptions(options) {
  const { version, name } = manifest();
  const out = {
    endpoint: options.endpoint,
    appVersion: options.appVersion ?? version ?? '',
    appName: name ?? '',
    environment: options.environment ?? DEFAULTS.environment,
    defaultConsent: options.defaultConsent ?? DEFAULTS.defaultConsent,
    batch: {},
    retry: {},
    scrub: { denyKeys: [...(options.scrub?.denyKeys ?? [])], allowKeys: [...(options.scrub?.allowKeys ?? [])] },
    compression: options.compression ?? DEFAULTS.compression,
    debug: options.debug === true,
    lifecycleEvents: options.lifecycleEvents ?? DEFAULTS.lifecycleEvents,
    ...browserFacts(),
  };
  // Destinations with their defaults filled in; absent ones stay absent.
  if (options.sentry) out.sentry = { dsn: options.sentry.dsn, types: [...(options.sentry.types ?? DESTINATION_TYPES.sentry)] };
  if (options.otlp) {
    out.otlp = { endpoint: options.otlp.endpoint, headers: { ...(options.otlp.headers ?? {}) }, types: [...(options.otlp.types ?? DESTINATION_TYPES.otlp)] };
  }
  if (options.posthog) {
    out.posthog = { apiKey: options.posthog.apiKey, host: options.posthog.host ?? POSTHOG_DEFAULT_HOST, types: [...(options.posthog.types ?? DESTINATION_TYPES.posthog)] };
  }
  if (out.endpoint === undefined) delete out.endpoint;
  for (const { path, default: fallback } of OPTION_LIMITS) {
    const value = valueAt(options, path) ?? fallback;
    const dot = path.indexOf('.');
    if (dot < 0) out[path] = value;
    else out[path.slice(0, dot)][path.slice(dot + 1)] = value;
  }
  return out;
}

/**
 * coreOptions as the one JSON text the core reads (src/core/options.rs): one
 * string crossing instead of a read per field. JSON has no Infinity (it would
 * become null, i.e. the default); the one option that accepts it,
 * slowThresholdMs, means "never slow", and the largest finite number means
 * the same.
 */
export function coreOptionsText(options) {
  return JSON.stringify(coreOptions(options), (_, value) => (value === Infinity ? Number.MAX_VALUE : value));
}
