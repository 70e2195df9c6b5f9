// js/transport.js: the requests the core decides, carried out with fetch and
// CompressionStream (node has both); fetch is replaced by a recorder.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { compress, post } from '../../js/transport.js';
import { capturingWarnings } from './fake-core.mjs';

const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });

function answering(status, headers = {}, text = '') {
  const seen = [];
  globalThis.fetch = async (url, init) => {
    seen.push({ url, init });
    return new Response(status === 204 ? null : text, { status, headers });
  };
  return seen;
}

test('a body is gzipped when asked, and left as text otherwise', async () => {
  const zipped = await compress('{"a":1}', true);
  assert.ok(zipped instanceof Uint8Array);
  assert.equal(gunzipSync(zipped).toString(), '{"a":1}');
  assert.equal(await compress('{"a":1}', false), '{"a":1}');
});

test('a request carries the core\'s headers, no cookies, a timeout, and gzip only for bytes', async () => {
  const seen = answering(200, { 'Retry-After': '5' }, '{"partialSuccess":{}}');
  const body = await compress('{}', true);
  const answer = await post('https://c.example/v1/events', body, 'application/json', ['X-Key', 'k'], true, true, 25_000, false);
  assert.deepEqual(answer, [200, '5', undefined, '{"partialSuccess":{}}']);
  const { init } = seen[0];
  assert.deepEqual(init.headers, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'X-Key': 'k' });
  assert.equal(init.method, 'POST');
  assert.equal(init.credentials, 'omit');
  assert.equal(init.keepalive, true);
  assert.ok(init.signal instanceof AbortSignal);
  await post('https://c.example/v1/events', '{}', 'application/json', [], false, false, 25_000, false);
  assert.deepEqual(seen[1].init.headers, { 'Content-Type': 'application/json' });
});

test('the body of an answer is read only when asked and only for a 2xx', async () => {
  answering(503, { 'X-Sentry-Rate-Limits': '60::organization' }, 'busy');
  assert.deepEqual(await post('https://c.example/x', '{}', 'application/json', [], false, true, 25_000, false), [503, undefined, '60::organization', undefined]);
  answering(200, {}, 'ok');
  assert.deepEqual(await post('https://c.example/x', '{}', 'application/json', [], false, false, 25_000, false), [200, undefined, undefined, undefined]);
});

test('no answer resolves to null, and debug mode warns without the URL\'s query', async () => {
  globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
  const [warnings] = await capturingWarnings(async () => {
    assert.equal(await post('https://o1.ingest.sentry.io/api/1/envelope/?sentry_key=k', '{}', 'text/plain', [], false, false, 25_000, true), null);
  });
  assert.match(warnings, /mv3-telemetry: POST https:\/\/o1\.ingest\.sentry\.io\/api\/1\/envelope\/ failed: network error/);
  assert.doesNotMatch(warnings, /sentry_key/);
  answering(500);
  const quiet = await capturingWarnings(() => post('https://c.example/x', '{}', 'application/json', [], false, false, 25_000, false));
  assert.deepEqual(quiet, [], 'silent outside debug mode');
  const [loud] = await capturingWarnings(() => post('https://c.example/x?q=1', '{}', 'application/json', [], false, false, 25_000, true));
  assert.match(loud, /mv3-telemetry: POST https:\/\/c\.example\/x failed: status 500/);
});
