// Figures for the usage features (timers, sampling): the cost of
// `startTimer(name).stop()` and of `track(name, {10 props})` with
// `sampleRate: 0.5`, in a real extension service worker, and the gzipped size
// of the package. A benchmark: it prints, it never asserts on time.
//
//   node bench/usage.mjs          (after `make package`; `make bench` does both)
import { setup, sleep } from '../tests/e2e/lib/harness.mjs';
import { printPackageSize } from './lib.mjs';

printPackageSize();

const env = await setup({ defaultConsent: 'granted', sampleRate: 0.5, batch: { flushIntervalMs: 60_000 }, maxQueuedItems: 1000 });
try {
  const { browser } = env;
  // Runs `kind` 100,000 times in chunks of 100 in the worker; per-call µs per chunk.
  const run = (kind) => browser.evaluate(async (which) => {
    const t = self.telemetry;
    await t.ready;
    const props = { a: 1, b: 'two', c: true, d: 4.5, e: 'https://example.com/page', f: null, g: 'seven', h: 8, i: 'nine', j: [1, 2] };
    const chunk = 100;
    const perCall = [];
    for (let n = 0; n < 100_000; n += chunk) {
      const t0 = performance.now();
      if (which === 'timer') {
        for (let k = 0; k < chunk; k++) t.startTimer('bench_timer').stop();
      } else {
        for (let k = 0; k < chunk; k++) t.track('bench_sampled', props);
      }
      perCall.push(((performance.now() - t0) * 1000) / chunk);
    }
    perCall.sort((x, y) => x - y);
    return { median: perCall[perCall.length >> 1], p99: perCall[Math.floor(perCall.length * 0.99)], chunks: perCall.length, stats: t.stats() };
  }, kind, { timeout: 300_000 });

  const timer = await run('timer');
  console.log(`startTimer(name) + stop(): median ${timer.median.toFixed(2)} µs/call, p99 ${timer.p99.toFixed(2)} µs/call (100,000 calls in ${timer.chunks} chunks of 100)`);
  const sampled = await run('track');
  console.log(`track(name, {10 props}) at sampleRate 0.5: median ${sampled.median.toFixed(2)} µs/call, p99 ${sampled.p99.toFixed(2)} µs/call (100,000 calls in ${sampled.chunks} chunks of 100)`);
  console.log(`  afterwards: queued ${sampled.stats.queued}, dropped ${JSON.stringify(sampled.stats.dropped)}`);
  await sleep(100);
} finally {
  await env.close();
}
