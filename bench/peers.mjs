// Side-by-side figures for mv3-telemetry and the SDKs an extension author
// would otherwise pick (issue 7): Sentry, Glean.js, PostHog, Segment, each in
// its own MV3 test extension, all loaded in one headless Chromium and sending
// to one local collector (bench/peers/collector.mjs). Prints a Markdown table
// and writes it, with the machine, the versions and each SDK's
// configuration, to bench/RESULTS.md. A benchmark: it never fails on a figure.
//
//   node bench/peers.mjs      (after `make package`; `make bench` does both)
//   BENCH_ROUNDS=5 node bench/peers.mjs    (rounds of the timed figures, default 3)
//   BENCH_SDKS=mv3-telemetry,sentry node bench/peers.mjs    (a subset; mv3-telemetry first)

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, ROOT, sleep } from '../tests/e2e/lib/harness.mjs';
import { WORKER_NETWORK, launchExtensions, median, timeInWorker, workerHeapBytes } from './lib.mjs';
import { buildPeers, SDKS } from './peers/build.mjs';
import { startCollector, tally } from './peers/collector.mjs';
import { kib, markdownTable, ms, num, us } from './peers/report.mjs';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || 3));
const ONLY = process.env.BENCH_SDKS ? process.env.BENCH_SDKS.split(',') : null;
const RESTARTS = 20;
const TRACK_CALLS = 100_000;
const ERROR_CALLS = 2_000;
const WIRE_EVENTS = 1_000;
const KILL_EVENTS = 1_000;
const MEMORY_EVENTS = 10_000;
const STACK_FRAMES = 20;
// Ten scalar properties: every SDK here takes them as they are (Glean's event
// extras accept strings, numbers and booleans only). `i` numbers the events
// whose delivery is counted.
const PROPS = { a: 1, b: 'two', c: true, d: 4.5, e: 'https://example.com/page', f: 'six', g: 'seven', h: 8, i: 9, j: 'ten' };

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

// ------------------------------------------------------------------ helpers

/** Waits for the SDK in `browser`'s worker to be ready or to have failed. */
async function sdkStatus(browser, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const s = await browser.evaluate(() => ({
      ...self.bench,
      hasSdk: Boolean(self.benchSdk),
      canCaptureErrors: typeof self.benchSdk?.captureError === 'function',
      canFlush: typeof self.benchSdk?.flush === 'function',
    }));
    if (s.loadError || s.readyError || s.readyAt !== null) return s;
    if (Date.now() > deadline) return { ...s, readyError: `not ready after ${timeout} ms` };
    await sleep(50);
  }
}

/** Records `count` events `name` with PROPS and `i` = 0..count-1. */
function recordIndexed(browser, name, count) {
  return browser.evaluate(([n, total, props]) => {
    for (let i = 0; i < total; i++) self.benchSdk.track(n, { ...props, i });
  }, [name, count, PROPS], { timeout: 120_000 });
}

/** Waits until the SDK has sent nothing for `quietMs` (at most `maxMs`). */
async function waitQuiet(collector, sdk, { quietMs = 1_500, maxMs = 15_000 } = {}) {
  const start = Date.now();
  while (Date.now() - start < maxMs) {
    if (Date.now() - Math.max(collector.lastRequestAt(sdk), start - quietMs) >= quietMs) return;
    await sleep(200);
  }
}

/**
 * Waits until all `count` events `name` sent since `since` arrived, or the
 * SDK has been quiet for `quietMs` after at least `minMs`, or `maxMs` passed.
 */
async function waitDelivered(collector, sdk, since, name, count, { minMs = 5_000, quietMs = 8_000, maxMs = 60_000 } = {}) {
  const start = Date.now();
  for (;;) {
    const t = tally(collector.requests(sdk, since), name);
    const elapsed = Date.now() - start;
    const quiet = Date.now() - Math.max(collector.lastRequestAt(sdk), start);
    if (t.distinct.size >= count || elapsed >= maxMs || (elapsed >= minMs && quiet >= quietMs)) return t;
    await sleep(250);
  }
}

function errorText(err) {
  return String(err && err.message || err).split('\n')[0].slice(0, 160);
}

