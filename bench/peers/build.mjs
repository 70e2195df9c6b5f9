// Builds one MV3 test extension per SDK into target/bench-peers/<sdk>/:
// the SDK's bench/peers/<sdk>/telemetry.js bundled by esbuild (minified),
// the shared worker.js, a manifest, and for mv3-telemetry its .wasm.
// Also reports what each extension ships for telemetry, raw and gzip -9.

import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, writeBlankPage } from '../../tests/e2e/lib/harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const OUT = join(ROOT, 'target/bench-peers');

/** The SDKs in table order, with the npm package whose version is reported. */
export const SDKS = [
  { id: 'mv3-telemetry', label: 'mv3-telemetry', pkg: 'pkg/package.json' },
  { id: 'sentry', label: 'Sentry (@sentry/browser)', pkg: 'node_modules/@sentry/browser/package.json' },
  { id: 'glean', label: 'Glean.js (@mozilla/glean)', pkg: 'node_modules/@mozilla/glean/package.json' },
  { id: 'posthog', label: 'PostHog (posthog-js)', pkg: 'node_modules/posthog-js/package.json' },
  { id: 'segment', label: 'Segment (@segment/analytics-next)', pkg: 'node_modules/@segment/analytics-next/package.json' },
];

export function sdkVersion(sdk) {
  return JSON.parse(readFileSync(join(ROOT, sdk.pkg), 'utf8')).version;
}

// Compile-time flags each vendor documents for production bundles.
const DEFINES = {
  sentry: { __SENTRY_DEBUG__: 'false', __SENTRY_TRACING__: 'false' },
};

function manifest(sdk) {
  return {
    manifest_version: 3,
    name: `bench-${sdk.id}`,
    version: '1.0.0',
    background: { service_worker: 'worker.js' },
    permissions: ['storage', 'alarms'],
    host_permissions: ['http://127.0.0.1/*'],
    content_security_policy: { extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'" },
  };
}

/**
 * Builds every extension with the collector at `collectorUrl`. Returns
 * [{...sdk, dir, version, files: [{name, raw, gz}], raw, gz}].
 */
export async function buildPeers(collectorUrl, sdks = SDKS) {
  rmSync(OUT, { recursive: true, force: true });
  const out = [];
  for (const sdk of sdks) {
    const dir = join(OUT, sdk.id);
    mkdirSync(dir, { recursive: true });
    await build({
      entryPoints: [join(HERE, sdk.id, 'telemetry.js')],
      outfile: join(dir, 'telemetry.js'),
      bundle: true,
      minify: true,
      // A classic worker script (see worker.js); the wasm-bindgen glue finds
      // its .wasm next to the script that loaded it.
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      legalComments: 'none',
      logLevel: 'error',
      alias: {
        'mv3-telemetry': join(ROOT, 'pkg/index.js'),
      },
      define: {
        __COLLECTOR__: JSON.stringify(collectorUrl),
        'import.meta.url': 'self.location.href',
        'process.env.NODE_ENV': '"production"',
        ...DEFINES[sdk.id],
      },
    });
    const shipped = ['telemetry.js'];
    if (sdk.id === 'mv3-telemetry') {
      copyFileSync(join(ROOT, 'pkg/mv3_telemetry_bg.wasm'), join(dir, 'mv3_telemetry_bg.wasm'));
      shipped.push('mv3_telemetry_bg.wasm');
    }
    copyFileSync(join(HERE, 'worker.js'), join(dir, 'worker.js'));
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest(sdk), null, 2)}\n`);
    writeBlankPage(dir);
    const files = shipped.map((name) => {
      const bytes = readFileSync(join(dir, name));
      return { name, raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
    });
    out.push({
      ...sdk,
      dir,
      version: sdkVersion(sdk),
      files,
      raw: files.reduce((n, f) => n + f.raw, 0),
      gz: files.reduce((n, f) => n + f.gz, 0),
    });
  }
  return out;
}
