// The figures of issue 11 ("Lean core"), each beside its floor or budget, for
// measuring the core before and after its rewrite. A benchmark: it prints and
// writes bench/RESULTS.md (between <!-- lean:start --> and <!-- lean:end -->,
// the rest of the file is kept); it never asserts on a figure.
//
//   node bench/lean.mjs        (after `make package`; `make bench` does both)
//
//   LEAN_ROUNDS=15             rounds of each timed figure (default 11)
//   LEAN_STORM_MS=60000        length of each retry-storm window
//   LEAN_QUIET_MS=500          storage counts as settled after this long without a write
//   LEAN_TRACK_BURST=200       track() calls per timed burst
//   LEAN_SKIP_STABLE=1         skip building the plain stable wasm (figure 7)
//   LEAN_NO_WRITE=1            print only; leave bench/RESULTS.md alone
//
// What is measured, and how (everything through the SDK's public API, the
// package's files and chrome.storage.local; nothing of the SDK's storage keys
// or state format, except the floor of figure 2, which reads the start-up
// keys of js/constants.js as the SDK does):
//
// 1. Size: every .js and .wasm in pkg/, gzip -9, per file and in total.
// 2. Cold start: performance.now() in a worker counts from the worker's start.
//    Extensions run in one Chromium: an empty module worker (imports
//    nothing; stamps performance.now() on its first line), the floor of a
//    start that restores (an empty worker whose first line reads the SDK's
//    start-up keys and fetches and compiles the package's .wasm, stamped when
//    both resolved: bench/lib.mjs startFloorExtension), and the example
//    extension's worker stamped when `telemetry.ready` resolves. Each round
//    stops a worker (CDP ServiceWorker.stopAllWorkers) and wakes it with a
//    message, and its stamps are read 300 ms later (reading them sooner
//    slows a start still in progress); the rounds of the empty worker, the
//    floor and the SDK with 0 and with 1,000 queued alternate. "0 queued":
//    flush() until nothing is pending before each stop; "1,000 queued": a
//    second copy of the SDK's extension, its items tracked while it cannot
//    send (see "holding" below) before the rounds.
// 3. track(name, {10 props}) including deferred work: the CPU time of the
//    worker's thread (Linux /proc/<pid>/task/<tid>/schedstat; the thread is
//    found as the one far ahead of all others while the worker spins 400 ms)
//    over a burst of LEAN_TRACK_BURST calls and the wait until storage has
//    settled (the SDK's debounced persist done, then LEAN_QUIET_MS without a
//    write), minus the same wait with no calls measured in the same round,
//    divided by the calls; the median over rounds. Without
//    /proc: the non-idle time of a V8 CPU profile of the worker (CDP Profiler,
//    50 µs sampling, which slows JS down). Work in the browser process (the
//    storage backend) is not counted. The persistence floor is the same
//    measure of the least an SDK that keeps every event durable can do: each
//    event's JSON built, the burst written in one chrome.storage.local.set;
//    it too is measured in every round, beside that round's baseline.
//    The JS floor is JSON.stringify(props)
//    pushed into an array, timed in the same worker.
// 4. Bytes one new event writes: chrome.storage.local.set/remove/clear are
//    wrapped before the SDK loads (bench/lean/probe.js, the worker's first
//    import); every set() from just before one track() until storage has
//    settled is counted: key length + value length (a string's length, or
//    JSON.stringify's); remove() calls and keys are counted too.
// 5. wasm memory: bench/lean/probe.js wraps WebAssembly.instantiateStreaming
//    and .instantiate before the SDK loads and keeps the instance's memory,
//    whose buffer.byteLength is read at `ready` and after 10,000 events with
//    the collector answering 503.
// 6. Retry storm: the collector answers 503 to everything; 1,000 events are
//    tracked as fast as possible, each in a task of its own (a MessageChannel
//    message between calls, so the SDK's tasks can run between events, as in
//    an extension whose events come from separate messages); every request it receives in the next LEAN_STORM_MS is
//    counted, beside what the retry schedule allows (bench/lean/report.mjs,
//    retryAllowance: a Monte Carlo of the full-jitter schedule, one batch at
//    a time). Twice: from an empty queue, and after 10,000 events (a full
//    queue, whose cap evicts while a batch waits for its retry).
// 7. The package's wasm beside the plain stable build of the same sources
//    (wasm-pack --release with the crate's wasm-opt -Oz settings, no
//    RUSTC_BOOTSTRAP / -Zbuild-std), both gzip -9.
//
// "Holding" the queue: the SDK extension of figures 2-4 runs with
// batch.flushIntervalMs one hour and batch.maxEvents / maxBytes at their
// largest, so nothing is sent unless flush() is called (the collector counts
// requests, printed as a check), and maxQueuedItems 2,000 so the queue of
// 1,000 plus a burst is never cut by the cap.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EXAMPLE_EXTENSION, ROOT, prepareExtension, sleep, startMock } from '../tests/e2e/lib/harness.mjs';
import { TEN_PROPS, WORKER_NETWORK, emptyWorkerExtension, floorStamps, launchExtensions, median, seedFloor, startFloorExtension } from './lib.mjs';
import { fmt, profileBusyUs, ratio, renderTable, replaceSection, retryAllowance } from './lean/report.mjs';

