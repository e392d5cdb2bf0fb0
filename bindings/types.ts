/** The public types of the typed API (re-exported by index.ts). */
import type { AbortSignalLike } from './ffi/typed.ts';
import type { Mylib } from './library.ts';

export type { AbortSignalLike };

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
   * Threads to score on, the calling one included: an integer from 0 to MYLIB_MAX_THREADS
   * (`CONSTANTS` of mylib-rust/unsafe), where 0 means every core (the available parallelism).
   * Small lists use fewer (about 64 KiB of candidate text per thread). Default: 0 for synchronous calls; for async calls (closestAsync), the
   * number of cores minus one, at least 1, so that a search leaves a core to the event loop
   * (timers, I/O and this call's own onProgress run there). The result never depends on it.
   */
  threads?: number;
  /**
   * Called with (done, total) candidates every 4096 candidates and at the end, always on the
   * JS main thread. Return false to cancel: the call throws MYLIB_ERR_CANCELLED. If it throws,
   * the call is cancelled and rethrows that error.
   */
  onProgress?: (done: number, total: number) => boolean | void;
}

export interface AsyncClosestOptions extends ClosestOptions {
  /** Cancels the running call; the promise rejects with `signal.reason`. */
  signal?: AbortSignalLike;
}

/** Options of levenshteinAsync(). */
export interface LevenshteinOptions {
  /** Cancels the running call; the promise rejects with `signal.reason`. */
  signal?: AbortSignalLike;
  /**
   * Called on the JS main thread with (done, total) in text code points: `total` is the
   * length of the longer string after the common prefix and suffix are stripped. Called about
   * every 2^24 block-steps (one text code point against 64 pattern code points; tens of
   * milliseconds) and once at the end with done === total. Return false to cancel (the
   * promise rejects with MYLIB_ERR_CANCELLED); if it throws, the promise rejects with that.
   */
  onProgress?: (done: number, total: number) => boolean | void;
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

/** Options shared by the handle classes. */
export interface HandleOptions {
  /** The library instance to use (default: the module's default library). */
  library?: Mylib;
}
