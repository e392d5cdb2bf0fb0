/**
 * The typed layer over one loaded copy of the library: argument checks, string and buffer
 * marshalling, status -> exception mapping, async calls, and the handle classes. No raw
 * pointer leaves this module.
 */
import koffi from 'koffi';
import {
  MylibError,
  checkArgumentCount,
  checkCount,
  checkFiniteNumber,
  checkFunction,
  checkOptions,
  checkSignal,
  checkString,
  copyStringArray,
  describe,
} from './errors.ts';
import type { LoadedLibrary } from './loader.ts';
import { type AddressFunctions, type Pointer, type ProgressFn, type RawFunctions, Status, type StatsOut } from './raw.ts';

const ERR_CAP = 1024;
/** Scratch buffers at most this large are kept between calls; larger inputs get one-off buffers. */
const MAX_KEPT_SCRATCH = 4 << 20;
const NO_MAX_DISTANCE = 0xffffffff;

export interface Match {
  /** Position of the candidate in the list that was searched. */
  index: number;
  candidate: string;
  /** Edit distance in Unicode code points. */
  distance: number;
}

export interface ClosestOptions {
  /** At most this many results (default: all). */
  limit?: number;
  /** Only candidates at most this far (default: no limit). */
  maxDistance?: number;
  /**
   * Called with (done, total) candidates every 4096 candidates and at the end, always on the
   * JS main thread. Return false to cancel: the call throws MYLIB_ERR_CANCELLED. If it throws,
   * the call is cancelled and rethrows that error.
   */
  onProgress?: (done: number, total: number) => boolean | void;
}

export interface AsyncClosestOptions extends ClosestOptions {
  /** Cancels the running call; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export interface Stats {
  /** Values that are not NaN. */
  count: number;
  mean: number;
  /** Population variance (divides by count). */
  variance: number;
  min: number;
  max: number;
}

export interface WordCount {
  word: string;
  count: number;
}

