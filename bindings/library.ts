/// <reference lib="esnext.disposable" preserve="true" />
/**
 * The typed API over one loaded copy of the library (the Mylib class): argument checks, calls,
 * the sync and async executors of call plans, and unload. Marshalling lives in _marshal.ts,
 * status -> exception in errors.ts, the fuzzy search plans in _closest.ts, the async gate in
 * _async.ts, the handle classes in handles.ts. No raw pointer leaves bindings/.
 */
import { asyncGate } from './_async.ts';
import { checkArgumentCount, checkFiniteNumber, checkInt32, checkOptions, checkString, describe } from './_checks.ts';
import { closestPlan } from './_closest.ts';
import { NativeObjects, registerContext } from './_context.ts';
import { type CallBuffers, NativeScratch, Scratch, copies, decodeLatin1, decodeUtf8, freshBuffers, readStats, syncBuffers, sharesMemory } from './_marshal.ts';
import type { CallPlan, SharedMemory } from './_plan.ts';
import { levenshteinOptions } from './_progress.ts';
import { ERR_CAP, check } from './errors.ts';
import type { MylibTable } from './_table.ts';
import type { EngineName } from './ffi/engine.ts';
import type { AbortSignalLike } from './ffi/typed.ts';
import { type AddressFunctions, type RawFunctions, Status, type TextOutSymbol } from './raw.ts';
import type { AsyncClosestOptions, ClosestOptions, LevenshteinOptions, Match, Stats } from './types.ts';

function unloadedError(name: string, path: string): Error {
  return new Error(`mylib: ${name} was called after unload() of ${path}; load the library again with open()`);
}

/** Functions that throw instead of calling into an unloaded library (which would crash). */
function unloadedFunctions(path: string): RawFunctions {
  return new Proxy({} as RawFunctions, {
    get(_target, name) {
      const fail = () => {
        throw unloadedError(String(name), path);
      };
      return Object.assign(fail, { async: fail });
    },
  });
}

let construct: ((library: MylibTable) => Mylib) | undefined;

/**
 * @internal A Mylib over a library the loader accepted. open() (index.ts) is the only caller:
 * the constructor is private, so a consumer cannot build a Mylib around anything else.
 */
export function createMylib(library: MylibTable): Mylib {
  return construct!(library);
}

/**
 * One loaded copy of the native library with the typed API bound to it. Get one from open()
 * (or library() for the default one); the constructor is private.
 */
