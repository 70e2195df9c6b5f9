// The Telemetry object users hold. init() must return synchronously and MV3
// requires listeners to be registered in the worker's first turn, but the wasm
// core loads asynchronously: so calls made before `ready` are buffered here and
// replayed in order, and recording calls never throw.
import {
  ALARM_NAME, CHUNK_PREFIX, CONSENT_KEY, DEFAULTS, DROP_REASONS, DROP_REASON_INDEX, LEGACY_STATE_KEY, PAGE_MESSAGE_TAG,
  CONSENT_STATES, PANIC_KEY, RECORD_ACCEPTED, RECORD_DROPPED_BASE, RECORD_KEY, RECORD_NOT_CONSENTED, RECORD_NOT_READY,
  START_NEEDS_SWEEP,
} from './constants.js';
import { coreOptionsText, validateOptions } from './options.js';
import { describeCauses } from './causes.js';
import { boundText, coerceName, describeThrown, mergeProps, normalizeToJson } from './normalize.js';
import { listenToPages } from './bridge.js';

// Bounds the memory held by a core that never loads; past it calls are counted
// as `queue_full`, like the core's own cap.
const MAX_BUFFERED_CALLS = 1000;

// What the calls lost to a full pre-ready buffer are counted as.
const BUFFER_FULL = DROP_REASON_INDEX.queue_full;
// What a page client's call is answered with when the buffer above is full.
const BUFFER_FULL_CODE = RECORD_DROPPED_BASE + BUFFER_FULL;

const pause = (ms) => new Promise((resolve) => globalThis.setTimeout(resolve, ms));
// The core's persist and flush report through a callback (the wasm makes no promises).
const persisted = (c) => new Promise((done) => c.persist(done));
const flushed = (c) => new Promise((done) => c.flush(done));

// Every drop reason at zero: stats() has one shape before and after `ready`.
const NO_DROPS = Object.freeze(Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])));

/**
 * Why a record call did not record, from the code the core returned, or null
 * when it did (or when consent simply is not granted: not worth a warning).
 */
export function droppedBecause(code) {
  if (code === RECORD_ACCEPTED || code === RECORD_NOT_CONSENTED) return null;
  if (code === RECORD_NOT_READY) return 'not ready';
  return DROP_REASONS[code - RECORD_DROPPED_BASE] ?? `unknown code ${code}`;
}

/** The core's feedback arguments (kind, rating, message, contact) from the user's object. */
function feedbackFields(input) {
  const f = input && typeof input === 'object' ? input : {};
  const kind = typeof f.type === 'string' ? boundText(f.type) : '';
  // The core checks the range; JS passes only what it can hold (a u8).
  const rating = Number.isInteger(f.rating) && f.rating >= 0 && f.rating <= 255 ? f.rating : undefined;
  const message = f.message === undefined || f.message === null ? undefined : boundText(String(f.message));
  const contact = typeof f.contact === 'string' && f.contact !== '' ? boundText(f.contact) : undefined;
  return [kind, rating, message, contact];
}

/**
 * The storage area `options` use: `options.storage`, else
 * `chrome.storage.local` (undefined where there is none). One rule for the
 * early read `index.js` issues and for the instance.
 */
export function storageOf(options) {
  return options?.storage ?? globalThis.chrome?.storage?.local;
}

/**
 * Starts the one storage read of start-up: the core's record (and the state of
 * releases before the log) and a previous worker's panic note. Issued before
 * the wasm is loaded, so the read overlaps the compile instead of following it.
 */
export function readStoredState(storage) {
  if (!storage) return undefined;
  try {
    const read = Promise.resolve(storage.get([RECORD_KEY, LEGACY_STATE_KEY, PANIC_KEY, CONSENT_KEY]));
    // A failed read is retried by the core itself; it must not surface as an
    // unhandled rejection (which the SDK would capture as an error).
    read.catch(() => {});
    return read;
  } catch {
    return undefined;
  }
}

/**
 * Builds the Telemetry object. `loadCore(coreOptionsText, storage, extraPatterns,
 * beforeSend)` resolves to a wasm `Client` not yet started; `index.js`
 * supplies it. `storage` is the area in use, `storageOf(options)` (undefined
 * where there is none). `start(record, legacy)` is given the values of the start-up read.
 * `stored`, when given, is that read already issued (readStoredState) on
 * `storageOf(options)`.
 */
