// A fresh consumer project in a temporary folder with the packed package
// installed from its tarball, as a user gets it from the registry: what the
// package, types and consumer tests (tests/e2e/package*, types*, consumers*)
// build on. Nothing is fetched: the package has no dependencies, and the
// bundlers and tsc are run from the workspace's own node_modules.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../e2e/lib/harness.mjs';

const run = promisify(execFile);

export const PKG_DIR = join(ROOT, 'pkg');
export const BIN = {
  tsc: join(ROOT, 'node_modules/typescript/bin/tsc'),
  esbuild: join(ROOT, 'node_modules/esbuild/bin/esbuild'),
  vite: join(ROOT, 'node_modules/vite/bin/vite.js'),
  wxt: join(ROOT, 'node_modules/wxt/bin/wxt.mjs'),
};

// npm reads no user config of ours and says nothing it does not have to.
const NPM_ENV = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_loglevel: 'error' };

/** Runs a command in `cwd` with a deadline; resolves with {stdout, stderr}, rejects with both in the message. */
export async function sh(cmd, args, { cwd, timeout = 60_000, env } = {}) {
  try {
    return await run(cmd, args, { cwd, timeout, env: env ?? process.env, maxBuffer: 64 << 20 });
  } catch (err) {
    err.message = `${cmd} ${args.join(' ')} failed (${err.code ?? err.signal}):\n${err.stdout ?? ''}${err.stderr ?? ''}`;
    throw err;
  }
}

/**
 * `npm pack pkg/` into a new temporary folder, then a project there with the
 * tarball installed. Returns {dir, tarball, pack, remove}; `pack` is npm's
 * own account of the tarball (files, sizes). The caller removes the folder.
 */
export async function packedProject() {
  if (!existsSync(join(PKG_DIR, 'package.json'))) throw new Error('pkg/ is missing: run `make package` first');
  const dir = mkdtempSync(join(tmpdir(), 'mv3t-consumer-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const { stdout } = await sh('npm', ['pack', PKG_DIR, '--pack-destination', dir, '--json'], { cwd: dir, env: NPM_ENV });
  const [pack] = JSON.parse(stdout);
  const tarball = join(dir, pack.filename);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  await sh('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, env: NPM_ENV });
  return { dir, tarball, pack, remove };
}

/** Reads a file of the repository as text. */
export const repoText = (rel) => readFileSync(join(ROOT, rel), 'utf8');

/**
 * Runs tsc on a project file; resolves with {ok, diagnostics, output}, where
 * diagnostics are {file, line, code, message} (the first line of each).
 */
export async function typecheck(dir, project, extraArgs = []) {
  let output;
  let ok = true;
  try {
    const r = await sh(process.execPath, [BIN.tsc, '-p', project, '--pretty', 'false', ...extraArgs], { cwd: dir });
    output = r.stdout + r.stderr;
  } catch (err) {
    if (err.code !== 1 && err.code !== 2) throw err;
    ok = false;
    output = (err.stdout ?? '') + (err.stderr ?? '');
  }
  const diagnostics = [];
  for (const line of output.split('\n')) {
    const m = /^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line);
    if (m) diagnostics.push({ file: m[1], line: Number(m[2]), code: m[3], message: m[4] });
  }
  return { ok, diagnostics, output };
}

/** Writes a tsconfig.json-style file for `files` with `compilerOptions` over strict defaults. */
export function writeTsconfig(dir, name, files, compilerOptions = {}) {
  const config = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'es2022',
      lib: ['es2022', 'webworker'],
      types: [],
      skipLibCheck: false,
      ...compilerOptions,
    },
    files,
  };
  writeFileSync(join(dir, name), JSON.stringify(config, null, 2));
  return name;
}

/** Top-level names `export`ed by a declaration file. */
export function exportedNames(dts) {
  return [...dts.matchAll(/^export (?:declare )?(?:type|interface|function|const|class) (\w+)/gm)].map((m) => m[1]);
}

/** Member names of `export interface name` in a declaration file (its own, not inherited). */
export function interfaceMembers(dts, name) {
  const body = new RegExp(`^export interface ${name}\\b[^{]*\\{\\n([\\s\\S]*?)^\\}`, 'm').exec(dts);
  if (!body) throw new Error(`no interface ${name} in the declaration file`);
  return [...body[1].matchAll(/^ {2}(?:readonly )?(\w+)\??[:(<]/gm)].map((m) => m[1]);
}
