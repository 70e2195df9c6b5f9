// Shared harness for the end-to-end tests: the mock collector, Chromium with
// the example extension loaded unpacked, and helpers to drive its service
// worker (evaluate, kill, wake) and to wait on the collector.
//
// Everything binds 127.0.0.1, every wait is bounded, and everything started
// here is stopped by `close()` (and, as a last resort, on process exit).

import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const EXAMPLE_EXTENSION = join(ROOT, 'examples/extension');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

const DEBUG = Boolean(process.env.E2E_DEBUG);
const log = (...a) => { if (DEBUG) console.error('[e2e]', ...a); };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Processes and directories to clean up even if a test forgets to close().
const cleanups = new Set();
process.on('exit', () => { for (const fn of cleanups) { try { fn(); } catch { /* ignore */ } } });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { for (const fn of cleanups) { try { fn(); } catch { /* ignore */ } } process.exit(130); });
}

/**
 * Polls `fn` until it returns a truthy value (returned) or `timeout` ms pass,
 * then throws an error naming `message` and describing the last value seen.
 */
export async function waitFor(fn, { timeout = 10_000, interval = 100, message = 'condition', describe } = {}) {
  const deadline = Date.now() + timeout;
  let last; let lastErr;
  for (;;) {
    try {
      last = await fn();
      lastErr = undefined;
      if (last) return last;
    } catch (err) { lastErr = err; }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
  let detail = lastErr ? `last error: ${lastErr.message}` : '';
  if (describe) { try { detail = `${detail} ${await describe()}`.trim(); } catch (e) { detail += ` (describe failed: ${e.message})`; } }
  throw new Error(`timed out after ${timeout} ms waiting for ${message}${detail ? `: ${detail}` : ''}`);
}

/** Races a promise against a deadline. */
export async function withTimeout(promise, ms, what) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
    ]);
  } finally { clearTimeout(timer); }
}

// ------------------------------------------------------------------ mock server

let mockBinary;
/** Path of the built mock-server binary (builds it once if needed). */
export function mockServerBinary() {
  if (process.env.MOCK_SERVER_BIN) return process.env.MOCK_SERVER_BIN;
  if (mockBinary) return mockBinary;
  const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20,
  }));
  mockBinary = join(meta.target_directory, 'debug', 'mock-server');
  // `make test-e2e` builds it first and says so; run directly, build it here.
  if (process.env.E2E_MOCK_BUILT !== '1' || !existsSync(mockBinary)) {
    execFileSync('cargo', ['build', '-q', '-p', 'mock-server'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return mockBinary;
}

/**
 * Starts the mock collector (`mock-server --port N`, 0 = any free port) and
 * returns a client for its control API.
 */
export async function startMock({ port = 0 } = {}) {
  const bin = mockServerBinary();
  const proc = spawn(bin, ['--port', String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = [];
  proc.stderr.on('data', (d) => { stderr.push(d); if (DEBUG) process.stderr.write(d); });
  const kill = () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); };
  cleanups.add(kill);
  const rl = createInterface({ input: proc.stdout });
  const url = await withTimeout(new Promise((res, rej) => {
    rl.once('line', (line) => {
      const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))\s*$/.exec(line);
      if (m) res(m[1]); else rej(new Error(`mock-server printed an unexpected first line: ${JSON.stringify(line)}`));
    });
    proc.once('exit', (code, sig) => rej(new Error(`mock-server exited (${code ?? sig}) before listening: ${Buffer.concat(stderr).toString()}`)));
    proc.once('error', rej);
  }), 30_000, 'mock-server to print its address').catch((err) => { kill(); throw err; });
  rl.on('line', (line) => log('mock:', line));
  log('mock at', url);
  return new MockCollector(url, proc, kill);
}

export class MockCollector {
  constructor(url, proc, kill) {
    this.url = url;
    this.port = Number(new URL(url).port);
    this.proc = proc;
    this._kill = kill;
  }