export class Mylib {
  /** The file this instance loaded. */
  readonly path: string;
  #library: MylibTable | undefined;
  #raw: RawFunctions;
  #addressed: AddressFunctions;
  /** The real functions while #release frees library-owned memory after #raw was swapped. */
  #releasing: RawFunctions | undefined;
  #inFlight = 0;
  /** Set by unload() while async calls run: unmapped when the last one settles. */
  #unloadWhenIdle: MylibTable | undefined;
  readonly #sync: CallBuffers = syncBuffers();
  readonly #input = new Scratch(4096);
  readonly #output = new Scratch(4096);
  readonly #packed = new Scratch(4096);
  readonly #native: NativeScratch;
  readonly #objects = new NativeObjects();
  readonly #unloadListeners: Array<() => void> = [];
  /** The scratch a synchronous search without callbacks uses (see _closest.ts). */
  readonly #shared: SharedMemory & { pack(size: number): Buffer } = {
    sync: this.#sync,
    encode: (text) => this.#encode(text),
    pack: (size) => this.#packed.get(size),
  };
  /** The FFI engine this instance calls through (see open({ engine })). */
  readonly engine: EngineName;

  static {
    construct = (library) => new Mylib(library);
  }

  private constructor(library: MylibTable) {
    this.path = library.path;
    this.#library = library;
    this.engine = library.engine;
    this.#raw = library.raw;
    this.#addressed = library.addressed;
    this.#native = new NativeScratch(
      () => this.#live(),
      (pointer, length) => library.view(pointer, length),
    );
    const self = this;
    registerContext(this, {
      get raw() {
        return self.#raw;
      },
      sync: this.#sync,
      objects: this.#objects,
      encode: this.#shared.encode,
      view: (pointer, length) => library.view(pointer, length),
      runSync: (plan) => this.#runSync(plan),
      runAsync: (plan) => this.#runAsync(plan),
      onUnload: (listener) => {
        if (this.#library) this.#unloadListeners.push(listener);
        else listener();
      },
    });
  }

  get loaded(): boolean {
    return this.#library !== undefined;
  }

  /**
   * The library's own name for a status code (`mylib_status_name`): `'MYLIB_ERR_PANIC'` for 6,
   * `'MYLIB_ERR_UNKNOWN'` for a number that is no status.
   */
  statusName(status: number): string {
    checkArgumentCount('statusName', 'status', arguments.length, 1);
    checkInt32('statusName', 'status', status);
    return this.#raw.mylib_status_name(status);
  }

  /** Returns `"Rust says: " + text`. */
  getResult(text: string): string {
    checkArgumentCount('getResult', 'text', arguments.length, 1);
    checkString('getResult', 'text', text);
    return this.#textOut('getResult', 'mylib_get_result', text);
  }

  /**
   * Calls a text-out export (TextOutSymbol in raw.ts: UTF-8 text in, text written to a buffer)
   * on `text`, already checked by the caller `fn`: in the library-owned scratch block by
   * address when it fits, else through JS buffers sized again to what the library asks for.
   */
  #textOut(fn: string, symbol: TextOutSymbol, text: string): string {
    if (this.#library === undefined) throw unloadedError(fn, this.path);
    // Worst case 3 bytes per UTF-16 unit; long strings are measured instead of over-reserving.
    const inputBytes = text.length <= 4096 ? text.length * 3 : Buffer.byteLength(text);
    const scratch = this.#native;
    if (scratch.reserve(inputBytes, inputBytes + 64)) {
      const length = scratch.encode(text);
      const outputAt = NativeScratch.DATA + NativeScratch.outputOffset(length);
      const base = scratch.address;
      const status = this.#addressed[symbol](
        base + NativeScratch.DATA,
        length,
        base + outputAt,
        scratch.capacity - outputAt,
        base,
        base + NativeScratch.ERR,
        ERR_CAP,
      );
      if (status === Status.OK) {
        // An ASCII result decodes as Latin-1: a copy, without UTF-8 validation.
        const end = outputAt + scratch.out;
        return scratch.ascii ? decodeLatin1(scratch.view, outputAt, end) : decodeUtf8(scratch.view, outputAt, end);
      }
      if (status !== Status.BUFFER_TOO_SMALL) throw scratch.error(status);
    }
    return this.#textOutInBuffers(symbol, text);
  }

  /** #textOut through JS-owned buffers: inputs beyond the kept scratch size, or long results. */
  #textOutInBuffers(symbol: TextOutSymbol, text: string): string {
    const [input, inputLen] = this.#encode(text);
    const { text: info, err } = this.#sync;
    let output = this.#output.get(inputLen + 64);
    let status = this.#raw[symbol](input, inputLen, output, output.length, info, err, ERR_CAP);
    if (status === Status.BUFFER_TOO_SMALL) {
      output = this.#output.get(Number(info[0]));
      status = this.#raw[symbol](input, inputLen, output, output.length, info, err, ERR_CAP);
    }
    check(status, this.#sync.err);
    return output.toString('utf8', 0, Number(info[0]));
  }

  /**
   * Counts adjacent pairs of equal characters: `"aabbb"` -> 3. For a string, characters are
   * Unicode code points; for a Buffer/Uint8Array, bytes (read in place, no copy).
   */
  countDoubles(input: string | Uint8Array): number {
    checkArgumentCount('countDoubles', 'input', arguments.length, 1);
    const { u64, err } = this.#sync;
    let status: number;
    if (typeof input === 'string') {
      const [bytes, length] = this.#encode(input);
      status = this.#raw.mylib_count_doubles_utf8(bytes, length, u64, err, ERR_CAP);
    } else if (input instanceof Uint8Array) {
      status = this.#raw.mylib_count_doubles_bytes(input, input.length, u64, err, ERR_CAP);
    } else {
      throw new TypeError(`countDoubles: argument 'input' must be a string or a Uint8Array, got ${describe(input)}`);
    }
    check(status, this.#sync.err);
    return Number(u64[0]);
  }

  /**
   * countDoubles off the main thread. The input is copied first, so the caller may detach,
   * resize or overwrite it while the promise is pending.
   */
  async countDoublesAsync(input: string | Uint8Array): Promise<number> {
    checkArgumentCount('countDoublesAsync', 'input', arguments.length, 1);
    const buffers = freshBuffers();
    let status: number;
    if (typeof input === 'string') {
      const bytes = Buffer.from(input);
      status = await this.#callAsync('mylib_count_doubles_utf8', [bytes, bytes.length, buffers.u64, buffers.err, ERR_CAP]);
    } else if (input instanceof Uint8Array) {
      const bytes = copies.copy(input);
      try {
        status = await this.#callAsync('mylib_count_doubles_bytes', [bytes, bytes.length, buffers.u64, buffers.err, ERR_CAP]);
      } finally {
        copies.release(bytes);
      }
    } else {
      throw new TypeError(`countDoublesAsync: argument 'input' must be a string or a Uint8Array, got ${describe(input)}`);
    }
    check(status, buffers.err);
    return Number(buffers.u64[0]);
  }

  /** Edit distance between `a` and `b` in Unicode code points (Myers' bit-parallel algorithm). */
  levenshtein(a: string, b: string): number {
    checkArgumentCount('levenshtein', 'a, b', arguments.length, 2);
    checkString('levenshtein', 'a', a);
    checkString('levenshtein', 'b', b);
    const bufferA = this.#input.get(a.length * 3 + b.length * 3);
    const lengthA = bufferA.write(a);
    const bufferB = bufferA.subarray(lengthA);
    const lengthB = bufferB.write(b);
    const { u64, err } = this.#sync;
    check(this.#raw.mylib_levenshtein(bufferA, lengthA, bufferB, lengthB, u64, null, null, err, ERR_CAP), err);
    return Number(u64[0]);
  }

  /**
   * levenshtein() off the main thread, over copies of `a` and `b`. It costs O(len(a) * len(b) /
   * 64) (two strings of 1M code points: about a minute), so `options.signal` cancels it: the
   * native call checks it at each progress step (tens of milliseconds apart) and the promise
   * rejects with `signal.reason`. `options.onProgress` reports (done, total) text code points.
   */
  async levenshteinAsync(a: string, b: string, options?: LevenshteinOptions): Promise<number> {
    checkArgumentCount('levenshteinAsync', 'a, b, options?', arguments.length, 2, 3);
    checkString('levenshteinAsync', 'a', a);
    checkString('levenshteinAsync', 'b', b);
    const { progress, signal } = levenshteinOptions('levenshteinAsync', options);
    signal?.throwIfAborted();
    const bytesA = Buffer.from(a);
    const bytesB = Buffer.from(b);
    const buffers = freshBuffers();
    const status = await this.#callAsync(
      'mylib_levenshtein',
      [bytesA, bytesA.length, bytesB, bytesB.length, buffers.u64, progress.callback, null, buffers.err, ERR_CAP],
      signal,
    );
    check(status, buffers.err, progress.cancelled);
    return Number(buffers.u64[0]);
  }

  /**
   * Scores `query` against every candidate in ONE native call; returns the matches sorted by
   * distance, then index. For repeated searches over the same list, use FuzzyIndex.
   */
  closest(query: string, candidates: readonly string[], options?: ClosestOptions): Match[] {
    checkArgumentCount('closest', 'query, candidates, options?', arguments.length, 2, 3);
    return this.#runSync(closestPlan('closest', 'sync', query, candidates, options, this.#shared));
  }

  /** closest() off the main thread; `signal` cancels it. Default `threads`: cores - 1 (see ClosestOptions). */
  async closestAsync(query: string, candidates: readonly string[], options?: AsyncClosestOptions): Promise<Match[]> {
    checkArgumentCount('closestAsync', 'query, candidates, options?', arguments.length, 2, 3);
    return this.#runAsync(closestPlan('closestAsync', 'async', query, candidates, options, this.#shared));
  }

  /**
   * The sync executor: runs `plan` on this thread. A call that may call back into JS holds the
   * library in use until it returns: unload() defers unmapping (the native frame is still on
   * the stack).
   */
  #runSync<R>(plan: CallPlan<R>): R {
    const call = () => (this.#raw[plan.symbol] as (...args: unknown[]) => number).apply(this.#raw, plan.args);
    if (!plan.callsBack) return plan.read(call());
    this.#inFlight++;
    let status: number;
    try {
      status = call();
    } finally {
      this.#settled();
    }
    return plan.read(status);
  }

  /** The async executor: runs `plan` off the main thread (#callAsync). */
  async #runAsync<R>(plan: CallPlan<R>): Promise<R> {
    return plan.read(await this.#callAsync(plan.symbol, plan.args, plan.signal));
  }

  /** Count, mean, population variance, min, max of the non-NaN values, read in place. */
  stats(values: Float64Array): Stats {
    checkArgumentCount('stats', 'values', arguments.length, 1);
    checkFloat64Array('stats', values);
    const { stats, err } = this.#sync;
    check(this.#raw.mylib_stats(values, values.length, stats, err, ERR_CAP), err);
    return readStats(stats);
  }

  /** stats() off the main thread, over a copy of `values` taken at the call. */
  async statsAsync(values: Float64Array): Promise<Stats> {
    checkArgumentCount('statsAsync', 'values', arguments.length, 1);
    checkFloat64Array('statsAsync', values);
    const copy = copies.copy(values);
    const buffers = freshBuffers();
    let status: number;
    try {
      status = await this.#callAsync('mylib_stats', [copy, copy.length, buffers.stats, buffers.err, ERR_CAP]);
    } finally {
      copies.release(copy);
    }
    check(status, buffers.err);
    return readStats(buffers.stats);
  }

  /**
   * Counts `values` into `bins.length` equal-width bins over [min, max] (default: the finite
   * min and max of the values), overwriting `bins`, and returns `bins`. `max` falls in the
   * last bin; NaN and values outside the range are not counted.
   */
  histogram(values: Float64Array, bins: Uint32Array, range?: { min?: number; max?: number }): Uint32Array {
    checkArgumentCount('histogram', 'values, bins, range?', arguments.length, 2, 3);
    checkFloat64Array('histogram', values);
    if (!(bins instanceof Uint32Array)) throw new TypeError(`histogram: argument 'bins' must be a Uint32Array, got ${describe(bins)}`);
    if (bins.length === 0) throw new RangeError("histogram: argument 'bins' must hold at least one bin");
    if (sharesMemory(values, bins)) {
      throw new RangeError("histogram: argument 'bins' overlaps argument 'values' (histogram would write into its own input)");
    }
    const options = checkOptions('histogram', range);
    if (options.min !== undefined) checkFiniteNumber('histogram', 'min', options.min);
    if (options.max !== undefined) checkFiniteNumber('histogram', 'max', options.max);
    let { min, max } = options as { min?: number; max?: number };
    if (min === undefined || max === undefined) {
      const finite = finiteRange(this.stats(values), values);
      if (finite === undefined) {
        // No finite value: nothing falls in any range.
        bins.fill(0);
        return bins;
      }
      min ??= finite.min;
      max ??= finite.max;
    }
    let low = min;
    let high = max;
    if (options.max === undefined && high === low) {
      // Every value in range equals `low`: widen upwards so they land in the first bin.
      high = low + Math.max(1, Math.abs(low) * Number.EPSILON);
      if (!Number.isFinite(high)) [low, high] = [low - Math.abs(low) * Number.EPSILON, low];
    }
    if (!(low < high)) throw new RangeError(`histogram: 'min' must be less than 'max', got ${low} and ${high}`);
    const { u64, err } = this.#sync;
    check(this.#raw.mylib_histogram(values, values.length, low, high, bins, bins.length, u64, err, ERR_CAP), err);
    return bins;
  }

  /**
   * Unloads the library after freeing every native object (FuzzyIndex, WordCounter) made
   * through it. Idempotent; later calls throw instead of crashing. Async calls still running
   * finish first: the file is unmapped when the last one settles.
   */
  unload(): void {
    const library = this.#library;
    if (!library) return;
    this.#library = undefined;
    for (const listener of this.#unloadListeners.splice(0)) listener();
    this.#raw = unloadedFunctions(library.path);
    this.#addressed = unloadedFunctions(library.path) as unknown as AddressFunctions;
    if (this.#inFlight > 0) this.#unloadWhenIdle = library;
    else this.#release(library);
  }

  #release(library: MylibTable): void {
    this.#objects.releaseAll();
    this.#releasing = library.raw;
    this.#native.release();
    this.#releasing = undefined;
    library.unload();
  }

  [Symbol.dispose](): void {
    this.unload();
  }

  #live(): RawFunctions {
    return this.#releasing ?? this.#raw;
  }

  /** One call that held the library in use has returned: unmap it if unload() was waiting. */
  #settled(): void {
    this.#inFlight--;
    const pending = this.#unloadWhenIdle;
    if (this.#inFlight === 0 && pending) {
      this.#unloadWhenIdle = undefined;
      this.#release(pending);
    }
  }

  #encode(text: string): [Buffer, number] {
    // Each UTF-16 unit becomes at most 3 UTF-8 bytes.
    const buffer = this.#input.get(text.length * 3);
    return [buffer, buffer.write(text)];
  }

  /**
   * Runs `name` off the main thread once the process-wide gate lets it (koffi refuses more
   * than 256 concurrent async calls). A call waiting at the gate still counts as in flight, so
   * unload() keeps the library mapped for it; an aborted `signal` takes it out of the queue.
   */
  #callAsync(name: keyof RawFunctions, args: unknown[], signal?: AbortSignalLike): Promise<number> {
    if (this.#library === undefined) return Promise.reject(unloadedError(name, this.path));
    // Bound now: a call made before unload() still runs, against the still-mapped library.
    const engine = this.#library;
    this.#inFlight++;
    return new Promise<number>((resolve, reject) => {
      asyncGate.enter(signal).then(
        () => {
          let call: Promise<unknown>;
          try {
            call = engine.callAsync(name, args);
          } catch (error) {
            call = Promise.reject(error);
          }
          call.then(
            (status) => {
              asyncGate.leave();
              this.#settled();
              resolve(status as number);
            },
            (error: unknown) => {
              asyncGate.leave();
              this.#settled();
              reject(error);
            },
          );
        },
        (reason: unknown) => {
          this.#settled();
          reject(reason);
        },
      );
    });
  }
}

/** The smallest and largest finite values, or undefined when there is none. */
function finiteRange(summary: Stats, values: Float64Array): { min: number; max: number } | undefined {
  if (Number.isFinite(summary.min) && Number.isFinite(summary.max)) return { min: summary.min, max: summary.max };
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return min <= max ? { min, max } : undefined;
}

function checkFloat64Array(fn: string, values: unknown): asserts values is Float64Array {
  if (!(values instanceof Float64Array)) throw new TypeError(`${fn}: argument 'values' must be a Float64Array, got ${describe(values)}`);
}
