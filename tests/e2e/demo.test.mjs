// `make demo` runs tests/e2e/demo.mjs after building: this runs the same
// script on a free port and checks that it tells the story the README promises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, withTimeout } from './lib/harness.mjs';

test('the demo grants consent, clicks the popup and prints what the collector received, then exits cleanly', { timeout: 150_000 }, async () => {
  const env = { ...process.env, DEMO_PORT: '0', E2E_MOCK_BUILT: '1' };
  delete env.DISPLAY; // headless, whatever the machine has
  delete env.DEMO_KEEP;
  const child = spawn(process.execPath, [join(ROOT, 'tests/e2e/demo.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const code = await withTimeout(new Promise((resolve) => child.on('exit', resolve)), 120_000, 'the demo to exit')
    .catch((err) => { child.kill('SIGKILL'); throw new Error(`${err.message}\n${out}`); });
  assert.equal(code, 0, out);
  for (const expected of [
    /clicked Allow; now "granted", anonymous ID [0-9a-f-]{36}/,
    /popup: throw-error +-> Error thrown/,
    /^\[demo\] +events +\d+ +\d+ +[1-9]\d*$/m,
    /^\[demo\] +errors +\d+ +\d+ +[1-9]\d*$/m,
    /^\[demo\] +performance +\d+ +\d+ +[1-9]\d*$/m,
    /^\[demo\] +feedback +\d+ +\d+ +[1-9]\d*$/m,
    /^\[demo\] +sentry +\d+ +\d+ +[1-9]\d*$/m,
    /the same error at Sentry: \{"release":"mv3-telemetry example@1\.0\.0","user":\{"id":"[0-9a-f-]{36}"\}/,
    /an error, as stored \(scrubbed\): Error: "Could not sync settings for \[email\] \(token=\[Filtered\]\)"/,
    /a timing aggregate: \{"name":"sync_settings","count":1,/,
    /live page of the collector: http:\/\/127\.0\.0\.1:\d+\//,
    /\[demo\] done$/m,
  ]) {
    assert.match(out, expected);
  }
});
