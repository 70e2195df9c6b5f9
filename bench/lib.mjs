// Shared by the benchmarks in bench/: statistics and the package's size.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Browser, CHROMIUM, CHROMIUM_ARGS, EXAMPLE_EXTENSION, ROOT, waitFor, withTimeout, writeBlankPage } from '../tests/e2e/lib/harness.mjs';
import { LEGACY_STATE_KEY, RECORD_KEY } from '../js/constants.js';

// Playwright inspects the network of every service worker it attaches to
// (DevTools' Network domain on the worker): each fetch() the worker makes,
// the .wasm's included, is reported to it, which never happens on a user's
// machine. The benchmarks turn that off for every worker alike
// (BENCH_INSPECT_WORKER_NETWORK=1 keeps it, to compare): in one run of
// bench/cold.mjs (21 starts each) the floor that fetches this .wasm was
// ready +5.3 ms over an empty worker without it and +7.0 with it, the SDK
// +12.6 / +12.6 and +15.1 / +13.6 ms (0 / 1,000 queued). The e2e tests keep
// Playwright's default. (Playwright reads the variable as set or not.)
if (process.env.BENCH_INSPECT_WORKER_NETWORK === '1') delete process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK;
else process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK = '1';
/** How this run's workers were measured, for the reports: their network inspected (Playwright's default) or not. */
export const WORKER_NETWORK = process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK
  ? 'not inspected by DevTools, as on a user\'s machine (bench/lib.mjs)'
  : 'inspected by DevTools (Playwright\'s default; BENCH_INSPECT_WORKER_NETWORK=1)';

/** The median of a list of numbers (null when it is empty). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** What an extension ships for telemetry: pkg/*.wasm + pkg/*.js, raw and gzip -9. */
export function packageSize() {
  const dir = join(ROOT, 'pkg');
  const files = readdirSync(dir).filter((f) => f.endsWith('.wasm') || f.endsWith('.js'));
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  return { files, raw, gz };
}

/** Prints the package size line both benchmarks start with. */
export function printPackageSize() {
  const size = packageSize();
  console.log(`package: ${size.files.join(', ')}`);
  console.log(`  size: ${(size.raw / 1024).toFixed(1)} KiB raw, ${(size.gz / 1024).toFixed(1)} KiB gzip -9 (aim: <= 40 KiB)`);
  return size;
}

/**
 * The example extension's worker, also noting when `telemetry.ready` resolved
 * (`performance.now()` in a worker counts from the worker's start): pass as
 * `setup(options, { files: readyStampedWorker() })`.
 */
export function readyStampedWorker() {
  const source = readFileSync(join(ROOT, 'examples/extension/background.js'), 'utf8');
  return { 'background.js': `${source}\ntelemetry.ready.then(() => { self.__mv3tReadyAt = performance.now(); });\n` };
}

/** The 10 properties of the benchmarks' usage event. */
export const TEN_PROPS = { a: 1, b: 'two', c: true, d: 4.5, e: 'https://example.com/page', f: null, g: 'seven', h: 8, i: 'nine', j: [1, 2] };

/**
 * Calls one SDK operation `calls` times in the worker, in chunks, and returns
 * the per-call µs of the chunks: {median, p99, calls, chunks, stats, error}.
 * `which` is 'track' (`name` with `props`), 'timer' (startTimer + stop) or
 * 'error' (captureError of a fresh `Error` with a `stackFrames`-frame stack,
 * made before the clock starts). `target` names the global the SDK object
 * is on. With `settle`, each chunk's time runs until a macrotask after it
 * (so work an SDK defers to promises counts), minus the same wait measured
 * with no calls. Stops early after `budgetMs` or at the first throw.
 */
export function timeInWorker(browser, which, name, {
  target = 'telemetry', props = TEN_PROPS, calls = 100_000, chunk = 100, settle = false,
  stackFrames = 20, budgetMs = 250_000,
} = {}) {
  return browser.evaluate(async ([kind, label, opts]) => {
    const t = self[opts.target];
    await t.ready;
    const macrotask = () => new Promise((resolve) => {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => { port1.close(); resolve(); };
      port2.postMessage(0);
    });
    let errors = [];
    if (kind === 'error') {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = opts.stackFrames;
      const nested = (depth) => (depth <= 1 ? new Error('bench failure: could not load settings') : nested(depth - 1));
      errors = Array.from({ length: opts.calls }, () => nested(opts.stackFrames + 5));
      Error.stackTraceLimit = limit;
    }
    let baseline = 0;
    if (opts.settle) {
      const waits = [];
      for (let k = 0; k < 200; k++) {
        const t0 = performance.now();
        await macrotask();
        waits.push(performance.now() - t0);
      }
      waits.sort((x, y) => x - y);
      baseline = waits[waits.length >> 1];
    }
    const perCall = [];
    const started = performance.now();
    let done = 0;
    let error = null;
    try {
      while (done < opts.calls && performance.now() - started < opts.budgetMs) {
        const n = Math.min(opts.chunk, opts.calls - done);
        const t0 = performance.now();
        if (kind === 'timer') {
          for (let k = 0; k < n; k++) t.startTimer(label).stop();
        } else if (kind === 'error') {
          for (let k = 0; k < n; k++) t.captureError(errors[done + k]);
        } else {
          for (let k = 0; k < n; k++) t.track(label, opts.props);
        }
        if (opts.settle) await macrotask();
        perCall.push((Math.max(0, performance.now() - t0 - baseline) * 1000) / n);
        done += n;
      }
    } catch (err) {
      error = String(err && err.message || err);
    }
    errors = null;
    perCall.sort((x, y) => x - y);
    return {
      median: perCall.length ? perCall[perCall.length >> 1] : null,
      p99: perCall.length ? perCall[Math.floor(perCall.length * 0.99)] : null,
      calls: done,
      chunks: perCall.length,
      stats: typeof t.stats === 'function' ? t.stats() : null,
      error,
    };
  }, [which, name, { target, props, calls, chunk, settle, stackFrames, budgetMs }], { timeout: budgetMs + 60_000 });
}

