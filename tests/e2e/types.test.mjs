// The published TypeScript types (js/index.d.ts, packed into pkg/), checked
// the way a user meets them: the tarball installed into a fresh project and
// imported as 'mv3-telemetry', under both moduleResolution modes a user may
// have (bundler, nodenext), so the `exports` "types" condition is tested too.
// A consumer using every export and option must type-check; a consumer full
// of mistakes must fail on exactly its marked lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/harness.mjs';
import { readmeBlocks } from './lib/readme.mjs';
import { packedProject, typecheck, writeTsconfig, repoText, exportedNames, interfaceMembers } from '../package/project.mjs';
import { CONTEXT_KINDS, DROP_REASONS } from '../../js/constants.js';

const TYPES_DIR = join(ROOT, 'tests/package/types');
const GOOD = 'uses-everything.ts';
const BAD = 'misuses.ts';
const PAGE_GOOD = 'page-uses-everything.ts';
const PAGE_BAD = 'page-misuses.ts';

const MODES = {
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
  node16: { module: 'node16', moduleResolution: 'node16' },
  // The strictest settings a user may turn on, so optional fields are typed
  // with them in mind.
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext', exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true },
};

let dir;
let project;
before(async () => {
  project = await packedProject();
  dir = project.dir;
  for (const f of [GOOD, BAD, PAGE_GOOD, PAGE_BAD]) copyFileSync(join(TYPES_DIR, f), join(dir, f));
});
after(() => project?.remove());

/** The 1-based lines of `text` carrying a `// misuse:` comment. */
function misuseLines(text) {
  return text.split('\n').flatMap((line, i) => (/\/\/ misuse: \S/.test(line) ? [i + 1] : []));
}

const show = (diagnostics) => diagnostics.map((d) => `  ${d.file}:${d.line} ${d.code} ${d.message}`).join('\n');

test('the consumer that type-checks uses every export, every option and every member of the API', () => {
  const dts = repoText('js/index.d.ts');
  const good = repoText(`tests/package/types/${GOOD}`);
  const imports = /import \{([^}]*)\} from 'mv3-telemetry'/.exec(good)[1];
  const imported = new Set(imports.split(',').map((s) => s.trim().replace(/^type /, '')).filter(Boolean));
  assert.deepEqual([...exportedNames(dts)].sort(), [...imported].sort(), `${GOOD} imports exactly the exports of index.d.ts`);
  for (const iface of ['TelemetryOptions', 'BatchOptions', 'RetryOptions', 'ScrubOptions', 'Feedback']) {
    for (const member of interfaceMembers(dts, iface)) {
      assert.match(good, new RegExp(`\\b${member}: `), `${GOOD} sets ${iface}.${member}`);
    }
  }
  for (const member of interfaceMembers(dts, 'Telemetry')) {
    assert.match(good, new RegExp(`telemetry\\.${member}\\b`), `${GOOD} uses telemetry.${member}`);
  }
  for (const member of interfaceMembers(dts, 'TelemetryStats')) {
    assert.match(good, new RegExp(`stats\\.${member}\\b`), `${GOOD} reads stats().${member}`);
  }
});

for (const [mode, options] of Object.entries(MODES)) {
  test(`a service worker using every export type-checks with tsc --strict against the installed tarball (moduleResolution ${mode})`, { timeout: 60_000 }, async () => {
    const project = writeTsconfig(dir, `tsconfig.good.${mode}.json`, [GOOD], options);
    const { ok, diagnostics, output } = await typecheck(dir, project, ['--traceResolution']);
    assert.ok(ok && diagnostics.length === 0, `tsc reported errors:\n${show(diagnostics)}\n${diagnostics.length ? '' : output.slice(-2000)}`);
    // The import resolved through package.json `exports` (its "types"
    // condition) to the package's own index.d.ts, not by a fallback.
    const trace = output.split('======== Resolving module').find((s) => s.startsWith(" 'mv3-telemetry'"));
    assert.ok(trace, 'tsc traced the resolution of mv3-telemetry');
    assert.match(trace, /Matched 'exports' condition 'types'/);
    assert.match(trace, /successfully resolved to '[^']*\/node_modules\/mv3-telemetry\/index\.d\.ts'/);
  });

  test(`every marked misuse fails to type-check at exactly its line, and nothing else does (moduleResolution ${mode})`, { timeout: 60_000 }, async () => {
    const project = writeTsconfig(dir, `tsconfig.bad.${mode}.json`, [BAD], options);
    const { ok, diagnostics, output } = await typecheck(dir, project);
    assert.equal(ok, false, 'tsc fails on the misuses');
    const expected = misuseLines(repoText(`tests/package/types/${BAD}`));
    assert.ok(expected.length >= 40, `${BAD} marks its misuses (found ${expected.length})`);
    const elsewhere = diagnostics.filter((d) => d.file !== BAD);
    assert.deepEqual(elsewhere, [], `errors outside ${BAD} (the package's own types must be clean):\n${show(elsewhere)}`);
    assert.ok(diagnostics.length > 0, `tsc failed without diagnostics:\n${output}`);
    const reported = [...new Set(diagnostics.map((d) => d.line))].sort((a, b) => a - b);
    const missed = expected.filter((l) => !reported.includes(l));
    const unexpected = diagnostics.filter((d) => !expected.includes(d.line));
    assert.deepEqual(missed, [], `misuses tsc accepted (lines of ${BAD})`);
    assert.deepEqual(unexpected, [], `errors on lines not marked as misuses:\n${show(unexpected)}`);
  });
}

