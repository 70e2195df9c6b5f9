// The synchronous face of mv3-telemetry. It validates options, registers the
// worker's listeners in the first turn (MV3 requires it), buffers calls until
// the wasm core is loaded and has restored its state, and normalizes input so
// that recording never throws. It imports nothing: `index.js` injects the core.

// Every drop reason of the core (src/core/wire.rs), in its order, at zero.
const NO_DROPS = Object.freeze({ queue_full: 0, sampled: 0, before_send: 0, rejected: 0, invalid: 0, retry_exhausted: 0, hook_error: 0 });
const ALARM_NAME = 'mv3-telemetry.wake';
const CONSENT_VALUES = ['pending', 'granted', 'denied'];
const MAX_BUFFERED_CALLS = 1000;
const MAX_DEPTH = 10;
const MAX_NODES = 1000;

const KNOWN_OPTIONS = {
  endpoint: 1, appVersion: 1, environment: 1, defaultConsent: 1, sampleRate: 1, maxQueuedItems: 1,
  batch: 1, retry: 1, scrub: 1, beforeSend: 1, captureGlobalErrors: 1, lifecycleEvents: 1,
  compression: 1, debug: 1, slowThresholdMs: 1, storage: 1,
};

function fail(field, message) {
  throw new TypeError(`mv3-telemetry: option \`${field}\` ${message}`);
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkNumber(value, field, { min = 0, max = Infinity, integer = false } = {}) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    const range = max === Infinity ? `>= ${min}` : `from ${min} to ${max}`;
    fail(field, `must be ${kind} ${range} (got ${describe(value)})`);
  }
  return value;
}

function checkBoolean(value, field) {
  if (value !== undefined && typeof value !== 'boolean') fail(field, `must be true or false (got ${describe(value)})`);
  return value;
}

function checkString(value, field) {
  if (value !== undefined && typeof value !== 'string') fail(field, `must be a string (got ${describe(value)})`);
  return value;
}

function checkStrings(value, field) {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail(field, 'must be an array of strings');
  return value;
}

function checkSection(value, field, known) {
  if (value === undefined) return {};
  if (!isPlainObject(value)) fail(field, `must be an object (got ${describe(value)})`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`${field}.${key}`, `is not a known option (known: ${known.join(', ')})`);
  }
  return value;
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  return typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : String(value);
}

