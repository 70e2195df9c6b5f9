// Load on the collector side (issue 13): the mock collector receiving the
// SDK's real traffic from several browser profiles at once, with faults
// injected, for a few minutes. A benchmark: it prints and writes its section
// of bench/RESULTS.md (between <!-- load:start --> and <!-- load:end -->); it
// never asserts on a figure.
//
//   node bench/collector-load.mjs       (after `make package`; `make bench` does both)
//
//   LOAD_PROFILES=5        browser profiles (one Chromium each), one worker each
//   LOAD_SECONDS=180       how long the workers record
//   LOAD_RATE=20           track() calls per second per worker
//   LOAD_FAULT_EVERY_S=15  a fault burst this often (503s, 429 with Retry-After,
//                          dropped connections, in turn)
//   LOAD_NO_WRITE=1        print only
//
// What is counted, through public surfaces only:
// - accepted: the track() calls made minus what the workers' stats() count
//   as dropped once drained (queue_full during long faults, retry_exhausted
//   for a batch refused too many times, ...): every accepted event must
//   arrive. The drop counts cover every item of a dropped batch, the SDK's
//   own lifecycle events included, so received may exceed accepted by those;
// - received: distinct item ids of the `load` events in the collector's
//   accepted batches, and ids or batch ids received twice;
// - the collector's resident memory (/proc/<pid>/status VmRSS), sampled;
// - requests per second, and the responses by status.

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT, launchBrowser, prepareExtension, sleep, startMock } from '../tests/e2e/lib/harness.mjs';
import { median } from './lib.mjs';
import { replaceSection } from './lean/report.mjs';

const PROFILES = Math.max(1, Number(process.env.LOAD_PROFILES || 5));
const SECONDS = Math.max(10, Number(process.env.LOAD_SECONDS || 180));
const RATE = Math.max(1, Number(process.env.LOAD_RATE || 20));
const FAULT_EVERY_S = Math.max(5, Number(process.env.LOAD_FAULT_EVERY_S || 15));
const START = '<!-- load:start -->';
const END = '<!-- load:end -->';

// Faults in turn: the collector down for a while, rate limiting, a network
// that drops connections.
const FAULTS = [
  { label: '503 x40', rules: [{ status: 503, count: 40 }] },
  { label: '429 Retry-After 5 s x10', rules: [{ status: 429, retry_after: '5', count: 10 }] },
  { label: 'dropped connection x20', rules: [{ drop_connection: true, count: 20 }] },
];

const log = (...a) => console.log('[load]', ...a);

function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Starts recording in the worker: RATE events per second, in ticks of 100 ms. */
function startRecording(browser, profile) {
  return browser.evaluate(([p, perTick]) => {
    self.__load = { made: 0 };
    self.__loadTimer = setInterval(() => {
      for (let k = 0; k < perTick; k++) {
        self.telemetry.track('load', { profile: p, n: self.__load.made, screen: 'options', ok: true });
        self.__load.made++;
      }
    }, 100);
    return true;
  }, [profile, Math.max(1, Math.round(RATE / 10))]);
}

function stopRecording(browser) {
  return browser.evaluate(() => {
    clearInterval(self.__loadTimer);
    return { made: self.__load.made, stats: self.telemetry.stats() };
  });
}

async function drain(browser, deadline) {
  let last = null;
  while (Date.now() < deadline) {
    last = await browser.evaluate(() => self.telemetry.flush(), undefined, { timeout: 30_000 }).catch(() => null);
    if (last && last.pending === 0) return true;
    await sleep(1000);
  }
  return false;
}

