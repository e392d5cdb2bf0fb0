/**
 * Internal: the fuzzy searches as call plans (see _plan.ts), one per operation: closest over a
 * candidate list (mylib_closest) and over a FuzzyIndex (mylib_fuzzy_index_closest), each run by
 * the sync or the async executor. Not public API.
 */
import * as os from 'node:os';
import { checkCount, checkFunction, checkOptions, checkSignal, checkString, copyStringArray, describe } from './_checks.ts';
import { type CallBuffers, encodeOwned, freshBuffers, packCandidates } from './_marshal.ts';
import type { CallPlan, Executor, SharedMemory } from './_plan.ts';
import { progressAdapter } from './_progress.ts';
import { ERR_CAP, check } from './errors.ts';
import { CONSTANTS, type Pointer } from './raw.ts';
import type { ClosestOptions, Match } from './types.ts';

const NO_MAX_DISTANCE = 0xffffffff;
/** `threads` passed to Rust for "all cores": Rust resolves it (std::thread::available_parallelism). */
const ALL_CORES = 0;

let asyncDefault: number | undefined;

/**
 * The default `threads` of async searches: one core fewer than the machine has, at least 1.
 * An async search runs while the event loop keeps serving; with every core scoring, the main
 * thread competes with the workers for CPU, so timers, I/O and the search's own progress
 * callbacks (which run on the main thread) wait for a time slice.
 */
export function asyncThreadsDefault(): number {
  if (asyncDefault === undefined) {
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    asyncDefault = Math.max(1, Math.min(CONSTANTS.MYLIB_MAX_THREADS, cores - 1));
  }
  return asyncDefault;
}

/** The `threads` option: undefined gives `fallback`; else an integer from 0 to MYLIB_MAX_THREADS. */
function threadsOption(fn: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${fn}: option 'threads' must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > CONSTANTS.MYLIB_MAX_THREADS) {
    throw new RangeError(`${fn}: option 'threads' must be an integer from 0 (all cores) to ${CONSTANTS.MYLIB_MAX_THREADS}, got ${value}`);
  }
  return value;
}

/** Checks closest()'s options; the async executor's default `threads` differs (see asyncThreadsDefault). */
function closestOptions(fn: string, value: unknown, count: number, executor: Executor) {
  const options = checkOptions(fn, value);
  const limit = options.limit === undefined ? Infinity : checkCount(fn, 'limit', options.limit, { allowInfinity: true });
  const maxDistance =
    options.maxDistance === undefined || options.maxDistance === Infinity
      ? NO_MAX_DISTANCE
      : checkCount(fn, 'maxDistance', options.maxDistance, { max: NO_MAX_DISTANCE - 1 });
  const threads = threadsOption(fn, options.threads, executor === 'async' ? asyncThreadsDefault() : ALL_CORES);
  checkFunction(fn, 'onProgress', options.onProgress);
  const signal = checkSignal(fn, options.signal);
  const progress = progressAdapter(options.onProgress as ClosestOptions['onProgress'], signal);
  return { outCap: Math.min(limit, count), maxDistance, threads, progress, signal };
}

/** The MylibMatch output of an async call: its own ArrayBuffer (off the V8 heap), at least 8 bytes. */
function asyncMatches(outCap: number): Uint32Array {
  return new Uint32Array(new ArrayBuffer(Math.max(outCap * 8, 8)));
}

function readMatches(matches: Uint32Array, count: number, candidates: readonly string[]): Match[] {
  const result: Match[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const index = matches[2 * i]!;
    result[i] = { index, candidate: candidates[index]!, distance: matches[2 * i + 1]! };
  }
  return result;
}

/** Where one search call's memory comes from. */
interface SearchMemory {
  buffers: CallBuffers;
  encode(text: string): [Buffer, number];
  matches(outCap: number): Uint32Array;
  /** Own memory: a callback re-entering the library cannot overwrite it. */
  own: boolean;
}

