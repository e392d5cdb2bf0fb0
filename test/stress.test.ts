/**
 * Random valid and invalid calls, async calls, aborts, closes and unloads, interleaved from
 * several async tasks (fixed seed and count), then a leak check. Every outcome must be a result
 * that matches the reference or an error the API documents; every promise must settle.
 */
import { describe, expect, it } from 'vitest';
import { FuzzyIndex, MylibError, type Mylib, WordCounter, open } from '../bindings/index.ts';
import * as reference from '../reference/levenshtein.ts';
import { countDoubles as referenceCountDoubles, getResult as referenceGetResult } from '../reference/text.ts';
import { liveObjects } from '../bindings/_context.ts';
import { exitState } from '../bindings/ffi/engines/_exit.ts';
import { forceGc, seededRandom } from './helpers.ts';

const SEED = 20261125;
const TASKS = 6;
const STEPS_PER_TASK = 400;
const SETTLE_DEADLINE_MS = 30_000;
const MB = 1024 * 1024;
const ROUNDS = 5;

type Outcome = 'ok' | 'rejected';

/** Errors the API documents for bad input, closed handles, unloaded libraries and aborts. */
function expectedError(error: unknown, abortReason: unknown): boolean {
  if (error === abortReason) return true;
  if (error instanceof MylibError) return error.code === 'MYLIB_ERR_CANCELLED' || error.code === 'MYLIB_ERR_INVALID_UTF8';
  if (error instanceof TypeError || error instanceof RangeError) return /^(\w+\.)?\w+: /.test(error.message);
  if (error instanceof Error) return /after unload\(\)|is closed/.test(error.message);
  return false;
}

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stress: ${what} did not settle in ${SETTLE_DEADLINE_MS} ms`)), SETTLE_DEADLINE_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

class World {
  readonly random: () => number;
  libraries: Mylib[] = [];
  indexes: FuzzyIndex[] = [];
  counters: WordCounter[] = [];
  readonly outcomes = new Map<string, Record<Outcome, number>>();
  readonly abortReason = new Error('stress abort');

  constructor(seed: number) {
    this.random = seededRandom(seed);
    this.libraries = [open(), open()];
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  word(): string {
    const alphabets = ['ab', 'abcdefghij', 'aé€😀', 'xyz\u0000'];
    const alphabet = [...this.pick(alphabets)];
    let text = '';
    for (let i = this.int(12); i > 0; i--) text += this.pick(alphabet);
    // A lone surrogate now and then: the typed layer replaces it with U+FFFD.
    return this.random() < 0.05 ? `${text}\ud800` : text;
  }

  count(name: string, outcome: Outcome): void {
    const entry = this.outcomes.get(name) ?? { ok: 0, rejected: 0 };
    entry[outcome]++;
    this.outcomes.set(name, entry);
  }

  async run(name: string, step: () => unknown): Promise<void> {
    try {
      await withDeadline(Promise.resolve().then(step), name);
      this.count(name, 'ok');
    } catch (error) {
      if (!expectedError(error, this.abortReason)) throw new Error(`stress: ${name} failed unexpectedly: ${String(error)}`, { cause: error });
      this.count(name, 'rejected');
    }
  }

  /** One random operation; checks its result where it has one. */
  async step(): Promise<void> {
    const lib = this.pick(this.libraries);
    const roll = this.int(16);
    const invalid = this.random() < 0.15;
    switch (roll) {
      case 0: {
        const text = this.word();
        return this.run('getResult', () => {
          if (invalid) return lib.getResult(42 as unknown as string);
          expect(lib.getResult(text)).toBe(referenceGetResult(text.replace(/\ud800/g, '\ufffd')));
        });
      }
      case 1: {
        const bytes = Buffer.from(this.word());
        const expected = referenceCountDoubles(bytes);
        const overwrite = this.random() < 0.5;
        return this.run('countDoublesAsync', async () => {
          const pending = lib.countDoublesAsync(invalid ? ({} as Uint8Array) : bytes);
          if (overwrite) bytes.fill(0x61); // the call works on its own copy
          expect(await pending).toBe(expected);
        });
      }
      case 2: {
        const [a, b] = [this.word(), this.word()];
        return this.run('levenshtein', () => {
          const got = lib.levenshtein(a, invalid ? (null as unknown as string) : b);
          expect(got).toBe(reference.levenshtein(a.replace(/\ud800/g, '\ufffd'), b.replace(/\ud800/g, '\ufffd')));
        });
      }
      case 3:
      case 4: {
        const list = Array.from({ length: 1 + this.int(3000) }, () => this.word());
        const query = this.word();
        const controller = new AbortController();
        const limit = invalid ? -1 : 1 + this.int(5);
        return this.run('closestAsync', async () => {
          const pending = lib.closestAsync(query, list, { limit, signal: controller.signal });
          if (this.random() < 0.3) setTimeout(() => controller.abort(this.abortReason), this.int(3));
          if (this.random() < 0.3) list.length = 0; // results still describe the list as passed
          const got = await pending;
          expect(got.length).toBeLessThanOrEqual(limit);
        });
      }
      case 5: {
        const list = Array.from({ length: 1 + this.int(200) }, () => this.word());
        const query = this.word();
        return this.run('closest+onProgress', () => {
          const got = lib.closest(query, list, {
            limit: 3,
            // Re-enters the library and mutates the list from inside the call.
            onProgress: () => {
              lib.getResult('inside');
              list.reverse();
              return !invalid;
            },
          });
          expect(got.length).toBeLessThanOrEqual(3);
        });
      }
      case 6:
        return this.run('FuzzyIndex.new', () => {
          const list = Array.from({ length: 1 + this.int(500) }, () => this.word());
          this.indexes.push(new FuzzyIndex(invalid ? ([1] as unknown as string[]) : list, { library: lib }));
        });
      case 7: {
        const index = this.indexes.length ? this.pick(this.indexes) : undefined;
        if (!index) return;
        const query = this.word();
        const controller = new AbortController();
        return this.run('FuzzyIndex.closestAsync', async () => {
          const pending = index.closestAsync(query, { limit: 2, signal: controller.signal });
          if (this.random() < 0.3) index.close(); // waits for the running call
          if (this.random() < 0.2) controller.abort(this.abortReason);
          expect((await pending).length).toBeLessThanOrEqual(2);
        });
      }
      case 8: {
        const index = this.indexes.length ? this.pick(this.indexes) : undefined;
        if (!index) return;
        return this.run('FuzzyIndex.close', () => index.close());
      }
      case 9:
        return this.run('WordCounter', () => {
          const counter = new WordCounter({ library: lib, lowercase: this.random() < 0.5 });
          this.counters.push(counter);
          counter.feed(this.word()).feed(Buffer.from([0xff, 0xfe, 0x41]));
        });
      case 10: {
        const counter = this.counters.length ? this.pick(this.counters) : undefined;
        if (!counter) return;
        return this.run('WordCounter.top/close', () => {
          counter.top(invalid ? -1 : this.int(5));
          if (this.random() < 0.5) counter.close();
        });
      }
      case 11: {
        const values = Float64Array.from({ length: this.int(2000) }, () => this.pick([NaN, Infinity, -1e308, 1e308, this.random(), -0]));
        return this.run('statsAsync', async () => {
          const pending = lib.statsAsync(values);
          structuredClone(values.buffer, { transfer: [values.buffer] }); // detach: the call has a copy
          const got = await pending;
          expect(got.count).toBeLessThanOrEqual(2000);
        });
      }
      case 12: {
        const values = Float64Array.from({ length: this.int(100) }, () => this.pick([NaN, Infinity, 1.7e308, -1.7e308, this.random()]));
        const bins = new Uint32Array(1 + this.int(8));
        return this.run('histogram', () => {
          lib.histogram(values, invalid ? (values as unknown as Uint32Array) : bins);
        });
      }
      case 13:
        if (this.random() < 0.5) {
          // A burst: several tasks together exceed the async gate's limit; some are aborted.
          const controller = new AbortController();
          const other = this.word();
          return this.run('burst of 40 levenshteinAsync', async () => {
            const burst = Array.from({ length: 40 }, () => lib.levenshteinAsync(this.word(), other, { signal: controller.signal }));
            if (this.random() < 0.3) controller.abort(this.abortReason);
            const settled = await Promise.allSettled(burst);
            for (const result of settled) {
              if (result.status === 'rejected' && !expectedError(result.reason, this.abortReason)) throw result.reason;
            }
          });
        }
        // Unload an instance while its calls may still run, and replace it.
        if (this.random() < 0.3) {
          return this.run('unload+open', () => {
            const at = this.int(this.libraries.length);
            this.libraries[at]!.unload();
            this.libraries[at] = open();
          });
        }
        return;
      case 14: {
        const [a, b] = [this.word(), this.word()];
        const controller = new AbortController();
        return this.run('levenshteinAsync', async () => {
          const pending = lib.levenshteinAsync(a, invalid ? (null as unknown as string) : b, { signal: controller.signal });
          if (this.random() < 0.3) controller.abort(this.abortReason);
          expect(await pending).toBe(reference.levenshtein(a.replace(/\ud800/g, '\ufffd'), b.replace(/\ud800/g, '\ufffd')));
        });
      }
      default:
        return this.run('countDoubles', () => {
          const text = this.word();
          expect(lib.countDoubles(text)).toBe(referenceCountDoubles(text.replace(/\ud800/g, '\ufffd')));
        });
    }
  }

  async task(): Promise<void> {
    for (let i = 0; i < STEPS_PER_TASK; i++) {
      // Keep a few closed handles around (use after close), drop most of them.
      if (this.random() < 0.1) {
        this.indexes = this.indexes.filter((index) => !index.closed || this.random() < 0.2);
        this.counters = this.counters.filter((counter) => !counter.closed || this.random() < 0.2);
      }
      await this.step();
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async round(): Promise<void> {
    await Promise.all(Array.from({ length: TASKS }, () => this.task()));
    for (const index of this.indexes) index.close();
    for (const counter of this.counters) counter.close();
    for (const lib of this.libraries) {
      expect(liveObjects(lib)).toBe(0);
      lib.unload();
    }
    this.indexes = [];
    this.counters = [];
    this.libraries = [open(), open()];
  }
}

async function settle(gc: () => void): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('stress: random calls, aborts, closes and unloads interleaved', () => {
  it(`${TASKS} tasks x ${STEPS_PER_TASK} steps per round, ${ROUNDS} rounds after a warm-up: no crash, every promise settles, no growth`, async () => {
    const gc = forceGc();
    const exitListeners = process.listenerCount('exit');
    const world = new World(SEED);
    await world.round(); // warm-up: JIT, V8 heap, allocator pools
    await settle(gc);
    const rss: number[] = [process.memoryUsage().rss];
    for (let round = 0; round < ROUNDS; round++) {
      await world.round();
      await settle(gc);
      rss.push(process.memoryUsage().rss);
    }
    const growth = rss.slice(1).map((value, i) => (value - rss[i]!) / MB);
    console.log(`stress outcomes: ${JSON.stringify(Object.fromEntries(world.outcomes))}`);
    console.log(`RSS growth per round after warm-up (MB): ${growth.map((g) => g.toFixed(1)).join(', ')}`);
    // Every operation kind ran, and both outcomes happened overall.
    expect(world.outcomes.size).toBeGreaterThanOrEqual(12);
    const totals = [...world.outcomes.values()].reduce((sum, o) => ({ ok: sum.ok + o.ok, rejected: sum.rejected + o.rejected }));
    expect(totals.ok).toBeGreaterThan(0);
    expect(totals.rejected).toBeGreaterThan(0);
    // A leak grows every round; noise does not. Judge the median round, not one delta.
    const median = [...growth].sort((a, b) => a - b)[Math.floor(growth.length / 2)]!;
    expect(median).toBeLessThan(8);
    expect((rss.at(-1)! - rss[0]!) / MB).toBeLessThan(8 * ROUNDS);
    // Every settled async call, aborted or not, left the exit path (engines/_exit.ts): none counts
    // as in flight, its 'exit' listener is gone, and _exit was bound.
    expect(exitState()).toEqual({ inFlight: 0, unavailable: undefined });
    expect(process.listenerCount('exit')).toBe(exitListeners);
  }, 90_000);
});
