// Cold start, package beside package: where the time from worker start to
// `telemetry.ready` goes, and whether a change moves it. A benchmark for issue
// 11's cold-start figure (bench/lean.mjs prints the figure itself); it prints,
// it never asserts.
//
//   node bench/cold.mjs                                  pkg/ alone
//   COLD_PKGS=A=/tmp/pkg-before,B=pkg node bench/cold.mjs
//
//   COLD_PKGS=label=dir,...   packages to compare (each a built pkg/ folder); default B=pkg/
//                             (or COLD_A=dir beside COLD_B=dir, default pkg/)
//   COLD_ROUNDS=15            starts of each worker
//   COLD_QUEUED=0,1000        queue sizes (held: nothing is sent unless flushed)
//   COLD_SETTLE_MS=300        wait after the wake before reading the stamps (the
//                             harness's evaluate() injects a script into the worker)
//   COLD_NO_SETTLE_TOO=1      each package again, read at once after the wake
//   COLD_TRACE=n              n more starts of each worker under a Chromium trace,
//                             written to $TMPDIR/cold-trace-<label>-<queued>.json
//                             (bench/cold/analyze.mjs reads it)
//   COLD_TRACE_CATS=a,b       trace categories
//   COLD_CHROMIUM_ARGS='...'  extra Chromium flags, for experiments only
//                             (e.g. --js-flags=--no-wasm-lazy-compilation)
//
// One Chromium runs an empty module worker (stamps its first line), four
// floor workers (bench/lib.mjs startFloorExtension: the start-up read alone,
// and with the largest queue's storage copied in; beside the fetch of an
// empty .wasm; beside the first package's .wasm
// fetched and compiled: what a wasm SDK of that size waits for at the least)
// and, per
// package and queue size, the example extension's worker with a probe as its
// first import (PROBE below). The probe stamps the first line of the module
// graph and wraps fetch, the WebAssembly entry points and
// chrome.storage.local.get, so each start is cut into phases without touching
// the package (ms; "after first line" unless said):
//   firstLine   worker start -> first statement of the first module (module fetch and compile)
//   toBody      -> first statement of background.js (the SDK's modules evaluated)
//   init        init(options) itself (synchronous)
//   fetchCall   the .wasm fetch() call itself (synchronous); getCall: the storage get call
//   toWasmReq   -> the .wasm fetch() call
//   wasmFetch   fetch() call -> Response
//   compile     compileStreaming (or instantiateStreaming/instantiate) call -> settled
//               (the package instantiates synchronously right after; it calls
//               compileStreaming with the fetch still pending, so this includes the wait)
//   decode      Response -> compiled (what the module's size costs after its bytes came)
//   getStart    -> the start-up chrome.storage.local.get call; get: call -> resolved
//   afterWaits  the later of compile and get -> `ready` resolved
//   afterFirst  first line -> `ready` resolved; ready: worker start -> `ready` resolved
// A package built with `globalThis.__coldMark?.(label)` calls in its JS gets
// each label's time printed too. Rounds alternate: empty, then each SDK worker
// in turn (stopped with CDP ServiceWorker.stopAllWorkers, woken by a message).
// Medians are printed. The machine's other work shows in every figure: compare
// packages only within one run.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { CHROMIUM_ARGS, ROOT, prepareExtension, sleep } from '../tests/e2e/lib/harness.mjs';
import { EMPTY_WASM, WORKER_NETWORK, emptyWorkerExtension, floorStamps, launchExtensions, median, seedFloor, startFloorExtension } from './lib.mjs';
import { analyzeTrace, printAnalysis } from './cold/analyze.mjs';

const ROUNDS = Math.max(3, Number(process.env.COLD_ROUNDS || 15));
const QUEUED = (process.env.COLD_QUEUED || '0,1000').split(',').map(Number);
const SETTLE_MS = Number(process.env.COLD_SETTLE_MS ?? 300);
const TRACE_ROUNDS = Number(process.env.COLD_TRACE || 0);
const PKGS = process.env.COLD_PKGS
  ? process.env.COLD_PKGS.split(',').map((s) => { const [label, dir] = s.split('='); return [label, resolve(dir)]; })
  : [
    ...(process.env.COLD_A ? [['A', resolve(process.env.COLD_A)]] : []),
    ['B', resolve(process.env.COLD_B || join(ROOT, 'pkg'))],
  ];
if (process.env.COLD_CHROMIUM_ARGS) CHROMIUM_ARGS.push(...process.env.COLD_CHROMIUM_ARGS.split(' '));
const log = (...a) => console.log('[cold]', ...a);