const ROUNDS = Math.max(3, Number(process.env.LEAN_ROUNDS || 11));
const STORM_MS = Math.max(1000, Number(process.env.LEAN_STORM_MS || 60_000));
const QUIET_MS = Math.max(50, Number(process.env.LEAN_QUIET_MS || 500));
const BURST = Math.max(1, Number(process.env.LEAN_TRACK_BURST || 200));
const QUEUED = 1000;
const MEMORY_EVENTS = 10_000;
const STORM_EVENTS = 1000;
const SAMPLING_US = 50;
const BUDGET = { sizeKiB: 32, sizeAimKiB: 24, startAboveEmptyMs: 8, trackUs: 3, memReady: 512 * 1024, memAfter: 1024 * 1024 };
const RETRY_DEFAULTS = { baseDelayMs: 1000, maxDelayMs: 3_600_000, maxAttempts: 10 }; // DESIGN section 3
const PKG = join(ROOT, 'pkg');
const WASM = 'mv3_telemetry_bg.wasm'; // named by scripts/package.sh's --out-name

const started = Date.now();
const log = (...a) => console.log(`[lean ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`, ...a);
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

// ------------------------------------------------------------------ 1. size

// What the worker loads: the page client (page.js, page.global.js) is loaded
// by pages and content scripts only, and has its own budget (package.sh).
function packageFiles() {
  return readdirSync(PKG).filter((f) => (f.endsWith('.js') || f.endsWith('.wasm')) && !f.startsWith('page')).sort()
    .map((name) => {
      const bytes = readFileSync(join(PKG, name));
      return { name, raw: bytes.length, gz: gz(bytes), sha: createHash('sha256').update(bytes).digest('hex') };
    });
}

// ------------------------------------------------------- 7. the stable build

/**
 * Builds the crate with plain stable wasm-pack (no RUSTC_BOOTSTRAP, no
 * -Zbuild-std) into target/lean-stable-build/, its import and export names
 * minified as scripts/package.sh does (the glue is bundled into index.js
 * there and barely differs between the two builds: only the .wasm is
 * compared). Returns {wasm: {raw, gz, sha}} or {error}.
 */
