// The page client (js/page.js) and the worker's listener (js/bridge.js)
// against fakes of chrome.runtime and chrome.storage, and the fake core.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createTelemetry } from '../../js/telemetry.js';
import { connect } from '../../js/page.js';
import { MAX_PAGE_MESSAGE_CHARS } from '../../js/bridge.js';
import { CONSENT_KEY, DROP_REASON_INDEX, PAGE_MESSAGE_TAG } from '../../js/constants.js';
import { createMemoryStorage } from '../../js/memory-storage.js';
import { fakeCore, loaderFor, nextTask, BASE, capturingWarnings } from './fake-core.mjs';

const ID = 'abcdefghijklmnopabcdefghijklmnop';
const OWN = `chrome-extension://${ID}/`;
const PAGE_URL = 'http://127.0.0.1:8123/account/settings?user=alice#tab';

afterEach(() => {
  delete globalThis.chrome;
  delete globalThis.location;
});

/** chrome.storage: one area shared by every context, with onChanged. */
function fakeStorage() {
  const area = createMemoryStorage();
  const listeners = [];
  const set = area.set.bind(area);
  const remove = area.remove.bind(area);
  const tell = (changes) => listeners.forEach((l) => l(changes, 'local'));
  area.set = async (items) => {
    await set(items);
    tell(Object.fromEntries(Object.entries(items).map(([k, v]) => [k, { newValue: v }])));
  };
  area.remove = async (keys) => {
    await remove(keys);
    tell(Object.fromEntries([keys].flat().map((k) => [k, {}])));
  };
  return { local: area, onChanged: { addListener: (l) => listeners.push(l) } };
}

/**
 * One extension: the worker's chrome (its onMessage listeners) and a factory
 * of page contexts whose sendMessage reaches them, counted per context.
 */
function fakeExtension({ storage = fakeStorage() } = {}) {
  const workerListeners = [];
  const pageListeners = [];
  const runtimeBase = {
    id: ID,
    getURL: (path) => OWN + path,
    getManifest: () => ({ action: { default_popup: 'popup.html' }, options_ui: { page: 'options.html' } }),
  };
  const deliver = (listeners, message, sender) =>
    new Promise((resolve) => {
      let answered = false;
      const respond = (value) => {
        if (!answered) resolve(JSON.parse(JSON.stringify(value ?? null)));
        answered = true;
      };
      let async = false;
      for (const l of listeners) async = l(JSON.parse(JSON.stringify(message)), sender, respond) === true || async;
      if (!async) respond(undefined);
    });
  const worker = {
    runtime: {
      ...runtimeBase,
      onMessage: { addListener: (l) => workerListeners.push(l) },
      sendMessage: async (message) => {
        await Promise.all(pageListeners.map((l) => l(message, { id: ID })));
      },
    },
    storage,
    alarms: { onAlarm: { addListener() {} } },
  };
  const page = ({ url = PAGE_URL, origin, withStorage = true, tabs = true } = {}) => {
    const sent = [];
    const sender = { id: ID, url, origin: origin ?? new URL(url).origin };
    const chrome = {
      runtime: {
        ...runtimeBase,
        onMessage: { addListener: (l) => pageListeners.push(l) },
        sendMessage(message) {
          sent.push(message);
          if (chrome.failNext > 0) {
            chrome.failNext--;
            return Promise.reject(new Error('Could not establish connection. Receiving end does not exist.'));
          }
          return deliver(workerListeners, message, sender);
        },
      },
      ...(withStorage ? { storage } : {}),
      ...(tabs ? { tabs: {} } : {}),
      sent,
      failNext: 0,
    };
    return chrome;
  };
  return { worker, page, storage, deliverToWorker: (message, sender) => deliver(workerListeners, message, sender) };
}