function searchMemory(executor: Executor, callsBack: boolean, shared: SharedMemory): SearchMemory {
  if (executor === 'sync' && !callsBack) return { buffers: shared.sync, encode: shared.encode, matches: (outCap) => new Uint32Array(outCap * 2), own: false };
  // A progress callback may call into this library again: such a call gets buffers of its own,
  // so the re-entrant call cannot overwrite them. An async call's memory is written by a worker.
  return {
    buffers: freshBuffers(),
    encode: encodeOwned,
    matches: executor === 'async' ? asyncMatches : (outCap) => new Uint32Array(outCap * 2),
    own: true,
  };
}

/** The checked options and the memory of one search call. */
function prepareSearch(fn: string, executor: Executor, options: unknown, count: number, shared: SharedMemory) {
  const { outCap, maxDistance, threads, progress, signal } = closestOptions(fn, options, count, executor);
  if (executor === 'async') signal?.throwIfAborted();
  const callsBack = progress.callback !== null;
  const memory = searchMemory(executor, callsBack, shared);
  return { outCap, maxDistance, threads, progress, signal, callsBack, memory };
}

/** Reads the matches of a search call (indices into `candidates`), or throws its error. */
function readSearch(search: ReturnType<typeof prepareSearch>, matches: Uint32Array, candidates: readonly string[]) {
  const { u64, err } = search.memory.buffers;
  return (status: number): Match[] => {
    check(status, err, search.progress.cancelled);
    return readMatches(matches, Number(u64[0]), candidates);
  };
}

/**
 * Mylib.closest / closestAsync: `query` against `candidates`, packed for this call. `pack`
 * gives the shared packing scratch of a synchronous call without callbacks.
 */
export function closestPlan(
  fn: string,
  executor: Executor,
  query: unknown,
  candidates: unknown,
  options: unknown,
  shared: SharedMemory & { pack(size: number): Buffer },
): CallPlan<Match[]> {
  checkString(fn, 'query', query);
  // A copy: onProgress or the caller may change the array; results describe the list as passed.
  const snapshot = copyStringArray(fn, 'candidates', candidates);
  const search = prepareSearch(fn, executor, options, snapshot.length, shared);
  const packed = packCandidates(fn, snapshot, search.memory.own ? Buffer.allocUnsafe : (size) => shared.pack(size));
  const [queryBytes, queryLen] = search.memory.encode(query);
  const matches = search.memory.matches(search.outCap);
  const { u64, err } = search.memory.buffers;
  return {
    symbol: 'mylib_closest',
    args: [
      queryBytes,
      queryLen,
      packed.bytes,
      packed.length,
      packed.offsets,
      snapshot.length,
      search.maxDistance,
      search.threads,
      matches,
      search.outCap,
      u64,
      search.progress.callback,
      null,
      err,
      ERR_CAP,
    ],
    callsBack: search.callsBack,
    signal: search.signal,
    read: readSearch(search, matches, snapshot),
  };
}

/** FuzzyIndex.closest / closestAsync: `query` against the index at `index` (a live pointer) holding `candidates`. */
export function indexClosestPlan(
  fn: string,
  executor: Executor,
  index: Pointer,
  candidates: readonly string[],
  query: unknown,
  options: unknown,
  shared: SharedMemory,
): CallPlan<Match[]> {
  checkString(fn, 'query', query);
  const search = prepareSearch(fn, executor, options, candidates.length, shared);
  const [queryBytes, queryLen] = search.memory.encode(query);
  const matches = search.memory.matches(search.outCap);
  const { u64, err } = search.memory.buffers;
  return {
    symbol: 'mylib_fuzzy_index_closest',
    args: [index, queryBytes, queryLen, search.maxDistance, search.threads, matches, search.outCap, u64, search.progress.callback, null, err, ERR_CAP],
    callsBack: search.callsBack,
    signal: search.signal,
    read: readSearch(search, matches, candidates),
  };
}