  async _json(method, path, body) {
    const res = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Every ingestion request, faulted ones too: {seq, endpoint, received_at_ms, status, batch_id, gzip, items}. */
  requests(endpoint) { return this._json('GET', `/__mock/requests${endpoint ? `?endpoint=${endpoint}` : ''}`); }
  /** Accepted batches: {seq, endpoint, received_at_ms, batch_id, gzip, body}. */
  batches(endpoint) { return this._json('GET', `/__mock/batches${endpoint ? `?endpoint=${endpoint}` : ''}`); }
  stats() { return this._json('GET', '/__mock/stats'); }
  /** One fault or an array, queued FIFO: {status, count, retry_after, delay_ms, drop_connection, endpoint}. */
  faults(f) { return this._json('POST', '/__mock/faults', f); }
  reset() { return this._json('POST', '/__mock/reset', {}); }

  /** All items of accepted batches of one endpoint (in arrival order, duplicates kept). */
  async items(endpoint = 'events') {
    const batches = await this.batches(endpoint);
    return batches.flatMap((b) => (b.body && Array.isArray(b.body.items) ? b.body.items : []));
  }

  /** Items of accepted batches, de-duplicated by item id. */
  async uniqueItems(endpoint = 'events') {
    const seen = new Map();
    for (const it of await this.items(endpoint)) if (!seen.has(it.id)) seen.set(it.id, it);
    return [...seen.values()];
  }

  /** Waits until `pred(stats)` holds; returns the stats. */
  waitForStats(pred, { timeout = 30_000, message = 'collector stats' } = {}) {
    let last;
    return waitFor(async () => { last = await this.stats(); return pred(last) ? last : null; },
      { timeout, interval: 200, message, describe: async () => `last stats ${JSON.stringify(last)}` });
  }

  async stop() {
    cleanups.delete(this._kill);
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await withTimeout(exited, 5_000, 'mock-server to exit').catch(() => this._kill());
  }
}

// ------------------------------------------------------------------- extension

/**
 * Copies `source` (default: the example extension) to a temporary folder and
 * writes its config.js with `options`. Returns the folder.
 */
export function prepareExtension(options, { source = EXAMPLE_EXTENSION, files = {} } = {}) {
  if (source === EXAMPLE_EXTENSION && !existsSync(join(source, 'vendor/mv3-telemetry/index.js'))) {
    throw new Error('examples/extension/vendor/mv3-telemetry/index.js is missing: run `make package` first');
  }
  const dir = mkdtempSync(join(tmpdir(), 'mv3t-ext-'));
  cpSync(source, dir, { recursive: true, dereference: true });
  if (options !== undefined) {
    writeFileSync(join(dir, 'config.js'),
      `// written by tests/e2e/lib/harness.mjs\nexport const options = ${JSON.stringify(options, null, 2)};\n`);
  }
  writeBlankPage(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const rm = () => rmSync(dir, { recursive: true, force: true });
  cleanups.add(rm);
  return dir;
}

export const BLANK_PAGE = '__e2e_blank.html';

/**
 * Writes the harness's blank extension page into an extension folder: the
 * page `launchBrowser` watches the worker from. It has chrome.runtime and
 * chrome.storage but, unlike options.html, does not message the worker.
 */
export function writeBlankPage(dir) {
  writeFileSync(join(dir, BLANK_PAGE), '<!doctype html><meta charset="utf-8"><title>e2e</title>\n');
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-features=DialMediaRouteProvider,Translate,OptimizationHints,MediaRouter',
];

/**
 * Launches Chromium with the unpacked extension in `extDir` (a fresh profile)
 * and waits for its service worker.
 */
export async function launchBrowser(extDir, { headless = true, profileDir, workerTimeout = 30_000 } = {}) {
  const userDataDir = profileDir || mkdtempSync(join(tmpdir(), 'mv3t-profile-'));
  const rmProfile = () => rmSync(userDataDir, { recursive: true, force: true });
  if (!profileDir) cleanups.add(rmProfile);
  const args = [
    ...(headless ? ['--headless=new'] : []),
    ...CHROMIUM_ARGS,
    `--disable-extensions-except=${extDir}`,
    `--load-extension=${extDir}`,
  ];
  // headless: false, so Playwright adds no headless flag of its own; ours is
  // the new headless mode, which runs extensions.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false,
    args,
    viewport: { width: 1000, height: 800 },
    timeout: 60_000,
  });
  const b = new Browser(context, extDir, userDataDir, profileDir ? null : rmProfile);
  cleanups.add(b._cleanup);
  try {
    await b._init(workerTimeout);
  } catch (err) {
    await b.close();
    throw err;
  }
  return b;
}

