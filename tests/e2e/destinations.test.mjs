// Issue 14: Sentry, OTLP/HTTP and PostHog beside the v1 collector, in
// Chromium against the mock collector's receivers for the three protocols.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, sleep, sdkStatus, collectorReport, waitFor, flushUntilDrained, ranges } from './lib/harness.mjs';

const MANIFEST_NAME = 'mv3-telemetry example';

/** Every destination at the mock's URL, with `extra` options. */
function everywhere(extra = {}) {
  return (url) => {
    const host = new URL(url).host;
    return {
      endpoint: url,
      sentry: { dsn: `http://e2ekey@${host}/42` },
      otlp: { endpoint: url, headers: { 'x-e2e': 'yes' } },
      posthog: { apiKey: 'phc_e2e', host: url },
      defaultConsent: 'granted',
      lifecycleEvents: false,
      batch: { flushIntervalMs: 300, errorFlushDelayMs: 100 },
      retry: { baseDelayMs: 200, maxDelayMs: 2000 },
      ...extra,
    };
  };
}

/** The payloads of Sentry envelope items of `type` in accepted batches. */
async function sentryPayloads(mock, type) {
  const batches = await mock.batches('sentry');
  return batches.flatMap((b) => b.body.items.filter((i) => i.header.type === type).map((i) => ({ ...i.payload, received_at_ms: b.received_at_ms })));
}

async function otlpRecords(mock) {
  const batches = await mock.batches('otlp_logs');
  return batches.flatMap((b) => b.body.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => ({ ...l, resource: r.resource, received_at_ms: b.received_at_ms })))));
}

async function posthogEvents(mock) {
  const batches = await mock.batches('posthog');
  return batches.flatMap((b) => b.body.batch.map((e) => ({ ...e, received_at_ms: b.received_at_ms })));
}

const attr = (list, key) => {
  const found = (list || []).find((a) => a.key === key);
  return found && (found.value.stringValue ?? found.value.intValue ?? found.value.boolValue);
};

