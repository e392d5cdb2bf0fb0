#!/usr/bin/env node
// At the root of the repository and of the published `mylib-rust` package (the root is the
// package, see docs/packaging.md): builds the native library from the Rust sources shipped
// beside it, like an sdist, into artifacts/, the folder the loader tries before the platform
// package. It imports the compiled dist/bindings/names.js, so in a checkout it needs
// `npm run build:ts` first (npm install does that); there, `npm run build` is the usual way.
//
//   node build-from-source.mjs          build now (needs cargo); exit 1 when it fails
//   node build-from-source.mjs --auto   the package's npm `install` hook: build only when no
//                                       prebuilt library is installed for this platform and
//                                       cargo is on PATH; otherwise say why and exit 0
// MYLIB_BUILD_FROM_SOURCE=1 makes --auto build even when a platform package is installed;
// MYLIB_BUILD_FROM_SOURCE=0 makes --auto do nothing. CARGO names another cargo binary;
// CARGO_TARGET_DIR keeps cargo's build folder (default: a temporary folder, removed after).
//
// Plain Node, no dependencies: it runs during `npm install`, before anything else is usable.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cargoArtifactName, hostPlatform, libraryFileName, platformTag } from './dist/bindings/names.js';

const ENV = 'MYLIB_BUILD_FROM_SOURCE';
const root = fileURLToPath(new URL('.', import.meta.url));
const script = fileURLToPath(import.meta.url);
const { name } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const auto = process.argv.includes('--auto');
const setting = process.env[ENV];
const platform = hostPlatform();
const tag = platformTag(platform);
const fileName = libraryFileName(platform);
const platformPackage = `${name}-${tag}`;
const destination = join(root, 'artifacts', fileName);
const say = (/** @type {string} */ message) => console.log(`${name}: ${message}`);

/** The library file of the installed platform package, or undefined. */
function prebuilt() {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${platformPackage}/package.json`);
    const file = join(manifest, '..', fileName);
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * In --auto mode a missing toolchain is not an error: the loader explains it at run time.
 * @param {string} message
 */
function giveUp(message) {
  if (auto) {
    say(`${message}\n${name}: the library will not load until a build succeeds; after fixing this, run: node "${script}"`);
    process.exit(0);
  }
  console.error(`${name}: ${message}`);
  process.exit(1);
}

if (auto) {
  if (setting === '0') {
    say(`${ENV}=0: no source build.`);
    process.exit(0);
  }
  if (setting !== '1') {
    const found = prebuilt();
    if (found) process.exit(0); // The common case: npm installed the platform package. Silent.
    if (existsSync(destination)) {
      say(`${destination} already exists; not rebuilding (run this script directly to rebuild).`);
      process.exit(0);
    }
  }
}

const cargo = process.env.CARGO ?? 'cargo';
const version = spawnSync(cargo, ['--version'], { encoding: 'utf8', shell: false });
if (version.error || version.status !== 0) {
  giveUp(
    `no prebuilt library for ${tag} (package ${platformPackage}) and '${cargo}' was not found, so it cannot be built from source. Install Rust (https://rustup.rs) first.`,
  );
}

const started = performance.now();
const keepTarget = Boolean(process.env.CARGO_TARGET_DIR);
const targetDir = process.env.CARGO_TARGET_DIR ?? mkdtempSync(join(tmpdir(), `${name}-build-`));
say(`building the native library for ${tag} from source with ${version.stdout.trim()} (${ENV}=0 skips this)...`);
const build = spawnSync(cargo, ['build', '--release', '--lib', '--manifest-path', join(root, 'Cargo.toml'), '--target-dir', targetDir], {
  stdio: 'inherit',
});
const cleanUp = () => keepTarget || rmSync(targetDir, { recursive: true, force: true });
if (build.error || build.status !== 0) {
  cleanUp();
  giveUp(`cargo build failed (${build.error?.message ?? `exit ${build.status}`}). Set ${ENV}=0 to install without building.`);
}
try {
  const built = join(targetDir, 'release', cargoArtifactName(platform.platform));
  mkdirSync(join(root, 'artifacts'), { recursive: true });
  // Copy then rename: a process that has an older copy mapped keeps its file intact.
  const temporary = `${destination}.${process.pid}.tmp`;
  copyFileSync(built, temporary);
  renameSync(temporary, destination);
} finally {
  cleanUp();
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
say(`built ${destination} (${(statSync(destination).size / 1024).toFixed(0)} KiB, ${seconds} s)`);
