// Shared by the benchmarks in bench/: statistics and the package's size.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ROOT } from '../tests/e2e/lib/harness.mjs';

/** The median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
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

/**
 * Calls one SDK operation 100,000 times in the worker, in chunks of 100, and
 * returns the per-call µs of the chunks: {median, p99, chunks, stats}.
 * `which` is 'track' (with 10 props, under `name`) or 'timer' (startTimer + stop).
 */
export function timeInWorker(browser, which, name) {
  return browser.evaluate(async ([kind, label]) => {
    const t = self.telemetry;
    await t.ready;
    const props = { a: 1, b: 'two', c: true, d: 4.5, e: 'https://example.com/page', f: null, g: 'seven', h: 8, i: 'nine', j: [1, 2] };
    const chunk = 100;
    const perCall = [];
    for (let n = 0; n < 100_000; n += chunk) {
      const t0 = performance.now();
      if (kind === 'timer') {
        for (let k = 0; k < chunk; k++) t.startTimer(label).stop();
      } else {
        for (let k = 0; k < chunk; k++) t.track(label, props);
      }
      perCall.push(((performance.now() - t0) * 1000) / chunk);
    }
    perCall.sort((x, y) => x - y);
    return { median: perCall[perCall.length >> 1], p99: perCall[Math.floor(perCall.length * 0.99)], chunks: perCall.length, stats: t.stats() };
  }, [which, name], { timeout: 300_000 });
}
