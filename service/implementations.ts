/**
 * The service's view of a library: one interface, two implementations. `rust` calls the native
 * library through bindings/index.ts (heavy calls through the async variants, which run on worker
 * threads); `js` calls the pure-TypeScript references in reference/ on the event loop. Not to be
 * confused with the FFI engine (koffi, node, bun, deno) that bindings/ call `rust` through.
 */
import type { ImplementationName } from './config.ts';

export type { Match, Stats, WordCount } from '../bindings/types.ts';
import type { Match, Stats, WordCount } from '../bindings/types.ts';

export interface ClosestOptions {
  limit?: number;
  maxDistance?: number;
}

/** A streaming word counter; `close()` frees its native memory (idempotent). */
export interface WordCounterHandle {
  feed(chunk: Uint8Array): void;
  top(k: number): WordCount[];
  close(): void;
}

export interface Implementation {
  readonly name: ImplementationName;
  /** Where the implementation's code comes from (library path or `reference/`). */
  readonly source: string;
  getResult(text: string): string;
  countDoubles(text: string): Promise<number>;
  closest(query: string, candidates: string[], options: ClosestOptions): Promise<Match[]>;
  stats(values: Float64Array): Promise<Stats>;
  wordCounter(options: { lowercase: boolean }): WordCounterHandle;
  /** Releases native resources (unloads the library). Idempotent. */
  close(): void;
}

/** Strings shorter than this are counted synchronously: an async call costs ~15-40 us. */
const ASYNC_THRESHOLD = 64 * 1024;

export async function createImplementation(name: ImplementationName): Promise<Implementation> {
  return name === 'rust' ? createRustImplementation() : createJsImplementation();
}

async function createRustImplementation(): Promise<Implementation> {
  const bindings = await import('../bindings/index.ts');
  const lib = bindings.library(); // load now: a missing library fails at start, not per request
  return {
    name: 'rust',
    source: lib.path,
    getResult: (text) => bindings.getResult(text),
    async countDoubles(text) {
      return text.length < ASYNC_THRESHOLD ? bindings.countDoubles(text) : bindings.countDoublesAsync(text);
    },
    closest: (query, candidates, options) => bindings.closestAsync(query, candidates, options),
    stats: (values) => bindings.statsAsync(values),
    wordCounter: ({ lowercase }) => new bindings.WordCounter({ lowercase }),
    close: () => bindings.unload(),
  };
}

async function createJsImplementation(): Promise<Implementation> {
  const [text, levenshtein, stats, words] = await Promise.all([
    import('../reference/text.ts'),
    import('../reference/levenshtein.ts'),
    import('../reference/stats.ts'),
    import('../reference/words.ts'),
  ]);
  return {
    name: 'js',
    source: 'reference/',
    getResult: (input) => text.getResult(input),
    countDoubles: async (input) => text.countDoubles(input),
    closest: async (query, candidates, options) => levenshtein.closest(query, candidates, options),
    stats: async (values) => stats.stats(values),
    wordCounter({ lowercase }) {
      const counter = new words.WordCounter({ lowercase });
      return { feed: (chunk) => void counter.feed(chunk), top: (k) => counter.top(k), close() {} };
    },
    close() {},
  };
}