// ------------------------------------------------------------- measurements

async function measureWire(ctx) {
  const { collector, sdk, browser } = ctx;
  await waitQuiet(collector, sdk.id);
  const since = Date.now();
  await recordIndexed(browser, 'bench_wire', WIRE_EVENTS);
  // Up to 45 s: time for a 30 s flush interval (mv3-telemetry's default).
  const t = await waitDelivered(collector, sdk.id, since, 'bench_wire', WIRE_EVENTS, { minMs: 35_000, quietMs: 5_000, maxMs: 45_000 });
  const stats = await browser.evaluate(() => (self.benchSdk.stats ? self.benchSdk.stats() : null));
  return { requests: t.requests, bytes: t.bytes, received: t.distinct.size, events: t.events, stats };
}

async function measureKill(ctx) {
  const { collector, sdk, browser } = ctx;
  await waitQuiet(collector, sdk.id);
  const since = Date.now();
  const name = `bench_kill_${ctx.round}`;
  await recordIndexed(browser, name, KILL_EVENTS);
  await sleep(1_000);
  await browser.killWorker();
  await browser.wake();
  // Let the restarted SDK deliver what it kept (mv3-telemetry also has an
  // alarm for this, at most 30 s away).
  const t = await waitDelivered(collector, sdk.id, since, name, KILL_EVENTS, { minMs: 35_000, quietMs: 5_000, maxMs: 60_000 });
  return KILL_EVENTS - t.distinct.size;
}

async function measureColdStart(browser) {
  await browser.killWorker();
  await browser.wake();
  const s = await sdkStatus(browser);
  if (s.readyAt === null) throw new Error(s.loadError || s.readyError || 'not ready');
  return s.readyAt;
}

async function measureMemory(ctx) {
  const { collector, browser } = ctx;
  await browser.killWorker();
  collector.setDown(true);
  try {
    await browser.wake();
    const s = await sdkStatus(browser);
    if (s.readyAt === null) throw new Error(s.loadError || s.readyError || 'not ready');
    const wasmBytes = () => browser.evaluate(async () => (self.benchSdk.wasmBytes ? self.benchSdk.wasmBytes() : 0));
    const idleHeap = await workerHeapBytes(browser);
    const idleWasm = await wasmBytes();
    // In chunks with a pause between them, as events come in an extension,
    // so timers and retries run meanwhile.
    for (let k = 0; k < MEMORY_EVENTS; k += 1_000) {
      await browser.evaluate(([from, props]) => {
        for (let i = from; i < from + 1_000; i++) self.benchSdk.track('bench_memory', { ...props, i });
      }, [k, PROPS]);
      await sleep(100);
    }
    await sleep(2_000);
    const heap = await workerHeapBytes(browser);
    const wasm = await wasmBytes();
    return { idleHeap, idleWasm, heap, wasm, total: heap + wasm };
  } finally {
    collector.setDown(false);
    await browser.killWorker().catch(() => {});
  }
}

// --------------------------------------------------------------------- main

function machine() {
  const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return '?'; } };
  const cpu = cpus();
  return {
    uname: sh('uname', ['-a']),
    cpu: cpu[0]?.model ?? '?',
    cores: cpu.length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    load: loadavg().map((x) => x.toFixed(2)).join(' '),
    node: process.version,
    chromiumBinary: sh(CHROMIUM, ['--version']).split('\n').pop(),
  };
}

/** The leading comment of an SDK's telemetry.js: its configuration, in words. */
function configText(sdk) {
  const src = readFileSync(join(ROOT, 'bench/peers', sdk.id, 'telemetry.js'), 'utf8');
  const paragraphs = [[]];
  for (const line of src.split('\n')) {
    if (!line.startsWith('//')) break;
    const text = line.replace(/^\/\/ ?/, '').trim();
    if (text) paragraphs.at(-1).push(text); else paragraphs.push([]);
  }
  return paragraphs.map((p) => p.join(' ')).filter(Boolean).join('\n\n');
}

