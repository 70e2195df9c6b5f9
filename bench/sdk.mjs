// Figures for mv3-telemetry itself (issue 2): the gzipped size of the package,
// the time from worker start to `ready`, and the cost of `track(name, {10 props})`
// in a real extension service worker. A benchmark: it prints, it never asserts on time.
//
//   node bench/sdk.mjs            (after `make package`; `make bench` does both)
import { setup, sleep } from '../tests/e2e/lib/harness.mjs';
import { median, printPackageSize, readyStampedWorker, timeInWorker } from './lib.mjs';

printPackageSize();

const env = await setup({ defaultConsent: 'granted', batch: { flushIntervalMs: 60_000 }, maxQueuedItems: 1000 }, { files: readyStampedWorker() });
try {
  const { browser } = env;
  // Worker start -> ready: performance.now() in a worker counts from its start.
  const readyTimes = [];
  for (let run = 0; run < 10; run++) {
    if (run > 0) {
      await browser.killWorker();
      await browser.wake();
    }
    const ms = await browser.evaluate(async () => {
      await self.telemetry.ready;
      return self.__mv3tReadyAt;
    });
    readyTimes.push(ms);
  }
  console.log(`worker start -> ready: median ${median(readyTimes).toFixed(1)} ms over ${readyTimes.length} starts (min ${Math.min(...readyTimes).toFixed(1)}, max ${Math.max(...readyTimes).toFixed(1)})`);

  const result = await timeInWorker(browser, 'track', 'bench_event');
  console.log(`track(name, {10 props}): median ${result.median.toFixed(2)} µs/call, p99 ${result.p99.toFixed(2)} µs/call (100,000 calls in ${result.chunks} chunks of 100; aim: <= 5 µs)`);
  console.log(`  afterwards: queued ${result.stats.queued}, dropped ${JSON.stringify(result.stats.dropped)}`);
  await sleep(100);
} finally {
  await env.close();
}
