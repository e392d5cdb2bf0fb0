import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A deterministic PRNG (mulberry32) so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomLetters(length: number, seed = 1, alphabet = 'abcdefghijklmnopqrstuvwxyz'): string {
  const random = seededRandom(seed);
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

/** A real `gc()` without restarting Node with --expose-gc. */
export function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

/** Compiles a one-file Rust cdylib (a test fixture) with rustc; returns its path. */
export function compileFixtureLibrary(source: string, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mylib-fixture-'));
  const output = join(dir, `lib${name}.so`);
  execFileSync('rustc', ['--edition', '2024', '--crate-type', 'cdylib', '-O', '-o', output, source], { stdio: 'pipe' });
  return output;
}
