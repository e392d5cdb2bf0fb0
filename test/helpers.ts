import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export { seededRandom } from './random.ts';
import { seededRandom } from './random.ts';

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

/**
 * RSS growth per round of `work`, after one warm-up round (JIT, V8 heap, allocator pools), each
 * reading taken after a forced GC. A leak grows every round; noise moves single readings, so
 * judge the median of the returned list, not one delta.
 */
export async function rssGrowthPerRound(work: () => void, rounds = 5): Promise<number[]> {
  const gc = forceGc();
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return process.memoryUsage().rss;
  };
  work();
  let previous = await settle();
  const growth: number[] = [];
  for (let round = 0; round < rounds; round++) {
    work();
    const now = await settle();
    growth.push((now - previous) / (1024 * 1024));
    previous = now;
  }
  return growth;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
