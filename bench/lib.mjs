// Shared by the benchmarks in bench/: statistics and the package's size.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ROOT } from '../tests/e2e/lib/harness.mjs';

/** The median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** What an extension ships for telemetry: pkg/*.wasm + pkg/*.js, raw and gzip -9. */
export function packageSize() {
  const dir = join(ROOT, 'pkg');
  const files = readdirSync(dir).filter((f) => f.endsWith('.wasm') || f.endsWith('.js'));
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  return { files, raw, gz };
}

/** Prints the package size line both benchmarks start with. */
export function printPackageSize() {
  const size = packageSize();
  console.log(`package: ${size.files.join(', ')}`);
  console.log(`  size: ${(size.raw / 1024).toFixed(1)} KiB raw, ${(size.gz / 1024).toFixed(1)} KiB gzip -9 (aim: <= 40 KiB)`);
  return size;
}