test('each destination receives errors, events, timings and feedback in its own shape', { timeout: 120_000 }, async (t) => {
  const env = await setup(everywhere());
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  const { anonymousId } = await sdkStatus(browser);
  await browser.evaluate(async () => {
    const t = self.telemetry;
    for (let i = 0; i < 3; i++) t.track('e2e_dest', { i, plan: 'pro' });
    // A stack as thrown in the extension's own code (evaluate() runs elsewhere).
    const error = new TypeError('e2e dest boom');
    error.stack = `TypeError: e2e dest boom\n    at syncSettings (chrome-extension://${chrome.runtime.id}/background.js:36:13)\n    at run (chrome-extension://${chrome.runtime.id}/background.js:80:5)`;
    t.captureError(error);
    // A chain: the cause comes first at Sentry, the thrown error last.
    t.captureError(new Error('e2e dest outer', { cause: new RangeError('e2e dest inner') }));
    t.startTimer('e2e_dest_load').stop();
    t.feedback({ type: 'bug', rating: 2, message: 'the e2e button is off' });
    await t.flush();
  });
  try {
    await mock.waitForStats((s) => {
      const p = s.per_endpoint;
      return p.events.items >= 3 && p.errors.items >= 2 && p.performance.items >= 1 && p.feedback.items >= 1
        && p.sentry.items >= 3 && p.otlp_logs.items >= 6 && p.otlp_metrics.items >= 1 && p.posthog.items >= 5;
    }, { timeout: 30_000, message: 'every destination to receive its items' });
  } catch (err) {
    assert.fail(`${err.message}${await context()}`);
  }

  const sentryEvents = await sentryPayloads(mock, 'event');
  const event = sentryEvents.find((e) => e.exception.values.at(-1).value === 'e2e dest boom');
  const chained = sentryEvents.find((e) => e.exception.values.at(-1).value === 'e2e dest outer');
  assert.deepEqual(chained.exception.values.map((v) => [v.type, v.value]), [['RangeError', 'e2e dest inner'], ['Error', 'e2e dest outer']], 'the cause first, the thrown error last');
  const thrown = event.exception.values.at(-1);
  assert.equal(thrown.type, 'TypeError');
  assert.equal(thrown.value, 'e2e dest boom');
  assert.deepEqual(thrown.stacktrace.frames.map((f) => [f.function, f.filename, f.lineno]),
    [['run', 'app:///background.js', 80], ['syncSettings', 'app:///background.js', 36]], 'frames caller to callee, as app:/// paths');
  assert.ok(!JSON.stringify(event).includes('chrome-extension://'), 'no extension URL reaches Sentry');
  assert.deepEqual(event.user, { id: anonymousId });
  assert.equal(event.sdk.settings.infer_ip, 'never');
  assert.equal(event.release, `${MANIFEST_NAME}@1.0.0`);
  assert.equal(event.exception.values.at(-1).mechanism.type, 'generic');
  // Release health: the session, with the error counted.
  let session;
  await waitFor(async () => { session = (await sentryPayloads(mock, 'session')).at(-1); return session && session.errors >= 1; },
    { timeout: 20_000, message: 'a session update counting the error', describe: context });
  assert.equal(session.did, anonymousId);
  assert.equal(session.status, 'ok');
  assert.equal(session.attrs.release, `${MANIFEST_NAME}@1.0.0`);
  const [feedback] = await sentryPayloads(mock, 'feedback');
  assert.equal(feedback.contexts.feedback.message, 'the e2e button is off');

  const records = await otlpRecords(mock);
  assert.equal(attr(records[0].resource.attributes, 'service.name'), MANIFEST_NAME);
  assert.equal(attr(records[0].resource.attributes, 'app.installation.id'), anonymousId);
  assert.ok(records.every((r) => typeof r.timeUnixNano === 'string'));
  const error = records.find((r) => attr(r.attributes, 'exception.type') === 'TypeError');
  assert.ok(error, 'the error is a log record with exception.type');
  const otlpRequests = await mock.requests('otlp_logs');
  assert.ok(otlpRequests.every((r) => r.gzip), 'OTLP bodies are gzipped');
  const metrics = (await mock.batches('otlp_metrics')).flatMap((b) => b.body.resourceMetrics[0].scopeMetrics[0].metrics);
  const metric = metrics.find((m) => m.name === 'e2e_dest_load');
  assert.ok(metric, JSON.stringify(metrics));
  assert.equal(metric.exponentialHistogram.aggregationTemporality, 1);
  assert.equal(metric.exponentialHistogram.dataPoints[0].count, '1');

  const events = await posthogEvents(mock);
  const tracked = events.filter((e) => e.event === 'e2e_dest');
  assert.equal(tracked.length, 3);
  assert.ok(tracked.every((e) => e.distinct_id === anonymousId && e.properties.$lib === 'mv3-telemetry' && e.properties.$process_person_profile === false && e.properties.plan === 'pro'));
  const exception = events.find((e) => e.event === '$exception');
  assert.equal(exception.properties.$exception_list.at(-1).type, 'TypeError');

  const stats = await mock.stats();
  assert.equal(stats.duplicate_item_ids, 0, 'nothing arrives twice');
  t.diagnostic(`per endpoint: ${JSON.stringify(Object.fromEntries(Object.entries(stats.per_endpoint).map(([k, v]) => [k, v.items])))}`);
});

