/**
 * Internal: the program of a WorkerPool's worker (_pool.ts) around an engine's WorkerLibrary. Not
 * public API.
 *
 * An engine's worker module (_bun-worker.ts, _node-worker.ts) is the worker's entry: it calls
 * `serve` with the function that opens its library. Messages: ToWorker in, FromWorker out.
 * This module and the worker modules import nothing of the bindings at run time (types only),
 * so a worker loads three small files whatever runs the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';

/**
 * What an engine's worker module opens in each worker from `PoolOptions.data` (a structured
 * clone). A throw there fails the worker's first call with `PoolMessages.loadFailed`.
 */
export interface WorkerLibrary {
  /** Binds a function from its definition (`PoolFunction.definition`), once per worker. */
  bind(definition: unknown): WorkerFunction;
  /** dlclose; the worker then exits. */
  close(): void;
}

/** A function bound in a worker. */
export interface WorkerFunction {
  /** Calls it on the worker's thread; its return value is posted to the main thread. */
  call(args: unknown[]): unknown;
  /**
   * A native callback for parameter `index` that calls `answer` (which blocks until the main
   * thread's answer, a Number or a BigInt) and returns what the C caller expects. `close` runs
   * once the call has returned.
   */
  callback(index: number, answer: (...values: unknown[]) => number | bigint): { pointer: unknown; close(): void };
}

/** What the pool gives each worker as `workerData`. */
export interface PoolWorkerData {
  /**
   * 16 bytes. Int32 [0]: 0 while a callback waits for its answer, 1 once answered; Int32 [1]: 1
   * when the answer is a BigInt (BigInt64 [1]), 0 when a Number (Float64 [1]).
   */
  flag: SharedArrayBuffer;
  /** `PoolOptions.data`. */
  data: unknown;
}

export type ToWorker = { type: 'call'; id: number; key: number; definition?: unknown; args: unknown[]; callbacks: number[] } | { type: 'close' };

export type FromWorker =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: unknown }
  | { type: 'progress'; id: number; index: number; values: unknown[] }
  | { type: 'fatal'; error: unknown };

/** Runs this worker: opens the library with `open`, then answers the pool's calls. */
export function serve(open: (data: unknown) => WorkerLibrary): void {
  const port = parentPort;
  if (port === null) throw new Error('mylib: a pool worker module runs only as a worker of WorkerPool (bindings/ffi/engines/_pool.ts)');
  const { flag: shared, data } = workerData as PoolWorkerData;
  const flag = new Int32Array(shared);
  const numberAnswer = new Float64Array(shared);
  const bigintAnswer = new BigInt64Array(shared);
  const functions = new Map<number, WorkerFunction>();
  const post = (message: FromWorker) => port.postMessage(message);
  let library: WorkerLibrary;
  try {
    library = open(data);
  } catch (error) {
    post({ type: 'fatal', error });
    return;
  }
  port.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      library.close();
      port.close();
      return;
    }
    const { id, key, definition, args, callbacks } = message;
    const made: Array<{ close(): void }> = [];
    try {
      let fn = functions.get(key);
      if (fn === undefined) {
        fn = library.bind(definition);
        functions.set(key, fn);
      }
      for (const index of callbacks) {
        // Runs on this thread, inside the native call: ask the main thread and wait.
        const callback = fn.callback(index, (...values) => {
          Atomics.store(flag, 0, 0);
          post({ type: 'progress', id, index, values });
          Atomics.wait(flag, 0, 0);
          return Atomics.load(flag, 1) === 1 ? (bigintAnswer[1] as bigint) : (numberAnswer[1] as number);
        });
        made.push(callback);
        args[index] = callback.pointer;
      }
      post({ type: 'result', id, value: fn.call(args) });
    } catch (error) {
      post({ type: 'error', id, error });
    } finally {
      for (const callback of made) callback.close();
    }
  });
}
