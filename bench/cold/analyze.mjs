// Reads a Chromium trace of cold starts written by bench/cold.mjs (COLD_TRACE=n)
// and says what the service worker's thread did between the first line of its
// module graph (`console.timeStamp('cold:t0')`) and `telemetry.ready`
// (`cold:ready`), per start (medians):
//   span        t0 -> ready
//   evaluate    the task that evaluates the modules (the worker's first turn)
//   wasmStream  tasks that decode the streamed .wasm (wasm.OnBytesReceived, FinishStreaming)
//   body        tasks that finish loading a response body
//   microtasks  microtask checkpoints outside those tasks (instantiate, Client, start, ready)
//   other       every other task; idle: span minus all tasks
//   lazy        wasm.CompileLazy inside those (a function's first call compiles it)
// and, with the .wasm, which functions were compiled lazily before `ready`.
// Tracing slows the worker down: read the shares, not the absolute figures.
//
//   node bench/cold/analyze.mjs <trace.json> [module.wasm] [top]
import { readFileSync } from 'node:fs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Function index -> {name, size} of a .wasm (names from its name section, if any). */
export function wasmFunctions(path) {
  const b = readFileSync(path);
  let p = 8;
  const u = () => {
    let r = 0;
    for (let shift = 0; ; shift += 7) {
      const x = b[p++];
      r += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) return r;
    }
  };
  let imported = 0;
  const sizes = [];
  const names = new Map();
  while (p < b.length) {
    const id = b[p++];
    const len = u();
    const end = p + len;
    if (id === 2) {
      for (let i = 0, n = u(); i < n; i++) {
        for (let name = 0; name < 2; name++) { const l = u(); p += l; } // module and field names
        const kind = b[p++];
        const limits = () => { const flags = u(); u(); if (flags & 1) u(); };
        if (kind === 0) { u(); imported++; }
        else if (kind === 1) { p++; limits(); }
        else if (kind === 2) limits();
        else if (kind === 3) p += 2;
        else if (kind === 4) { p++; u(); }
      }
    } else if (id === 10) {
      for (let i = 0, n = u(); i < n; i++) { const size = u(); sizes.push(size); p += size; }
    } else if (id === 0) {
      const nameLen = u();
      const section = b.toString('utf8', p, p + nameLen);
      p += nameLen;
      if (section === 'name') {
        while (p < end) {
          const sub = b[p++];
          const subLen = u();
          const subEnd = p + subLen;
          if (sub === 1) {
            for (let i = 0, n = u(); i < n; i++) { const index = u(); const l = u(); names.set(index, b.toString('utf8', p, p + l)); p += l; }
          }
          p = subEnd;
        }
      }
    }
    p = end;
  }
  const funcs = new Map(sizes.map((size, i) => [imported + i, { name: names.get(imported + i) ?? `#${imported + i}`, size }]));
  return { imported, funcs };
}

/** Per-start phases of the worker thread, and the lazily compiled functions (see the header). */
export function analyzeTrace(events, wasmPath) {
  const threadNames = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
  const byThread = new Map();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (threadNames.get(key) !== 'ServiceWorker thread') continue;
    if (!byThread.has(key)) byThread.set(key, []);
    byThread.get(key).push(e);
  }
  const stamp = (es, message) => es.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === message)?.ts;
  const rows = [];
  const lazyFns = new Map();
  for (const es of byThread.values()) {
    const t0 = stamp(es, 'cold:t0');
    const ready = stamp(es, 'cold:ready');
    if (t0 === undefined || ready === undefined) continue;
    const xs = es.filter((e) => e.ph === 'X').sort((a, b) => a.ts - b.ts);
    const tops = [];
    let end = -Infinity;
    for (const e of xs) {
      if (e.ts >= end && ['ThreadControllerImpl::RunTask', 'RunMicrotasks', 'RunTask'].includes(e.name)) {
        tops.push(e);
        end = e.ts + e.dur;
      }
    }
    const row = { span: (ready - t0) / 1000, evaluate: 0, wasmStream: 0, body: 0, microtasks: 0, other: 0, idle: 0, lazy: 0, lazyCount: 0 };
    let busy = 0;
    for (const t of tops) {
      const from = Math.max(t.ts, t0);
      const to = Math.min(t.ts + t.dur, ready);
      if (to <= from) continue;
      busy += (to - from) / 1000;
      const inside = xs.filter((x) => x.ts >= t.ts && x.ts < t.ts + t.dur);
      const has = (re) => inside.some((x) => re.test(x.name));
      const kind = has(/evaluateModule/) ? 'evaluate'
        : has(/OnBytesReceived|FinishStreaming|compileConsume/) ? 'wasmStream'
          : has(/DidFinishLoadingBody/) ? 'body'
            : t.name === 'RunMicrotasks' || has(/RunMicrotasks/) ? 'microtasks' : 'other';
      row[kind] += (to - from) / 1000;
    }
    for (const x of xs) {
      if (x.name !== 'wasm.CompileLazy' || x.ts < t0 || x.ts > ready) continue;
      row.lazy += x.dur / 1000;
      row.lazyCount++;
      const index = x.args?.func_index;
      const f = lazyFns.get(index) ?? { ms: 0, n: 0 };
      f.ms += x.dur / 1000;
      f.n++;
      lazyFns.set(index, f);
    }
    row.idle = row.span - busy;
    rows.push(row);
  }
  const medians = rows.length ? Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(rows.map((r) => r[k]))])) : null;
  let functions = null;
  if (wasmPath) {
    const { funcs } = wasmFunctions(wasmPath);
    functions = [...lazyFns].map(([index, f]) => ({ index, ms: f.ms / rows.length, starts: f.n, ...(funcs.get(index) ?? { name: `#${index}`, size: 0 }) }))
      .sort((a, b) => b.ms - a.ms);
  }
  return { starts: rows.length, medians, functions };
}

export function printAnalysis(label, { starts, medians, functions }, top = 25) {
  if (!medians) {
    console.log(`${label}: no start with both stamps in the trace`);
    return;
  }
  console.log(`${label}: ${starts} traced starts, worker thread from first line to ready (medians, ms): ${
    Object.entries(medians).map(([k, v]) => `${k} ${k === 'lazyCount' ? v : v.toFixed(1)}`).join(', ')}`);
  if (functions) {
    const bytes = functions.reduce((a, f) => a + f.size, 0);
    console.log(`  compiled lazily before ready: ${functions.length} functions, ${bytes} bytes of code; the largest costs:`);
    for (const f of functions.slice(0, top)) {
      console.log(`  ${f.ms.toFixed(3).padStart(7)} ms ${String(f.size).padStart(6)} B  ${f.name.replace(/\[[0-9a-f]{16}\]/g, '').slice(0, 120)}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, wasm, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/cold/analyze.mjs <trace.json> [module.wasm] [top]');
    process.exit(2);
  }
  const { traceEvents } = JSON.parse(readFileSync(file, 'utf8'));
  printAnalysis(file, analyzeTrace(traceEvents, wasm), Number(top ?? 25));
}