export class Browser {
  constructor(context, extDir, userDataDir, rmProfile) {
    this.context = context;
    this.extDir = extDir;
    this.userDataDir = userDataDir;
    this._rmProfile = rmProfile;
    this._handle = null;      // Playwright's Worker for the extension's worker target
    this.status = 'unknown';  // runningStatus from CDP: stopped|starting|running|stopping
    this.workerStarts = [];   // Date.now() each time the worker reached 'running'
    this.workerStops = [];    // Date.now() each time the worker reached 'stopped'
    this.logs = [];           // console output of the worker and pages, status changes
    this._statusWaiters = new Set();
    this._cleanup = () => { try { this.context.close().catch(() => {}); } catch { /* ignore */ } };
    context.on('serviceworker', (w) => this._adopt(w));
    context.on('page', (p) => this._watchPage(p));
    for (const p of context.pages()) this._watchPage(p);
  }

  _watchPage(page) {
    page.on('console', (m) => this._log(`page ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => this._log(`page error: ${e.message}`));
  }

  _log(line) {
    this.logs.push(`${new Date().toISOString()} ${line}`);
    if (this.logs.length > 3000) this.logs.splice(0, this.logs.length - 3000);
    log(line);
  }

  _isOurs(url) {
    return url.startsWith('chrome-extension://') && (!this.extensionId || url.startsWith(`chrome-extension://${this.extensionId}/`));
  }

  _adopt(w) {
    if (!this._isOurs(w.url()) || this._handle === w) return;
    this._handle = w;
    this._log(`worker target: ${w.url()}`);
    w.on('console', (m) => this._log(`worker ${m.type()}: ${m.text()}`));
    w.on('close', () => { if (this._handle === w) this._handle = null; });
  }

  _setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    if (status === 'running') this.workerStarts.push(Date.now());
    if (status === 'stopped') this.workerStops.push(Date.now());
    this._log(`worker ${status}`);
    for (const fn of this._statusWaiters) fn(status);
  }

  /** Resolves when the worker's CDP running status is `status`. */
  waitForStatus(status, timeout, what = `the service worker to be ${status}`) {
    if (this.status === status) return Promise.resolve();
    let fn;
    return withTimeout(new Promise((res) => {
      fn = (s) => { if (s === status) res(); };
      this._statusWaiters.add(fn);
    }), timeout, what).finally(() => this._statusWaiters.delete(fn));
  }

  async _init(timeout) {
    for (const w of this.context.serviceWorkers()) this._adopt(w);
    if (!this._handle) {
      await withTimeout(this.context.waitForEvent('serviceworker', { predicate: (w) => this._isOurs(w.url()), timeout }),
        timeout + 1000, 'the extension service worker to start');
      for (const w of this.context.serviceWorkers()) this._adopt(w);
    }
    this.extensionId = new URL(this._handle.url()).host;
    this._log(`extension id ${this.extensionId}`);
    // A blank extension page hosts the CDP session that watches and stops the
    // worker (ServiceWorker domain of the extension's storage partition).
    this._page = await this.context.newPage();
    await this._page.goto(this.extensionUrl(BLANK_PAGE));
    this._cdp = await this.context.newCDPSession(this._page);
    this._cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      const ours = versions.filter((v) => this._isOurs(v.scriptURL));
      if (ours.length) this._setStatus(ours[ours.length - 1].runningStatus);
    });
    await this._cdp.send('ServiceWorker.enable');
    await this.waitForStatus('running', timeout);
  }

  /** True while the worker runs. */
  get running() { return this.status === 'running'; }

  extensionUrl(path) { return `chrome-extension://${this.extensionId}/${path}`; }

  /**
   * Evaluates `fn(arg)` in the service worker. Wakes it first when stopped,
   * unless `wake: false` (then it throws).
   */
  async evaluate(fn, arg, { timeout = 30_000, wake = true } = {}) {
    if (!this.running) {
      if (!wake) throw new Error(`the service worker is ${this.status}`);
      await this.wake();
    }
    const w = this._handle || await waitFor(() => this._handle, { timeout: 5_000, message: 'a worker handle' });
    return withTimeout(w.evaluate(fn, arg), timeout, 'evaluate in the service worker');
  }

  /**
   * Stops the service worker as Chrome does when it is idle
   * (CDP ServiceWorker.stopAllWorkers): in-memory state and timers are lost.
   * Returns the time of the stop request.
   */
  async killWorker({ timeout = 15_000 } = {}) {
    const at = Date.now();
    await this._cdp.send('ServiceWorker.stopAllWorkers');
    await this.waitForStatus('stopped', timeout);
    this._log(`worker killed (${Date.now() - at} ms)`);
    return at;
  }

  /** Wakes the worker with a {cmd: 'ping'} message from an extension page. */
  async wake({ timeout = 20_000 } = {}) {
    if (this.running) return;
    const running = this.waitForStatus('running', timeout, 'the service worker to wake');
    running.catch(() => {});
    // The message itself starts the worker; the answer may come after.
    this._page.evaluate(() => chrome.runtime.sendMessage({ cmd: 'ping' })).catch(() => {});
    await running;
  }

  /** Sends a message to the worker from an extension page (wakes it). */
  message(msg, { timeout = 30_000 } = {}) {
    return withTimeout(this._page.evaluate((m) => chrome.runtime.sendMessage(m), msg), timeout, `message ${JSON.stringify(msg)}`);
  }

  /** chrome.storage.local, read from an extension page (does not wake the worker). */
  storage() { return this._page.evaluate(() => chrome.storage.local.get(null)); }

  /** chrome.alarms of the extension, read from an extension page. */
  alarms() { return this._page.evaluate(() => chrome.alarms.getAll()); }

  /** Opens the extension's options page in a new tab and returns it. */
  async openOptions() {
    const page = await this.context.newPage();
    await page.goto(this.extensionUrl('options.html'));
    return page;
  }

  /**
   * A raw DevTools session on the running worker's own target (Runtime, Log,
   * HeapProfiler... of the worker itself, which Playwright does not expose),
   * opened through this browser's extension page. Returns
   * {send(method, params) -> result, on(method, fn), detach()}. Each start of
   * the worker is a new target: attach again after a restart.
   */
  async attachToWorker({ timeout = 30_000 } = {}) {
    const cdp = this._cdp;
    const { targetInfos } = await cdp.send('Target.getTargets');
    const target = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(this.extensionUrl('')));
    if (!target) throw new Error('no service worker target to attach to');
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    let nextId = 0;
    const replies = new Map();
    const listeners = new Map();
    const onMessage = (e) => {
      if (e.sessionId !== sessionId) return;
      const m = JSON.parse(e.message);
      if (m.id !== undefined) {
        replies.get(m.id)?.(m);
        replies.delete(m.id);
      } else {
        listeners.get(m.method)?.(m.params);
      }
    };
    cdp.on('Target.receivedMessageFromTarget', onMessage);
    return {
      send: (method, params = {}) => withTimeout(new Promise((resolve, reject) => {
        const id = ++nextId;
        replies.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
        cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      }), timeout, method),
      on: (method, fn) => { listeners.set(method, fn); },
      detach: async () => {
        cdp.off('Target.receivedMessageFromTarget', onMessage);
        await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => {});
      },
    };
  }

  /** Worker and page console output, status changes (for failure messages). */
  dumpLogs(n = 80) { return this.logs.slice(-n).join('\n'); }

  async close() {
    cleanups.delete(this._cleanup);
    try { await withTimeout(this.context.close(), 15_000, 'chromium to close'); } catch (err) { log(err.message); }
    if (this._rmProfile) { cleanups.delete(this._rmProfile); this._rmProfile(); }
  }
}