function manifestVersion() {
  try {
    return globalThis.chrome?.runtime?.getManifest?.()?.version ?? '';
  } catch {
    return '';
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

/** Validates user options; throws a TypeError naming the first bad field. */
export function validateOptions(options) {
  if (!isPlainObject(options)) throw new TypeError('mv3-telemetry: init(options) needs an options object with an `endpoint`');
  for (const key of Object.keys(options)) {
    if (!(key in KNOWN_OPTIONS)) fail(key, `is not a known option (known: ${Object.keys(KNOWN_OPTIONS).join(', ')})`);
  }
  const { endpoint } = options;
  if (typeof endpoint !== 'string' || endpoint === '') fail('endpoint', 'is required: the collector URL, e.g. "https://collector.example.com"');
  let url;
  try {
    url = new URL(endpoint);
  } catch {
    fail('endpoint', `must be an absolute URL (got ${describe(endpoint)})`);
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    fail('endpoint', `must use https: (http: is allowed only for localhost and 127.0.0.1; got ${describe(endpoint)})`);
  }
  if (url.username || url.password) fail('endpoint', 'must not contain credentials');
  checkString(options.appVersion, 'appVersion');
  checkString(options.environment, 'environment');
  if (options.defaultConsent !== undefined && !CONSENT_VALUES.includes(options.defaultConsent)) {
    fail('defaultConsent', `must be 'pending', 'granted' or 'denied' (got ${describe(options.defaultConsent)})`);
  }
  checkNumber(options.sampleRate, 'sampleRate', { min: 0, max: 1 });
  checkNumber(options.maxQueuedItems, 'maxQueuedItems', { min: 1, max: 100000, integer: true });
  checkNumber(options.slowThresholdMs, 'slowThresholdMs', { min: 0 });
  const batch = checkSection(options.batch, 'batch', ['maxEvents', 'maxBytes', 'flushIntervalMs', 'errorFlushDelayMs']);
  checkNumber(batch.maxEvents, 'batch.maxEvents', { min: 1, max: 10000, integer: true });
  checkNumber(batch.maxBytes, 'batch.maxBytes', { min: 1024, max: 1000000, integer: true });
  checkNumber(batch.flushIntervalMs, 'batch.flushIntervalMs', { min: 0, integer: true });
  checkNumber(batch.errorFlushDelayMs, 'batch.errorFlushDelayMs', { min: 0, integer: true });
  const retry = checkSection(options.retry, 'retry', ['baseDelayMs', 'maxDelayMs', 'maxAttempts']);
  checkNumber(retry.baseDelayMs, 'retry.baseDelayMs', { min: 0, integer: true });
  checkNumber(retry.maxDelayMs, 'retry.maxDelayMs', { min: 0, integer: true });
  checkNumber(retry.maxAttempts, 'retry.maxAttempts', { min: 1, max: 1000, integer: true });
  if ((retry.baseDelayMs ?? 1000) > (retry.maxDelayMs ?? 3600000)) fail('retry.baseDelayMs', 'must not exceed retry.maxDelayMs');
  const scrub = checkSection(options.scrub, 'scrub', ['denyKeys', 'allowKeys', 'extraPatterns']);
  checkStrings(scrub.denyKeys, 'scrub.denyKeys');
  checkStrings(scrub.allowKeys, 'scrub.allowKeys');
  if (scrub.extraPatterns !== undefined && (!Array.isArray(scrub.extraPatterns) || scrub.extraPatterns.some((p) => !(p instanceof RegExp)))) {
    fail('scrub.extraPatterns', 'must be an array of RegExp');
  }
  if (options.beforeSend !== undefined && typeof options.beforeSend !== 'function') fail('beforeSend', 'must be a function (item) => item | null');
  checkBoolean(options.captureGlobalErrors, 'captureGlobalErrors');
  checkBoolean(options.lifecycleEvents, 'lifecycleEvents');
  checkBoolean(options.debug, 'debug');
  if (options.compression !== undefined && options.compression !== 'gzip' && options.compression !== 'none') {
    fail('compression', `must be 'gzip' or 'none' (got ${describe(options.compression)})`);
  }
  const storage = options.storage;
  if (storage !== undefined && !(storage && ['get', 'set', 'remove'].every((m) => typeof storage[m] === 'function'))) {
    fail('storage', 'must be an object with get, set and remove, like chrome.storage.local');
  }
}

/** The JSON the wasm core's Client is built from. */
function coreConfig(options) {
  return JSON.stringify({
    endpoint: options.endpoint,
    appVersion: options.appVersion ?? manifestVersion(),
    environment: options.environment ?? 'production',
    defaultConsent: options.defaultConsent ?? 'pending',
    sampleRate: options.sampleRate,
    maxQueuedItems: options.maxQueuedItems,
    batch: options.batch ?? {},
    retry: options.retry ?? {},
    scrub: { denyKeys: options.scrub?.denyKeys ?? [], allowKeys: options.scrub?.allowKeys ?? [] },
    compression: options.compression ?? 'gzip',
    debug: options.debug ?? false,
    slowThresholdMs: options.slowThresholdMs,
    lifecycleEvents: options.lifecycleEvents ?? true,
    ...browserFacts(),
  });
}

/**
 * Turns any value into JSON-safe data without throwing: cycles become
 * "[Circular]", BigInt a string, functions and symbols are dropped, depth and
 * node count are bounded. Returns the JSON text, or undefined.
 */
export function normalizeToJson(value) {
  if (value === undefined || value === null) return undefined;
  try {
    if (isFlatPlain(value)) return JSON.stringify(value);
  } catch {
    // a getter threw: the careful walk below copes with it
  }
  let nodes = 0;
  const path = new Set();
  const walk = (v, depth) => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : String(v);
      case 'bigint':
        return `${v}n`;
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (v === null) return null;
    if (++nodes > MAX_NODES) return undefined;
    if (depth >= MAX_DEPTH) return '[depth limit]';
    if (path.has(v)) return '[Circular]';
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    if (v instanceof Error) return { name: v.name, message: String(v.message) };
    path.add(v);
    try {
      if (Array.isArray(v) || ArrayBuffer.isView(v)) {
        const out = [];
        const len = Math.min(v.length, MAX_NODES);
        for (let i = 0; i < len; i++) {
          const item = walk(v[i], depth + 1);
          out.push(item === undefined ? null : item);
        }
        return out;
      }
      if (v instanceof Map) return walk(Object.fromEntries(v), depth);
      if (v instanceof Set) return walk([...v], depth);
      const out = {};
      for (const key of Object.keys(v)) {
        let item;
        try {
          item = walk(v[key], depth + 1);
        } catch {
          item = '[unreadable]';
        }
        if (item !== undefined) out[key] = item;
        if (nodes > MAX_NODES) break;
      }
      return out;
    } finally {
      path.delete(v);
    }
  };
  try {
    const data = walk(value, 0);
    return data === undefined ? undefined : JSON.stringify(data);
  } catch {
    return undefined;
  }
}

// The common case, a plain object of strings, finite numbers, booleans and
// nulls, is already JSON-safe: skip the walk (it is most of track()'s cost).
function isFlatPlain(value) {
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  let n = 0;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key) || ++n > 100) return false;
    const v = value[key];
    const t = typeof v;
    if (!(t === 'string' || t === 'boolean' || v === null || (t === 'number' && Number.isFinite(v)))) return false;
  }
  return true;
}