/** A worker SDK on the fake core, with consent as given. */
async function startWorker(extension, consent = 'granted') {
  globalThis.chrome = extension.worker;
  const core = fakeCore({ consent });
  const telemetry = createTelemetry({ ...BASE, storage: extension.storage.local }, loaderFor(core));
  await telemetry.ready;
  await nextTask();
  return { core, telemetry };
}

/** connect() in a page context of `extension`. */
function connectIn(chrome, location, options = { captureGlobalErrors: false }) {
  globalThis.chrome = chrome;
  globalThis.location = location;
  try {
    return connect(options);
  } finally {
    globalThis.chrome = undefined;
  }
}

const telemetryCalls = (chrome) => chrome.sent.filter((m) => m[PAGE_MESSAGE_TAG] !== 'consent');

test('a page error\'s cause chain reaches the core as JSON text, like the worker\'s own', async () => {
  const extension = fakeExtension();
  const { core } = await startWorker(extension);
  const page = connectIn(extension.page(), new URL(PAGE_URL));
  const error = new Error('save failed', { cause: new TypeError('bad header', { cause: new RangeError('root') }) });
  assert.equal(await page.captureError(error), true);
  const call = core.calls.find((c) => c.method === 'captureError');
  const causes = JSON.parse(call.args[6]);
  assert.deepEqual(causes.map((c) => [c.kind, c.message]), [['TypeError', 'bad header'], ['RangeError', 'root']]);
  assert.match(causes[0].stack, /^TypeError: bad header/);
});

test('a content script records through the worker with its kind and the page origin, never its path or query', async () => {
  const extension = fakeExtension();
  const { core } = await startWorker(extension);
  const chrome = extension.page();
  const page = connectIn(chrome, new URL(PAGE_URL));
  assert.equal(await page.track('clicked', { button: 'save' }), true, 'accepted by the worker');
  assert.equal(await page.captureError(new TypeError('page broke')), true);
  page.startTimer('render').stop();
  assert.equal(await page.feedback({ type: 'idea', rating: 5 }), true);
  await nextTask();
  const forwarded = core.calls.filter((c) => c.args.includes('content_script'));
  assert.deepEqual(forwarded.map((c) => c.method).sort(), ['captureError', 'feedback', 'recordTiming', 'track']);
  // captureError's last argument is the cause chain (none here).
  for (const { method, args } of forwarded) {
    assert.deepEqual(args.slice(method === 'captureError' ? -3 : -2).slice(0, 2), ['content_script', 'http://127.0.0.1:8123']);
  }
  assert.equal(core.calls.filter((c) => c.method === 'track').length, 1, 'each call once');
  const args = (method) => forwarded.find((c) => c.method === method).args;
  assert.deepEqual(args('track').slice(0, 2), ['clicked', '{"button":"save"}']);
  assert.deepEqual(args('captureError').slice(0, 2), ['TypeError', 'page broke']);
  assert.ok(!JSON.stringify(core.calls).includes('/account'), 'no path, query or fragment reaches the core');
});

test('an extension page is recorded as the kind its manifest entry says, and claims no origin', async () => {
  const extension = fakeExtension();
  const { core } = await startWorker(extension);
  const popup = connectIn(extension.page({ url: `${OWN}popup.html` }), new URL(`${OWN}popup.html`));
  const options = connectIn(extension.page({ url: `${OWN}options.html` }), new URL(`${OWN}options.html`));
  const offscreen = connectIn(extension.page({ url: `${OWN}offscreen.html`, withStorage: false, tabs: false }), new URL(`${OWN}offscreen.html`));
  const other = connectIn(extension.page({ url: `${OWN}welcome.html` }), new URL(`${OWN}welcome.html`));
  for (const client of [popup, options, offscreen, other]) assert.equal(await client.track('opened'), true);
  const kinds = core.calls.filter((c) => c.method === 'track').map((c) => c.args.slice(-2));
  assert.deepEqual(kinds, [['popup', undefined], ['options', undefined], ['offscreen', undefined], ['extension_page', undefined]]);
});