async function main() {
  const began = Date.now();
  const load0 = loadavg();
  const mock = await startMock();
  const browsers = [];
  try {
    for (let p = 0; p < PROFILES; p++) {
      const dir = prepareExtension({
        endpoint: mock.url,
        defaultConsent: 'granted',
        batch: { flushIntervalMs: 2000 },
      });
      browsers.push(await launchBrowser(dir));
      log(`profile ${p + 1}/${PROFILES} up`);
    }
    await mock.reset();
    for (const [p, b] of browsers.entries()) await startRecording(b, p);
    log(`recording: ${PROFILES} workers x ${RATE} events/s for ${SECONDS} s, a fault every ${FAULT_EVERY_S} s`);

    const rss = [];
    const injected = [];
    const t0 = Date.now();
    let nextFault = t0 + FAULT_EVERY_S * 1000;
    let k = 0;
    while (Date.now() - t0 < SECONDS * 1000) {
      await sleep(1000);
      rss.push(rssKiB(mock.proc.pid));
      // No new fault in the last 30 s, so that the drain meets none left over.
      if (Date.now() >= nextFault && Date.now() - t0 < (SECONDS - 30) * 1000) {
        const fault = FAULTS[k++ % FAULTS.length];
        await mock.faults(fault.rules);
        injected.push(fault.label);
        nextFault += FAULT_EVERY_S * 1000;
      }
    }
    const recordMs = Date.now() - t0;
    const stopped = [];
    for (const b of browsers) stopped.push(await stopRecording(b));
    log('recording stopped; draining');
    const deadline = Date.now() + 180_000;
    const drained = [];
    for (const b of browsers) drained.push(await drain(b, deadline));
    rss.push(rssKiB(mock.proc.pid));
    const stats = await mock.stats();
    // Which batch ids each `load` event arrived under.
    const under = new Map();
    for (const batch of await mock.batches('events')) {
      for (const item of batch.body?.items ?? []) {
        if (item.name !== 'load') continue;
        const key = `${item.props?.profile}:${item.props?.n}`;
        (under.get(key) ?? under.set(key, { ids: new Set(), batches: new Set() }).get(key));
        under.get(key).ids.add(item.id);
        under.get(key).batches.add(batch.batch_id);
      }
    }
    // Drops are read after the drain: a batch can give up (retry_exhausted) then.
    const after = [];
    for (const b of browsers) after.push(await b.evaluate(() => self.telemetry.stats()));
    const made = stopped.reduce((s, x) => s + x.made, 0);
    const droppedBy = {};
    for (const st of after) for (const [reason, n] of Object.entries(st.dropped ?? {})) droppedBy[reason] = (droppedBy[reason] ?? 0) + n;
    const dropped = Object.values(droppedBy).reduce((a, n) => a + n, 0);
    report({
      seconds: recordMs / 1000, made, dropped, droppedBy, drained, stats, rss, injected,
      received: under.size,
      twiceById: [...under.values()].filter((u) => u.ids.size > 1).length,
      twiceByBatch: [...under.values()].filter((u) => u.batches.size > 1).length,
      load0, load1: loadavg(), tookS: (Date.now() - began) / 1000,
    });
  } finally {
    for (const b of browsers) await b.close().catch(() => {});
    await mock.stop();
  }
}

function report(f) {
  const rssValid = f.rss.filter((x) => x !== null);
  const accepted = f.made - f.dropped;
  const perSecond = f.stats.requests / f.seconds;
  const statuses = Object.entries(f.stats.per_status ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ');
  const lines = [
    '# Load on the collector (issue 13)',
    '',
    `Written by \`node bench/collector-load.mjs\` (part of \`make bench\`) on ${new Date().toISOString().slice(0, 10)}, in ${f.tookS.toFixed(0)} s. How each figure is counted: the comment at the top of the script.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| browser profiles (one Chromium and one SDK worker each) | ${PROFILES} |`,
    `| recording | ${f.seconds.toFixed(0)} s at ${RATE} events/s per worker |`,
    `| faults injected | ${f.injected.length} (every ${FAULT_EVERY_S} s, in turn: ${FAULTS.map((x) => x.label).join('; ')}) |`,
    `| events made / counted as dropped by the SDKs / accepted | ${f.made} / ${f.dropped}${f.dropped ? ` (${Object.entries(f.droppedBy).filter(([, n]) => n).map(([r, n]) => `${r} ${n}`).join(', ')})` : ''} / ${accepted} |`,
    `| accepted events received (distinct) | ${f.received} (${f.received >= accepted ? 'none lost' : `${accepted - f.received} lost`}) |`,
    `| events received under two ids / two batch ids | ${f.twiceById} / ${f.twiceByBatch} |`,
    `| requests, per second | ${f.stats.requests}, ${perSecond.toFixed(1)}/s (responses: ${statuses}) |`,
    `| collector memory (VmRSS), median / max | ${median(rssValid)} KiB / ${Math.max(...rssValid)} KiB |`,
    `| every worker drained after recording | ${f.drained.every(Boolean) ? 'yes' : `no (${f.drained.filter((d) => !d).length} did not)`} |`,
    '',
    `- ${cpus().length} cores; load average ${f.load0.map((x) => x.toFixed(2)).join(' ')} at start, ${f.load1.map((x) => x.toFixed(2)).join(' ')} at the end.`,
  ];
  const text = lines.join('\n');
  console.log(text);
  if (process.env.LOAD_NO_WRITE !== '1') {
    const path = join(ROOT, 'bench/RESULTS.md');
    let existing = '';
    try { existing = readFileSync(path, 'utf8'); } catch { /* a new file */ }
    writeFileSync(path, replaceSection(existing, text, START, END));
  }
}

await main();
