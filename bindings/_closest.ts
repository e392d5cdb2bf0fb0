/** Internal: options, progress callbacks and results shared by closest(), FuzzyIndex and levenshteinAsync(). */
import * as os from 'node:os';
import { type MylibError, checkCount, checkFunction, checkOptions, checkSignal, describe } from './errors.ts';
import { errorFrom } from './_marshal.ts';
import type { AbortSignalLike } from './ffi/typed.ts';
import { CONSTANTS, type ProgressFn, Status } from './raw.ts';
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

export interface ProgressAdapter {
  callback: ProgressFn | null;
  /** Turns a CANCELLED status into the right error: the callback's own, the signal's, or ours. */
  cancelled(error: MylibError): unknown;
}

export function progressAdapter(onProgress: ClosestOptions['onProgress'], signal: AbortSignalLike | undefined): ProgressAdapter {
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

/** Throws for a failed status; a CANCELLED one becomes the callback's error or the signal's reason. */
export function checkCancellable(status: number, err: Buffer, progress: ProgressAdapter): void {
  if (status === Status.OK) return;
  const error = errorFrom(status, err);
  throw status === Status.CANCELLED ? progress.cancelled(error) : error;
}

/** Checks closest()'s options; `async` picks the default `threads` (see asyncThreadsDefault). */
export function closestOptions(fn: string, value: unknown, count: number, { async = false } = {}) {
  const options = checkOptions(fn, value);
  const limit = options.limit === undefined ? Infinity : checkCount(fn, 'limit', options.limit, { allowInfinity: true });
  const maxDistance =
    options.maxDistance === undefined || options.maxDistance === Infinity
      ? NO_MAX_DISTANCE
      : checkCount(fn, 'maxDistance', options.maxDistance, { max: NO_MAX_DISTANCE - 1 });
  const threads = threadsOption(fn, options.threads, async ? asyncThreadsDefault() : ALL_CORES);
  checkFunction(fn, 'onProgress', options.onProgress);
  const signal = checkSignal(fn, options.signal);
  const progress = progressAdapter(options.onProgress as ClosestOptions['onProgress'], signal);
  return { outCap: Math.min(limit, count), maxDistance, threads, progress, signal };
}

/** Checks levenshteinAsync()'s options: `signal` and `onProgress`. */
export function levenshteinOptions(fn: string, value: unknown) {
  const options = checkOptions(fn, value);
  checkFunction(fn, 'onProgress', options.onProgress);
  const signal = checkSignal(fn, options.signal);
  return { progress: progressAdapter(options.onProgress as ClosestOptions['onProgress'], signal), signal };
}

/** The MylibMatch output of an async call: its own ArrayBuffer (off the V8 heap), at least 8 bytes. */
export function asyncMatches(outCap: number): Uint32Array {
  return new Uint32Array(new ArrayBuffer(Math.max(outCap * 8, 8)));
}

export function readMatches(matches: Uint32Array, count: number, candidates: readonly string[]): Match[] {
  const result: Match[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const index = matches[2 * i]!;
    result[i] = { index, candidate: candidates[index]!, distance: matches[2 * i + 1]! };
  }
  return result;
}