test('the worker trusts the sender, not the message: a content script claiming to be the popup is a content script', async () => {
  const extension = fakeExtension();
  const { core } = await startWorker(extension);
  const chrome = extension.page();
  const page = connectIn(chrome, new URL(PAGE_URL), { captureGlobalErrors: false, context: 'popup' });
  assert.equal(await page.track('clicked'), true);
  assert.deepEqual(core.calls.find((c) => c.method === 'track').args.slice(-2), ['content_script', 'http://127.0.0.1:8123']);
});

test('with consent pending a page sends no telemetry message at all, and starts once consent is granted', async () => {
  const extension = fakeExtension();
  const { core, telemetry } = await startWorker(extension, 'pending');
  const chrome = extension.page();
  const page = connectIn(chrome, new URL(PAGE_URL));
  assert.equal(await page.consentStatus(), 'pending');
  assert.equal(await page.track('clicked'), false);
  assert.equal(await page.captureError(new Error('x')), false);
  page.startTimer('t').stop();
  assert.equal(await page.feedback({ type: 'bug' }), false);
  assert.deepEqual(await page.flush(), { sent: 0, pending: 0 });
  await nextTask();
  assert.equal(chrome.sent.length, 0, 'not one message, not even a consent query (storage answers that)');
  assert.equal(extension.storage.local.data.has(CONSENT_KEY), false, 'pending stores nothing');

  await telemetry.setConsent(true);
  assert.equal(extension.storage.local.data.get(CONSENT_KEY), 'granted', 'the worker mirrors consent for pages');
  assert.equal(await page.consentStatus(), 'granted', 'the page follows the change');
  assert.equal(await page.track('clicked'), true);
  assert.equal(telemetryCalls(chrome).length, 1);
  assert.equal(core.calls.filter((c) => c.method === 'track').length, 1);

  await telemetry.setConsent(false);
  assert.equal(await page.consentStatus(), 'denied');
  assert.equal(await page.track('after revoke'), false);
  assert.equal(telemetryCalls(chrome).length, 1, 'nothing more after a revoke');
});

test('a page without chrome.storage asks the worker once for consent and follows what the worker tells it', async () => {
  const extension = fakeExtension();
  const { telemetry } = await startWorker(extension, 'pending');
  const chrome = extension.page({ url: `${OWN}offscreen.html`, withStorage: false, tabs: false });
  const page = connectIn(chrome, new URL(`${OWN}offscreen.html`));
  assert.equal(await page.consentStatus(), 'pending');
  assert.equal(await page.track('x'), false);
  assert.deepEqual(chrome.sent.map((m) => m[PAGE_MESSAGE_TAG]), ['consent'], 'only the consent query');
  await telemetry.setConsent(true);
  assert.equal(await page.consentStatus(), 'granted');
  assert.equal(await page.track('x'), true);
});

test('setConsent and flush from a page act on the worker', async () => {
  const extension = fakeExtension();
  const { core, telemetry } = await startWorker(extension, 'pending');
  const page = connectIn(extension.page({ url: `${OWN}popup.html` }), new URL(`${OWN}popup.html`));
  await page.setConsent(true);
  assert.equal(telemetry.consentStatus(), 'granted');
  assert.equal(await page.consentStatus(), 'granted');
  assert.deepEqual(await page.flush(), { sent: 0, pending: 0 });
  assert.ok(core.methods().includes('flush'));
});

