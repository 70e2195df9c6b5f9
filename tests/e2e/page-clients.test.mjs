// Every extension context through the worker (connect() from
// mv3-telemetry/page): the example's content script on a page served here,
// its popup and an offscreen document report under the worker's consent,
// anonymous ID and queue, with their context kind and the page origin only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { flushUntilDrained, setup, sleep, waitFor, delivered, missingIn, ranges } from './lib/harness.mjs';
import { openPopup } from './lib/tour.mjs';

const TAG = 'mv3t';

/** A web site on 127.0.0.1 with one page, whose URL has a path and a query. */
async function startSite() {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><meta charset="utf-8"><title>Cart of alice</title><a href="/a">a</a><a href="/b">b</a>\n');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, url: `${origin}/shop/cart?session=abc123#items`, close: () => new Promise((r) => server.close(r)) };
}

/**
 * The content script's isolated world of `page`, reached through DevTools:
 * `run(expression)` evaluates there (awaiting a promise) and returns the value.
 */
async function contentScriptWorld(page, extensionId) {
  const cdp = await page.context().newCDPSession(page);
  const contexts = [];
  cdp.on('Runtime.executionContextCreated', ({ context }) => contexts.push(context));
  await cdp.send('Runtime.enable');
  const world = await waitFor(() => contexts.find((c) => c.auxData?.type === 'isolated' && c.origin.includes(extensionId)), {
    timeout: 15_000, message: 'the content script world', describe: async () => JSON.stringify(contexts),
  });
  return async (expression) => {
    const r = await cdp.send('Runtime.evaluate', { expression, contextId: world.id, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in the content script: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  };
}

/** Opens the site's page in a new tab and returns it with its content script's world. */
async function openSitePage(browser, site) {
  const page = await browser.context.newPage();
  await page.goto(site.url);
  return { page, run: await contentScriptWorld(page, browser.extensionId) };
}

/** Counts, in the worker, every page client message it receives from now on. */
function countPageMessagesInWorker(browser) {
  return browser.evaluate((tag) => {
    self.__pageMessages = [];
    chrome.runtime.onMessage.addListener((m) => {
      if (m && typeof m === 'object' && tag in m) self.__pageMessages.push(m[tag]);
      return false;
    });
  }, TAG);
}

/** The worker's anonymous ID once consent is granted. */
async function grant(browser) {
  const status = await browser.message({ cmd: 'setConsent', granted: true });
  assert.ok(status.ok, JSON.stringify(status));
  return status.value.anonymousId;
}

test('a content script, the popup and an offscreen document report through the worker with their kind and the page origin only', { timeout: 180_000 }, async () => {
  const site = await startSite();
  const env = await setup({});
  try {
    const { browser, mock } = env;
    const anonymousId = await grant(browser);

    const { run } = await openSitePage(browser, site);
    await run('brokenFeature()');
    const popup = await openPopup(browser);
    await popup.click('#throw-in-popup');
    await browser.message({ cmd: 'action', name: 'openOffscreen' });

    const want = (events, errors) =>
      ['content_script_ran', 'popup_opened', 'offscreen_parsed'].every((n) => events.some((e) => e.name === n))
      && errors.some((e) => /reading list/.test(e.message)) && errors.some((e) => /Popup could not render/.test(e.message));
    let events = [];
    let errors = [];
    await waitFor(async () => {
      await browser.evaluate(() => self.telemetry.flush());
      events = await mock.uniqueItems('events');
      errors = await mock.uniqueItems('errors');
      return want(events, errors);
    }, { timeout: 60_000, interval: 1_000, message: 'every context\'s items', describe: async () => JSON.stringify({ events, errors }) });

    const byName = (name) => events.find((e) => e.name === name);
    assert.equal(byName('content_script_ran').context_kind, 'content_script');
    assert.equal(byName('content_script_ran').origin, site.origin, 'the origin, with no path or query');
    assert.deepEqual(byName('content_script_ran').props, { links: 2 });
    assert.equal(byName('popup_opened').context_kind, 'popup');
    assert.equal(byName('popup_opened').origin, undefined, 'extension pages carry no origin');
    assert.equal(byName('offscreen_parsed').context_kind, 'offscreen');
    assert.deepEqual(byName('offscreen_parsed').props, { items: 2 });

    const pageError = errors.find((e) => /reading list/.test(e.message));
    assert.equal(pageError.context_kind, 'content_script');
    assert.equal(pageError.origin, site.origin);
    assert.doesNotMatch(pageError.message, /alice@example\.com/, 'scrubbed like the worker\'s errors');
    assert.ok(pageError.stack.some((f) => f.file === '/content.js'), `a frame in content.js: ${JSON.stringify(pageError.stack)}`);
    const popupError = errors.find((e) => /Popup could not render/.test(e.message));
    assert.equal(popupError.context_kind, 'popup');
    assert.equal(popupError.context.mechanism, 'onerror');
    assert.ok(popupError.stack.some((f) => f.file === '/popup.js'), `a frame in popup.js: ${JSON.stringify(popupError.stack)}`);

    const batches = await mock.batches();
    for (const b of batches.filter((b) => b.body?.items)) assert.equal(b.body.anonymous_id, anonymousId, 'one anonymous ID: the worker\'s');
    const everything = JSON.stringify(batches);
    for (const secret of ['/shop/cart', 'abc123', 'Cart of alice']) assert.ok(!everything.includes(secret), `"${secret}" never leaves the browser`);
  } catch (err) {
    err.message += `\n--- log ---\n${env.browser.dumpLogs(60)}`;
    throw err;
  } finally {
    await env.close();
    await site.close();
  }
});

test('with consent pending no context sends the worker a single telemetry message', { timeout: 120_000 }, async () => {
  const site = await startSite();
  const env = await setup({});
  try {
    const { browser, mock } = env;
    await countPageMessagesInWorker(browser);
    // In the extension's pages, chrome.runtime.sendMessage itself is counted.
    await browser.context.addInitScript(() => {
      const runtime = globalThis.chrome?.runtime;
      if (!runtime?.sendMessage) return;
      const send = runtime.sendMessage.bind(runtime);
      globalThis.__sent = [];
      runtime.sendMessage = (message, ...rest) => {
        if (message && typeof message === 'object' && 'mv3t' in message) globalThis.__sent.push(message.mv3t);
        return send(message, ...rest);
      };
    });

    const { run } = await openSitePage(browser, site);
    await run(`(() => {
      const send = chrome.runtime.sendMessage.bind(chrome.runtime);
      globalThis.__sent = [];
      chrome.runtime.sendMessage = (m, ...rest) => { globalThis.__sent.push(m.mv3t); return send(m, ...rest); };
    })()`);
    const answers = await run(`Promise.all([telemetry.track('pending_click'), telemetry.captureError(new Error('pending')),
      telemetry.feedback({ type: 'bug' }), telemetry.measure('pending_work', () => 1).then(() => true), telemetry.flush()])`);
    await run('brokenFeature()');
    const popup = await openPopup(browser);
    await popup.evaluate(() => { setTimeout(() => { throw new Error('popup error while pending'); }, 0); });
    const options = await browser.openOptions();
    await options.evaluate(() => { Promise.reject(new Error('options rejection while pending')); });
    await browser.message({ cmd: 'action', name: 'openOffscreen' });
    await sleep(2_000);

    assert.deepEqual(answers.slice(0, 3), [false, false, false], 'each call says it was not recorded');
    assert.deepEqual(await run('globalThis.__sent'), [], 'content script: sendMessage never called');
    assert.deepEqual(await popup.evaluate(() => globalThis.__sent), [], 'popup: sendMessage never called');
    assert.deepEqual(await options.evaluate(() => globalThis.__sent), [], 'options page: sendMessage never called');
    const received = await browser.evaluate(() => self.__pageMessages);
    assert.deepEqual(received.filter((op) => op !== 'consent'), [], 'the worker received no telemetry from any context');
    assert.ok(received.filter((op) => op === 'consent').length <= 1, 'the offscreen document only asked for the consent state');
    assert.equal((await mock.stats()).requests ?? 0, 0, 'and the collector got nothing');

    // The counters count: once consent is granted, the same calls are sent.
    await grant(browser);
    assert.equal(await run("telemetry.track('granted_click')"), true);
    assert.deepEqual(await run('globalThis.__sent'), ['track']);
    assert.ok((await browser.evaluate(() => self.__pageMessages)).includes('track'));
  } catch (err) {
    err.message += `\n--- log ---\n${env.browser.dumpLogs(60)}`;
    throw err;
  } finally {
    await env.close();
    await site.close();
  }
});

test('a script of the web page posting forged messages gets nothing recorded, and a malformed message is counted invalid', { timeout: 120_000 }, async () => {
  const site = await startSite();
  const env = await setup({});
  try {
    const { browser, mock } = env;
    await grant(browser);
    const { page, run } = await openSitePage(browser, site);
    await countPageMessagesInWorker(browser);
    const forged = { [TAG]: 'track', k: 'popup', a: ['forged_event', { by: 'page' }] };
    // Every way a page script has: window messages, DOM events, and
    // chrome.runtime.sendMessage to the extension's ID (not externally connectable).
    await page.evaluate(async ([message, id]) => {
      window.postMessage(message, '*');
      document.dispatchEvent(new CustomEvent(message.mv3t, { detail: message }));
      await Promise.resolve(globalThis.chrome?.runtime?.sendMessage?.(id, message)).catch(() => {});
    }, [forged, browser.extensionId]);
    // The extension's own content script sending garbage is dropped and counted.
    assert.equal(await run(`chrome.runtime.sendMessage({ ${TAG}: 'track', a: [42] })`), null);
    await sleep(1_000);
    assert.deepEqual(await browser.evaluate(() => self.__pageMessages), ['track'], 'only the content script\'s own message reached the worker');
    const stats = await browser.evaluate(() => self.telemetry.stats());
    assert.equal(stats.dropped.invalid, 1);
    await flushUntilDrained(browser);
    const names = (await mock.uniqueItems('events')).map((e) => e.name);
    assert.ok(!names.includes('forged_event'), `nothing forged was recorded: ${names}`);
    const invalid = (await mock.batches()).reduce((n, b) => n + Number(b.body?.dropped?.invalid ?? 0), 0);
    assert.ok(invalid >= 1, 'the invalid message is reported to the collector');
  } catch (err) {
    err.message += `\n--- log ---\n${env.browser.dumpLogs(60)}`;
    throw err;
  } finally {
    await env.close();
    await site.close();
  }
});

test('the worker stopped while a content script sends 200 events: every event reported accepted arrives', { timeout: 240_000 }, async () => {
  const site = await startSite();
  const env = await setup({});
  try {
    const { browser, mock } = env;
    await grant(browser);
    const { run } = await openSitePage(browser, site);
    await run(`(() => {
      globalThis.__results = new Array(200).fill(null);
      globalThis.__done = (async () => {
        for (let i = 0; i < 200; i += 10) {
          await Promise.all(Array.from({ length: 10 }, (_, k) =>
            telemetry.track('burst', { i: i + k }).then((ok) => { __results[i + k] = ok; })));
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
    })()`);
    await waitFor(() => run('__results.filter((r) => r !== null).length >= 40'), { timeout: 30_000, interval: 20, message: '40 answers' });
    await browser.killWorker();
    await run('__done');
    const results = await run('__results');
    const accepted = results.flatMap((ok, i) => (ok ? [i] : []));
    assert.ok(accepted.length >= 150, `most calls were accepted, across the stop: ${accepted.length}`);
    assert.ok(accepted.some((i) => i >= 150), 'including calls after the worker restarted');

    await flushUntilDrained(browser);
    let got;
    await waitFor(async () => {
      got = await delivered(mock, 'burst');
      return accepted.every((i) => got.byIndex.has(i));
    }, {
      timeout: 60_000, interval: 1_000, message: 'every accepted event at the collector',
      describe: async () => `missing ${ranges(accepted.filter((i) => !got.byIndex.has(i)))}; not accepted ${ranges(missingIn(new Set(accepted), 0, 200))}`,
    });
    for (const item of got.unique) assert.equal(item.origin, site.origin);
  } catch (err) {
    err.message += `\n--- log ---\n${env.browser.dumpLogs(80)}`;
    throw err;
  } finally {
    await env.close();
    await site.close();
  }
});
