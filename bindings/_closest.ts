/** Internal: options, progress callbacks and results shared by closest() and FuzzyIndex. */
import { type MylibError, checkCount, checkFunction, checkOptions, checkSignal } from './errors.ts';
import { errorFrom } from './_marshal.ts';
import { type ProgressFn, Status } from './raw.ts';
import type { ClosestOptions, Match } from './types.ts';

const NO_MAX_DISTANCE = 0xffffffff;

export interface ProgressAdapter {
  callback: ProgressFn | null;
  /** Turns a CANCELLED status into the right error: the callback's own, the signal's, or ours. */
  cancelled(error: MylibError): unknown;
}

export function progressAdapter(onProgress: ClosestOptions['onProgress'], signal: AbortSignal | undefined): ProgressAdapter {
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

export function closestOptions(fn: string, value: unknown, count: number) {
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

export function readMatches(matches: Uint32Array, count: number, candidates: readonly string[]): Match[] {
  const result: Match[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const index = matches[2 * i]!;
    result[i] = { index, candidate: candidates[index]!, distance: matches[2 * i + 1]! };
  }
  return result;
}

