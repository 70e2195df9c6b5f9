// Pure helpers of bench/lean.mjs (no browser): the retry schedule's request
// allowance, CPU profile arithmetic, the figures table and the marker-delimited
// section of bench/RESULTS.md. Tested by bench/lean/report.test.mjs.

export const LEAN_START = '<!-- lean:start -->';
export const LEAN_END = '<!-- lean:end -->';

/**
 * Requests the retry schedule allows in `windowMs` for one endpoint with one
 * batch at a time that always fails (DESIGN 5, src/core/backoff.rs): the first
 * attempt at t = 0; after failure k (k = 1, 2, ...) the next attempt waits a
 * uniform delay in [0, min(maxDelayMs, baseDelayMs * 2^(k-1))]; after
 * `maxAttempts` failures the batch is dropped and the next one (there is
 * always one: the burst queued more) is sent at once. Request round trips
 * are taken as zero, which only adds requests. Monte Carlo over `trials`:
 * {mean, p50, p99, max}. `random` is injectable for tests.
 */
export function retryAllowance({
  windowMs = 60_000, baseDelayMs = 1000, maxDelayMs = 3_600_000, maxAttempts = 10, trials = 20_000, random = Math.random,
} = {}) {
  const counts = [];
  for (let trial = 0; trial < trials; trial++) {
    let t = 0;
    let requests = 0;
    let failures = 0;
    // Bounded: every batch takes at most maxAttempts requests, and the
    // window ends once delays add up; the cap guards a zero base delay.
    while (t < windowMs && requests < 1_000_000) {
      requests++;
      failures++;
      if (failures >= maxAttempts) {
        failures = 0;
        continue;
      }
      t += random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1));
    }
    counts.push(requests);
  }
  counts.sort((a, b) => a - b);
  const at = (q) => counts[Math.min(counts.length - 1, Math.floor(q * counts.length))];
  return { mean: counts.reduce((s, c) => s + c, 0) / counts.length, p50: at(0.5), p99: at(0.99), max: counts[counts.length - 1] };
}

/**
 * Busy time of a V8 CPU profile (Profiler.stop's `profile`), in µs: the
 * sampled time of every sample that is not `(idle)`. Native work (`(program)`)
 * and `(garbage collector)` count as busy: both are the worker's thread at work.
 */
export function profileBusyUs(profile) {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let busy = 0;
  const { samples = [], timeDeltas = [] } = profile;
  // timeDeltas[i] is the time from sample i-1 to sample i: charge it to sample i-1's state.
  for (let i = 1; i < samples.length; i++) {
    if (!idle.has(samples[i - 1])) busy += Math.max(0, timeDeltas[i]);
  }
  return busy;
}

/** The profile's wall window in µs. */
export const profileWindowUs = (profile) => profile.endTime - profile.startTime;

export const fmt = {
  kib: (n) => `${(n / 1024).toFixed(1)} KiB`,
  ms: (n) => `${n < 100 ? n.toFixed(1) : Math.round(n)} ms`,
  us: (n) => `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)} µs`,
  bytes: (n) => `${Math.round(n)} B`,
  num: (n) => (Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1)),
};

/** value / base as "1.23×" ('' when either is missing, '∞' for x/0). */
export function ratio(value, base) {
  if (typeof value !== 'number' || typeof base !== 'number' || !Number.isFinite(value) || !Number.isFinite(base)) return '';
  if (base === 0) return value === 0 ? '1.00×' : '∞';
  const r = value / base;
  return `${r < 10 ? r.toFixed(2) : Math.round(r)}×`;
}

const escape = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Rows: {figure, value (text), floor (text), ratio (text)}. Returns
 * {markdown, text}: a Markdown table and the same as aligned plain text.
 */
export function renderTable(rows) {
  const head = ['figure', 'value', 'floor / budget', 'ratio'];
  const cells = rows.map((r) => [r.figure, r.value, r.floor, r.ratio].map((c) => String(c ?? '')));
  const markdown = [
    `| ${head.join(' | ')} |`,
    '|---|---|---|---|',
    ...cells.map((c) => `| ${c.map(escape).join(' | ')} |`),
  ].join('\n');
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  const text = [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
  return { markdown, text };
}

/**
 * `existing` (bench/RESULTS.md, or '' when absent) with the text between the
 * lean markers replaced by `section` (markers included); appended at the end
 * when the markers are absent. Everything else is kept as it is.
 */
export function replaceSection(existing, section, start = LEAN_START, end = LEAN_END) {
  const block = `${start}\n${section.trim()}\n${end}`;
  const i = existing.indexOf(start);
  const j = i < 0 ? -1 : existing.indexOf(end, i);
  if (i >= 0 && j >= 0) return existing.slice(0, i) + block + existing.slice(j + end.length);
  const sep = existing === '' ? '' : existing.endsWith('\n\n') ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  return `${existing}${sep}${block}\n`;
}

/**
 * The lean section of `existing` (markers included), or '' — for writers of
 * the whole file (bench/peers.mjs) to keep it.
 */
export function extractSection(existing, start = LEAN_START, end = LEAN_END) {
  const i = existing.indexOf(start);
  const j = i < 0 ? -1 : existing.indexOf(end, i);
  return i >= 0 && j >= 0 ? existing.slice(i, j + end.length) : '';
}
