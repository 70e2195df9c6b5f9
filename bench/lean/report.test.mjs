// Browser-free tests of bench/lean/report.mjs: node --test bench/lean/report.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractSection, profileBusyUs, renderTable, replaceSection, retryAllowance, LEAN_END, LEAN_START } from './report.mjs';

test('retry allowance: all-zero delays give maxAttempts requests per batch, without end but bounded', () => {
  const a = retryAllowance({ trials: 3, random: () => 0, windowMs: 1 });
  assert.equal(a.max, 1_000_000); // the guard, not a hang
});

test('retry allowance: delays at their ceiling follow 1, 2, 4 ... s', () => {
  // attempts at 0, 1, 3, 7, 15, 31 s (then 63 > 60): 6 requests in 60 s.
  const a = retryAllowance({ trials: 5, random: () => 0.999999999, windowMs: 60_000 });
  assert.equal(a.p50, 6);
  assert.equal(a.max, 6);
});

test('retry allowance: the default schedule allows a handful of requests in 60 s', () => {
  const a = retryAllowance({ trials: 5000 });
  assert.ok(a.mean > 6 && a.mean < 12, `mean ${a.mean}`);
});

test('profile busy time skips (idle) and charges each delta to the previous sample', () => {
  const profile = {
    nodes: [{ id: 1, callFrame: { functionName: '(root)' } }, { id: 2, callFrame: { functionName: '(idle)' } }, { id: 3, callFrame: { functionName: 'f' } }],
    samples: [3, 3, 2, 2, 3], timeDeltas: [0, 10, 20, 30, 40], startTime: 0, endTime: 100,
  };
  assert.equal(profileBusyUs(profile), 10 + 20 + 0 * 30 + 0 * 40 + 0); // 3->3: 10, 3->2: 20, 2->2 idle, 2->3 idle
});

test('the lean section replaces only itself, or is appended', () => {
  const peers = '# Peers\n\ntable\n';
  const once = replaceSection(peers, 'A');
  assert.equal(once, `# Peers\n\ntable\n\n${LEAN_START}\nA\n${LEAN_END}\n`);
  const twice = replaceSection(once, 'B');
  assert.equal(twice, `# Peers\n\ntable\n\n${LEAN_START}\nB\n${LEAN_END}\n`);
  assert.equal(extractSection(twice), `${LEAN_START}\nB\n${LEAN_END}`);
  assert.equal(extractSection(peers), '');
  assert.equal(replaceSection('', 'C'), `${LEAN_START}\nC\n${LEAN_END}\n`);
});

test('the table escapes pipes and aligns text', () => {
  const { markdown, text } = renderTable([{ figure: 'a|b', value: '1', floor: '2', ratio: '0.50×' }]);
  assert.match(markdown, /a\\\|b/);
  assert.equal(text.split('\n').length, 3);
});