/** A growable byte buffer reused across synchronous calls (JS runs them one at a time). */
class Scratch {
  #buffer: Buffer;
  constructor(initial: number) {
    this.#buffer = Buffer.allocUnsafe(initial);
  }
  get(size: number): Buffer {
    if (size <= this.#buffer.length) return this.#buffer;
    const grown = Buffer.allocUnsafe(Math.max(size, this.#buffer.length * 2));
    if (grown.length <= MAX_KEPT_SCRATCH) this.#buffer = grown;
    return grown;
  }
}

/**
 * Library-owned scratch memory for synchronous string calls, passed by address. Layout:
 * [MylibTextOut (16 bytes)][err ERR_CAP][input ... | half-page gap | output ...]. The gap keeps the output
 * 2 KiB off the input's page offset: a copy whose stores land just behind its loads at the same
 * offset within 4 KiB pages ("4K aliasing") ran 9x slower here.
 */
class NativeScratch {
  static readonly ERR = 16;
  static readonly DATA = 16 + ERR_CAP;
  /** The owner's current functions: after unload() they throw instead of calling in. */
  readonly #raw: () => RawFunctions;
  #pointer: bigint | null = null;
  #capacity = 0;
  /** Base address; 0 when nothing is allocated. */
  address = 0;
  view: Buffer = Buffer.alloc(0);
  /** The view from DATA on, for TextEncoder.encodeInto (no subarray per call). */
  #input: Uint8Array = new Uint8Array(0);
  #words: Uint32Array = new Uint32Array(4);

  constructor(raw: () => RawFunctions) {
    this.#raw = raw;
  }

  /** Makes room for `inputBytes` in and `outputBytes` out; false when that would exceed the kept size. */
  reserve(inputBytes: number, outputBytes: number): boolean {
    const needed = NativeScratch.DATA + NativeScratch.outputOffset(inputBytes) + outputBytes;
    if (needed <= this.#capacity) return true;
    if (needed > MAX_KEPT_SCRATCH) return false;
    const capacity = Math.min(Math.max(needed, this.#capacity * 2, 64 * 1024), MAX_KEPT_SCRATCH);
    const raw = this.#raw();
    const pointer = raw.mylib_bytes_alloc(capacity);
    if (pointer === null || pointer === 0n) throw new Error(`mylib: mylib_bytes_alloc(${capacity}) failed`);
    if (pointer > BigInt(Number.MAX_SAFE_INTEGER - capacity)) {
      raw.mylib_bytes_free(pointer, capacity);
      return false;
    }
    this.release();
    this.#pointer = pointer;
    this.#capacity = capacity;
    this.address = Number(pointer);
    this.view = Buffer.from(koffi.view(pointer as unknown as object, capacity) as ArrayBuffer);
    this.#words = new Uint32Array(this.view.buffer, this.view.byteOffset, 4);
    this.#input = this.view.subarray(NativeScratch.DATA);
    return true;
  }

  /** Offset of the output region from DATA for an input of `inputBytes`. */
  static outputOffset(inputBytes: number): number {
    return Math.ceil(inputBytes / 4096) * 4096 + 2048;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** MylibTextOut.len at offset 0 (values below 2^53). */
  get out(): number {
    return this.#words[0]! + this.#words[1]! * 0x1_0000_0000;
  }

  /** MylibTextOut.ascii at offset 8. */
  get ascii(): boolean {
    return this.#words[2] === 1;
  }

  /**
   * Writes `text` as UTF-8 at DATA; returns the byte length. Short ASCII takes a JS loop; the
   * rest TextEncoder.encodeInto into a view kept from reserve(), cheaper than Buffer#write.
   */
  encode(text: string): number {
    const view = this.view;
    const at = NativeScratch.DATA;
    if (text.length <= 32) {
      let i = 0;
      for (; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        if (unit >= 0x80) break;
        view[at + i] = unit;
      }
      if (i === text.length) return i;
    }
    return utf8Encoder.encodeInto(text, this.#input).written;
  }

  error(status: number): MylibError {
    return errorFrom(status, this.view.subarray(NativeScratch.ERR, NativeScratch.ERR + ERR_CAP));
  }

  /** Frees the block (at unload). */
  release(): void {
    if (this.#pointer !== null) this.#raw().mylib_bytes_free(this.#pointer, this.#capacity);
    this.#pointer = null;
    this.#capacity = 0;
    this.address = 0;
    this.view = Buffer.alloc(0);
    this.#input = new Uint8Array(0);
    this.#words = new Uint32Array(4);
  }
}

/**
 * Async calls running on koffi's worker threads at most at once, process-wide. koffi throws
 * beyond 256 (its `max_async_calls`, shared with any other koffi user in the process); later
 * calls wait here in order.
 */
export const MAX_ASYNC_CALLS = 128;

interface Waiter {
  admit(): void;
  abort(reason: unknown): void;
}

/** A FIFO semaphore over MAX_ASYNC_CALLS. One abort listener per signal, however many calls share it. */
class AsyncGate {
  #running = 0;
  readonly #waiting: Waiter[] = [];
  readonly #bySignal = new WeakMap<AbortSignal, Set<Waiter>>();

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves when the call may start; rejects with the signal's reason if aborted first. */
  enter(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#running < MAX_ASYNC_CALLS) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          if (signal) this.#bySignal.get(signal)?.delete(waiter);
          this.#running++;
          resolve();
        },
        abort: (reason) => {
          this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
          reject(reason);
        },
      };
      this.#waiting.push(waiter);
      if (signal) this.#watch(signal).add(waiter);
    });
  }

  leave(): void {
    this.#running--;
    this.#waiting.shift()?.admit();
  }

  #watch(signal: AbortSignal): Set<Waiter> {
    let waiters = this.#bySignal.get(signal);
    if (!waiters) {
      const group = new Set<Waiter>();
      waiters = group;
      this.#bySignal.set(signal, group);
      signal.addEventListener(
        'abort',
        () => {
          this.#bySignal.delete(signal);
          for (const waiter of group) waiter.abort(signal.reason);
        },
        { once: true },
      );
    }
    return waiters;
  }
}

const asyncGate = new AsyncGate();

/** Async calls running and waiting (for tests and the service's health report). */
export function asyncCallStats(): { running: number; waiting: number; limit: number } {
  return { running: asyncGate.running, waiting: asyncGate.waiting, limit: MAX_ASYNC_CALLS };
}

const utf8Encoder = new TextEncoder();

/**
 * Buffer's own decoders, which `toString` calls after normalising its arguments (that
 * normalisation cost ~50-80 ns per call on Node 20, more than copying 10 bytes). They are not
 * documented, so each falls back to the public method when absent.
 */
type Decoders = { utf8Slice?(start: number, end: number): string; latin1Slice?(start: number, end: number): string };
const decoders = Buffer.prototype as Decoders;
const hasDecoders = typeof decoders.utf8Slice === 'function' && typeof decoders.latin1Slice === 'function';

function decodeLatin1(buffer: Buffer, start: number, end: number): string {
  return hasDecoders ? (buffer as Decoders).latin1Slice!(start, end) : buffer.toString('latin1', start, end);
}

function decodeUtf8(buffer: Buffer, start: number, end: number): string {
  return hasDecoders ? (buffer as Decoders).utf8Slice!(start, end) : buffer.toString('utf8', start, end);
}


/** Per-call buffers: shared ones for sync calls, fresh ones for async calls. */
interface CallBuffers {
  err: Buffer;
  u64: BigUint64Array;
  u64b: BigUint64Array;
  /** A MylibTextOut. */
  text: BigUint64Array;
}

function freshBuffers(): CallBuffers {
  // Backed by ArrayBuffers (off the V8 heap), so a worker thread can write them safely.
  return {
    err: Buffer.alloc(ERR_CAP),
    u64: new BigUint64Array(new ArrayBuffer(8)),
    u64b: new BigUint64Array(new ArrayBuffer(8)),
    text: new BigUint64Array(new ArrayBuffer(16)),
  };
}

function errorFrom(status: number, err: Buffer): MylibError {
  const end = err.indexOf(0);
  const message = err.toString('utf8', 0, end === -1 ? ERR_CAP : end);
  return new MylibError(status, message || `mylib call failed with status ${status}`);
}

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

/** UTF-8 candidates back to back plus count + 1 byte offsets, as mylib_closest expects. */
interface Packed {
  bytes: Buffer;
  length: number;
  offsets: Uint32Array;
}

function packCandidates(fn: string, candidates: readonly string[], allocate: (size: number) => Buffer): Packed {
  let units = 0;
  for (const candidate of candidates) units += candidate.length;
  // Each UTF-16 unit becomes at most 3 UTF-8 bytes.
  const buffer = allocate(units * 3);
  const offsets = new Uint32Array(candidates.length + 1);
  const joined = candidates.join('');
  let length = buffer.write(joined);
  if (length === joined.length) {
    // All ASCII: byte offsets equal UTF-16 offsets.
    let offset = 0;
    for (let i = 0; i < candidates.length; i++) {
      offsets[i] = offset;
      offset += candidates[i]!.length;
    }
    offsets[candidates.length] = offset;
  } else {
    // Encode one by one: joining can pair a lone high surrogate with the next candidate's low one.
    length = 0;
    for (let i = 0; i < candidates.length; i++) {
      offsets[i] = length;
      length += buffer.write(candidates[i]!, length);
    }
    offsets[candidates.length] = length;
  }
  if (length > 0xffffffff) throw new RangeError(`${fn}: the candidates take ${length} bytes of UTF-8; the limit is 4 GiB`);
  return { bytes: buffer, length, offsets };
}

interface ProgressAdapter {
  callback: ProgressFn | null;
  /** Turns a CANCELLED status into the right error: the callback's own, the signal's, or ours. */
  cancelled(error: MylibError): unknown;
}

function progressAdapter(onProgress: ClosestOptions['onProgress'], signal: AbortSignal | undefined): ProgressAdapter {
  if (!onProgress && !signal) return { callback: null, cancelled: (error) => error };
  let thrown: { error: unknown } | undefined;
  const callback: ProgressFn = (done, total) => {
    if (signal?.aborted) return false;
    if (!onProgress) return true;
    try {
      return onProgress(Number(done), Number(total)) !== false;
    } catch (error) {
      thrown = { error };
      return false;
    }
  };
  return {
    callback,
    cancelled: (error) => (thrown ? thrown.error : signal?.aborted ? signal.reason : error),
  };
}

/** Native objects owned by one library instance: freed on close(), by GC, or at unload(). */
class NativeObjects {
  #next = 1;
  readonly #live = new Map<number, { pointer: Pointer; free: (pointer: Pointer) => void }>();
  readonly #registry = new FinalizationRegistry<number>((id) => this.release(id));

  add(owner: object, pointer: Pointer, free: (pointer: Pointer) => void): number {
    const id = this.#next++;
    this.#live.set(id, { pointer, free });
    this.#registry.register(owner, id, owner);
    return id;
  }

  pointer(id: number): Pointer | undefined {
    return this.#live.get(id)?.pointer;
  }

  release(id: number, owner?: object): void {
    const entry = this.#live.get(id);
    if (!entry) return;
    this.#live.delete(id);
    if (owner) this.#registry.unregister(owner);
    entry.free(entry.pointer);
  }

  releaseAll(): void {
    for (const id of [...this.#live.keys()]) this.release(id);
  }

  get size(): number {
    return this.#live.size;
  }
}

/** One loaded copy of the native library with the typed API bound to it. */
export class Mylib {
  /** The file this instance loaded. */
  readonly path: string;
  #library: LoadedLibrary | undefined;
  #raw: RawFunctions;
  #addressed: AddressFunctions;
  /** The real functions while #release frees library-owned memory after #raw was swapped. */
  #releasing: RawFunctions | undefined;
  #inFlight = 0;
  /** Set by unload() while async calls run: unmapped when the last one settles. */
  #unloadWhenIdle: LoadedLibrary | undefined;
  readonly #sync: CallBuffers = {
    err: Buffer.alloc(ERR_CAP),
    u64: new BigUint64Array(1),
    u64b: new BigUint64Array(1),
    text: new BigUint64Array(2),
  };
  readonly #input = new Scratch(4096);
  readonly #output = new Scratch(4096);
  readonly #packed = new Scratch(4096);
  readonly #native: NativeScratch;
  /** @internal Native objects (handles) created through this instance. */
  readonly objects = new NativeObjects();

  constructor(library: LoadedLibrary) {
    this.path = library.path;
    this.#library = library;
    this.#raw = library.raw;
    this.#addressed = library.addressed;
    this.#native = new NativeScratch(() => this.#live());
  }

  /** The raw koffi functions (benchmarks, experiments). Throw after unload(). */
  get raw(): RawFunctions {
    return this.#raw;
  }

  get loaded(): boolean {
    return this.#library !== undefined;
  }

  /** Returns `a + b` (32-bit, wrapping). It measures the cost of one call, nothing else. */
  add(a: number, b: number): number {
    checkArgumentCount('add', 'a, b', arguments.length, 2);
    checkInt32('add', 'a', a);
    checkInt32('add', 'b', b);
    return this.#raw.mylib_add(a, b);
  }

  /** Returns `"Rust says: " + text`. */
  getResult(text: string): string {
    checkArgumentCount('getResult', 'text', arguments.length, 1);
    checkString('getResult', 'text', text);
    if (this.#library === undefined) throw unloadedError('getResult', this.path);
    // Worst case 3 bytes per UTF-16 unit; long strings are measured instead of over-reserving.
    const inputBytes = text.length <= 4096 ? text.length * 3 : Buffer.byteLength(text);
    const scratch = this.#native;
    if (scratch.reserve(inputBytes, inputBytes + 64)) {
      const length = scratch.encode(text);
      const outputAt = NativeScratch.DATA + NativeScratch.outputOffset(length);
      const base = scratch.address;
      const status = this.#addressed.mylib_get_result(
        base + NativeScratch.DATA, length, base + outputAt, scratch.capacity - outputAt, base, base + NativeScratch.ERR, ERR_CAP,
      );
      if (status === Status.OK) {
        // An ASCII result decodes as Latin-1: a copy, without UTF-8 validation.
        const end = outputAt + scratch.out;
        return scratch.ascii ? decodeLatin1(scratch.view, outputAt, end) : decodeUtf8(scratch.view, outputAt, end);
      }
      if (status !== Status.BUFFER_TOO_SMALL) throw scratch.error(status);
    }
    return this.#getResultInBuffers(text);
  }

  /** getResult through JS-owned buffers: inputs beyond the kept scratch size. */
  #getResultInBuffers(text: string): string {
    const [input, inputLen] = this.#encode(text);
    const { text: info, err } = this.#sync;
    let output = this.#output.get(inputLen + 64);
    let status = this.#raw.mylib_get_result(input, inputLen, output, output.length, info, err, ERR_CAP);
    if (status === Status.BUFFER_TOO_SMALL) {
      output = this.#output.get(Number(info[0]));
      status = this.#raw.mylib_get_result(input, inputLen, output, output.length, info, err, ERR_CAP);
    }
    this.check(status);
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
    this.check(status);
    return Number(u64[0]);
  }

  /**
   * countDoubles on a koffi worker thread. The input is copied first (see CopyPool), so the
   * caller may detach, resize or overwrite it while the promise is pending.
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
    this.check(status, buffers.err);
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
    this.check(this.#raw.mylib_levenshtein(bufferA, lengthA, bufferB, lengthB, u64, err, ERR_CAP));
    return Number(u64[0]);
  }

  /**
   * Scores `query` against every candidate in ONE native call; returns the matches sorted by
   * distance, then index. For repeated searches over the same list, use FuzzyIndex.
   */
  closest(query: string, list: readonly string[], options?: ClosestOptions): Match[] {
    checkArgumentCount('closest', 'query, candidates, options?', arguments.length, 2, 3);
    checkString('closest', 'query', query);
    // A copy: onProgress may change the caller's array; results describe the list as passed.
    const candidates = copyStringArray('closest', 'candidates', list);
    const { outCap, maxDistance, progress } = closestOptions('closest', options, candidates.length);
    // A progress callback may call into this library again: such a call gets buffers of its
    // own, so the re-entrant call cannot overwrite them.
    const reentrant = progress.callback !== null;
    const packed = packCandidates('closest', candidates, reentrant ? Buffer.allocUnsafe : (size) => this.#packed.get(size));
    const [queryBytes, queryLen] = reentrant ? [Buffer.from(query), Buffer.byteLength(query)] : this.#encode(query);
    const matches = new Uint32Array(outCap * 2);
    const { u64, err } = reentrant ? freshBuffers() : this.#sync;
    const status = this.guardCallbacks(reentrant, () =>
      this.#raw.mylib_closest(
        queryBytes, queryLen, packed.bytes, packed.length, packed.offsets, candidates.length,
        maxDistance, matches, outCap, u64, progress.callback, err, ERR_CAP,
      ),
    );
    this.#checkCancellable(status, err, progress);
    return readMatches(matches, Number(u64[0]), candidates);
  }

  /**
   * @internal Runs a synchronous call that may call back into JS. Until it returns, unload()
   * defers unmapping the library (the native frame is still on the stack).
   */
  guardCallbacks<T>(active: boolean, call: () => T): T {
    if (!active) return call();
    this.#inFlight++;
    try {
      return call();
    } finally {
      this.#settled();
    }
  }

  /** closest() on a koffi worker thread; `signal` cancels it. */
  async closestAsync(query: string, list: readonly string[], options?: AsyncClosestOptions): Promise<Match[]> {
    checkArgumentCount('closestAsync', 'query, candidates, options?', arguments.length, 2, 3);
    checkString('closestAsync', 'query', query);
    // A copy: the caller's array may change before the promise settles.
    const candidates = copyStringArray('closestAsync', 'candidates', list);
    const { outCap, maxDistance, progress, signal } = closestOptions('closestAsync', options, candidates.length);
    signal?.throwIfAborted();
    const packed = packCandidates('closestAsync', candidates, Buffer.allocUnsafe);
    const queryBytes = Buffer.from(query);
    const matches = new Uint32Array(new ArrayBuffer(Math.max(outCap * 8, 8)));
    const buffers = freshBuffers();
    const status = await this.#callAsync('mylib_closest', [
      queryBytes, queryBytes.length, packed.bytes, packed.length, packed.offsets, candidates.length,
      maxDistance, matches, outCap, buffers.u64, progress.callback, buffers.err, ERR_CAP,
    ], signal);
    this.#checkCancellable(status, buffers.err, progress);
    return readMatches(matches, Number(buffers.u64[0]), candidates);
  }

  /** Count, mean, population variance, min, max of the non-NaN values, read in place. */
  stats(values: Float64Array): Stats {
    checkArgumentCount('stats', 'values', arguments.length, 1);
    checkFloat64Array('stats', values);
    const out: StatsOut = {};
    this.check(this.#raw.mylib_stats(values, values.length, out, this.#sync.err, ERR_CAP));
    return toStats(out);
  }

  /** stats() on a koffi worker thread, over a copy of `values` taken at the call (see CopyPool). */
  async statsAsync(values: Float64Array): Promise<Stats> {
    checkArgumentCount('statsAsync', 'values', arguments.length, 1);
    checkFloat64Array('statsAsync', values);
    const copy = copies.copy(values);
    const out: StatsOut = {};
    const buffers = freshBuffers();
    let status: number;
    try {
      status = await this.#callAsync('mylib_stats', [copy, copy.length, out, buffers.err, ERR_CAP]);
    } finally {
      copies.release(copy);
    }
    this.check(status, buffers.err);
    return toStats(out);
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
    this.check(this.#raw.mylib_histogram(values, values.length, low, high, bins, bins.length, u64, err, ERR_CAP));
    return bins;
  }

  /** Calls a Rust function that panics with `message`: the panic comes back as a MylibError. */
  debugPanic(message: string): never {
    checkArgumentCount('debugPanic', 'message', arguments.length, 1);
    checkString('debugPanic', 'message', message);
    const [bytes, length] = this.#encode(message);
    this.check(this.#raw.mylib_debug_panic(bytes, length, this.#sync.err, ERR_CAP));
    throw new Error('debugPanic: the library returned without panicking');
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
    this.#raw = unloadedFunctions(library.path);
    this.#addressed = unloadedFunctions(library.path) as unknown as AddressFunctions;
    if (this.#inFlight > 0) this.#unloadWhenIdle = library;
    else this.#release(library);
  }

  #release(library: LoadedLibrary): void {
    this.objects.releaseAll();
    this.#releasing = library.raw;
    this.#native.release();
    this.#releasing = undefined;
    library.handle.unload();
  }

  [Symbol.dispose](): void {
    this.unload();
  }

  /** @internal Throws the MylibError for a failed status. */
  check(status: number, err: Buffer = this.#sync.err): void {
    if (status !== Status.OK) throw errorFrom(status, err);
  }

  /** @internal Shared out-params for synchronous calls. */
  get syncBuffers(): CallBuffers {
    return this.#sync;
  }

  /** @internal Encodes into the input scratch buffer (sync calls only). */
  encode(text: string): [Buffer, number] {
    return this.#encode(text);
  }

  /** @internal Packs candidates into a fresh buffer. */
  pack(fn: string, candidates: readonly string[]): Packed {
    return packCandidates(fn, candidates, Buffer.allocUnsafe);
  }

  /** @internal Runs a raw function on a koffi worker thread; resolves with its status. */
  callAsync<K extends keyof RawFunctions>(name: K, args: unknown[], signal?: AbortSignal): Promise<number> {
    return this.#callAsync(name, args, signal);
  }

  /** @internal */
  checkCancellable(status: number, err: Buffer, progress: ProgressAdapter): void {
    this.#checkCancellable(status, err, progress);
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

  #checkCancellable(status: number, err: Buffer, progress: ProgressAdapter): void {
    if (status === Status.OK) return;
    const error = errorFrom(status, err);
    throw status === Status.CANCELLED ? progress.cancelled(error) : error;
  }

  #encode(text: string): [Buffer, number] {
    // Each UTF-16 unit becomes at most 3 UTF-8 bytes.
    const buffer = this.#input.get(text.length * 3);
    return [buffer, buffer.write(text)];
  }

  /**
   * Runs `name` on a koffi worker thread once the process-wide gate lets it (koffi refuses more
   * than 256 concurrent async calls). A call waiting at the gate still counts as in flight, so
   * unload() keeps the library mapped for it; an aborted `signal` takes it out of the queue.
   */
  #callAsync(name: keyof RawFunctions, args: unknown[], signal?: AbortSignal): Promise<number> {
    // Bound now: a call made before unload() still runs, against the still-mapped library.
    const fn = this.#raw[name] as unknown as { async: (...args: unknown[]) => void };
    this.#inFlight++;
    return new Promise<number>((resolve, reject) => {
      asyncGate.enter(signal).then(
        () => {
          try {
            fn.async(...args, (error: unknown, status: number) => {
              asyncGate.leave();
              this.#settled();
              if (error) reject(error);
              else resolve(status);
            });
          } catch (error) {
            asyncGate.leave();
            this.#settled();
            reject(error);
          }
        },
        (reason: unknown) => {
          this.#settled();
          reject(reason);
        },
      );
    });
  }
}

/**
 * Private copies of array inputs for calls that run on a worker thread. The caller's memory could
 * be detached (transfer), shrunk (resizable ArrayBuffer) or freed (GC after a transfer) while the
 * thread reads it; nobody else can reach a copy. Copies come from reused blocks: a fresh 1 MiB
 * allocation spent 150-500 us in page faults where copying into a reused block took ~20 us.
 */
class CopyPool {
  static readonly MAX_BLOCK = 4 << 20;
  static readonly MAX_KEPT = 8;
  readonly #free: ArrayBuffer[] = [];

  copy<T extends Uint8Array | Float64Array>(input: T): T {
    const bytes = input.byteLength;
    let block: ArrayBuffer | undefined;
    const at = this.#free.findIndex((candidate) => candidate.byteLength >= bytes);
    if (at !== -1) [block] = this.#free.splice(at, 1);
    // allocUnsafeSlow: not zero-filled (every byte read is copied in), never a pooled slice.
    block ??= Buffer.allocUnsafeSlow(Math.max(bytes, 64 * 1024)).buffer as ArrayBuffer;
    const copy = (input instanceof Float64Array ? new Float64Array(block, 0, input.length) : new Uint8Array(block, 0, bytes)) as T;
    copy.set(input);
    return copy;
  }

  /** Returns a copy's block once the call that read it has settled. */
  release(copy: Uint8Array | Float64Array): void {
    const block = copy.buffer as ArrayBuffer;
    if (block.byteLength <= CopyPool.MAX_BLOCK && this.#free.length < CopyPool.MAX_KEPT) this.#free.push(block);
  }
}

const copies = new CopyPool();

/** Whether two typed arrays view overlapping bytes of the same buffer. */
function sharesMemory(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
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

function checkInt32(fn: string, arg: string, value: unknown): void {
  if (typeof value !== 'number') throw new TypeError(`${fn}: argument '${arg}' must be a number, got ${describe(value)}`);
  if ((value | 0) !== value) throw new RangeError(`${fn}: argument '${arg}' must be a 32-bit integer, got ${value}`);
}

function checkFloat64Array(fn: string, values: unknown): asserts values is Float64Array {
  if (!(values instanceof Float64Array)) throw new TypeError(`${fn}: argument 'values' must be a Float64Array, got ${describe(values)}`);
}

function toStats(out: StatsOut): Stats {
  return { count: Number(out.count), mean: out.mean!, variance: out.variance!, min: out.min!, max: out.max! };
}

function closestOptions(fn: string, value: unknown, count: number) {
  const options = checkOptions(fn, value);
  const limit = options.limit === undefined ? Infinity : checkCount(fn, 'limit', options.limit, { allowInfinity: true });
  const maxDistance =
    options.maxDistance === undefined || options.maxDistance === Infinity
      ? NO_MAX_DISTANCE
      : checkCount(fn, 'maxDistance', options.maxDistance, { max: NO_MAX_DISTANCE - 1 });
  checkFunction(fn, 'onProgress', options.onProgress);
  const signal = checkSignal(fn, options.signal);
  const progress = progressAdapter(options.onProgress as ClosestOptions['onProgress'], signal);
  return { outCap: Math.min(limit, count), maxDistance, progress, signal };
}

function readMatches(matches: Uint32Array, count: number, candidates: readonly string[]): Match[] {
  const result: Match[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const index = matches[2 * i]!;
    result[i] = { index, candidate: candidates[index]!, distance: matches[2 * i + 1]! };
  }
  return result;
}

/** Options shared by the handle classes. */
export interface HandleOptions {
  /** The library instance to use (default: the module's default library). */
  library?: Mylib;
}

let defaultLibraryProvider: () => Mylib = () => {
  throw new Error('mylib: no default library provider');
};

/** @internal Set by index.ts: how handles find the default library. */
export function setDefaultLibraryProvider(provider: () => Mylib): void {
  defaultLibraryProvider = provider;
}

function closedError(kind: string, method: string): Error {
  return new Error(`${kind}.${method}: the ${kind} is closed (close() was called, or its library was unloaded)`);
}

/**
 * A candidate list packed into native memory ONCE, searched many times. Close it with
 * close() or `using`; if forgotten, garbage collection frees it (a safety net, not a plan).
 */
export class FuzzyIndex {
  readonly #library: Mylib;
  readonly #candidates: readonly string[];
  readonly #id: number;
  #busy = 0;
  #closing = false;

  constructor(candidates: readonly string[], options?: HandleOptions) {
    checkArgumentCount('FuzzyIndex', 'candidates, options?', arguments.length, 1, 2);
    const list = copyStringArray('FuzzyIndex', 'candidates', candidates);
    const library = checkOptions('FuzzyIndex', options).library as Mylib | undefined;
    this.#library = library ?? defaultLibraryProvider();
    this.#candidates = list;
    const packed = this.#library.pack('FuzzyIndex', this.#candidates);
    const { u64, err } = this.#library.syncBuffers;
    this.#library.check(
      this.#library.raw.mylib_fuzzy_index_new(packed.bytes, packed.length, packed.offsets, candidates.length, u64, err, ERR_CAP),
    );
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
    checkString('FuzzyIndex.closest', 'query', query);
    const { outCap, maxDistance, progress } = closestOptions('FuzzyIndex.closest', options, this.#candidates.length);
    // As in Mylib.closest: a callback may re-enter the library, or close this index.
    const reentrant = progress.callback !== null;
    const [queryBytes, queryLen] = reentrant ? [Buffer.from(query), Buffer.byteLength(query)] : this.#library.encode(query);
    const matches = new Uint32Array(outCap * 2);
    const { u64, err } = reentrant ? freshBuffers() : this.#library.syncBuffers;
    this.#busy++;
    let status: number;
    try {
      status = this.#library.guardCallbacks(reentrant, () =>
        this.#library.raw.mylib_fuzzy_index_closest(
          pointer, queryBytes, queryLen, maxDistance, matches, outCap, u64, progress.callback, err, ERR_CAP,
        ),
      );
    } finally {
      this.#idle();
    }
    this.#library.checkCancellable(status, err, progress);
    return readMatches(matches, Number(u64[0]), this.#candidates);
  }

  /** closest() on a koffi worker thread; `signal` cancels it. close() waits for it. */
  async closestAsync(query: string, options?: AsyncClosestOptions): Promise<Match[]> {
    checkArgumentCount('FuzzyIndex.closestAsync', 'query, options?', arguments.length, 1, 2);
    const pointer = this.#pointer('closestAsync');
    checkString('FuzzyIndex.closestAsync', 'query', query);
    const { outCap, maxDistance, progress, signal } = closestOptions('FuzzyIndex.closestAsync', options, this.#candidates.length);
    signal?.throwIfAborted();
    const queryBytes = Buffer.from(query);
    const matches = new Uint32Array(new ArrayBuffer(Math.max(outCap * 8, 8)));
    const buffers = freshBuffers();
    this.#busy++;
    let status: number;
    try {
      status = await this.#library.callAsync('mylib_fuzzy_index_closest', [
        pointer, queryBytes, queryBytes.length, maxDistance, matches, outCap, buffers.u64, progress.callback, buffers.err, ERR_CAP,
      ], signal);
    } finally {
      this.#idle();
    }
    this.#library.checkCancellable(status, buffers.err, progress);
    return readMatches(matches, Number(buffers.u64[0]), this.#candidates);
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
  readonly #library: Mylib;
  readonly #id: number;

  constructor(options?: HandleOptions & { lowercase?: boolean }) {
    checkArgumentCount('WordCounter', 'options?', arguments.length, 0, 1);
    const opts = checkOptions('WordCounter', options);
    if (opts.lowercase !== undefined && typeof opts.lowercase !== 'boolean') {
      throw new TypeError(`WordCounter: option 'lowercase' must be a boolean, got ${describe(opts.lowercase)}`);
    }
    this.#library = (opts.library as Mylib | undefined) ?? defaultLibraryProvider();
    const { u64, err } = this.#library.syncBuffers;
    this.#library.check(this.#library.raw.mylib_word_counter_new(opts.lowercase === true, u64, err, ERR_CAP));
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
    this.#library.check(this.#library.raw.mylib_word_counter_feed(pointer, bytes, length, this.#library.syncBuffers.err, ERR_CAP));
    return this;
  }

  /** The `k` most frequent words, highest count first, ties by word (code point order). */
  top(k = 10): WordCount[] {
    checkArgumentCount('WordCounter.top', 'k?', arguments.length, 0, 1);
    const pointer = this.#pointer('top');
    checkCount('WordCounter.top', 'k', k);
    const { u64: textOut, u64b: lengthOut, err } = this.#library.syncBuffers;
    const raw = this.#library.raw;
    this.#library.check(raw.mylib_word_counter_top(pointer, k, textOut, lengthOut, err, ERR_CAP));
    const text = textOut[0]!;
    const length = Number(lengthOut[0]);
    if (length === 0) return [];
    let decoded: string;
    try {
      decoded = Buffer.from(koffi.view(text as unknown as object, length)).toString('utf8');
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