test('malformed, oversized, unknown and foreign messages are dropped and counted as invalid, never thrown', async () => {
  const extension = fakeExtension();
  const { core } = await startWorker(extension);
  const sender = { id: ID, url: PAGE_URL, origin: 'http://127.0.0.1:8123' };
  const bad = [
    [{ [PAGE_MESSAGE_TAG]: 'track', a: [42] }, sender],
    [{ [PAGE_MESSAGE_TAG]: 'track', a: 'clicked' }, sender],
    [{ [PAGE_MESSAGE_TAG]: 'track', a: ['x', {}, 1, 2, 3] }, sender],
    [{ [PAGE_MESSAGE_TAG]: 'eval', a: [] }, sender],
    [{ [PAGE_MESSAGE_TAG]: 'constructor', a: [] }, sender],
    [{ [PAGE_MESSAGE_TAG]: 'timing', a: ['t', 'slow'] }, sender],
    [{ [PAGE_MESSAGE_TAG]: 'track', a: ['big', { text: 'x'.repeat(MAX_PAGE_MESSAGE_CHARS) }] }, sender],
    [{ [PAGE_MESSAGE_TAG]: 'track', a: ['x'], n: 1e9 }, sender],
    [{ [PAGE_MESSAGE_TAG]: 'track', a: ['x'] }, { ...sender, id: 'another-extension' }],
    [{ [PAGE_MESSAGE_TAG]: 'track', a: ['x'] }, undefined],
  ];
  for (const [message, from] of bad) assert.equal(await extension.deliverToWorker(message, from), null);
  // The extension's own messages are left to its own listeners: not counted.
  assert.equal(await extension.deliverToWorker({ cmd: 'status' }, sender), null);
  await extension.deliverToWorker('hello', sender);
  const counted = core.calls.filter((c) => c.method === 'countDrops');
  assert.deepEqual(counted.map((c) => c.args), bad.map(() => [DROP_REASON_INDEX.invalid, 1]));
  assert.equal(core.calls.filter((c) => c.method === 'track').length, 0);
});

test('calls beyond 100 waiting for the worker are dropped, and the count reaches the worker with the next message', async () => {
  const extension = fakeExtension();
  const { core } = await startWorker(extension);
  const chrome = extension.page();
  const page = connectIn(chrome, new URL(PAGE_URL));
  const results = await Promise.all(Array.from({ length: 150 }, (_, i) => page.track('burst', { i })));
  assert.equal(results.filter(Boolean).length, 100);
  assert.equal(results.filter((r) => r === false).length, 50);
  assert.equal(await page.track('after'), true);
  await nextTask();
  assert.deepEqual(core.calls.find((c) => c.method === 'countDrops')?.args, [DROP_REASON_INDEX.queue_full, 50]);
});

test('a call the stopped worker did not receive is sent once more; a second failure resolves false', async () => {
  const extension = fakeExtension();
  await startWorker(extension);
  const chrome = extension.page();
  const page = connectIn(chrome, new URL(PAGE_URL));
  await page.consentStatus();
  chrome.failNext = 1;
  assert.equal(await page.track('retried'), true);
  assert.equal(telemetryCalls(chrome).length, 2);
  chrome.failNext = 2;
  assert.equal(await page.track('lost'), false);
  assert.equal(telemetryCalls(chrome).length, 4, 'one retry, no more');
});

test('the worker answers a page with the drop when its own buffer is full before the core is ready', async () => {
  const extension = fakeExtension();
  globalThis.chrome = extension.worker;
  const core = fakeCore();
  core.holdStart = true;
  const telemetry = createTelemetry({ ...BASE, storage: extension.storage.local }, loaderFor(core));
  await extension.storage.local.set({ [CONSENT_KEY]: 'granted' });
  const chrome = extension.page();
  const page = connectIn(chrome, new URL(PAGE_URL));
  for (let i = 0; i < 1000; i++) telemetry.track('fill');
  const answer = page.track('one too many');
  assert.equal(await answer, false);
  core.finishStart();
  await telemetry.ready;
  assert.deepEqual(core.calls.find((c) => c.method === 'countDrops')?.args, [DROP_REASON_INDEX.queue_full, 1], 'and counts it');
});

