/**
 * A test runner small enough to run unchanged on Node 20, Node 26, Bun and Deno: cases are
 * registered with `test()`, run one after another by `runAll()` with a per-case timeout, and
 * reported one line each. No vitest (it does not run on Deno), only node:assert/strict.
 */
import { seededRandom } from '../random.ts';

export interface Case {
  name: string;
  run: () => unknown;
  timeoutMs: number;
}

const cases: Case[] = [];
let prefix = '';

/** Default per-case timeout; a case may ask for more. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export function group(name: string, body: () => void): void {
  const outer = prefix;
  prefix = `${outer}${name} > `;
  try {
    body();
  } finally {
    prefix = outer;
  }
}

export function test(name: string, run: () => unknown, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}): void {
  cases.push({ name: prefix + name, run, timeoutMs });
}

/** One case per row: `name(row)` names it, `body(row)` runs it. */
export function each<T>(rows: readonly T[], name: (row: T) => string, body: (row: T) => unknown): void {
  for (const row of rows) test(name(row), () => body(row));
}

export interface Summary {
  passed: number;
  failed: number;
  failures: Array<{ name: string; message: string }>;
  ms: number;
}

function message(error: unknown): string {
  if (error instanceof Error) return (error.stack ?? `${error.name}: ${error.message}`).split('\n').slice(0, 6).join('\n      ');
  return String(error);
}

async function runOne(c: Case): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(c.run), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the registered cases whose name contains `filter`, in registration order. */
export async function runAll(filter?: string, log: (line: string) => void = console.log): Promise<Summary> {
  const started = performance.now();
  const summary: Summary = { passed: 0, failed: 0, failures: [], ms: 0 };
  for (const c of cases) {
    if (filter && !c.name.includes(filter)) continue;
    const t = performance.now();
    try {
      await runOne(c);
      summary.passed++;
      log(`  ok    ${c.name} (${(performance.now() - t).toFixed(0)} ms)`);
    } catch (error) {
      summary.failed++;
      summary.failures.push({ name: c.name, message: message(error) });
      log(`  FAIL  ${c.name} (${(performance.now() - t).toFixed(0)} ms)\n      ${message(error)}`);
    }
  }
  summary.ms = performance.now() - started;
  return summary;
}

/** Deterministic pseudo-random numbers (mulberry32): the same cases on every runtime. */
export const random = seededRandom;

/** A random string over `alphabet` (an array of code points as strings). */
export function randomString(next: () => number, alphabet: readonly string[], length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)]!;
  return s;
}