test('a Sentry rate limit on errors holds errors back for its duration and counts them; the others still get them', { timeout: 120_000 }, async (t) => {
  const env = await setup(everywhere());
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  await sdkStatus(browser);
  const capture = (message) => browser.evaluate(async (m) => { self.telemetry.captureError(new Error(m)); await self.telemetry.flush(); }, message);
  await capture('e2e limit first');
  await waitFor(async () => (await sentryPayloads(mock, 'event')).length >= 1, { timeout: 20_000, message: 'the first error at Sentry', describe: context });
  // Then Sentry answers its next request (an error or a session update) with
  // a 429 limiting errors for 6 s: whatever it carried, errors are held back.
  await mock.faults({ status: 429, rate_limits: '6:error:organization', count: 1, endpoint: 'sentry' });
  const limitedFrom = Date.now();
  for (let i = 0; i < 3; i++) await capture(`e2e limit during ${i}`);
  // Each capture waits for its flush to be answered. The first error's
  // request can go out beside a session update: when the update takes the
  // 429, the error, already in flight, is accepted (as Sentry would). Every
  // error after the 429 is held back.
  const sentryDuring = (await sentryPayloads(mock, 'event')).map((e) => e.exception.values.at(-1).value);
  const inFlight = sentryDuring.filter((m) => m !== 'e2e limit first');
  assert.ok(sentryDuring[0] === 'e2e limit first' && ['', 'e2e limit during 0'].includes(inFlight.join()),
    `Sentry got the first, and at most the error in flight when the 429 came: ${JSON.stringify(sentryDuring)}`);
  const held = 3 - inFlight.length;
  t.diagnostic(`errors held back during the limit: ${held} of 3`);
  let during;
  await waitFor(async () => { during = await browser.evaluate(() => self.telemetry.stats().dropped.ratelimit_backoff); return during >= held; },
    { timeout: 10_000, message: `the ${held} errors after the 429 to be counted ratelimit_backoff`, describe: context });
  assert.equal(during, held);
  await waitFor(async () => (await mock.stats()).per_endpoint.errors.items >= 4, { timeout: 20_000, message: 'the v1 collector to get all four errors' });
  await waitFor(async () => (await posthogEvents(mock)).filter((e) => e.event === '$exception').length >= 4, { timeout: 20_000, message: 'PostHog to get all four errors' });

  await sleep(Math.max(0, limitedFrom + 6_500 - Date.now()));
  await capture('e2e limit after');
  let events;
  await waitFor(async () => { events = await sentryPayloads(mock, 'event'); return events.some((e) => e.exception.values.at(-1).value === 'e2e limit after'); },
    { timeout: 20_000, message: 'an error after the limit to reach Sentry', describe: context });
  assert.equal(events.at(-1).exception.values.at(-1).value, 'e2e limit after');
  const reports = await sentryPayloads(mock, 'client_report');
  // Each report carries what no earlier one did (they may ride on session
  // updates one by one): together, the errors held back, each reported once.
  const limited = reports.flatMap((r) => r.discarded_events).filter((d) => d.reason === 'ratelimit_backoff');
  assert.ok(limited.every((d) => d.category === 'error'), JSON.stringify(limited));
  assert.equal(limited.reduce((n, d) => n + d.quantity, 0), held, JSON.stringify(limited));
});

test('one destination down for 60 s while the others deliver; then it gets everything', { timeout: 180_000 }, async (t) => {
  // A 60 s outage must not exhaust the retries (as with the defaults); the
  // short ceiling keeps the test's wait for the return short.
  const env = await setup(everywhere({ retry: { baseDelayMs: 1000, maxDelayMs: 8000, maxAttempts: 100 } }));
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  await sdkStatus(browser);
  const downFrom = Date.now();
  await mock.faults({ status: 503, for_ms: 60_000, endpoint: 'posthog' });
  let next = 0;
  const bursts = 12;
  for (let k = 0; k < bursts; k++) {
    await browser.evaluate(([a, b]) => { for (let i = a; i < b; i++) self.telemetry.track('e2e_down', { i }); }, [next, next + 10]);
    next += 10;
    await sleep(5_000);
  }
  const downUntil = downFrom + 60_000;
  // The others delivered all along: v1 and OTLP got the events of every burst
  // before PostHog came back.
  const v1 = (await mock.batches('events')).filter((b) => b.received_at_ms < downUntil).flatMap((b) => b.body.items).filter((i) => i.name === 'e2e_down');
  const logs = (await otlpRecords(mock)).filter((r) => r.received_at_ms < downUntil && r.body.stringValue === 'e2e_down');
  t.diagnostic(`while PostHog was down: v1 ${new Set(v1.map((i) => i.props.i)).size}, OTLP ${logs.length} of ${next}`);
  assert.ok(new Set(v1.map((i) => i.props.i)).size >= next - 10, `the v1 collector kept receiving${await context()}`);
  assert.ok(logs.length >= next - 10, `OTLP kept receiving${await context()}`);
  // Full jitter under an 8 s ceiling: about one try every 4 s once backed off.
  const posthogRequests = await mock.requests('posthog');
  t.diagnostic(`PostHog requests while down: ${posthogRequests.length}`);
  assert.ok(posthogRequests.length >= 2 && posthogRequests.length <= 40, `PostHog was retried with backoff, not hammered: ${posthogRequests.length} requests`);

  let got;
  try {
    await waitFor(async () => {
      got = new Set((await posthogEvents(mock)).filter((e) => e.event === 'e2e_down').map((e) => e.properties.i));
      return got.size >= next;
    }, { timeout: 60_000, interval: 500, message: 'PostHog to get every event once it is back' });
  } catch (err) {
    const missing = Array.from({ length: next }, (_, i) => i).filter((i) => !got || !got.has(i));
    assert.fail(`${err.message}; missing ${ranges(missing)}${await context()}`);
  }
  assert.equal((await mock.stats()).duplicate_item_ids, 0);
});