async function main() {
  const started = Date.now();
  const host = machine();
  const sdks = SDKS.filter((s) => !ONLY || ONLY.includes(s.id));
  const collector = await startCollector({
    routes: {
      // Segment's settings, as cdn.segment.com would serve them for a source
      // whose only destination is Segment.io, with batched delivery.
      '/segment-cdn/': () => ({
        integrations: {
          'Segment.io': {
            apiKey: 'benchWriteKey',
            apiHost: `${new URL(collector.url).host}/segment/v1`,
            protocol: 'http',
            deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 5_000 } },
          },
        },
        plan: { track: { __default: { enabled: true } } },
        metrics: { sampleRate: 0 },
      }),
    },
  });
  const built = await buildPeers(collector.url, sdks);
  log(`built ${built.map((b) => `${b.id} ${kib(b.gz)}`).join(', ')}`);
  const env = await launchExtensions(built.map((b) => b.dir));
  const results = new Map(built.map((b) => [b.id, { sdk: b, status: null, figures: {}, errors: {} }]));
  const ctxOf = (id, round = 0) => {
    const r = results.get(id);
    return { sdk: r.sdk, browser: env.browsers.get(r.sdk.dir), collector, round };
  };
  const attempt = async (id, key, fn) => {
    try { return await fn(); } catch (err) {
      results.get(id).errors[key] = errorText(err);
      log(`${id}: ${key} failed: ${errorText(err)}`);
      return null;
    }
  };

  try {
    // Which SDKs run at all in a service worker.
    for (const r of results.values()) {
      const s = await sdkStatus(ctxOf(r.sdk.id).browser);
      r.status = s;
      r.failed = s.loadError || s.readyError || null;
      log(`${r.sdk.id}: ${r.failed ? `fails: ${r.failed}` : `ready at ${s.readyAt.toFixed(1)} ms`}`);
    }
    const running = [...results.values()].filter((r) => !r.failed);

    // Delivery: the SDKs side by side (the collector tells their requests
    // apart by path), which bounds the waits for those that never deliver.
    await Promise.all(running.map(async (r) => {
      r.figures.wire = await attempt(r.sdk.id, 'wire', () => measureWire(ctxOf(r.sdk.id)));
    }));
    log(`wire: ${running.map((r) => `${r.sdk.id} ${JSON.stringify(r.figures.wire)}`).join(', ')}`);
    for (const r of running) r.figures.lost = [];
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(running.map(async (r) => {
        const lost = await attempt(r.sdk.id, 'kill', () => measureKill(ctxOf(r.sdk.id, round)));
        if (lost !== null) r.figures.lost.push(lost);
      }));
      log(`kill round ${round + 1}/${ROUNDS}: lost ${running.map((r) => `${r.sdk.id} ${r.figures.lost.at(-1)}`).join(', ')}`);
    }

    // Timed figures, round-robin over the SDKs so that a busy moment of the
    // machine hits them all alike; each SDK's worker is stopped after its
    // turn so its deliveries do not run into the next SDK's.
    for (const r of running) { r.figures.ready = []; r.figures.track = []; r.figures.trackP99 = []; r.figures.error = []; }
    for (let n = 0; n < RESTARTS; n++) {
      for (const r of running) {
        const t = await attempt(r.sdk.id, 'cold start', () => measureColdStart(ctxOf(r.sdk.id).browser));
        if (t !== null) r.figures.ready.push(t);
      }
    }
    log(`cold start: ${running.map((r) => `${r.sdk.id} ${median(r.figures.ready)?.toFixed(1)} ms`).join(', ')}`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of running) {
        const { browser } = ctxOf(r.sdk.id);
        if (r.status.canCaptureErrors) {
          const e = await attempt(r.sdk.id, 'captureError', () => timeInWorker(browser, 'error', '', {
            target: 'benchSdk', calls: ERROR_CALLS, chunk: 40, settle: true, stackFrames: STACK_FRAMES, budgetMs: 30_000,
          }));
          if (e?.error) r.errors.captureError = e.error;
          if (e?.median !== null && e?.median !== undefined) r.figures.error.push(e.median);
        }
        const t = await attempt(r.sdk.id, 'track', () => timeInWorker(browser, 'track', 'bench_cost', {
          target: 'benchSdk', props: PROPS, calls: TRACK_CALLS, chunk: 100, settle: true, budgetMs: 60_000,
        }));
        if (t?.error) r.errors.track = t.error;
        if (t?.median !== null && t?.median !== undefined) {
          r.figures.track.push(t.median);
          r.figures.trackP99.push(t.p99);
          if (t.calls < TRACK_CALLS) r.errors.track = `only ${t.calls} calls within the time limit`;
        }
        await browser.killWorker().catch(() => {});
        log(`round ${round + 1}/${ROUNDS} ${r.sdk.id}: track ${t?.median?.toFixed(2)} µs (p99 ${t?.p99?.toFixed(2)}), captureError ${r.figures.error.at(-1)?.toFixed(2) ?? '—'} µs`);
      }
    }

    for (const r of running) {
      r.figures.memory = await attempt(r.sdk.id, 'memory', () => measureMemory(ctxOf(r.sdk.id)));
      log(`${r.sdk.id}: memory ${JSON.stringify(r.figures.memory)}`);
    }
  } finally {
    await env.close();
    await collector.close();
  }

  const report = render({ results, host, chromium: env.version, seconds: (Date.now() - started) / 1000 });
  console.log(`\n${report.table}\n`);
  // Other scripts own the marked sections after this one (bench/lean.mjs,
  // the scrubber's and the collector-load figures, each between its
  // `<!-- name:start -->` and `<!-- name:end -->`): keep them all, as they are.
  const resultsPath = join(ROOT, 'bench/RESULTS.md');
  const existing = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
  const firstSection = existing.search(/^<!-- [\w-]+:start -->$/m);
  const kept = firstSection < 0 ? '' : existing.slice(firstSection);
  writeFileSync(resultsPath, kept ? `${report.markdown.trimEnd()}\n\n${kept}` : report.markdown);
  log(`wrote bench/RESULTS.md (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

// ------------------------------------------------------------------- report

function render({ results, host, chromium, seconds }) {
  const rs = [...results.values()];
  const columns = rs.map((r) => ({ id: r.sdk.id, label: `${r.sdk.label} ${r.sdk.version}` }));
  // An SDK that delivered nothing recorded nothing: its costs are marked.
  const silent = (r) => !r.failed && r.figures.wire && r.figures.wire.received === 0;
  const values = (fn) => Object.fromEntries(rs.map((r) => {
    if (r.failed) return [r.sdk.id, null];
    const v = fn(r);
    return [r.sdk.id, v !== null && v !== undefined && silent(r) && typeof v === 'number' ? { value: v, note: '†' } : v];
  }));
  const perEvent = (r, key) => {
    const w = r.figures.wire;
    if (!w) return null;
    if (!w.received) return { text: `${w[key]} for 0 events` };
    return w[key] / w.received;
  };
  const rows = [
    {
      label: 'runs in an MV3 service worker',
      format: String,
      values: Object.fromEntries(rs.map((r) => [r.sdk.id, {
        text: r.failed ? `no: \`${r.failed}\`` : silent(r) ? 'no error, but records nothing †' : 'yes',
      }])),
    },
    { label: 'bundle, minified + gzip -9', format: kib, values: Object.fromEntries(rs.map((r) => [r.sdk.id, r.sdk.gz])) },
    { label: `cold start: worker start → ready (median of ${RESTARTS})`, format: ms, values: values((r) => median(r.figures.ready)) },
    { label: `usage event, 10 props: median (${TRACK_CALLS.toLocaleString('en')} calls × ${ROUNDS})`, format: us, values: values((r) => median(r.figures.track)) },
    { label: 'usage event, 10 props: p99', format: us, values: values((r) => median(r.figures.trackP99)) },
    {
      label: `captureError, ${STACK_FRAMES}-frame stack: median`,
      format: us,
      values: values((r) => (r.status.canCaptureErrors ? median(r.figures.error) : { text: 'no error API' })),
    },
    { label: `requests per event (${WIRE_EVENTS.toLocaleString('en')} events)`, format: (n) => n.toFixed(3), values: values((r) => perEvent(r, 'requests')) },
    { label: 'body bytes per event, as received', format: num, values: values((r) => perEvent(r, 'bytes')) },
    {
      label: `events received of ${WIRE_EVENTS.toLocaleString('en')}`,
      format: num,
      values: values((r) => r.figures.wire?.received ?? null),
    },
    {
      label: `JS heap + wasm after ${MEMORY_EVENTS.toLocaleString('en')} events, collector down`,
      format: kib,
      values: values((r) => r.figures.memory?.total ?? null),
    },
    {
      label: `events lost, worker killed 1 s after ${KILL_EVENTS.toLocaleString('en')} (median of ${ROUNDS})`,
      format: num,
      values: values((r) => median(r.figures.lost ?? [])),
    },
  ];
  const table = markdownTable(columns, rows);

  const detail = rs.map((r) => {
    const f = r.figures;
    const lines = [`### ${r.sdk.label} ${r.sdk.version}`, '', configText(r.sdk), ''];
    lines.push(`- ships: ${r.sdk.files.map((x) => `${x.name} ${kib(x.raw)} raw, ${kib(x.gz)} gzip -9`).join('; ')}`);
    if (r.failed) {
      lines.push(`- in a service worker: \`${r.failed}\`; nothing else was measured.`);
    } else {
      if (f.wire) {
        const stats = f.wire.stats ? ` (the SDK's own counters then: ${JSON.stringify(f.wire.stats)})` : '';
        lines.push(`- wire: ${f.wire.requests} requests, ${f.wire.bytes} body bytes, ${f.wire.received} of ${WIRE_EVENTS} events received${stats}`);
      }
      if (f.lost?.length) lines.push(`- lost on kill, per round: ${f.lost.join(', ')}`);
      if (f.ready?.length) lines.push(`- cold starts: min ${Math.min(...f.ready).toFixed(1)} ms, max ${Math.max(...f.ready).toFixed(1)} ms`);
      if (f.track?.length) lines.push(`- usage event median per round: ${f.track.map((x) => x.toFixed(2)).join(', ')} µs`);
      if (f.error?.length) lines.push(`- captureError median per round: ${f.error.map((x) => x.toFixed(2)).join(', ')} µs`);
      if (f.memory) {
        const wasm = f.memory.wasm ? `; wasm memory ${kib(f.memory.idleWasm)} when ready, ${kib(f.memory.wasm)} after` : '';
        lines.push(`- memory: JS heap ${kib(f.memory.idleHeap)} when ready, ${kib(f.memory.heap)} after the events${wasm}`);
      }
      if (r.status.asyncErrors?.length) lines.push(`- errors thrown in the worker: ${[...new Set(r.status.asyncErrors)].map((e) => `\`${e}\``).join(', ')}`);
    }
    for (const [k, v] of Object.entries(r.errors)) lines.push(`- ${k}: ${v}`);
    return lines.join('\n');
  }).join('\n\n');

  const markdown = `# Peer benchmark: mv3-telemetry beside Sentry, Glean.js, PostHog and Segment

Written by \`node bench/peers.mjs\` (part of \`make bench\`) on ${new Date().toISOString().slice(0, 10)}, in ${Math.round(seconds)} s.
Each cell: the absolute figure, then in brackets the ratio to mv3-telemetry's
(peer / mv3-telemetry: in every row but "events received", below 1× means
the peer is smaller, faster or loses less). † the SDK ran without an error
but recorded nothing (0 events delivered), so its costs are those of doing
nothing. — not measured: the SDK failed in the worker.

${table}

## Notes (from the pinned versions' source)

- Segment: \`AnalyticsBrowser.load()\` rejects with \`ReferenceError: window is
  not defined\` in a service worker; analytics-next has no worker support
  (segmentio/analytics-next#907), and there is no worker build to substitute.
- Glean.js 5 has no web-extension entry any more; its \`web\` storage
  (\`dist/platform/browser/web/storage.js\`) returns without storing when
  \`window\` is undefined, so in a worker events are accepted and silently
  discarded, and no ping is ever sent.
- PostHog runs in the worker once its client rate limit is lifted (see its
  configuration below); with the default limit a burst of 1,000 events is
  cut to about 100 before PostHog queues them. Its queue is in memory only:
  a stopped worker loses it, and with the collector down it keeps growing.
- Sentry keeps up to 100 logs in memory for up to 5 s before sending them;
  what is buffered when the worker stops is lost (no persistence: its
  offline transport only stores envelopes whose send failed).
- mv3-telemetry persists accepted items within 200 ms and delivers them
  from the next worker. \`maxQueuedItems\` (1,000) counts items in flight, so
  a burst of 1,000 on top of items already queued drops the excess as
  \`queue_full\` (its counters are in its section below).

## Machine

- ${host.uname}
- CPU: ${host.cpu}, ${host.cores} cores; ${host.memory} memory; load average at start ${host.load}
- Chromium ${chromium ?? '?'} headless (${host.chromiumBinary}); Node ${host.node}
- Workers' network ${WORKER_NETWORK}, for every SDK alike
- The machine was shared with other work: timed figures are medians over
  round-robin rounds, which keeps the ratios steadier than the absolute times.

## Method

- One headless Chromium run loads one MV3 test extension per SDK
  (\`target/bench-peers/<sdk>/\`, built by \`bench/peers/build.mjs\`): the SDK set
  up in \`bench/peers/<sdk>/telemetry.js\`, bundled by esbuild (minified, IIFE),
  loaded by the shared classic worker \`bench/peers/worker.js\` with
  \`importScripts\`, so that an SDK that throws in a service worker leaves its
  error instead of a worker that never starts. Every SDK sends to one Node
  collector on 127.0.0.1 (\`bench/peers/collector.mjs\`), which answers 200 to
  everything and decodes each SDK's bodies to count events.
- Size: what the extension ships for telemetry: the minified bundle (SDK,
  configuration and the small adapter the bench calls), plus the \`.wasm\` for
  mv3-telemetry; each file gzip -9.
- Cold start: \`performance.now()\` in the worker (it counts from the worker's
  start) when the SDK is ready to record: mv3-telemetry's \`ready\`, PostHog's
  \`loaded\` callback, Segment's load promise; Sentry's and Glean's
  initialisation is synchronous, so the end of their script. ${RESTARTS} worker
  restarts each (CDP \`ServiceWorker.stopAllWorkers\`, then a message wakes it).
- Usage event: \`track(name, {10 scalar props})\` or the SDK's equivalent
  (Sentry: \`logger.info\`, Glean: an event metric's \`record\`, PostHog:
  \`capture\`) ${TRACK_CALLS.toLocaleString('en')} times per round in chunks of 100;
  each chunk's time runs until a macrotask after it, so work an SDK defers
  to promises is counted, minus that wait measured alone; median and p99 of
  the per-call chunk times, then the median over ${ROUNDS} rounds.
- captureError: ${ERROR_CALLS.toLocaleString('en')} fresh \`Error\`s per round, each with
  a ${STACK_FRAMES}-frame stack (\`Error.stackTraceLimit\` raised while they are made,
  before the clock starts), the same message and stack (one bug firing
  repeatedly), in chunks of 40, timed like the usage event.
- Wire: ${WIRE_EVENTS.toLocaleString('en')} events recorded at once; the collector counts
  requests and body bytes as received (compressed when the SDK compresses)
  until every event arrived, or after 35 s (time for a 30 s flush interval)
  once the SDK has been quiet for 5 s, at most 45 s. No explicit flush: each
  SDK's own batching decides.
- Memory: a fresh worker with the collector unreachable (connections reset),
  ${MEMORY_EVENTS.toLocaleString('en')} events in chunks of 1,000 over about 1 s, 2 s to let
  retries run, then CDP \`HeapProfiler.collectGarbage\` and
  \`Runtime.getHeapUsage\` (used JS heap) on the worker's target, plus the
  wasm memory's size for mv3-telemetry (read through its wasm-bindgen glue).
- Kill: ${KILL_EVENTS.toLocaleString('en')} events recorded, 1 s later the worker is stopped
  (CDP), then woken by a message; lost = ${KILL_EVENTS.toLocaleString('en')} minus the distinct
  events that arrived by the time every one had, or after 35 s once the SDK
  had been quiet for 5 s (at most 60 s). ${ROUNDS} rounds. Wire and kill
  runs go on in all the extensions at once.

## Each SDK: configuration and raw figures

${detail}
`;
  return { table, markdown };
}

await main();