// --------------------------------------------------------------- one-call setup

/**
 * Mock collector + extension with `options` (endpoint filled in) + Chromium.
 * `options` and `files` may be functions of the mock's URL. Returns {mock, browser, close}.
 */
export async function setup(options = {}, { mockPort = 0, headless = true, extension, files = {} } = {}) {
  return startEnv({ mockPort, headless }, (url) => {
    const opts = typeof options === 'function' ? options(url) : { endpoint: url, ...options };
    const extra = typeof files === 'function' ? files(url) : files;
    return prepareExtension(opts, { ...(extension ? { source: extension } : {}), files: extra });
  });
}

/**
 * Starts the mock collector, prepares the extension with `makeExtDir(mockUrl)`
 * and launches Chromium with it; stops the collector if anything fails.
 */
async function startEnv({ mockPort, headless }, makeExtDir) {
  const mock = await startMock({ port: mockPort });
  let browser;
  try {
    browser = await launchBrowser(makeExtDir(mock.url), { headless });
  } catch (err) {
    await mock.stop();
    throw err;
  }
  return {
    mock,
    browser,
    async close() {
      await browser.close();
      await mock.stop();
    },
  };
}

/** Reads a JSON file relative to the repository root. */
export function readJson(rel) { return JSON.parse(readFileSync(join(ROOT, rel), 'utf8')); }

// ------------------------------------------------------------ SDK test helpers

/**
 * Calls `telemetry.track(name, {i})` in the worker for i in [from, to).
 * Returns Date.now() after the calls returned (the events are accepted then).
 */