export function createTelemetry(options, loadCore, stored = undefined) {
  validateOptions(options);
  const debug = options.debug === true;
  let core = null;
  let buffered = [];
  let bufferedDrops = 0;
  // wake() before the first post-ready wake is redundant: that one covers it.
  let awake = false;
  const warn = (...args) => debug && console.warn('mv3-telemetry:', ...args);
  const chrome = globalThis.chrome;
  const storage = storageOf(options);
  let lastConsent = options.defaultConsent ?? DEFAULTS.defaultConsent;
  const captured = new WeakSet();
  const clock = () => globalThis.performance?.now?.() ?? Date.now();
  const startedAt = clock();
  stored ??= readStoredState(storage);

  // The code is looked at, and `what` and `name` made into a message, only in
  // debug mode: outside it, a record call costs one crossing into wasm.
  const report = (code, what, name) => {
    if (!debug) return;
    const reason = droppedBecause(code);
    if (reason !== null) warn(`${what}${name === undefined ? '' : `(${JSON.stringify(name)})`} dropped: ${reason}`);
  };
  const recordTiming = (name, ms, props) => {
    const safeName = coerceName(name);
    const json = normalizeToJson(props);
    whenReady((c) => report(c.recordTiming(safeName, ms, json), 'timing', safeName));
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
  // A recording call whose code a page client waits for: like whenReady, but
  // the promise always settles (a dropped or failed call answers too).
  const answered = (unguarded) =>
    new Promise((resolve) => {
      const call = (c) => {
        let code;
        try {
          code = guarded(unguarded)(c);
        } finally {
          resolve(code);
        }
      };
      if (core) return call(core);
      if (buffered === null) return resolve(undefined);
      if (buffered.length >= MAX_BUFFERED_CALLS) {
        bufferedDrops++;
        return resolve(BUFFER_FULL_CODE);
      }
      buffered.push(call);
    });
  const wake = () => {
    if (awake && core) guarded((c) => c.wake())(core);
  };

  // Page clients (connect()) read the consent state from storage: the worker
  // keeps a copy under CONSENT_KEY (absent while pending, so pending stores
  // nothing) and tells the pages without storage (offscreen documents).
  let mirrored;
  const mirrorConsent = async (status) => {
    if (!storage) return;
    if (mirrored === undefined) mirrored = (await (stored ?? Promise.reject()).catch(() => ({})))?.[CONSENT_KEY] ?? 'pending';
    if (status === mirrored) return;
    mirrored = status;
    try {
      await (status === 'pending' ? storage.remove([CONSENT_KEY]) : storage.set({ [CONSENT_KEY]: status }));
      await chrome?.runtime?.sendMessage?.({ [PAGE_MESSAGE_TAG]: 'consent', status });
    } catch {
      // No page is listening: that is the usual case.
    }
  };

  let readyAt;
  const ready = (async () => {
    const loaded = await loadCore(coreOptionsText(options), storage, options.scrub?.extraPatterns, options.beforeSend);
    const found = await readForStart();
    // Synchronous in the core; awaited only so a stand-in may be slow. One
    // number says what the way to `ready` needs: the consent state and
    // whether to sweep (a call per fact would compile more wasm functions
    // before `ready`, docs/size.md).
    const started = await loaded.start(found?.[RECORD_KEY], found?.[LEGACY_STATE_KEY]);
    core = loaded;
    lastConsent = CONSENT_STATES[started & (START_NEEDS_SWEEP - 1)];
    if (started & START_NEEDS_SWEEP) await sweep();
    mirrorConsent(lastConsent);
    await reportPreviousPanic(core);
    const pending = buffered;
    buffered = [];
    for (const call of pending) {
      try {
        call(core);
      } catch (error) {
        warn('a buffered call failed', error);
      }
    }
    if (bufferedDrops > 0) guarded((c) => c.countDrops(BUFFER_FULL, bufferedDrops))(core);
    bufferedDrops = 0;
    readyAt = clock();
  })();
  // The start-up read issued in the first turn; if it failed, one more read
  // of the core's two keys, then a fresh start (warned in debug mode).
  function readForStart() {
    if (!stored) return Promise.resolve(undefined);
    return stored.catch(() => new Promise((resolve) => resolve(storage.get([RECORD_KEY, LEGACY_STATE_KEY]))).catch((error) => {
      warn('could not read stored state', error);
      return undefined;
    }));
  }
  // The stored record was unreadable: the chunks it named can only be found
  // by listing the keys (`getKeys`, Chrome 130+; skipped where it is missing).
  // Done before the buffered calls run, while the core has written no chunk:
  // every chunk key is an orphan then.
  async function sweep() {
    try {
      if (typeof storage?.getKeys !== 'function') return;
      const keys = await storage.getKeys();
      const orphans = Array.isArray(keys) ? keys.filter((k) => typeof k === 'string' && k.startsWith(CHUNK_PREFIX)) : [];
      if (orphans.length > 0) await storage.remove(orphans);
    } catch (error) {
      warn('could not remove unreadable state', error);
    }
  }
  async function reportPreviousPanic(c) {
    if (!storage) return;
    try {
      const found = await (stored ?? Promise.reject()).catch(() => storage.get([PANIC_KEY]));
      const note = found?.[PANIC_KEY];
      if (typeof note !== 'string') return;
      await storage.remove([PANIC_KEY]);
      const { message, stack, ts } = JSON.parse(note);
      guarded((core) => core.captureError('sdk_panic', `mv3-telemetry core failed: ${message}`, stack, JSON.stringify({ failed_at: ts })))(c);
    } catch (error) {
      warn('could not report a previous internal failure', error);
    }
  }

  // Start-up work (delivery, alarms, daily_active, the SDK's own start-up
  // timing) waits until `ready` has resolved and the code awaiting it has run:
  // it must not delay the extension's first use of the SDK.
  ready.then(() => {
    globalThis.setTimeout(() => {
      if (!core) return;
      awake = true;
      guarded((c) => report(c.recordTiming('sdk.init_to_ready', readyAt - startedAt, undefined), 'timing', 'sdk.init_to_ready'))(core);
      wake();
    }, 0);
  }, () => {});

  ready.catch((error) => {
    buffered = null;
    console.error(
      'mv3-telemetry: could not start. If the message mentions WebAssembly or CSP, add ' +
        `"content_security_policy": {"extension_pages": "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'"} to manifest.json.`,
      error,
    );
  });

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
    // Strings only, each bounded: stringify cannot throw.
    const causes = describeCauses(value);
    const causesJson = causes && JSON.stringify(causes, (_, v) => (typeof v === 'string' ? boundText(v) : v));
    whenReady((c) => report(c.captureError(kind, message, stack, contextJson, undefined, undefined, causesJson), 'captureError'));
  }

  const telemetry = {
    ready,
    consentStatus() {
      return core ? core.consentStatus() : lastConsent;
    },
    setConsent(granted) {
      // Only a boolean decides: coercing `{}` would grant consent nobody gave,
      // coercing `undefined` would purge what the user agreed to.
      if (typeof granted !== 'boolean') {
        warn('setConsent(granted) needs a boolean; ignored', typeof granted);
        return ready.then(() => {}, () => {});
      }
      return deferred(async (c) => {
        // The core applies the choice at once, or answers undefined while a
        // hook has it busy: then it is asked again (bounded, about a second).
        let changed;
        for (let tries = 0; (changed = c.setConsent(granted)) === undefined && tries < 1000; tries++) await pause(1);
        // Storage reflects the choice before this resolves; on a revoke the
        // purge is stored before the wake sends the deletion request.
        if (changed) await persisted(c);
        c.wake();
        lastConsent = c.consentStatus();
        return mirrorConsent(lastConsent);
      });
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
        whenReady((c) => report(c.track(safeName, json), 'track', safeName));
      } catch (error) {
        warn('track failed', error);
      }
    },
    flush() {
      const begun = clock();
      return deferred(flushed).then((json) => {
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
            const merged = stopProps && typeof stopProps === 'object' ? mergeProps(props, stopProps) : props;
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
        const fields = feedbackFields(input);
        whenReady((c) => report(c.feedback(...fields), 'feedback'));
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
    stats() {
      const counted = core
        ? JSON.parse(core.stats())
        : { queued: 0, sent: 0, retries: 0, truncated: 0, dropped: { [DROP_REASONS[BUFFER_FULL]]: bufferedDrops } };
      return { ...counted, dropped: { ...NO_DROPS, ...counted.dropped }, buffered: buffered ? buffered.length : 0 };
    },
  };

  // A page is told "accepted" once the item is in storage: the worker may be
  // stopped right after, and the page keeps no copy to send again. Answers of
  // one burst of messages share one write.
  let persistSoon = null;
  const durable = (code) => {
    if (code !== RECORD_ACCEPTED || !core) return code;
    persistSoon ??= new Promise((resolve) => globalThis.setTimeout(resolve, 0)).then(() => {
      persistSoon = null;
      return core && persisted(core);
    });
    return persistSoon.then(() => code, () => code);
  };

  // A page client's call (js/bridge.js has checked its shape and sender).
  const fromPage = (op, args, { kind, origin }, reportedDrops) => {
    if (reportedDrops > 0) whenReady((c) => c.countDrops(BUFFER_FULL, reportedDrops));
    switch (op) {
      case 'track':
        return answered((c) => c.track(coerceName(args[0]), normalizeToJson(args[1]), kind, origin)).then(durable);
      case 'error':
        return answered((c) => c.captureError(args[0], args[1], args[2] ?? undefined, normalizeToJson(args[3]), kind, origin, normalizeToJson(args[4]))).then(durable);
      case 'timing':
        return answered((c) => c.recordTiming(coerceName(args[0]), args[1], normalizeToJson(args[2]), kind, origin)).then(durable);
      case 'feedback':
        return answered((c) => c.feedback(...feedbackFields(args[0]), kind, origin)).then(durable);
      case 'consent':
        return ready.then(() => lastConsent);
      case 'setConsent':
        return telemetry.setConsent(args[0]).then(() => lastConsent);
      default: // flush
        return telemetry.flush();
    }
  };

  // Listeners must exist before the first await of the worker's first turn.
  const lifecycle = options.lifecycleEvents ?? DEFAULTS.lifecycleEvents;
  try {
    listenToPages(chrome, fromPage, () => whenReady((c) => c.countDrops(DROP_REASON_INDEX.invalid, 1)));
    chrome?.alarms?.onAlarm?.addListener((alarm) => {
      if (alarm?.name === ALARM_NAME) wake();
    });
    chrome?.runtime?.onStartup?.addListener(() => {
      if (lifecycle) whenReady((c) => c.trackSystem('browser_startup', undefined));
      wake();
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
  globalThis.addEventListener?.('online', () => wake());
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
