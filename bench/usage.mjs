// Figures for the usage features (timers, sampling): the cost of
// `startTimer(name).stop()` and of `track(name, {10 props})` with
// `sampleRate: 0.5`, in a real extension service worker, and the gzipped size
// of the package. A benchmark: it prints, it never asserts on time.
//
//   node bench/usage.mjs          (after `make package`; `make bench` does both)
import { setup, sleep } from '../tests/e2e/lib/harness.mjs';
import { printPackageSize, timeInWorker } from './lib.mjs';

printPackageSize();

const env = await setup({ defaultConsent: 'granted', sampleRate: 0.5, batch: { flushIntervalMs: 60_000 }, maxQueuedItems: 1000 });
try {
  const { browser } = env;

  const timer = await timeInWorker(browser, 'timer', 'bench_timer');
  console.log(`startTimer(name) + stop(): median ${timer.median.toFixed(2)} µs/call, p99 ${timer.p99.toFixed(2)} µs/call (100,000 calls in ${timer.chunks} chunks of 100)`);
  const sampled = await timeInWorker(browser, 'track', 'bench_sampled');
  console.log(`track(name, {10 props}) at sampleRate 0.5: median ${sampled.median.toFixed(2)} µs/call, p99 ${sampled.p99.toFixed(2)} µs/call (100,000 calls in ${sampled.chunks} chunks of 100)`);
  console.log(`  afterwards: queued ${sampled.stats.queued}, dropped ${JSON.stringify(sampled.stats.dropped)}`);
  await sleep(100);
} finally {
  await env.close();
}
