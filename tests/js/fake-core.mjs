// A stand-in for the wasm Client, with the interface js/ drives (see
// js/telemetry.js): every call is logged in order, record calls return the
// code `codes[method]` (accepted by default), and start() resolves with the
// start code (the consent state, and the sweep bit when `needsSweep`) when the
// test says so. Plain values only: no wasm, no browser.
import { CONSENT_STATES, RECORD_ACCEPTED, START_NEEDS_SWEEP } from '../../js/constants.js';

export function fakeCore({ consent = 'granted', codes = {}, stats, needsSweep = false } = {}) {
  const calls = [];
  let finishStart;
  const started = new Promise((resolve) => { finishStart = resolve; });
  const log = (method, args) => calls.push({ method, args });
  const record = (method) => (...args) => {
    log(method, args);
    return codes[method] ?? RECORD_ACCEPTED;
  };
  const core = {
    calls,
    /** Lets start() resolve (it resolves at once unless `holdStart()` was called). */
    finishStart: () => finishStart(),
    holdStart: false,
    start(...args) {
      log('start', args);
      const code = CONSENT_STATES.indexOf(consent) | (needsSweep ? START_NEEDS_SWEEP : 0);
      return (core.holdStart ? started : Promise.resolve()).then(() => code);
    },
    wake() { log('wake', []); },
    consentStatus() { return consent; },
    anonymousId() { return consent === 'granted' ? '00000000-0000-4000-8000-000000000000' : undefined; },
    setConsent(granted) {
      log('setConsent', [granted]);
      const before = consent;
      consent = granted ? 'granted' : 'denied';
      return consent !== before;
    },
    track: record('track'),
    trackSystem: record('trackSystem'),
    captureError: record('captureError'),
    recordTiming: record('recordTiming'),
    feedback: record('feedback'),
    countDrops(reasonIndex, n) { log('countDrops', [reasonIndex, n]); },
    stats() { return JSON.stringify(stats ?? { queued: calls.filter((c) => c.method === 'track').length, sent: 0, retries: 0, truncated: 0, dropped: {} }); },
    flush(done) { log('flush', []); done(JSON.stringify({ sent: 0, pending: 0 })); },
    persist(done) { log('persist', []); done(); },
    __panicForTests() { throw new WebAssembly.RuntimeError('unreachable'); },
    /** The methods called, in order, leaving out the read-only ones. */
    methods: () => calls.map((c) => c.method),
  };
  return core;
}

/**
 * A loadCore for createTelemetry that hands out `core` once `gate` resolves,
 * and remembers what it was given.
 */
export function loaderFor(core, gate = Promise.resolve()) {
  const loader = async (...args) => {
    loader.args = args;
    await gate;
    return core;
  };
  return loader;
}

/** A promise and its resolve function. */
export function gate() {
  let open;
  const promise = new Promise((resolve) => { open = resolve; });
  return { promise, open };
}

/** Waits for the next macrotask, after every pending setTimeout 0. */
export const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Options every test starts from: no global listeners left behind. */
export const BASE = Object.freeze({ endpoint: 'https://collector.example.com', captureGlobalErrors: false, lifecycleEvents: false });

/** Runs `fn` with console.warn captured; returns the warnings as text. */
export async function capturingWarnings(fn) {
  const original = console.warn;
  const seen = [];
  console.warn = (...args) => seen.push(args.map(String).join(' '));
  try {
    await fn();
  } finally {
    console.warn = original;
  }
  return seen;
}
