// The peer benchmark's table formatting and the collector's decoding, without
// a browser:   node --test bench/peers/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { cell, markdownTable, ratio, kib, us } from './report.mjs';
import { startCollector, tally } from './collector.mjs';

test('ratios are peer / base, with the zero cases spelled out', () => {
  assert.equal(ratio(30, 90), '0.33×');
  assert.equal(ratio(180, 90), '2.00×');
  assert.equal(ratio(1300, 100), '13×');
  assert.equal(ratio(0, 0), '=');
  assert.equal(ratio(5, 0), '∞');
});

test('cells: base without ratio, failures as text, notes after the figure', () => {
  assert.equal(cell(2048, kib, 1024, true), '2.0 KiB');
  assert.equal(cell(2048, kib, 1024, false), '2.0 KiB (2.00×)');
  assert.equal(cell(null, kib, 1024, false), '—');
  assert.equal(cell({ text: 'no error API' }, us, 10, false), 'no error API');
  assert.equal(cell({ value: 5, note: '†' }, us, 10, false), '5.00 µs (0.50×) †');
});

test('the table has one column per SDK and the ratio to the first column', () => {
  const table = markdownTable(
    [{ id: 'ours', label: 'ours 0.1' }, { id: 'peer', label: 'peer | 2' }],
    [
      { label: 'size', format: kib, values: { ours: 1024, peer: 3072 } },
      { label: 'runs', format: String, values: { ours: { text: 'yes' }, peer: { text: 'no: `window`' } } },
    ],
  );
  assert.deepEqual(table.split('\n'), [
    '| figure | ours 0.1 | peer \\| 2 |',
    '|---|---|---|',
    '| size | 1.0 KiB | 3.0 KiB (3.00×) |',
    '| runs | yes | no: `window` |',
  ]);
});

test('the collector answers anything and counts each SDK\'s events by path', async () => {
  const c = await startCollector();
  try {
    const post = (path, body, headers = {}) => fetch(c.url + path, { method: 'POST', body, headers });
    await post('/mv3-telemetry/v1/events', gzipSync(JSON.stringify({ items: [{ type: 'event', name: 'x', props: { i: 1 } }, { type: 'event', name: 'x', props: { i: 2 } }] })));
    const envelope = [
      '{}',
      '{"type":"log"}', JSON.stringify({ items: [{ body: 'x', attributes: { i: { value: 3, type: 'integer' } } }] }),
      '{"type":"event"}', '{"exception":{}}',
    ].join('\n');
    await post('/sentry/api/1/envelope/', envelope);
    await post('/posthog/e/?compression=gzip-js', gzipSync(JSON.stringify([{ event: 'x', properties: { i: 4 } }])));
    await post('/segment/v1/b', JSON.stringify({ batch: [{ type: 'track', event: 'x', properties: { i: 5 } }] }));
    await post('/glean/submit/app/events/1/id', gzipSync(JSON.stringify({ events: [{ category: 'bench', name: 'usage', extra: { name: 'x', i: '6' } }] })));
    const preflight = await fetch(`${c.url}/posthog/e/`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.deepEqual([...tally(c.requests('mv3-telemetry'), 'x').distinct], [1, 2]);
    assert.deepEqual([...tally(c.requests('sentry'), 'x').distinct], [3]);
    assert.equal(tally(c.requests('sentry'), '$error').events, 1);
    assert.deepEqual([...tally(c.requests('posthog'), 'x').distinct], [4]);
    assert.deepEqual([...tally(c.requests('segment'), 'x').distinct], [5]);
    assert.deepEqual([...tally(c.requests('glean'), 'x').distinct], [6]);
    assert.equal(tally(c.requests('sentry'), 'x').bytes, Buffer.byteLength(envelope));
  } finally {
    await c.close();
  }
});
