/** The public types of the typed API (re-exported by index.ts). */
import type { Mylib } from './library.ts';

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


/** Options shared by the handle classes. */
export interface HandleOptions {
  /** The library instance to use (default: the module's default library). */
  library?: Mylib;
}