export async function trackRange(browser, name, from, to) {
  await browser.evaluate(([n, a, b]) => {
    for (let i = a; i < b; i++) self.telemetry.track(n, { i });
  }, [name, from, to]);
  return Date.now();
}

/** Waits for `telemetry.ready` in the worker; returns {consent, anonymousId, stats}. */
export function sdkStatus(browser) {
  return browser.evaluate(async () => {
    await self.telemetry.ready;
    return { consent: self.telemetry.consentStatus(), anonymousId: self.telemetry.anonymousId(), stats: self.telemetry.stats() };
  });
}

/** Calls `telemetry.flush()` until nothing is pending (bounded). Returns the last result. */
export async function flushUntilDrained(browser, { timeout = 60_000 } = {}) {
  let last;
  return waitFor(async () => {
    last = await browser.evaluate(() => self.telemetry.flush(), undefined, { timeout: 30_000 });
    return last && last.pending === 0 ? last : null;
  }, { timeout, interval: 500, message: 'flush() to report nothing pending', describe: async () => `last flush() ${JSON.stringify(last)}` });
}

/**
 * Delivered items named `name` on `endpoint`: {all, unique, byIndex} where
 * byIndex maps props.i -> the set of distinct item ids carrying it.
 */
export async function delivered(mock, name, endpoint = 'events') {
  const all = (await mock.items(endpoint)).filter((it) => it.name === name);
  const unique = new Map();
  for (const it of all) if (!unique.has(it.id)) unique.set(it.id, it);
  const byIndex = new Map();
  for (const it of unique.values()) {
    const i = it.props && it.props.i;
    if (!byIndex.has(i)) byIndex.set(i, new Set());
    byIndex.get(i).add(it.id);
  }
  return { all, unique: [...unique.values()], byIndex };
}

/** Compact ranges of a sorted list of integers: "0-9, 12, 20-25". */
export function ranges(nums) {
  const s = [...new Set(nums)].sort((a, b) => a - b);
  const out = [];
  for (let k = 0; k < s.length;) {
    let j = k;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    out.push(j === k ? `${s[k]}` : `${s[k]}-${s[j]}`);
    k = j + 1;
  }
  return out.join(', ') || '(none)';
}

/** Integers in [from, to) missing from `have` (a Map or Set keyed by integer). */
export function missingIn(have, from, to) {
  const out = [];
  for (let i = from; i < to; i++) if (!have.has(i)) out.push(i);
  return out;
}

/** A one-paragraph account of what the collector saw, for assertion messages. */
export async function collectorReport(mock) {
  try {
    const [stats, requests] = await Promise.all([mock.stats(), mock.requests()]);
    const reqs = requests.slice(-40).map((r) =>
      `#${r.seq} ${r.endpoint} t=${r.received_at_ms} status=${r.status} items=${Array.isArray(r.items) ? r.items.length : r.items}`);
    return `collector stats ${JSON.stringify(stats)}\nlast requests:\n  ${reqs.join('\n  ')}`;
  } catch (err) { return `(collector report failed: ${err.message})`; }
}

// ------------------------------------------------- config.js as JavaScript text

/**
 * Like `setup`, but the extension's config.js is `configSource(mockUrl)`
 * written verbatim: JavaScript that exports `options`, so options can hold
 * functions (`beforeSend`) that JSON cannot carry. Returns {mock, browser, close}.
 *
 *   setupWithConfigSource((url) => `export const options = {
 *     endpoint: ${JSON.stringify(url)},
 *     beforeSend(item) { return item.name === 'drop_me' ? null : item; },
 *   };`)
 */
export async function setupWithConfigSource(configSource, { mockPort = 0, headless = true, extension } = {}) {
  return startEnv({ mockPort, headless }, (url) => {
    const text = `// written by tests/e2e/lib/harness.mjs (setupWithConfigSource)\n${configSource(url)}\n`;
    return prepareExtension(undefined, { ...(extension ? { source: extension } : {}), files: { 'config.js': text } });
  });
}

/**
 * Sum of `body.dropped[reason]` over the accepted batches of every endpoint,
 * each batch counted once (retries of a batch keep its batch_id).
 */
export async function droppedReported(mock, reason) {
  const seen = new Set();
  let sum = 0;
  for (const b of await mock.batches()) {
    const id = b.batch_id ?? (b.body && b.body.batch_id);
    if (id !== undefined && seen.has(id)) continue;
    seen.add(id);
    sum += Number((b.body && b.body.dropped && b.body.dropped[reason]) || 0);
  }
  return sum;
}
