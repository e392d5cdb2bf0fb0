/**
 * Internal: a call plan. One operation is written once as a plan: its checked and prepared
 * arguments and how to read the result. A sync executor (the call on this thread) and an async
 * executor (the call on a worker, through the async gate) run the same plan. Not public API.
 */
import type { AbortSignalLike } from './ffi/typed.ts';
import type { CallBuffers } from './_marshal.ts';
import type { RawFunctions } from './raw.ts';

/** Which executor will run the plan: the memory a plan prepares depends on it. */
export type Executor = 'sync' | 'async';

export interface CallPlan<R> {
  /** The export to call. */
  readonly symbol: keyof RawFunctions;
  /** Its arguments, in declaration order. */
  readonly args: unknown[];
  /** The call has a progress callback that may call into JS (sync: unload() waits for it). */
  readonly callsBack: boolean;
  /** Cancels an async call (waiting at the gate, or through the progress callback). */
  readonly signal: AbortSignalLike | undefined;
  /** The result of a call that returned `status`; throws its error when it failed. */
  read(status: number): R;
}

/** Runs plans against one library instance. */
export interface Executors {
  runSync<R>(plan: CallPlan<R>): R;
  runAsync<R>(plan: CallPlan<R>): Promise<R>;
}

/** A synchronous call without callbacks uses the instance's shared scratch (JS runs those one at a time). */
export interface SharedMemory {
  readonly sync: CallBuffers;
  /** Encodes into the shared input scratch. */
  encode(text: string): [Buffer, number];
}