/**
 * One headless Chromium with every unpacked extension of `dirs` loaded.
 * Returns {browsers: Map(dir -> Browser), version, close()}: each Browser
 * (tests/e2e/lib/harness.mjs) drives one extension's worker through a blank
 * page of that extension, so `killWorker()` stops that extension's worker
 * only (CDP's ServiceWorker domain is per storage partition).
 */
export async function launchExtensions(dirs, { timeout = 60_000 } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'mv3t-bench-profile-'));
  const list = dirs.join(',');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false, // the new headless mode below runs extensions
    args: ['--headless=new', ...CHROMIUM_ARGS, `--disable-extensions-except=${list}`, `--load-extension=${list}`],
    timeout,
  });
  const close = async () => {
    try { await withTimeout(context.close(), 15_000, 'chromium to close'); } catch { /* gone already */ }
    rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    const names = new Map(dirs.map((dir) => [JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).name, dir]));
    const ids = new Map();
    await waitFor(async () => {
      for (const w of context.serviceWorkers()) {
        const id = new URL(w.url()).host;
        if (!w.url().startsWith('chrome-extension://') || [...ids.values()].includes(id)) continue;
        const name = await w.evaluate(() => chrome.runtime.getManifest().name).catch(() => null);
        if (names.has(name)) ids.set(names.get(name), id);
      }
      return ids.size === dirs.length;
    }, { timeout, interval: 200, message: `${dirs.length} extension service workers`, describe: async () => `found ${ids.size}` });
    const browsers = new Map();
    for (const dir of dirs) {
      const b = new Browser(context, dir, userDataDir, null);
      b.extensionId = ids.get(dir);
      await b._init(timeout);
      browsers.set(dir, b);
    }
    const version = context.browser()?.version() ?? null;
    return { browsers, version, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The worker's JS heap after a full GC (CDP Runtime.getHeapUsage, usedSize),
 * read on the worker's own DevTools target.
 */
export async function workerHeapBytes(browser) {
  const session = await browser.attachToWorker();
  try {
    await session.send('HeapProfiler.collectGarbage');
    return (await session.send('Runtime.getHeapUsage')).usedSize;
  } finally {
    await session.detach();
  }
}

/** An empty wasm module (its 8-byte header): the fetch of a .wasm without its size. */
export const EMPTY_WASM = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

/**
 * The floors of a start that restores: an empty module worker whose first
 * line reads the SDK's start-up keys from chrome.storage.local (what any SDK
 * that keeps its queue across worker stops waits for) and, when `wasm` (the
 * bytes of a .wasm) is given, fetches and compiles it beside the read (what a
 * wasm SDK of that size waits for at the least; with EMPTY_WASM, what the
 * fetch alone costs). It stamps `self.__floor`: `t0` (first line), `get`
 * (read resolved), `wasm` (compiled), `ready` (both), in ms from worker start.
 * The harness copies the SDK's stored record into it (seedFloor), so the
 * read is the same size.
 */
export function startFloorExtension(name, wasm = null) {
  const read = `chrome.storage.local.get(${JSON.stringify([RECORD_KEY, LEGACY_STATE_KEY])}).then(() => { f.get = performance.now(); })`;
  const compile = "WebAssembly.compileStreaming(fetch(new URL('./floor.wasm', import.meta.url))).then(() => { f.wasm = performance.now(); })";
  const dir = emptyWorkerExtension(name, [
    'const f = self.__floor = { t0: performance.now() };',
    `Promise.all([${read}${wasm ? `, ${compile}` : ''}]).then(() => { f.ready = performance.now(); }, (e) => { f.error = String(e); });`,
  ].join('\n'));
  if (wasm) writeFileSync(join(dir, 'floor.wasm'), wasm);
  return dir;
}

/** Copies the SDK worker's stored record into a floor worker's storage. */
export async function seedFloor(floor, sdk) {
  const record = (await sdk.storage())[RECORD_KEY];
  await floor.evaluate(([key, value]) => chrome.storage.local.set({ [key]: value }), [RECORD_KEY, record]);
}

/** Waits (at most 15 s) for a floor worker's `ready` and returns its stamps. */
export function floorStamps(browser) {
  return browser.evaluate(async () => {
    const t0 = performance.now();
    while (self.__floor.ready === undefined && self.__floor.error === undefined && performance.now() - t0 < 15_000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return self.__floor;
  });
}

/**
 * The floor of a cold start: an extension (the example's manifest without its
 * pages and content scripts, whose files it does not have) whose module
 * worker imports nothing. `stamp` is its first statement; the listener lets
 * a harness wake it with the same message as the SDK's worker.
 */
export function emptyWorkerExtension(name, stamp) {
  const dir = mkdtempSync(join(tmpdir(), 'mv3t-empty-'));
  const manifest = { ...JSON.parse(readFileSync(join(EXAMPLE_EXTENSION, 'manifest.json'), 'utf8')), name };
  delete manifest.options_ui;
  delete manifest.action;
  delete manifest.content_scripts;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, 'background.js'), [
    stamp,
    "chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => { sendResponse({ ok: true, value: 'pong' }); });",
    '',
  ].join('\n'));
  writeBlankPage(dir);
  return dir;
}
