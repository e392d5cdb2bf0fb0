#!/usr/bin/env -S npx tsx
// Builds the cdylib with cargo and copies it out of target/ under its platform-tagged name:
// target/release/libmylib.so -> artifacts/mylib.linux-x64-gnu.so
//   npm run build                 release build
//   npm run build -- --debug      debug build
//   npm run build -- --if-cargo   skip (exit 0) with a message when cargo is missing (npm install)
import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $, argv, chalk, which } from 'zx';
import { cargoArtifactName, hostPlatform, libraryFileName } from '../bindings/names.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const profile = argv.debug ? 'debug' : 'release';
const cargo = process.env.CARGO ?? 'cargo';

if (!(await which(cargo, { nothrow: true }))) {
  const message = `build: '${cargo}' not found. Install Rust (https://rustup.rs), then run \`npm run build\`.`;
  if (argv['if-cargo']) {
    console.warn(chalk.yellow(`${message}\nSkipping the native build; the bindings will not load until it runs.`));
    process.exit(0);
  }
  console.error(chalk.red(message));
  process.exit(1);
}

const started = performance.now();
console.log(`build: cargo build (${profile})...`);
const cargoArgs = ['build', '--lib', ...(profile === 'release' ? ['--release'] : [])];
await $({ cwd: root, stdio: 'inherit' })`${cargo} ${cargoArgs}`;

const platform = hostPlatform();
const built = join(root, 'target', profile, cargoArtifactName(platform.platform));
const destination = join(root, 'artifacts', libraryFileName(platform));
await mkdir(join(root, 'artifacts'), { recursive: true });
// Copy then rename: a process that has the old file mapped keeps its inode intact.
const temporary = `${destination}.${process.pid}.tmp`;
await copyFile(built, temporary);
await rename(temporary, destination);
const { size } = await stat(destination);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`build: ${built} -> ${destination} (${(size / 1024).toFixed(0)} KiB, ${seconds} s)`);