function stableBuild() {
  const targetDir = join(ROOT, 'target/lean-stable-build');
  const outDir = join(targetDir, 'pkg');
  const env = { ...process.env, CARGO_TARGET_DIR: targetDir };
  delete env.RUSTC_BOOTSTRAP;
  delete env.RUSTFLAGS;
  delete env.CARGO_ENCODED_RUSTFLAGS;
  const path = `${join(ROOT, 'node_modules/.bin')}:${process.env.HOME}/.cargo/bin:${process.env.PATH}`;
  env.PATH = path;
  try {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(targetDir, { recursive: true });
    execFileSync('wasm-pack', ['build', '.', '--release', '--target', 'web', '--out-dir', outDir, '--out-name', 'mv3_telemetry'],
      { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20 * 60_000 });
    execFileSync('node', ['scripts/minify-imports.mjs', join(outDir, WASM), join(outDir, 'mv3_telemetry.js')],
      { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    const wasm = readFileSync(join(outDir, WASM));
    return { wasm: { raw: wasm.length, gz: gz(wasm), sha: createHash('sha256').update(wasm).digest('hex') } };
  } catch (error) {
    const detail = String(error.stderr || error.message || error).trim().split('\n').slice(-3).join(' / ');
    return { error: detail.slice(0, 300) };
  }
}

// ------------------------------------------------------- test extensions

/** An extension whose module worker imports nothing and stamps its first line. */
function emptyExtension() {
  return emptyWorkerExtension('lean bench: empty module worker', 'self.__benchT0 = performance.now();');
}

/** The held SDK's options: nothing is sent unless flush() asks (see "holding"). */
const HOLD_OPTIONS = (endpoint) => ({
  endpoint, defaultConsent: 'granted', maxQueuedItems: 2000,
  batch: { flushIntervalMs: 3_600_000, maxEvents: 10_000, maxBytes: 1_000_000 },
});

/**
 * The example extension with `options`, its worker importing the storage
 * probe first and stamping `ready` (time and wasm memory).
 */
function sdkExtension(name, options) {
  const example = readFileSync(join(EXAMPLE_EXTENSION, 'background.js'), 'utf8');
  const background = [
    "import './bench-probe.js'; // first: wraps chrome.storage.local before the SDK loads",
    example,
    '// bench/lean.mjs: wasm memory (the instance bench-probe.js caught as the',
    '// package made it), and the time of `ready`.',
    'self.__benchMemory = async () => self.__benchWasmMemory.buffer.byteLength;',
    'telemetry.ready.then(async () => {',
    '  const at = performance.now();',
    '  try { self.__benchMemAtReady = await self.__benchMemory(); } catch (e) { self.__benchMemError = String(e); }',
    '  self.__benchReadyAt = at;',
    '}, (e) => { self.__benchReadyError = String(e); });',
    '',
  ].join('\n');
  const dir = prepareExtension(options, {
    files: {
      'background.js': background,
      'bench-probe.js': readFileSync(join(ROOT, 'bench/lean/probe.js'), 'utf8'),
      'bench-wasm-memory.js': readFileSync(join(ROOT, 'bench/wasm-memory-probe.js'), 'utf8'),
    },
  });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.name = name;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

// ------------------------------------------------------ in-worker helpers

/** Waits for `ready` and the stamps of the SDK worker. */
function sdkReady(browser) {
  return browser.evaluate(async () => {
    const t0 = performance.now();
    while (self.__benchReadyAt === undefined && self.__benchReadyError === undefined && performance.now() - t0 < 15_000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return {
      readyAt: self.__benchReadyAt ?? null, firstLine: self.__benchT0 ?? null, memory: self.__benchMemAtReady ?? null,
      error: self.__benchReadyError ?? self.__benchMemError ?? null, queued: self.telemetry?.stats().queued ?? null,
      wrapped: self.__bench?.wrapped ?? null,
    };
  }, undefined, { timeout: 30_000 });
}

/** Waits until storage has settled (see probe.js). */
function settle(browser, opts = {}) {
  return browser.evaluate((o) => self.__bench.settled(o), { quietMs: QUIET_MS, maxMs: 10_000, ...opts }, { timeout: 40_000 });
}

/**
 * flush() until nothing is pending (bounded), then tracks events until
 * stats().queued reaches `target`, then waits for storage to settle.
 * Returns stats().queued.
 */
function prepareQueue(browser, target) {
  return browser.evaluate(async ([want, props, quietMs]) => {
    const t = self.telemetry;
    await t.ready;
    const t0 = performance.now();
    for (let k = 0; k < 50 && performance.now() - t0 < 20_000; k++) {
      const r = await t.flush();
      if (!r || r.pending === 0) break;
    }
    const add = Math.max(0, want - t.stats().queued);
    for (let i = 0; i < add; i++) t.track('bench_fill', props);
    await self.__bench.settled({ quietMs, maxMs: 15_000 });
    return t.stats().queued;
  }, [target, TEN_PROPS, QUIET_MS], { timeout: 90_000 });
}

// ------------------------------------------------------- 2. cold start

async function coldStartEmpty(browser) {
  await browser.killWorker();
  await browser.wake();
  return browser.evaluate(() => self.__benchT0 ?? null);
}

// The stamps are read COLD_SETTLE_MS after the wake: the harness reads them
// by injecting a script into the worker, which would slow a start still in
// progress (by about 10 ms for the floor worker when read at once).
const COLD_SETTLE_MS = 300;

/** worker start -> the floor's read and .wasm both resolved (bench/lib.mjs). */
async function coldStartFloor(browser) {
  await browser.killWorker();
  await browser.wake();
  await sleep(COLD_SETTLE_MS);
  return (await floorStamps(browser)).ready ?? null;
}

async function coldStartSdk(browser, { flushFirst }) {
  if (flushFirst) await prepareQueue(browser, 0);
  await browser.killWorker();
  await browser.wake();
  await sleep(COLD_SETTLE_MS);
  return sdkReady(browser);
}

// ---------------------------------------------- 3. track incl. deferred work

// CPU time of the worker's thread, from /proc/<pid>/task/<tid>/schedstat
// (ns on the CPU; no instrumentation in the worker, and time the thread
// waited for a core under load is not counted).
const procPids = () => { try { return readdirSync('/proc').filter((d) => /^\d+$/.test(d)); } catch { return []; } };
const readProc = (path) => { try { return readFileSync(path, 'utf8'); } catch { return null; } };
function descendsFromProfile(pid, userDataDir) {
  for (let p = pid, depth = 0; p && p !== '1' && depth < 6; depth++) {
    if ((readProc(`/proc/${p}/cmdline`) ?? '').includes(userDataDir)) return true;
    const stat = readProc(`/proc/${p}/stat`);
    p = stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] : null;
  }
  return false;
}
function threadCpuNs(t) {
  const text = readProc(`/proc/${t.pid}/task/${t.tid}/schedstat`);
  return text === null ? null : Number(text.split(' ')[0]);
}

/**
 * The worker's thread: of the threads of this Chromium's renderer processes,
 * the one that gains ~300 ms of CPU while the worker spins for 400 ms
 * (far more than any other thread). null when /proc cannot tell (then the CPU profile is used).
 */
async function findWorkerThread(browser) {
  const threads = [];
  for (const pid of procPids()) {
    if (!(readProc(`/proc/${pid}/cmdline`) ?? '').includes('--type=renderer') || !descendsFromProfile(pid, browser.userDataDir)) continue;
    for (const tid of readdirSync(`/proc/${pid}/task`, { throwIfNoEntry: false }) ?? []) threads.push({ pid, tid });
  }
  // Under load the spin gets less than its wall time of CPU: the thread is
  // the one far ahead of every other, whatever its share.
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = threads.map(threadCpuNs);
    await browser.evaluate(() => { const t0 = performance.now(); while (performance.now() - t0 < 400) { /* spin */ } });
    const gained = threads.map((t, i) => ({ d: (threadCpuNs(t) ?? 0) - (before[i] ?? 0), t })).sort((a, b) => b.d - a.d);
    if (gained.length && gained[0].d >= 40e6 && !(gained[1] && gained[1].d > gained[0].d / 4)) return gained[0].t;
  }
  return null;
}

let workerThread = null;
/**
 * One burst: `calls` track() calls, then the wait until storage has settled
 * (at least `minMs`). Returns {busyUs, syncUs, settle, method}: busyUs is the
 * worker thread's CPU time over the whole evaluation (or, without /proc, the
 * non-idle time of a V8 CPU profile of it).
 */
async function measuredBurst(browser, calls, { minMs = 0, floor = false } = {}) {
  const run = () => browser.evaluate(async ([n, props, quietMs, min, persistFloor]) => {
    const mark = self.__bench.mark();
    const t0 = performance.now();
    if (persistFloor) {
      // The persistence floor: each event made durable the cheapest way an
      // SDK can (its JSON with an id and a time, all in one storage set).
      const lines = [];
      for (let i = 0; i < n; i++) {
        lines.push(JSON.stringify({ id: crypto.randomUUID(), type: 'event', name: 'bench_track', ts: Date.now(), props }));
      }
      await chrome.storage.local.set({ 'bench.floor': lines.join('\n') });
    } else {
      for (let i = 0; i < n; i++) self.telemetry.track('bench_track', props);
    }
    const syncUs = (performance.now() - t0) * 1000;
    const settle = await self.__bench.settled({ mark, requireWrite: n > 0, quietMs, minMs: min, maxMs: 10_000 });
    return { syncUs, settle, written: self.__bench.since(mark) };
  }, [calls, TEN_PROPS, QUIET_MS, minMs, floor], { timeout: 40_000 });
  if (workerThread === null || threadCpuNs(workerThread) === null) workerThread = await findWorkerThread(browser);
  if (workerThread) {
    const c0 = threadCpuNs(workerThread);
    const r = await run();
    const c1 = threadCpuNs(workerThread);
    if (c0 !== null && c1 !== null) return { ...r, busyUs: (c1 - c0) / 1000, method: 'thread CPU time' };
  }
  const session = await browser.attachToWorker();
  try {
    await session.send('Profiler.enable');
    await session.send('Profiler.setSamplingInterval', { interval: SAMPLING_US });
    await session.send('Profiler.start');
    let r;
    let profile;
    try {
      r = await run();
    } finally {
      ({ profile } = await session.send('Profiler.stop'));
    }
    await session.send('Profiler.disable').catch(() => {});
    return { ...r, busyUs: profileBusyUs(profile), method: 'CPU profile' };
  } finally {
    await session.detach();
  }
}

/** µs per call: the median over rounds of (busy - that round's baseline) / BURST. */
function netPerCall(busy, base) {
  return Math.max(0, median(busy.map((x, i) => x - base[i]))) / BURST;
}

/** The JS floor: JSON.stringify(props) kept in an array, µs per call (median of rounds). */
function jsFloor(browser) {
  return browser.evaluate(([props, rounds]) => {
    const per = [];
    for (let r = 0; r < rounds; r++) {
      const keep = [];
      const n = 20_000;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) keep.push(JSON.stringify(props));
      per.push(((performance.now() - t0) * 1000) / n);
      if (keep.length !== n) throw new Error('unreachable');
    }
    per.sort((a, b) => a - b);
    return per[per.length >> 1];
  }, [TEN_PROPS, 21], { timeout: 60_000 });
}

// ------------------------------------------------------- 4. bytes per event

function oneEventWrites(browser) {
  return browser.evaluate(async ([props, quietMs]) => {
    const mark = self.__bench.mark();
    self.telemetry.track('bench_one', props);
    const settle = await self.__bench.settled({ mark, requireWrite: true, quietMs, maxMs: 10_000 });
    return { ...self.__bench.since(mark), settled: settle.ok, queued: self.telemetry.stats().queued };
  }, [TEN_PROPS, QUIET_MS], { timeout: 40_000 });
}

// ---------------------------------------------------- 5 and 6 on one worker

/** Tracks `count` events in chunks of 100, a macrotask between chunks (at most 120 s). */
function trackChunked(browser, name, count) {
  return browser.evaluate(async ([n, total, props]) => {
    const macrotask = () => new Promise((resolve) => { const c = new MessageChannel(); c.port1.onmessage = () => { c.port1.close(); resolve(); }; c.port2.postMessage(0); });
    const t0 = performance.now();
    let done = 0;
    while (done < total && performance.now() - t0 < 120_000) {
      const m = Math.min(100, total - done);
      for (let i = 0; i < m; i++) self.telemetry.track(n, props);
      done += m;
      await macrotask();
    }
    return done;
  }, [name, count, TEN_PROPS], { timeout: 180_000 });
}

/** 1,000 events at once, then every request the collector gets for STORM_MS. */
async function storm(browser, mock, label) {
  const t0 = Date.now();
  // Each event in a task of its own, as events come to an extension (one
  // message, one tab update...): the SDK's own tasks can run between them.
  const burstMs = await browser.evaluate(async ([n, props]) => {
    const macrotask = () => new Promise((resolve) => { const c = new MessageChannel(); c.port1.onmessage = () => { c.port1.close(); resolve(); }; c.port2.postMessage(0); });
    const t0 = performance.now();
    for (let i = 0; i < n && performance.now() - t0 < 30_000; i++) {
      self.telemetry.track('bench_storm', props);
      await macrotask();
    }
    return performance.now() - t0;
  }, [STORM_EVENTS, TEN_PROPS], { timeout: 60_000 });
  const stopsBefore = browser.workerStops.length;
  let lastLog = Date.now();
  while (Date.now() - t0 < STORM_MS) {
    await sleep(Math.min(1000, STORM_MS - (Date.now() - t0)));
    if (Date.now() - lastLog >= 15_000) { lastLog = Date.now(); log(`  storm (${label}): ${((Date.now() - t0) / 1000).toFixed(0)} s`); }
  }
  const requests = (await mock.requests()).filter((r) => r.received_at_ms >= t0 && r.received_at_ms <= t0 + STORM_MS);
  const byEndpoint = {};
  for (const r of requests) byEndpoint[r.endpoint] = (byEndpoint[r.endpoint] ?? 0) + 1;
  const events = requests.filter((r) => /events/.test(r.endpoint));
  const duringBurst = events.filter((r) => r.received_at_ms <= t0 + burstMs + 100).length;
  const stats = await browser.evaluate(() => self.telemetry.stats()).catch(() => null);
  return { total: requests.length, events: events.length, byEndpoint, duringBurst, burstMs: Math.round(burstMs), stats, workerStops: browser.workerStops.length - stopsBefore };
}

// ------------------------------------------------------------------- main

async function main() {
  if (!existsSync(join(PKG, WASM))) throw new Error(`pkg/${WASM} is missing: run \`make package\` first`);
  const host = { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, loadStart: loadavg().map((l) => l.toFixed(2)).join(' ') };
  const figures = {};

  // 1. size
  figures.files = packageFiles();
  log(`package: ${figures.files.map((f) => `${f.name} ${fmt.kib(f.gz)}`).join(', ')}`);

  // 2-6 in one Chromium
  const mockHold = await startMock();
  const mockStorm = await startMock();
  const dirs = {
    empty: emptyExtension(),
    floor: startFloorExtension('lean bench: floor, read + .wasm', readFileSync(join(ROOT, 'pkg', 'mv3_telemetry_bg.wasm'))),
    hold: sdkExtension('lean bench: SDK, queue held', HOLD_OPTIONS(mockHold.url)),
    // The same SDK with QUEUED items held through the cold-start rounds, so
    // that its starts alternate with the others' (one block after the other
    // would put any drift of the machine between the two figures).
    held: sdkExtension(`lean bench: SDK, ${QUEUED} queued`, HOLD_OPTIONS(mockHold.url)),
    storm: sdkExtension('lean bench: SDK, defaults', { endpoint: mockStorm.url, defaultConsent: 'granted' }),
  };
  let env;
  try {
    env = await launchExtensions(Object.values(dirs));
    figures.chromium = env.version;
    const empty = env.browsers.get(dirs.empty);
    const floor = env.browsers.get(dirs.floor);
    const hold = env.browsers.get(dirs.hold);
    const held = env.browsers.get(dirs.held);
    const stormB = env.browsers.get(dirs.storm);
    const first = await sdkReady(hold);
    figures.wrapped = first.wrapped;
    if (first.error) log(`SDK worker: ${first.error}`);
    log(`storage probe: ${JSON.stringify(first.wrapped)}`);
    await sdkReady(stormB);
    await sdkReady(held);

    // 2. cold start: the empty worker, the floor, the SDK with 0 and with
    // QUEUED items, round after round
    const cold = { empty: [], floor: [], sdk0: [], sdk1000: [], mem0: [], mem1000: [], q0: [], q1000: [] };
    await prepareQueue(hold, 0);
    await prepareQueue(held, QUEUED);
    await seedFloor(floor, hold);
    for (let r = 0; r < ROUNDS; r++) {
      const e = await coldStartEmpty(empty);
      if (e !== null) cold.empty.push(e);
      const f = await coldStartFloor(floor);
      if (f !== null) cold.floor.push(f);
      const s = await coldStartSdk(hold, { flushFirst: true });
      if (s.readyAt !== null) { cold.sdk0.push(s.readyAt); cold.mem0.push(s.memory); cold.q0.push(s.queued); }
      const h = await coldStartSdk(held, { flushFirst: false });
      if (h.readyAt !== null) { cold.sdk1000.push(h.readyAt); cold.mem1000.push(h.memory); cold.q1000.push(h.queued); }
    }
    log(`cold start: empty ${median(cold.empty)?.toFixed(1)} ms, floor ${median(cold.floor)?.toFixed(1)} ms, SDK 0 queued ${median(cold.sdk0)?.toFixed(1)} ms, ${QUEUED} queued ${median(cold.sdk1000)?.toFixed(1)} ms (queued at ready ${median(cold.q0)} and ${median(cold.q1000)})`);
    figures.cold = cold;

    // 3. track() including deferred work, and 4. bytes per event
    const track = { 0: [], 1000: [], sync0: [], sync1000: [], windows: [], q0: [], q1000: [], base: [], floorBusy: [], unsettled: 0 };
    track.floorUs = await jsFloor(hold);
    // Each round measures the SDK's bursts, the same wait with no calls and
    // the persistence floor one after the other, so that every figure is
    // taken net of a baseline from the same minute of the same machine (the
    // floor alone moved by 2x between runs when it was measured apart).
    for (let r = 0; r < ROUNDS; r++) {
      let windowMs = 0;
      for (const q of [0, QUEUED]) {
        const queued = await prepareQueue(hold, q);
        const b = await measuredBurst(hold, BURST);
        track[q].push(b.busyUs);
        (track.methods ??= new Set()).add(b.method);
        track[q === 0 ? 'sync0' : 'sync1000'].push(b.syncUs / BURST);
        track[q === 0 ? 'q0' : 'q1000'].push(queued);
        track.windows.push(b.settle.ms);
        windowMs = Math.max(windowMs, b.settle.ms);
        if (!b.settle.ok) track.unsettled++;
      }
      track.base.push((await measuredBurst(hold, 0, { minMs: windowMs })).busyUs);
      track.floorBusy.push((await measuredBurst(hold, BURST, { minMs: windowMs, floor: true })).busyUs);
    }
    const windowMs = median(track.windows);
    track.baselineUs = median(track.base);
    track.persistFloorUs = netPerCall(track.floorBusy, track.base);
    await hold.evaluate(() => chrome.storage.local.remove('bench.floor'));
    figures.track = track;
    const perCall = (q) => netPerCall(track[q], track.base);
    log(`track incl. deferred: 0 queued ${perCall(0).toFixed(2)} µs, 1,000 queued ${perCall(1000).toFixed(2)} µs (baseline ${(track.baselineUs / 1000).toFixed(2)} ms per window of ${windowMs.toFixed(0)} ms); floor ${track.floorUs.toFixed(2)} µs`);

    const bytes = { 10: [], 1000: [], raw: { 10: [], 1000: [] } };
    for (let r = 0; r < Math.min(ROUNDS, 7); r++) {
      for (const q of [10, QUEUED]) {
        await prepareQueue(hold, q);
        const w = await oneEventWrites(hold);
        bytes[q].push(w.setBytes);
        bytes.raw[q].push(w);
      }
    }
    figures.bytes = bytes;
    log(`bytes per event: 10 queued ${median(bytes[10])} B, 1,000 queued ${median(bytes[1000])} B`);
    figures.holdRequests = (await mockHold.stats()).requests ?? null;

    // 5 and 6: default options, collector answering 503 to everything.
    await settle(stormB);
    figures.memFresh = (await sdkReady(stormB)).memory;
    await mockStorm.faults({ status: 503, count: 100_000_000 });
    log(`storm from an empty queue: ${STORM_EVENTS} events, collector 503, ${STORM_MS / 1000} s`);
    figures.stormEmpty = await storm(stormB, mockStorm, 'empty queue');
    log(`  ${JSON.stringify(figures.stormEmpty)}`);
    const more = await trackChunked(stormB, 'bench_memory', MEMORY_EVENTS - STORM_EVENTS);
    await settle(stormB, { maxMs: 15_000 });
    figures.memAfter = await stormB.evaluate(() => self.__benchMemory());
    figures.memEvents = STORM_EVENTS + more;
    log(`wasm memory after ${figures.memEvents} events: ${fmt.kib(figures.memAfter)}`);
    log(`storm from a full queue: ${STORM_EVENTS} events, collector 503, ${STORM_MS / 1000} s`);
    figures.stormFull = await storm(stormB, mockStorm, 'full queue');
    log(`  ${JSON.stringify(figures.stormFull)}`);
    await mockStorm.reset().catch(() => {});
  } finally {
    if (env) await env.close();
    await mockHold.stop();
    await mockStorm.stop();
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  }

  // 7. the plain stable build
  if (process.env.LEAN_SKIP_STABLE !== '1') {
    log('building the plain stable wasm (wasm-pack --release, no -Zbuild-std)...');
    figures.stable = stableBuild();
    log(figures.stable.error ? `stable build failed: ${figures.stable.error}` : `stable wasm ${fmt.kib(figures.stable.wasm.gz)} gzip`);
  }

  host.loadEnd = loadavg().map((l) => l.toFixed(2)).join(' ');
  const rows = tableRows(figures);
  const { markdown, text } = renderTable(rows);
  console.log(`\n${text}\n`);
  const notes = notesFor(figures, host);
  for (const n of notes) console.log(`- ${n}`);
  if (process.env.LEAN_NO_WRITE !== '1') {
    const path = join(ROOT, 'bench/RESULTS.md');
    const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const section = [
      '# Lean core figures (issue 11)',
      '',
      `Written by \`node bench/lean.mjs\` (part of \`make bench\`) on ${new Date().toISOString().slice(0, 10)}, in ${((Date.now() - started) / 1000).toFixed(0)} s; medians in one Chromium run. How each figure is measured: the comment at the top of bench/lean.mjs.`,
      '',
      markdown,
      '',
      ...notes.map((n) => `- ${n}`),
    ].join('\n');
    writeFileSync(path, replaceSection(existing, section));
    log('wrote the lean section of bench/RESULTS.md');
  }
}

function tableRows(f) {
  const rows = [];
  const total = f.files.reduce((s, x) => s + x.gz, 0);
  rows.push({ figure: 'shipped size: pkg/*.js + *.wasm, gzip -9', value: fmt.kib(total), floor: `budget ${BUDGET.sizeKiB} KiB (aim ${BUDGET.sizeAimKiB})`, ratio: ratio(total, BUDGET.sizeKiB * 1024) });
  for (const x of f.files) rows.push({ figure: `  ${x.name}`, value: `${fmt.kib(x.gz)} (raw ${fmt.kib(x.raw)})`, floor: '', ratio: `${((100 * x.gz) / total).toFixed(0)}% of total` });
  if (f.stable) {
    if (f.stable.error) {
      rows.push({ figure: 'plain stable build (no -Zbuild-std)', value: `build failed: ${f.stable.error}`, floor: '', ratio: '' });
    } else {
      const pkgWasm = f.files.find((x) => x.name.endsWith('.wasm'));
      const stableTotal = total - (pkgWasm?.gz ?? 0) + f.stable.wasm.gz;
      const same = pkgWasm && pkgWasm.sha === f.stable.wasm.sha;
      rows.push({ figure: 'plain stable build (wasm-pack --release, wasm-opt -Oz): shipped total', value: fmt.kib(stableTotal), floor: `package ${fmt.kib(total)}${same ? ' (the package IS the stable build)' : ''}`, ratio: ratio(stableTotal, total) });
      rows.push({ figure: '  stable .wasm vs package .wasm, gzip -9', value: fmt.kib(f.stable.wasm.gz), floor: `package ${fmt.kib(pkgWasm?.gz ?? 0)}`, ratio: `${stableTotal - total >= 0 ? '+' : ''}${fmt.kib(stableTotal - total)} total` });
    }
  }
  const c = f.cold;
  const empty = median(c.empty);
  rows.push({ figure: 'cold start: empty module worker (first line)', value: fmt.ms(empty), floor: 'the floor', ratio: '' });
  const floor = median(c.floor ?? []);
  if (floor !== null) {
    rows.push({
      figure: 'cold start floor: empty worker reading the start-up keys and compiling this .wasm',
      value: `${fmt.ms(floor)} (+${fmt.ms(floor - empty)} over empty)`,
      floor: `empty ${fmt.ms(empty)} + ${BUDGET.startAboveEmptyMs} ms`,
      ratio: `${ratio(floor - empty, BUDGET.startAboveEmptyMs)} budget`,
    });
  }
  for (const [label, xs] of [['0 queued', c.sdk0], ['1,000 queued', c.sdk1000]]) {
    const m = median(xs);
    rows.push({
      figure: `cold start: worker start -> ready, ${label}`,
      value: m === null ? 'not measured' : `${fmt.ms(m)} (+${fmt.ms(m - empty)} over empty)`,
      floor: `empty ${fmt.ms(empty)} + ${BUDGET.startAboveEmptyMs} ms`,
      ratio: m === null ? '' : `${ratio(m, empty)} empty; ${ratio(m - empty, BUDGET.startAboveEmptyMs)} budget${floor === null ? '' : `; ${ratio(m - empty, floor - empty)} the floor's`}`,
    });
  }
  const t = f.track;
  for (const q of [0, 1000]) {
    const per = netPerCall(t[q], t.base);
    const sync = median(t[q === 0 ? 'sync0' : 'sync1000']);
    rows.push({
      figure: `track(name, {10 props}) incl. deferred work, ${q === 0 ? '0' : '1,000'} queued (burst of ${BURST})`,
      value: fmt.us(per),
      floor: `JS floor ${fmt.us(t.floorUs)}; persistence floor ${fmt.us(t.persistFloorUs)}; budget ${BUDGET.trackUs} µs`,
      ratio: `${ratio(per, t.floorUs)} JS floor; ${ratio(per, t.persistFloorUs)} persistence floor; ${ratio(per, BUDGET.trackUs)} budget`,
    });
    rows.push({ figure: '  of which the calls themselves (wall time of the loop)', value: fmt.us(sync), floor: `JS floor ${fmt.us(t.floorUs)}`, ratio: `${ratio(sync, t.floorUs)} floor` });
  }
  const b10 = median(f.bytes[10]);
  const b1000 = median(f.bytes[1000]);
  const writes = (q) => {
    const r = f.bytes.raw[q];
    return `${median(r.map((x) => x.sets))} set() / ${median(r.map((x) => x.setKeys))} keys, ${median(r.map((x) => x.removes))} remove() / ${median(r.map((x) => x.removeKeys))} keys`;
  };
  rows.push({ figure: 'storage bytes written by one new event, 10 queued', value: `${fmt.bytes(b10)} (${writes(10)})`, floor: 'the same as with 1,000', ratio: '' });
  rows.push({ figure: 'storage bytes written by one new event, 1,000 queued', value: `${fmt.bytes(b1000)} (${writes(1000)})`, floor: `10 queued: ${fmt.bytes(b10)}`, ratio: ratio(b1000, b10) });
  const m0 = median(c.mem0);
  const m1000 = median(c.mem1000);
  rows.push({ figure: 'wasm memory at ready, 0 queued', value: m0 === null ? 'not read' : fmt.kib(m0), floor: `budget ${fmt.kib(BUDGET.memReady)}`, ratio: ratio(m0, BUDGET.memReady) });
  rows.push({ figure: 'wasm memory at ready, 1,000 queued', value: m1000 === null ? 'not read' : fmt.kib(m1000), floor: `budget ${fmt.kib(BUDGET.memReady)}`, ratio: ratio(m1000, BUDGET.memReady) });
  rows.push({ figure: `wasm memory after ${f.memEvents ?? MEMORY_EVENTS} events, collector 503`, value: f.memAfter == null ? 'not read' : fmt.kib(f.memAfter), floor: `budget ${fmt.kib(BUDGET.memAfter)}`, ratio: ratio(f.memAfter, BUDGET.memAfter) });
  const allow = retryAllowance({ windowMs: STORM_MS, ...RETRY_DEFAULTS });
  f.allowance = allow;
  for (const [label, s] of [['empty queue', f.stormEmpty], ['full queue (after 10,000 events)', f.stormFull]]) {
    if (!s) continue;
    const others = Object.entries(s.byEndpoint).filter(([e]) => !/events/.test(e)).map(([e, n]) => `${e} ${n}`).join(', ');
    rows.push({
      figure: `requests to /v1/events in ${STORM_MS / 1000} s after ${STORM_EVENTS} events, collector 503, from ${label}`,
      value: `${s.events} (${s.duringBurst} during the ${s.burstMs} ms burst${others ? `; other endpoints: ${others}` : ''})`,
      floor: `schedule allows ${allow.mean.toFixed(1)} (p99 ${allow.p99})`,
      ratio: ratio(s.events, allow.mean),
    });
  }
  return rows;
}

function notesFor(f, host) {
  const t = f.track;
  const notes = [
    `Chromium ${f.chromium ?? '?'}, ${host.cores} cores (${host.cpu}); load average ${host.loadStart} at start, ${host.loadEnd} at the end. The machine was shared with other work: timed figures are noisy.`,
    `Workers' network: ${WORKER_NETWORK}, for every worker alike.`,
    `Rounds: ${ROUNDS} cold starts per figure (empty, floor, SDK 0 and 1,000 queued alternating; stamps read ${COLD_SETTLE_MS} ms after each wake); ${ROUNDS} measured bursts of ${BURST} track() calls per queue size; storage settles after ${QUIET_MS} ms without a write.`,
    `track(): ${[...(t.methods ?? [])].map((m) => (m === 'CPU profile' ? `busy (non-idle) time of a V8 CPU profile of the worker (${SAMPLING_US} µs sampling, which slows JS down)` : 'CPU time of the worker\'s thread (/proc/<pid>/task/<tid>/schedstat)')).join(' in some rounds, ')} over the burst and the wait until storage settled, minus the same wait with no calls measured in the same round (median ${(t.baselineUs / 1000).toFixed(2)} ms), divided by ${BURST}, median over rounds (per-round busy ms, 0 queued: ${t[0].map((x) => (x / 1000).toFixed(1)).join(' ')}; 1,000 queued: ${t[1000].map((x) => (x / 1000).toFixed(1)).join(' ')}); queue before the bursts: median ${median(t.q0)} and ${median(t.q1000)} items${t.unsettled ? `; ${t.unsettled} bursts did not settle within 10 s` : ''}. The JS floor: JSON.stringify(props) pushed into an array, 20,000 calls, median of 21. The persistence floor: what making each event durable costs at the least, measured like track(): per burst, each event's JSON (id, type, name, time, props) built and all ${BURST} written in one chrome.storage.local.set, in the same rounds, minus the same baselines. 'The calls themselves': wall time of the loop of ${BURST} calls (wall time: under load it includes time the thread waited for a core, as does the floor).`,
    `Queued at ready in the cold-start rounds: median ${median(f.cold.q0)} and ${median(f.cold.q1000)} items (stats().queued). The held SDK's collector got ${f.holdRequests ?? '?'} requests over the whole run, the flush() calls that empty the queue between rounds included.`,
    `Storage probe (chrome.storage.local wrapped before the SDK loaded): ${JSON.stringify(f.wrapped)}.`,
    `Retry allowance: Monte Carlo of the full-jitter schedule (delay after failure k uniform in [0, min(${RETRY_DEFAULTS.maxDelayMs}, ${RETRY_DEFAULTS.baseDelayMs}·2^(k-1))] ms, ${RETRY_DEFAULTS.maxAttempts} attempts then the next batch at once, one batch at a time, round trips taken as 0): mean ${f.allowance?.mean.toFixed(2)}, median ${f.allowance?.p50}, p99 ${f.allowance?.p99}, max ${f.allowance?.max} requests in ${STORM_MS / 1000} s.`,
  ];
  for (const [label, s] of [['empty queue', f.stormEmpty], ['full queue', f.stormFull]]) {
    if (s) notes.push(`Storm from ${label}: ${s.total} requests in all (${JSON.stringify(s.byEndpoint)}); worker stops during the window: ${s.workerStops}; stats() afterwards: ${JSON.stringify(s.stats)}.`);
  }
  if (f.memFresh != null) notes.push(`wasm memory of the defaults extension at ready (fresh profile): ${fmt.kib(f.memFresh)}.`);
  if (f.stable && !f.stable.error) {
    const pkgWasm = f.files.find((x) => x.name.endsWith('.wasm'));
    notes.push(pkgWasm && pkgWasm.sha === f.stable.wasm.sha
      ? 'The package\'s .wasm is byte-identical to the plain stable build: scripts/package.sh fell back to it (or was run with PACKAGE_STABLE=1).'
      : 'The package\'s .wasm differs from the plain stable build: it is the unstable-flags build (RUSTC_BOOTSTRAP=1, -Zbuild-std, panic=immediate-abort).');
  }
  return notes;
}

await main();