function coerceName(name) {
  if (typeof name === 'string') return name;
  if (typeof name === 'number' || typeof name === 'boolean' || typeof name === 'bigint') return String(name);
  return '';
}

const PANIC_KEY = 'mv3t.panic';

/**
 * Takes any thrown value apart into { kind, message, stack }: Error and its
 * subclasses, DOMException, strings, chrome.runtime.lastError and other
 * objects with a message, plain objects, undefined.
 */
export function describeThrown(value) {
  try {
    if (value instanceof Error || (typeof DOMException !== 'undefined' && value instanceof DOMException)) {
      const kind = String(value.name || value.constructor?.name || 'Error');
      return { kind, message: String(value.message ?? ''), stack: typeof value.stack === 'string' ? value.stack : undefined };
    }
    if (value === undefined || value === null) return { kind: String(value), message: String(value) };
    if (typeof value === 'string') return { kind: 'Error', message: value };
    if (typeof value === 'object') {
      if (typeof value.message === 'string') {
        const kind = typeof value.name === 'string' && value.name ? value.name : 'Error';
        return { kind, message: value.message, stack: typeof value.stack === 'string' ? value.stack : undefined };
      }
      const text = normalizeToJson(value) ?? String(value);
      return { kind: 'Object', message: text.length > 500 ? text.slice(0, 500) + '…' : text };
    }
    return { kind: typeof value, message: String(value) };
  } catch {
    return { kind: 'Error', message: '[unreadable thrown value]' };
  }
}

/** A chrome.storage.local look-alike kept in memory (tests, non-extension workers). */
export function createMemoryStorage() {
  const data = new Map();
  return {
    data,
    async get(keys) {
      const list = keys == null ? [...data.keys()] : Array.isArray(keys) ? keys : [keys];
      const out = {};
      for (const key of list) if (data.has(key)) out[key] = data.get(key);
      return out;
    },
    async set(items) {
      for (const [key, value] of Object.entries(items)) data.set(key, value);
    },
    async remove(keys) {
      for (const key of Array.isArray(keys) ? keys : [keys]) data.delete(key);
    },
  };
}

/**
 * Builds the Telemetry object. `loadCore(configJson, storage)` resolves to a
 * started wasm `Client`; `index.js` supplies it.
 */