// A collector that takes everything (the SDK only needs a 2xx).
function collector() {
  return new Promise((res) => {
    const server = createServer((req, rsp) => {
      req.resume();
      req.on('end', () => { rsp.writeHead(200, { 'content-type': 'application/json' }); rsp.end('{}'); });
    });
    server.listen(0, '127.0.0.1', () => res(server));
  });
}

const PROBE = `// bench/cold.mjs: the first module of the worker.
self.__cold = { t0: performance.now(), marks: [], m: [] };
self.__coldMark = (label) => self.__cold.m.push([label, performance.now()]);
console.timeStamp('cold:t0');
const mark = (name, start) => self.__cold.marks.push([name, start, performance.now()]);
const origFetch = self.fetch;
self.fetch = function (input, init) {
  const start = performance.now();
  const url = String(input && input.url || input);
  const p = origFetch.call(this, input, init);
  if (url.endsWith('.wasm')) { self.__cold.wasmReq = start; self.__cold.fetchCall = performance.now() - start; p.then(() => mark('wasm fetch', start), () => {}); }
  return p;
};
for (const name of ['instantiateStreaming', 'compileStreaming', 'instantiate', 'compile']) {
  const orig = WebAssembly[name];
  if (typeof orig !== 'function') continue;
  WebAssembly[name] = function (...args) {
    const start = performance.now();
    const p = orig.apply(this, args);
    p.then(() => mark(name, start), () => {});
    return p;
  };
}
const area = chrome.storage.local;
const origGet = area.get;
let gets = 0;
area.get = function (...args) {
  const start = performance.now();
  const p = origGet.apply(this, args);
  const n = gets++;
  if (n === 0) self.__cold.getCall = performance.now() - start;
  if (p && typeof p.then === 'function') p.then(() => mark('storage get ' + n, start), () => {});
  return p;
};
`;

