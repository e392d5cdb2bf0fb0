#!/usr/bin/env -S npx tsx
// npm run build:cross [-- --target a,b]: builds the selected targets of scripts/targets.ts
// (default: all), copies each artifact into artifacts/ under its platform-tagged name, runs
// the structural checks, prints a summary table and exits 1 if a requested target failed.
//   --target x,y   triples or platform tags (linux-arm64-gnu, win32-x64, wasm...)
//   --jobs N       targets built at the same time (default 2: one std crate compiles mostly
//                  on one core, so two targets keep both cores busy)
//   --verbose      show cargo's full output (default: only on failure)
// Each target has its own CARGO_TARGET_DIR=.cache/cross/target/<triple> (kept: rebuilds are
// incremental, and parallel builds do not wait for each other's cargo lock).
import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { $, argv, chalk } from 'zx';
import { runStaticChecks } from './checks.mjs';
import {
  DEBIAN_RUSTC,
  artifactsDir,
  debianRustSrc,
  fail,
  linkerCommand,
  missingFor,
  paths,
  root,
  rustupTargets,
  say,
  seconds,
  table,
  targetsOrExit,
} from './lib.mjs';

/** @import { CrossTarget } from '../targets.ts' */

const targets = targetsOrExit(argv.target);

const envKey = (/** @type {string} */ triple) => triple.toUpperCase().replace(/-/g, '_');

/**
 * The cargo command line and environment for one target.
 * @param {CrossTarget} target
 * @param {boolean} viaRustup
 */
async function plan(target, viaRustup) {
  /** @type {NodeJS.ProcessEnv & { CARGO_TARGET_DIR: string }} */
  const env = { ...process.env, CARGO_TARGET_DIR: join(paths.target, target.triple), ...target.env };
  delete env.RUSTC;
  delete env.RUSTFLAGS;
  const args = ['build', '--lib', '--release', '--target', target.triple];
  const rustflags = [...target.rustflags];
  let cargo = 'cargo';
  let how = 'rustup';
  if (!viaRustup) {
    // Debian's rustc 1.96 (rustup's rustc is first on PATH and cannot use these std builds).
    env.RUSTC = DEBIAN_RUSTC;
    cargo = '/usr/bin/cargo';
    if (target.route === 'debian-std') {
      rustflags.push('--sysroot', join(paths.arm64Std, 'usr'));
      how = 'Debian rustc + arm64 std';
    } else {
      env.RUSTC_BOOTSTRAP = '1'; // -Zbuild-std on a stable compiler
      const rustSrc = debianRustSrc();
      if (!rustSrc) throw new Error(`${target.triple}: no Rust std sources under /usr/src (apt rust-web-src; npm run setup:cross)`);
      const vendor = join(rustSrc, 'library', 'vendor');
      args.push('-Zbuild-std=std,panic_abort', '--offline');
      args.push('--config', 'source.crates-io.replace-with="debian-rust-src"');
      args.push('--config', `source.debian-rust-src.directory="${vendor}"`);
      // std is a dependency here: split it into codegen units so both cores work on it. Our
      // crate keeps the release profile (codegen-units = 1, fat LTO over std's bitcode).
      args.push('--config', 'profile.release.package."*".codegen-units=16');
      how = 'Debian rustc + build-std';
    }
  }
  for (const [key, value] of Object.entries(target.profile)) args.push('--config', `profile.release.${key}=${value}`);
  const linker = await linkerCommand(target);
  if (!linker) throw new Error(`${target.triple}: no linker for ${target.linker.kind} (npm run setup:cross)`);
  env[`CARGO_TARGET_${envKey(target.triple)}_LINKER`] = linker;
  switch (target.linker.kind) {
    case 'zig':
      env.ZIG = paths.zig;
      env.ZIG_TARGET = target.linker.zigTarget;
      env.ZIG_GLOBAL_CACHE_DIR = join(paths.cache, 'zig-cache');
      env.ZIG_LOCAL_CACHE_DIR = join(paths.cache, 'zig-cache');
      how += `, zig cc -target ${target.linker.zigTarget}`;
      break;
    case 'ld64.lld':
      rustflags.push('-C', 'linker-flavor=ld64.lld');
      env.SDKROOT = paths.macosSdk;
      how += `, ${linker}`;
      break;
    default:
      how += `, ${linker}`;
  }
  if (rustflags.length) env[`CARGO_TARGET_${envKey(target.triple)}_RUSTFLAGS`] = rustflags.join(' ');
  return { cargo, args, env, how };
}

const rustup = await rustupTargets();
const started = performance.now();
const rows = new Array(targets.length);
let failed = 0;
await mkdir(artifactsDir, { recursive: true });

/**
 * Builds, copies and structurally checks one target; fills rows[index].
 * @param {CrossTarget} target
 * @param {number} index
 */
async function buildOne(target, index) {
  const t = performance.now();
  const label = `[${index + 1}/${targets.length}] ${target.triple}`;
  const { build: missing } = await missingFor(target, rustup);
  if (missing.length) {
    fail(`${label}: cannot build here, missing: ${missing.join('; ')} (run npm run setup:cross)`);
    rows[index] = [target.triple, chalk.red('MISSING TOOLS'), '-', '-', '-'];
    failed++;
    return;
  }
  const { cargo, args, env, how } = await plan(target, rustup.includes(target.triple));
  say(`${label}: ${how}...`);
  const result = await $({ cwd: root, env, nothrow: true, quiet: !argv.verbose })`${cargo} ${args}`;
  if (result.exitCode !== 0) {
    fail(`${label}: cargo failed (exit ${result.exitCode}) after ${seconds(t)} s:\n${result.stderr.split('\n').slice(-40).join('\n')}`);
    rows[index] = [target.triple, chalk.red('BUILD FAILED'), '-', `${seconds(t)} s`, '-'];
    failed++;
    return;
  }
  const built = join(env.CARGO_TARGET_DIR, target.triple, 'release', target.cargoFile);
  const destination = join(artifactsDir, target.fileName);
  const temporary = `${destination}.${process.pid}.tmp`;
  await copyFile(built, temporary);
  await rename(temporary, destination);
  const { size } = await stat(destination);
  const checks = runStaticChecks(target, destination);
  const bad = checks.filter((c) => !c.ok);
  for (const c of bad) fail(`${label}: check ${c.check} FAILED: ${c.detail}`);
  if (bad.length) failed++;
  const time = seconds(t);
  say(`${label}: ${target.fileName} ${(size / 1024).toFixed(0)} KiB in ${time} s, structural checks ${checks.length - bad.length}/${checks.length}`);
  rows[index] = [
    target.triple,
    target.fileName,
    `${(size / 1024).toFixed(0)} KiB`,
    `${time} s`,
    `${checks.length - bad.length}/${checks.length}${bad.length ? chalk.red(` (failed: ${bad.map((c) => c.check).join(', ')})`) : ''}`,
  ];
}

const jobs = Math.max(1, Number(argv.jobs ?? 2) || 1);
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(jobs, targets.length) }, async () => {
    while (next < targets.length) {
      const index = next++;
      const target = targets[index];
      if (target) await buildOne(target, index);
    }
  }),
);

console.log(`\n${table(['target', 'artifact', 'size', 'time', 'structural checks passed'], rows)}`);
say(`${targets.length - failed}/${targets.length} target(s) built and structurally checked in ${seconds(started)} s; runtime checks: npm run test:cross`);
process.exit(failed ? 1 : 0);