test('worker kills during delivery to all three destinations lose nothing', { timeout: 240_000 }, async (t) => {
  const env = await setup(everywhere({ batch: { flushIntervalMs: 1000, errorFlushDelayMs: 500 } }));
  t.after(() => env.close());
  const { mock, browser } = env;
  const context = async () => `\n${await collectorReport(mock)}\nworker log:\n${browser.dumpLogs()}`;
  await sdkStatus(browser);
  const required = [];
  let next = 0;
  for (let phase = 0; phase < 3; phase++) {
    // Slow answers everywhere: requests are in flight when the worker dies.
    await mock.faults(['events', 'errors', 'sentry', 'otlp_logs', 'posthog'].map((endpoint) => ({ delay_ms: 1500, count: 1, endpoint })));
    await browser.evaluate(([a, b]) => {
      for (let i = a; i < b; i++) {
        self.telemetry.track('e2e_kill3', { i });
        if (i % 10 === 0) {
          // A frame of its own each: distinct errors, not repeats folded into one.
          const error = new Error(`e2e kill3 ${i}`);
          error.stack = `Error: e2e kill3 ${i}\n    at step${i} (chrome-extension://${chrome.runtime.id}/background.js:${i + 1}:1)`;
          self.telemetry.captureError(error);
        }
      }
    }, [next, next + 60]);
    required.push([next, next + 60]);
    next += 60;
    await sleep(2_000); // persisted, and requests are out
    await browser.killWorker();
    await sleep(300);
    await browser.wake();
    await sdkStatus(browser);
  }
  await flushUntilDrained(browser, { timeout: 90_000 }).catch(() => {});
  const all = Array.from({ length: next }, (_, i) => i);
  const errorsWanted = all.filter((i) => i % 10 === 0).map((i) => `e2e kill3 ${i}`);
  const checks = {
    v1: async () => new Set((await mock.items('events')).filter((i) => i.name === 'e2e_kill3').map((i) => i.props.i)),
    otlp: async () => new Set((await otlpRecords(mock)).filter((r) => r.body.stringValue === 'e2e_kill3').map((r) => Number(attr(r.attributes, 'props.i')))),
    posthog: async () => new Set((await posthogEvents(mock)).filter((e) => e.event === 'e2e_kill3').map((e) => e.properties.i)),
  };
  for (const [name, read] of Object.entries(checks)) {
    let got;
    try {
      await waitFor(async () => { got = await read(); return all.every((i) => got.has(i)); }, { timeout: 60_000, interval: 500, message: `${name} to get every event` });
    } catch (err) {
      assert.fail(`${err.message}; missing ${ranges(all.filter((i) => !got || !got.has(i)))}${await context()}`);
    }
  }
  let sentryGot;
  try {
    await waitFor(async () => {
      sentryGot = new Set((await sentryPayloads(mock, 'event')).map((e) => e.exception.values.at(-1).value));
      return errorsWanted.every((m) => sentryGot.has(m));
    }, { timeout: 60_000, interval: 500, message: 'Sentry to get every error' });
  } catch (err) {
    assert.fail(`${err.message}; missing ${errorsWanted.filter((m) => !sentryGot.has(m)).join(', ')}${await context()}`);
  }
  const stats = await mock.stats();
  t.diagnostic(`duplicates (a batch in flight at a kill is re-sent; backends de-duplicate by id): ${stats.duplicate_item_ids}`);
});

test('with consent pending nothing is sent to any destination', { timeout: 60_000 }, async (t) => {
  const env = await setup(everywhere({ defaultConsent: 'pending' }));
  t.after(() => env.close());
  const { mock, browser } = env;
  assert.equal((await sdkStatus(browser)).consent, 'pending');
  await browser.evaluate(async () => {
    const t = self.telemetry;
    t.track('e2e_pending', { i: 1 });
    t.captureError(new Error('e2e pending'));
    t.startTimer('e2e_pending_timer').stop();
    t.feedback({ type: 'idea', message: 'pending' });
    await t.flush();
  });
  await sleep(2_000);
  const stats = await mock.stats();
  assert.equal(stats.requests, 0, `no request reached any receiver: ${JSON.stringify(stats.per_endpoint)}`);
});