export function createTelemetry(options, loadCore) {
  validateOptions(options);
  const debug = options.debug === true;
  let core = null;
  let buffered = [];
  let bufferedDrops = 0;
  const warn = (...args) => debug && console.warn('mv3-telemetry:', ...args);
  const storage = options.storage ?? globalThis.chrome?.storage?.local;
  let lastConsent = options.defaultConsent ?? 'pending';
  const captured = new WeakSet();
  const clock = () => globalThis.performance?.now?.() ?? Date.now();
  const startedAt = clock();
  const recordTiming = (name, ms, props) => {
    const json = normalizeToJson(props);
    whenReady((c) => c.recordTiming(coerceName(name), ms, json));
  };

  // A panic in the Rust core traps (WebAssembly.RuntimeError). It must never
  // take the extension's own code down: the SDK switches itself off for this
  // worker's life, and, if consent allows, leaves a note that the next worker
  // reports as an `sdk_panic` error.
  const onCoreFailure = (error) => {
    if (!(typeof WebAssembly !== 'undefined' && error instanceof WebAssembly.RuntimeError)) throw error;
    if (core === null) return undefined;
    core = null;
    buffered = null;
    console.error('mv3-telemetry: internal failure; telemetry is off until the worker restarts', error);
    if (lastConsent === 'granted' && storage) {
      const note = JSON.stringify({ message: String(error.message), stack: String(error.stack ?? ''), ts: Date.now() });
      Promise.resolve(storage.set({ [PANIC_KEY]: note })).catch(() => {});
    }
    return undefined;
  };
  const guarded = (call) => (c) => {
    try {
      return call(c);
    } catch (error) {
      return onCoreFailure(error);
    }
  };

  // Calls before the core is ready wait here, in order.
  const whenReady = (unguarded) => {
    const call = guarded(unguarded);
    if (core) return call(core);
    if (buffered === null) return undefined; // the core failed to load
    if (buffered.length >= MAX_BUFFERED_CALLS) {
      bufferedDrops++;
      return undefined;
    }
    buffered.push(call);
    return undefined;
  };
  const deferred = (unguarded) =>
    new Promise((resolve, reject) => {
      const call = guarded(unguarded);
      if (core) return Promise.resolve(call(core)).then(resolve, reject);
      if (buffered === null) return reject(new Error('mv3-telemetry: the core failed to load; see the first error'));
      buffered.push((c) => Promise.resolve(call(c)).then(resolve, reject));
    });

  const ready = (async () => {
    const loaded = await loadCore(coreConfig(options), options.storage, options.scrub?.extraPatterns, options.beforeSend);
    await loaded.start();
    core = loaded;
    lastConsent = core.consentStatus();
    await reportPreviousPanic(core);
    guarded((c) => c.recordTiming('sdk.init_to_ready', clock() - startedAt, undefined))(core);
    const pending = buffered;
    buffered = [];
    for (const call of pending) {
      try {
        call(core);
      } catch (error) {
        warn('a buffered call failed', error);
      }
    }
    for (let i = 0; i < bufferedDrops; i++) core.countDrop('queue_full');
    bufferedDrops = 0;
  })();
  async function reportPreviousPanic(c) {
    if (!storage) return;
    try {
      const found = await storage.get([PANIC_KEY]);
      const note = found?.[PANIC_KEY];
      if (typeof note !== 'string') return;
      await storage.remove([PANIC_KEY]);
      const { message, stack, ts } = JSON.parse(note);
      c.captureError('sdk_panic', `mv3-telemetry core failed: ${message}`, stack, JSON.stringify({ failed_at: ts }));
    } catch (error) {
      warn('could not report a previous internal failure', error);
    }
  }

  function capture(value, context, mechanism) {
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
      if (captured.has(value)) return;
      captured.add(value);
    }
    const { kind, message, stack } = describeThrown(value);
    let contextJson = normalizeToJson(context);
    if (mechanism) {
      const extra = JSON.stringify({ mechanism });
      contextJson = contextJson && contextJson !== '{}' ? contextJson.slice(0, -1) + ',' + extra.slice(1) : extra;
    }
    whenReady((c) => {
      const result = c.captureError(kind, message, stack, contextJson);
      if (debug && result !== 'accepted' && result !== 'no_consent') warn(`captureError dropped: ${result}`);
    });
  }

  ready.catch((error) => {
    buffered = null;
    console.error(
      'mv3-telemetry: could not start. If the message mentions WebAssembly or CSP, add ' +
        `"content_security_policy": {"extension_pages": "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'"} to manifest.json.`,
      error,
    );
  });

  const telemetry = {
    ready,
    consentStatus() {
      return core ? core.consentStatus() : lastConsent;
    },
    setConsent(granted) {
      if (typeof granted !== 'boolean') {
        warn('setConsent(granted) needs a boolean; got', granted);
        granted = Boolean(granted);
      }
      return deferred((c) => c.setConsent(granted).then(() => {
        lastConsent = c.consentStatus();
      }));
    },
    captureError(error, context) {
      try {
        capture(error, context);
      } catch (failure) {
        warn('captureError failed', failure);
      }
    },
    track(name, props) {
      try {
        const safeName = coerceName(name);
        const json = normalizeToJson(props);
        whenReady((c) => {
          const result = c.track(safeName, json);
          if (debug && result !== 'accepted' && result !== 'no_consent') warn(`track(${JSON.stringify(safeName)}) dropped: ${result}`);
        });
      } catch (error) {
        warn('track failed', error);
      }
    },
    flush() {
      const begun = clock();
      return deferred((c) => c.flush()).then((json) => {
        recordTiming('sdk.flush_round_trip', clock() - begun);
        return JSON.parse(json);
      });
    },
    startTimer(name, props) {
      const begun = clock();
      let elapsed;
      return {
        stop(stopProps) {
          if (elapsed !== undefined) return elapsed; // stopping twice records once
          elapsed = clock() - begun;
          try {
            const merged = stopProps && typeof stopProps === 'object' ? { ...(props ?? {}), ...stopProps } : props;
            recordTiming(name, elapsed, merged);
          } catch (error) {
            warn('timer stop failed', error);
          }
          return elapsed;
        },
      };
    },
    async measure(name, fn) {
      const timer = telemetry.startTimer(name);
      let result;
      try {
        result = await fn();
      } catch (error) {
        timer.stop({ ok: false });
        throw error;
      }
      timer.stop({ ok: true });
      return result;
    },
    feedback(input) {
      try {
        const f = input && typeof input === 'object' ? input : {};
        const kind = typeof f.type === 'string' ? f.type : '';
        const rating = Number.isInteger(f.rating) && f.rating >= 1 && f.rating <= 5 ? f.rating : undefined;
        const message = f.message === undefined || f.message === null ? undefined : String(f.message);
        const contact = typeof f.contact === 'string' && f.contact !== '' ? f.contact : undefined;
        whenReady((c) => c.feedback(kind, rating, message, contact));
      } catch (error) {
        warn('feedback failed', error);
      }
    },
    anonymousId() {
      return core ? core.anonymousId() ?? null : null;
    },
    /** Not public API: makes the Rust core panic, for the tests of panic containment. */
    __panicForTests() {
      whenReady((c) => c.__panicForTests());
    },
    // One shape before and after `ready`: every counter, every drop reason.
    stats() {
      const counted = core
        ? JSON.parse(core.stats())
        : { queued: 0, sent: 0, retries: 0, truncated: 0, dropped: { queue_full: bufferedDrops } };
      return { ...counted, dropped: { ...NO_DROPS, ...counted.dropped }, buffered: buffered ? buffered.length : 0 };
    },
  };

  // Listeners must exist before the first await of the worker's first turn.
  const chrome = globalThis.chrome;
  try {
    chrome?.alarms?.onAlarm?.addListener((alarm) => {
      if (alarm?.name === ALARM_NAME) whenReady((c) => c.wake());
    });
    const lifecycle = options.lifecycleEvents !== false;
    chrome?.runtime?.onStartup?.addListener(() => {
      if (lifecycle) whenReady((c) => c.trackSystem('browser_startup', undefined));
      whenReady((c) => c.wake());
    });
    if (lifecycle) {
      chrome?.runtime?.onInstalled?.addListener((details) => {
        const reason = details?.reason;
        if (reason === 'install') whenReady((c) => c.trackSystem('extension_installed', JSON.stringify({ reason })));
        else if (reason === 'update') {
          const previous = String(details.previousVersion ?? '');
          whenReady((c) => c.trackSystem('extension_updated', JSON.stringify({ previous_version: previous })));
        }
      });
    }
  } catch (error) {
    warn('could not register chrome listeners', error);
  }
  globalThis.addEventListener?.('online', () => whenReady((c) => c.wake()));
  if (options.captureGlobalErrors !== false && typeof globalThis.addEventListener === 'function') {
    // Observed only: no preventDefault, so the worker's own handling is unchanged.
    globalThis.addEventListener('error', (event) => {
      try {
        capture(event.error ?? event.message, undefined, 'onerror');
      } catch {}
    });
    globalThis.addEventListener('unhandledrejection', (event) => {
      try {
        capture(event.reason, undefined, 'onunhandledrejection');
      } catch {}
    });
  }

  return telemetry;
}