test('errors and unhandled rejections of the page are captured with their mechanism', async () => {
  const extension = fakeExtension();
  const { core } = await startWorker(extension);
  const target = new EventTarget();
  globalThis.addEventListener = target.addEventListener.bind(target);
  try {
    connectIn(extension.page(), new URL(PAGE_URL), {});
    const error = new RangeError('content script broke');
    target.dispatchEvent(Object.assign(new Event('error'), { error }));
    target.dispatchEvent(Object.assign(new Event('unhandledrejection'), { reason: 'plain reason' }));
    for (let i = 0; i < 5; i++) await nextTask();
  } finally {
    delete globalThis.addEventListener;
  }
  const captured = core.calls.filter((c) => c.method === 'captureError').map((c) => [c.args[0], c.args[1], JSON.parse(c.args[3]).mechanism]);
  assert.deepEqual(captured, [['RangeError', 'content script broke', 'onerror'], ['string', 'plain reason', 'onunhandledrejection']]);
});

test('connect() names the option it cannot use', async () => {
  assert.throws(() => connect({ captureGlobalErrors: 'yes' }), { name: 'TypeError', message: /captureGlobalErrors/ });
  assert.throws(() => connect({ context: 'background' }), { name: 'TypeError', message: /context/ });
  assert.throws(() => connect('popup'), { name: 'TypeError' });
  const warnings = await capturingWarnings(async () => {
    const outside = connect({ captureGlobalErrors: false });
    assert.equal(await outside.track('x'), false, 'outside an extension every call resolves false');
  });
  assert.deepEqual(warnings, []);
});

test('a page hears "accepted" only after the worker has written the item to storage', async () => {
  const extension = fakeExtension();
  const { core } = await startWorker(extension);
  let persisted = 0;
  core.persist = (done) => { nextTask().then(() => { persisted++; done(); }); };
  const page = connectIn(extension.page(), new URL(PAGE_URL));
  const answers = await Promise.all([page.track('a').then((ok) => [ok, persisted]), page.track('b').then((ok) => [ok, persisted])]);
  assert.deepEqual(answers, [[true, 1], [true, 1]], 'both answered after one shared write');
});

/** Values that break naive code: every one must be taken without a throw. */
function hostileValues() {
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  const throwingGetter = Object.defineProperty({}, 'x', { enumerable: true, get() { throw new Error('getter'); } });
  const trap = () => { throw new Error('trap'); };
  const proxy = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap });
  const wide = {};
  for (let i = 0; i < 100_000; i++) wide[`k${i}`] = i;
  let deep = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const badError = new Error('x');
  // The stack first: defining it makes V8 format the error, message included.
  Object.defineProperty(badError, 'stack', { get: trap });
  Object.defineProperty(badError, 'message', { get: trap });
  return [
    cyclic, throwingGetter, proxy, Object.freeze({ a: 1 }), { [Symbol('s')]: 1, b: 2 }, { n: 10n }, 10n,
    'x'.repeat(10 * 1024 * 1024), wide, deep, '\ud800 lone', { toJSON: trap }, { toJSON() { return this; } },
    badError, null, undefined, 42, Symbol('name'),
  ];
}

test('hostile values to every page-client call never throw and every promise settles to a boolean', async () => {
  const extension = fakeExtension();
  const { core } = await startWorker(extension);
  const page = connectIn(extension.page(), new URL(PAGE_URL));
  for (const value of hostileValues()) {
    const results = [
      page.track(value, value),
      page.track('hostile', value),
      page.captureError(value, value),
      page.feedback(value),
      page.feedback({ type: 'bug', message: value, contact: value, rating: value }),
      // Awaiting a hostile result may reject with its own error, as a throwing fn does.
      page.measure('hostile', () => value).then(() => true, () => true),
      page.setConsent(value === null ? null : true).then(() => true),
    ];
    page.startTimer(value, value).stop(value);
    for (const result of await Promise.all(results)) {
      assert.ok(result === true || result === false || result === value, `settles without a throw: ${typeof value}`);
    }
  }
  assert.equal(await page.track('after_hostile', { ok: true }), true, 'the client still records');
  assert.ok(core.calls.some((c) => c.method === 'track' && c.args[0] === 'after_hostile'));
});