for (const [mode, options] of Object.entries(MODES)) {
  test(`a content script using all of mv3-telemetry/page type-checks, its import resolved through exports (moduleResolution ${mode})`, { timeout: 60_000 }, async () => {
    const project = writeTsconfig(dir, `tsconfig.page-good.${mode}.json`, [PAGE_GOOD], { ...options, lib: ['es2022', 'dom'] });
    const { ok, diagnostics, output } = await typecheck(dir, project, ['--traceResolution']);
    assert.ok(ok && diagnostics.length === 0, `tsc reported errors:\n${show(diagnostics)}\n${diagnostics.length ? '' : output.slice(-2000)}`);
    const trace = output.split('======== Resolving module').find((s) => s.startsWith(" 'mv3-telemetry/page'"));
    assert.ok(trace, 'tsc traced the resolution of mv3-telemetry/page');
    assert.match(trace, /successfully resolved to '[^']*\/node_modules\/mv3-telemetry\/page\.d\.ts'/);
  });

  test(`every marked misuse of the page client fails at exactly its line (moduleResolution ${mode})`, { timeout: 60_000 }, async () => {
    const project = writeTsconfig(dir, `tsconfig.page-bad.${mode}.json`, [PAGE_BAD], { ...options, lib: ['es2022', 'dom'] });
    const { diagnostics } = await typecheck(dir, project);
    const expected = misuseLines(repoText(`tests/package/types/${PAGE_BAD}`));
    const reported = [...new Set(diagnostics.map((d) => d.line))].sort((a, b) => a - b);
    assert.deepEqual(diagnostics.filter((d) => d.file !== PAGE_BAD), [], 'the package\'s own types are clean');
    assert.deepEqual(reported, expected, `lines tsc rejected in ${PAGE_BAD}:\n${show(diagnostics)}`);
  });
}

/** The feedback kinds the core accepts: its `matches!(kind, ...)`, wherever the recording code lives. */
function feedbackKinds() {
  const files = readdirSync(join(ROOT, 'src/core'), { recursive: true }).filter((f) => f.endsWith('.rs'));
  const found = files.flatMap((f) => {
    const m = /matches!\(kind, ((?:"\w+"(?: \| )?)+)\)/.exec(repoText(join('src/core', f)));
    return m ? [m[1].match(/\w+/g)] : [];
  });
  assert.equal(found.length, 1, `one feedback kind check in src/core (found ${found.length})`);
  return found[0];
}

test('DropReason and the feedback types are exactly the ones the Rust core knows', { timeout: 60_000 }, async () => {
  // js/constants.js is generated from DropReason::ALL (tests/constants.rs checks it).
  const reasons = [...DROP_REASONS];
  assert.ok(reasons.length >= 7, `every reason of DropReason::ALL (found ${reasons})`);
  const kinds = feedbackKinds();
  assert.equal(kinds.length, 4, `the four feedback kinds of record_feedback (found ${kinds})`);
  const union = (xs) => xs.map((x) => `'${x}'`).join(' | ');
  writeFileSync(join(dir, 'from-rust.ts'), [
    "import type { ContextKind, DropReason, FeedbackType, FeedbackItem, TelemetryStats } from 'mv3-telemetry';",
    'type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;',
    `export const reasons: Same<DropReason, ${union(reasons)}> = true;`,
    `export const kinds: Same<FeedbackType, ${union(kinds)}> = true;`,
    `export const itemKinds: Same<FeedbackItem['kind'], ${union(kinds)}> = true;`,
    `export const statsReasons: Same<keyof TelemetryStats['dropped'], ${union(reasons)}> = true;`,
    `export const contextKinds: Same<ContextKind, ${union([...CONTEXT_KINDS])}> = true;`,
    '',
  ].join('\n'));
  const project = writeTsconfig(dir, 'tsconfig.rust.json', ['from-rust.ts'], MODES.bundler);
  const { ok, diagnostics } = await typecheck(dir, project);
  assert.ok(ok, `index.d.ts disagrees with the Rust core (reasons ${reasons}, kinds ${kinds}):\n${show(diagnostics)}`);
});

test('the TypeScript examples in the package README and the repository README type-check', { timeout: 60_000 }, async () => {
  // The WXT recipe's blocks need WXT's own types and globals: consumers.test.mjs builds them with WXT.
  const ts = (rel) => readmeBlocks(repoText(rel)).filter((b) => b.lang === 'ts' && !b.kind?.startsWith('wxt-'));
  const blocks = [...ts('pkg-template/README.md'), ...ts('README.md')];
  assert.ok(ts('pkg-template/README.md').length > 0 && ts('README.md').length > 0, 'both READMEs have TypeScript examples');
  const files = blocks.map(({ code }, i) => {
    const name = `readme-${i + 1}.ts`;
    writeFileSync(join(dir, name), `${code}\nexport {};\n`);
    return name;
  });
  const project = writeTsconfig(dir, 'tsconfig.readme.json', files, MODES.nodenext);
  const { ok, diagnostics, output } = await typecheck(dir, project);
  assert.ok(ok, `README examples:\n${show(diagnostics) || output}`);
});
