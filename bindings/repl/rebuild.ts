/**
 * The REPL's build step: cargo build of a crate (the repository, or a copy given by
 * MYLIB_CRATE_DIR / --crate), then a copy of the library to a FRESH file name, because dlopen
 * caches by path and would hand back the old code. Same names as scripts/build.mjs
 * (bindings/names.ts), but the copies go to a per-session temp folder, not artifacts/.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cargoArtifactName, hostPlatform, libraryFileName } from '../names.ts';

export interface BuildConfig {
  /** Folder holding Cargo.toml. */
  crateDir: string;
  /** CARGO_TARGET_DIR for this crate. */
  targetDir: string;
  profile: 'debug' | 'release';
  cargo: string;
}

/** A build: on success the fresh copy to load, on failure none. */
export type BuildResult = { ok: true; path: string; output: string; seconds: number } | { ok: false; output: string; seconds: number };

/** Copies of built libraries, one per rebuild; removed when the session ends. */
export class FreshCopies {
  readonly dir = mkdtempSync(join(tmpdir(), 'mylib-repl-'));
  #count = 0;
  next(source: string): string {
    this.#count += 1;
    const name = libraryFileName(hostPlatform()).replace(/(\.[a-z]+)$/, `.${process.pid}-${this.#count}$1`);
    const destination = join(this.dir, name);
    copyFileSync(source, destination);
    return destination;
  }
  dispose(): void {
    // Unlinking a mapped file is safe on Unix; on Windows a loaded DLL may refuse (ignored).
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 2 });
  }
}

/** Runs cargo; streams its output to `echo` as it comes, so errors show while they happen. */
export function cargoBuild(config: BuildConfig, copies: FreshCopies, echo: (chunk: string) => void): Promise<BuildResult> {
  const started = performance.now();
  const args = ['build', '--lib', '--manifest-path', join(config.crateDir, 'Cargo.toml'), ...(config.profile === 'release' ? ['--release'] : [])];
  return new Promise((resolve) => {
    const child = spawn(config.cargo, args, {
      cwd: config.crateDir,
      env: { ...process.env, CARGO_TARGET_DIR: config.targetDir, CARGO_TERM_COLOR: process.stdout.isTTY ? 'always' : 'never' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      echo(text);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const finish = (ok: boolean, extra = '') => {
      const seconds = (performance.now() - started) / 1000;
      if (!ok) return resolve({ ok: false, output: output + extra, seconds });
      const built = join(config.targetDir, config.profile, cargoArtifactName(hostPlatform().platform));
      if (!existsSync(built)) return resolve({ ok: false, output: `${output}cargo succeeded but ${built} does not exist\n`, seconds });
      resolve({ ok: true, path: copies.next(built), output, seconds });
    };
    child.on('error', (error) => finish(false, `cannot run ${config.cargo}: ${error.message}\n`));
    child.on('close', (code) => finish(code === 0, code === 0 ? '' : `cargo exited with code ${code}\n`));
  });
}