function sdkExtension(name, pkg, options) {
  const example = readFileSync(join(ROOT, 'examples/extension/background.js'), 'utf8');
  const background = [
    "import './cold-probe.js';",
    example
      .replace('const telemetry = init(options);', 'self.__cold.bodyStart = performance.now();\nconst telemetry = init(options);\nself.__cold.initDone = performance.now();'),
    'self.__cold.bodyEnd = performance.now();',
    'telemetry.ready.then(() => { self.__cold.ready = performance.now(); console.timeStamp(\'cold:ready\'); }, (e) => { self.__cold.error = String(e); });',
    '',
  ].join('\n');
  const dir = prepareExtension(options, { files: { 'background.js': background, 'cold-probe.js': PROBE } });
  rmSync(join(dir, 'vendor/mv3-telemetry'), { recursive: true, force: true });
  cpSync(pkg, join(dir, 'vendor/mv3-telemetry'), { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.name = name;
  delete manifest.content_scripts;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

function emptyExtension() {
  return emptyWorkerExtension('cold bench: empty module worker', 'self.__cold = { t0: performance.now() };');
}

async function readStamps(browser) {
  return browser.evaluate(async () => {
    const t0 = performance.now();
    while (self.__cold.ready === undefined && self.__cold.error === undefined && performance.now() - t0 < 15_000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return { ...self.__cold, queued: self.telemetry?.stats().queued };
  });
}

async function fill(browser, want) {
  return browser.evaluate(async (n) => {
    const t = self.telemetry;
    await t.ready;
    if (n === 0) {
      for (let k = 0; k < 20; k++) { const r = await t.flush(); if (!r || r.pending === 0) break; }
      // The writes that follow the acknowledgement (debounced) land before
      // the worker is stopped: else the next start's read waits behind them.
      await new Promise((r) => setTimeout(r, 500));
    } else {
      for (let i = t.stats().queued; i < n; i++) t.track('cold_fill', { a: 1, b: 'two', c: true, i });
      await new Promise((r) => setTimeout(r, 1500));
    }
    return t.stats().queued;
  }, want, { timeout: 60_000 });
}

function phases(s) {
  const m = Object.fromEntries((s.marks || []).map(([n, a, b]) => [n, [a, b]]));
  const compile = m.instantiateStreaming || m.instantiate || m.compileStreaming || m.compile;
  const get = m['storage get 0'];
  const out = { firstLine: s.t0, ready: s.ready, afterFirst: s.ready - s.t0, toBody: s.bodyStart - s.t0, init: s.initDone - s.bodyStart, bodyRest: s.bodyEnd - s.initDone, fetchCall: s.fetchCall, getCall: s.getCall };
  if (s.wasmReq !== undefined) out.toWasmReq = s.wasmReq - s.t0;
  if (m['wasm fetch']) out.wasmFetch = m['wasm fetch'][1] - m['wasm fetch'][0];
  if (compile) { out.compile = compile[1] - compile[0]; out.compileEnd = compile[1]; }
  if (compile && m['wasm fetch']) out.decode = compile[1] - m['wasm fetch'][1];
  if (get) { out.getStart = get[0] - s.t0; out.get = get[1] - get[0]; out.getEnd = get[1]; }
  const lastWait = Math.max(out.compileEnd ?? 0, out.getEnd ?? 0);
  if (lastWait) out.afterWaits = s.ready - lastWait;
  out.queued = s.queued;
  out.m = Object.fromEntries((s.m || []).map(([l, t]) => [l, t - s.t0]));
  if (s.m?.length) { out.m['(ready seen)'] = s.ready - s.t0; const r = m['wasm fetch']; if (r) out.m['(wasm response)'] = r[1] - s.t0; if (get) out.m['(get resolved)'] = get[1] - s.t0; if (compile) out.m['(compile settled)'] = compile[1] - s.t0; }
  return out;
}

async function traceRounds(browser, rounds) {
  const cdp = browser._cdp;
  const chunks = [];
  cdp.on('Tracing.dataCollected', ({ value }) => chunks.push(...value));
  const done = new Promise((res) => cdp.once('Tracing.tracingComplete', res));
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      // Few categories: each traced event slows the worker down.
      includedCategories: (process.env.COLD_TRACE_CATS || 'toplevel,devtools.timeline,v8,v8.execute,v8.wasm').split(','),
    },
  });
  for (let r = 0; r < rounds; r++) {
    await browser.killWorker();
    await browser.wake();
    await sleep(Math.max(SETTLE_MS, 300));
    await readStamps(browser);
  }
  await cdp.send('Tracing.end');
  await done;
  return chunks;
}

async function main() {
  const server = await collector();
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const options = {
    endpoint, defaultConsent: 'granted', maxQueuedItems: 2000,
    batch: { flushIntervalMs: 3_600_000, maxEvents: 10_000, maxBytes: 1_000_000 },
  };
  const exts = [];
  for (const [label, pkg] of PKGS) {
    if (!existsSync(join(pkg, 'index.js'))) throw new Error(`${pkg}/index.js is missing`);
    for (const q of QUEUED) exts.push({ label: `${label} ${q}`, pkg, queued: q, settle: SETTLE_MS, dir: sdkExtension(`cold bench: ${label} ${q}`, pkg, options) });
    // COLD_NO_SETTLE_TOO=1: the same package again, read at once after the
    // wake (as bench/lean.mjs did): what the harness's evaluate() costs.
    if (process.env.COLD_NO_SETTLE_TOO) {
      for (const q of QUEUED) exts.push({ label: `${label}/s0 ${q}`, pkg, queued: q, settle: 0, dir: sdkExtension(`cold bench: ${label}/s0 ${q}`, pkg, options) });
    }
  }
  const emptyDir = emptyExtension();
  // The floors (bench/lib.mjs): the start-up read alone, beside an empty
  // .wasm's fetch, beside the first package's .wasm fetched and compiled.
  const floors = [['read', null], ['read+empty wasm', EMPTY_WASM], ['read+wasm', readFileSync(join(PKGS[0][1], 'mv3_telemetry_bg.wasm'))]]
    .map(([kind, wasm]) => ({ kind, wasm: wasm !== null, dir: startFloorExtension(`cold bench: floor ${kind}`, wasm), rounds: [] }));
  // The read again, with a queue's chunks stored beside the record (the
  // largest queue size's storage copied in): whether the browser's read
  // slows with what is stored.
  const fullRead = { kind: 'read, queue stored', wasm: false, dir: startFloorExtension('cold bench: floor read, queue stored'), rounds: [] };
  floors.splice(1, 0, fullRead);
  const env = await launchExtensions([emptyDir, ...floors.map((f) => f.dir), ...exts.map((e) => e.dir)]);
  try {
    log(`Chromium ${env.version}; packages: ${PKGS.map(([l, p]) => `${l}=${p}`).join(' ')}; ${ROUNDS} rounds; workers' network ${WORKER_NETWORK}`);
    const empty = env.browsers.get(emptyDir);
    for (const e of exts) {
      e.browser = env.browsers.get(e.dir);
      await readStamps(e.browser);
      e.prepared = await fill(e.browser, e.queued);
      const stored = await e.browser.storage();
      const sizes = Object.entries(stored).map(([k, v]) => [k, typeof v === 'string' ? v.length : JSON.stringify(v).length]);
      log(`${e.label}: queued ${e.prepared}; storage: ${sizes.length} keys, ${sizes.reduce((a, [, n]) => a + n, 0)} chars; ${sizes.filter(([k]) => !/chunk|\.c\./.test(k)).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      e.rounds = [];
    }
    for (const f of floors) {
      f.browser = env.browsers.get(f.dir);
      await seedFloor(f.browser, exts[0].browser);
    }
    const largest = exts.reduce((a, e) => (e.queued > a.queued ? e : a), exts[0]);
    await fullRead.browser.evaluate((all) => chrome.storage.local.set(all), await largest.browser.storage());
    const emptyRounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      await empty.killWorker();
      await empty.wake();
      emptyRounds.push(await empty.evaluate(() => self.__cold.t0));
      for (const f of floors) {
        await f.browser.killWorker();
        await f.browser.wake();
        await sleep(SETTLE_MS);
        const s = await floorStamps(f.browser);
        if (s.error) log(`floor ${f.kind}: ${s.error}`);
        else f.rounds.push(s);
      }
      for (const e of exts) {
        if (e.queued === 0) await fill(e.browser, 0);
        await e.browser.killWorker();
        await e.browser.wake();
        if (e.settle) await sleep(e.settle);
        const s = await readStamps(e.browser);
        if (s.error) log(`${e.label}: ${s.error}`);
        e.rounds.push(phases(s));
      }
    }
    const emptyMed = median(emptyRounds);
    log(`empty module worker, first line: median ${emptyMed.toFixed(1)} ms`);
    for (const f of floors) {
      const ready = median(f.rounds.map((s) => s.ready));
      if (f.wasm) log(`floor ${f.kind}: read resolved ${median(f.rounds.map((s) => s.get - s.t0)).toFixed(1)} ms, wasm compiled ${median(f.rounds.map((s) => s.wasm - s.t0)).toFixed(1)} ms after the first line`);
      log(`floor ${f.kind}: first line ${median(f.rounds.map((s) => s.t0)).toFixed(1)} ms, waits resolved ${median(f.rounds.map((s) => s.ready - s.t0)).toFixed(1)} ms after it; ready ${ready.toFixed(1)} ms (+${(ready - emptyMed).toFixed(1)} over empty)`);
    }
    const cols = ['firstLine', 'toBody', 'init', 'fetchCall', 'getCall', 'toWasmReq', 'wasmFetch', 'compile', 'decode', 'getStart', 'get', 'afterWaits', 'afterFirst', 'ready'];
    console.log(['pkg queued'.padEnd(12), ...cols.map((c) => c.padStart(10)), '  +empty'.padStart(9), ' queued'].join(''));
    for (const e of exts) {
      const meds = cols.map((c) => median(e.rounds.map((x) => x[c]).filter((v) => v !== undefined)));
      const ready = meds[cols.length - 1];
      console.log([e.label.padEnd(12), ...meds.map((m) => (m === null ? '-' : m.toFixed(1)).padStart(10)),
        (ready === null ? '-' : `+${(ready - emptyMed).toFixed(1)}`).padStart(9), ` ${median(e.rounds.map((x) => x.queued))}`].join(''));
    }
    for (const e of exts) {
      const labels = [...new Set(e.rounds.flatMap((x) => Object.keys(x.m ?? {})))];
      if (!labels.length) continue;
      const meds = labels.map((l) => [l, median(e.rounds.map((x) => x.m[l]).filter((v) => v !== undefined))]).sort((a, b) => a[1] - b[1]);
      console.log(`${e.label} marks (ms after the first line, medians): ${meds.map(([l, v]) => `${l} ${v.toFixed(2)}`).join(' | ')}`);
    }
    if (TRACE_ROUNDS > 0) {
      for (const e of exts) {
        if (e.queued === 0) await fill(e.browser, 0);
        const events = await traceRounds(e.browser, TRACE_ROUNDS);
        const file = join(tmpdir(), `cold-trace-${e.label.replace(/\W+/g, '-')}.json`);
        writeFileSync(file, JSON.stringify({ traceEvents: events }));
        log(`trace ${e.label}: ${events.length} events in ${file}`);
        printAnalysis(e.label, analyzeTrace(events, join(e.pkg, 'mv3_telemetry_bg.wasm')), 15);
      }
    }
  } finally {
    await env.close();
    server.close();
    for (const dir of [emptyDir, ...floors.map((f) => f.dir)]) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
