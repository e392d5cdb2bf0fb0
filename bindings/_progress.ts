/**
 * Internal: the progress callback of a long call (levenshteinAsync, the searches) made from the
 * caller's `onProgress` and `signal`, and the cancelled status turned into the right error. Not
 * public API.
 */
import { checkFunction, checkOptions, checkSignal } from './_checks.ts';
import type { MylibError } from './errors.ts';
import type { AbortSignalLike } from './ffi/typed.ts';
import type { ProgressFn } from './raw.ts';
import type { LevenshteinOptions } from './types.ts';

export interface ProgressAdapter {
  callback: ProgressFn | null;
  /** Turns a CANCELLED status into the right error: the callback's own, the signal's, or ours. */
  cancelled(error: MylibError): unknown;
}

/** The native progress callback of one call: `onProgress` and `signal` (either may be absent). */
export function progressAdapter(onProgress: LevenshteinOptions['onProgress'], signal: AbortSignalLike | undefined): ProgressAdapter {
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

/** Checks levenshteinAsync()'s options: `signal` and `onProgress`. */
export function levenshteinOptions(fn: string, value: unknown) {
  const options = checkOptions(fn, value);
  checkFunction(fn, 'onProgress', options.onProgress);
  const signal = checkSignal(fn, options.signal);
  return { progress: progressAdapter(options.onProgress as LevenshteinOptions['onProgress'], signal), signal };
}
