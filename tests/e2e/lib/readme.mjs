// The README's code blocks, each with the check that exercises it. A block is
// preceded by a marker line:
//
//   <!-- check: KIND key=value ... -->
//
// KIND says how tests/e2e/readme.test.mjs (and troubleshooting.test.mjs for
// `console`) run it; a block without a marker fails the test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

export const README_PATH = join(ROOT, 'README.md');

/** [{lang, kind, args, code, line}] for every fenced block of README.md. */
export function readmeBlocks(text = readFileSync(README_PATH, 'utf8')) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && lines[j] !== '```') j++;
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const marker = k >= 0 ? /^<!-- check: (\S+)(.*?)-->$/.exec(lines[k].trim()) : null;
    const args = {};
    if (marker) for (const [, key, value] of marker[2].matchAll(/(\w+)=(\S+)/g)) args[key] = value;
    blocks.push({ lang: open[1], kind: marker ? marker[1] : null, args, code: lines.slice(i + 1, j).join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}
