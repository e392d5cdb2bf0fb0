/// <reference lib="esnext.disposable" preserve="true" />
/** The handle classes: native objects owned by a Mylib instance, freed on close() or by GC. */
import { checkArgumentCount, checkCount, checkOptions, copyStringArray, describe } from './_checks.ts';
import { indexClosestPlan } from './_closest.ts';
import { type LibraryContext, contextOf, defaultLibrary } from './_context.ts';
import { packCandidates } from './_marshal.ts';
import { ERR_CAP, check } from './errors.ts';
import type { Mylib } from './library.ts';
import type { Pointer } from './raw.ts';
import type { AsyncClosestOptions, ClosestOptions, HandleOptions, Match, WordCount } from './types.ts';

function closedError(kind: string, method: string): Error {
  return new Error(`${kind}.${method}: the ${kind} is closed (close() was called, or its library was unloaded)`);
}

/**
 * A candidate list packed into native memory ONCE, searched many times. Close it with
 * close() or `using`; if forgotten, garbage collection frees it (a safety net, not a plan).
 */
export class FuzzyIndex {
  readonly #library: LibraryContext;
  readonly #candidates: readonly string[];
  readonly #id: number;
  #busy = 0;
  #closing = false;

  constructor(candidates: readonly string[], options?: HandleOptions) {
    checkArgumentCount('FuzzyIndex', 'candidates, options?', arguments.length, 1, 2);
    const list = copyStringArray('FuzzyIndex', 'candidates', candidates);
    const library = checkOptions('FuzzyIndex', options).library as Mylib | undefined;
    this.#library = contextOf('FuzzyIndex', library ?? defaultLibrary());
    this.#candidates = list;
    const packed = packCandidates('FuzzyIndex', this.#candidates, Buffer.allocUnsafe);
    const { u64, err } = this.#library.sync;
    check(this.#library.raw.mylib_fuzzy_index_new(packed.bytes, packed.length, packed.offsets, list.length, u64, err, ERR_CAP), err);
    const raw = this.#library.raw;
    this.#id = this.#library.objects.add(this, u64[0]!, (pointer) => raw.mylib_fuzzy_index_free(pointer));
  }

  /** Number of candidates. */
  get size(): number {
    return this.#candidates.length;
  }

  get closed(): boolean {
    return this.#closing || this.#library.objects.pointer(this.#id) === undefined;
  }

  /** Matches for `query`, sorted by distance then index (indices into the packed list). */
  closest(query: string, options?: ClosestOptions): Match[] {
    checkArgumentCount('FuzzyIndex.closest', 'query, options?', arguments.length, 1, 2);
    const pointer = this.#pointer('closest');
    const plan = indexClosestPlan('FuzzyIndex.closest', 'sync', pointer, this.#candidates, query, options, this.#library);
    // A progress callback may close this index: close() frees it once the call returned.
    this.#busy++;
    try {
      return this.#library.runSync(plan);
    } finally {
      this.#idle();
    }
  }

  /** closest() off the main thread; `signal` cancels it. close() waits for it. Default `threads`: cores - 1 (see ClosestOptions). */
  async closestAsync(query: string, options?: AsyncClosestOptions): Promise<Match[]> {
    checkArgumentCount('FuzzyIndex.closestAsync', 'query, options?', arguments.length, 1, 2);
    const pointer = this.#pointer('closestAsync');
    const plan = indexClosestPlan('FuzzyIndex.closestAsync', 'async', pointer, this.#candidates, query, options, this.#library);
    this.#busy++;
    try {
      return await this.#library.runAsync(plan);
    } finally {
      this.#idle();
    }
  }

  /** A call on the index returned: free it if close() was waiting. */
  #idle(): void {
    this.#busy--;
    if (this.#busy === 0 && this.#closing) this.#library.objects.release(this.#id, this);
  }

  /** Frees the native index (after running calls finish). Idempotent. */
  close(): void {
    this.#closing = true;
    if (this.#busy === 0) this.#library.objects.release(this.#id, this);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #pointer(method: string): Pointer {
    const pointer = this.#closing ? undefined : this.#library.objects.pointer(this.#id);
    if (pointer === undefined) throw closedError('FuzzyIndex', method);
    return pointer;
  }
}

/**
 * A streaming word-frequency counter in native memory. A word is a maximal run of Unicode
 * alphanumeric characters; chunks may split UTF-8 characters anywhere. Close it with close()
 * or `using`; garbage collection frees a forgotten one.
 */
export class WordCounter {
  readonly #library: LibraryContext;
  readonly #id: number;

  constructor(options?: HandleOptions & { lowercase?: boolean }) {
    checkArgumentCount('WordCounter', 'options?', arguments.length, 0, 1);
    const opts = checkOptions('WordCounter', options);
    if (opts.lowercase !== undefined && typeof opts.lowercase !== 'boolean') {
      throw new TypeError(`WordCounter: option 'lowercase' must be a boolean, got ${describe(opts.lowercase)}`);
    }
    this.#library = contextOf('WordCounter', (opts.library as Mylib | undefined) ?? defaultLibrary());
    const { u64, err } = this.#library.sync;
    check(this.#library.raw.mylib_word_counter_new(opts.lowercase === true, u64, err, ERR_CAP), err);
    const raw = this.#library.raw;
    this.#id = this.#library.objects.add(this, u64[0]!, (pointer) => raw.mylib_word_counter_free(pointer));
  }

  get closed(): boolean {
    return this.#library.objects.pointer(this.#id) === undefined;
  }

  /** Counts the words of the next chunk (bytes read in place; strings encoded to UTF-8). */
  feed(chunk: Uint8Array | string): this {
    checkArgumentCount('WordCounter.feed', 'chunk', arguments.length, 1);
    const pointer = this.#pointer('feed');
    let bytes: Uint8Array;
    let length: number;
    if (typeof chunk === 'string') [bytes, length] = this.#library.encode(chunk);
    else if (chunk instanceof Uint8Array) [bytes, length] = [chunk, chunk.length];
    else throw new TypeError(`WordCounter.feed: argument 'chunk' must be a Uint8Array or a string, got ${describe(chunk)}`);
    const { err } = this.#library.sync;
    check(this.#library.raw.mylib_word_counter_feed(pointer, bytes, length, err, ERR_CAP), err);
    return this;
  }

  /** The `k` most frequent words, highest count first, ties by word (code point order). */
  top(k = 10): WordCount[] {
    checkArgumentCount('WordCounter.top', 'k?', arguments.length, 0, 1);
    const pointer = this.#pointer('top');
    checkCount('WordCounter.top', 'k', k);
    const { u64: textOut, u64b: lengthOut, err } = this.#library.sync;
    const raw = this.#library.raw;
    check(raw.mylib_word_counter_top(pointer, k, textOut, lengthOut, err, ERR_CAP), err);
    const text = textOut[0]!;
    const length = Number(lengthOut[0]);
    if (length === 0) return [];
    let decoded: string;
    try {
      decoded = Buffer.from(this.#library.view(text, length)).toString('utf8');
    } finally {
      raw.mylib_bytes_free(text, length);
    }
    const result: WordCount[] = [];
    for (const line of decoded.split('\n')) {
      if (line === '') continue;
      const tab = line.indexOf('\t');
      result.push({ word: line.slice(0, tab), count: Number(line.slice(tab + 1)) });
    }
    return result;
  }

  /** Frees the native counter. Idempotent. */
  close(): void {
    this.#library.objects.release(this.#id, this);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #pointer(method: string): Pointer {
    const pointer = this.#library.objects.pointer(this.#id);
    if (pointer === undefined) throw closedError('WordCounter', method);
    return pointer;
  }
}
