/**
 * Internal: the async calls of the engines whose FFI has none (bun:ffi, node:ffi). Not public API.
 *
 * A WorkerPool runs calls on up to `size` workers per loaded library, each with its own dlopen of
 * the same file (memory and handles are process-wide, so the main thread passes addresses).
 * Workers start on first use and are unref'd while idle: an idle pool does not keep the process
 * alive, a busy one does, so a pending promise always settles. Calls beyond `size` queue in order.
 *
 * Functions are bound in a worker on their first call there: the call's message carries the
 * function's serialisable definition (made by the engine from the type vocabulary) the first time
 * it goes to that worker, and its key afterwards.
 *
 * A callback during a call runs on the main thread: the worker posts its arguments and blocks in
 * Atomics.wait on a SharedArrayBuffer until the main thread's message handler writes the answer
 * (a Number or a BigInt), so the main event loop keeps turning while the native call waits.
 *
 * A worker runs an engine's worker module (`PoolOptions.worker`: _bun-worker.ts, _node-worker.ts),
 * whose program is _pool-worker.ts's `serve` around the engine's WorkerLibrary. `workerModule`
 * names it beside the engine's own module, with that module's extension: `.ts` when the sources
 * run (tsx, Bun, Deno, vitest), `.js` from the compiled dist/. This module imports no
 * runtime-specific module.
 */
import { Worker } from 'node:worker_threads';
import { type CallState, argumentName } from '../_lowering.ts';
import type { FunctionType, Passing } from '../types.ts';
import type { FromWorker, PoolWorkerData, ToWorker } from './_pool-worker.ts';

/**
 * The worker module `stem` in the folder of the module at `base` (its import.meta.url), with
 * the extension `base` has: `workerModule('_bun-worker', import.meta.url)`.
 */
export function workerModule(stem: string, base: string): URL {
  return new URL(`./${stem}${new URL(base).pathname.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/** A function as the pool knows it: `key` unique in the pool, `definition` cloned to workers. */
export interface PoolFunction {
  readonly key: number;
  readonly definition: unknown;
}

/** The engine's errors, so that each engine keeps its own messages. */
export interface PoolMessages {
  /** A call made after close(). */
  unloaded(name: string): unknown;
  /** A queued call when close() runs. */
  cancelled(name: string): unknown;
  /** A running call when close() runs; without it, the call settles with the worker's answer. */
  interrupted?(name: string): unknown;
  /** A worker exited: its running call fails with this and it leaves the pool. */
  exited(code: number): unknown;
  /** A worker could not open the library: the worker module's open threw `error` (a structured clone). */
  loadFailed(error: unknown): unknown;
}

export interface PoolOptions {
  /** Workers at most. */
  size: number;
  /** The worker's entry: a module that calls `serve` of _pool-worker.ts (see `workerModule`). */
  worker: URL;
  /** Cloned into each worker: the library's path and what the worker module needs to open it. */
  data: unknown;
  messages: PoolMessages;
  /**
   * Node options of each worker (Node only). The main thread's own (process.execArgv) are NOT
   * inherited: Worker refuses per-process ones (--max-old-space-size, --stack-size, --title,
   * --expose-gc...). A `.ts` worker module needs a Node that strips types itself (>= 22.18; every
   * Node with node:ffi does): tsx registers its hooks on the main thread only.
   */
  execArgv?: readonly string[];
}

/** One call as the engine prepared it for a worker. */
export interface PoolCall {
  /** The function called. */
  fn: PoolFunction;
  /** What the worker passes to `call`: addresses instead of arrays, numbers, BigInts, null. */
  args: unknown[];
  /** The parameters the worker fills with `callback(index, ...)`. */
  callbacks: number[];
  /** Kept reachable until the call settles (the arrays whose addresses `args` holds). */
  keep: unknown;
  /** Runs on the main thread for each callback the worker makes; a throw answers 0. */
  progress(index: number, values: unknown[]): number | bigint;
  /** The worker's return value as the promise resolves it; a throw rejects it. Default: as is. */
  result?(value: unknown): unknown;
  /** The worker's error (a structured clone) as the promise rejects it. Default: as is. */
  error?(error: unknown): unknown;
}

/** What the pool needs from an engine's plan of a function. */
export interface PoolPlan {
  readonly params: ReadonlyArray<{
    readonly passing: Passing;
    /** The value the engine's sync call gets (strings encoded, records lowered). */
    readonly sync: (value: unknown) => unknown;
    readonly callback?: {
      /** The JS function as the callback's body; a throw is kept in `state`, the C caller sees 0. */
      body(fn: (...args: unknown[]) => unknown, state: CallState): (...raw: unknown[]) => unknown;
      /** The body's value as the worker's answer; default: a Number or a BigInt as is, else 0. */
      answer?(raw: unknown): number | bigint;
    };
  }>;
  readonly result: (value: unknown) => unknown;
}

/** How an engine turns a pointer argument into an address a worker can use. */
export interface PoolAddresses {
  /** An address; `keep` holds the buffer alive until the call settles. */
  address(value: unknown, keep: unknown[], where: string): unknown;
  /** NULL as the worker's FFI takes it. */
  readonly nullPointer: unknown;
  /** The worker's error (a structured clone) as the promise rejects it. */
  error(error: unknown): unknown;
}

/**
 * One async call for the pool: arguments converted as the engine's sync call converts them,
 * buffers and strings as addresses kept alive until the call settles, JS functions as callbacks
 * the worker makes. A callback that throws answers 0, later calls of it answer 0 without running,
 * and the call rejects with the exception instead of settling with the worker's answer.
 */
export function preparePoolCall(type: FunctionType, plan: PoolPlan, fn: PoolFunction, args: readonly unknown[], addresses: PoolAddresses): PoolCall {
  const keep: unknown[] = [];
  const callbacks: number[] = [];
  const bodies = new Map<number, (...raw: unknown[]) => unknown>();
  const state: CallState = {};
  const sent = plan.params.map((param, index) => {
    const value = args[index];
    const where = argumentName(type, index);
    switch (param.passing.as) {
      case 'callback':
        if (typeof value === 'function' && param.callback) {
          callbacks.push(index);
          bodies.set(index, param.callback.body(value as (...a: unknown[]) => unknown, state));
          return addresses.nullPointer;
        }
        return addresses.address(value, keep, where);
      case 'string':
      case 'pointer':
      case 'handle':
        return addresses.address(param.sync(value), keep, where);
      default:
        return param.sync(value);
    }
  });
  return {
    fn,
    args: sent,
    callbacks,
    keep,
    progress: (index, values) => {
      const answer = (bodies.get(index) as (...raw: unknown[]) => unknown)(...values);
      const custom = plan.params[index]?.callback?.answer;
      if (custom) return custom(answer);
      return typeof answer === 'bigint' || typeof answer === 'number' ? answer : 0;
    },
    result: (value) => {
      if (state.thrown) throw state.thrown.error;
      return plan.result(value);
    },
    error: (error) => (state.thrown ? state.thrown.error : addresses.error(error)),
  };
}

interface Job {
  id: number;
  name: string;
  call: PoolCall;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  flag: Int32Array;
  numberAnswer: Float64Array;
  bigintAnswer: BigInt64Array;
  /** The keys of the functions this worker has the definition of. */
  known: Set<number>;
  job: Job | undefined;
}

export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #workers: PoolWorker[] = [];
  readonly #queue: Job[] = [];
  #next = 1;
  #nextKey = 1;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** Calls queued or running (for tests: a settled call is never kept). */
  get pending(): number {
    return this.#queue.length + this.#workers.filter((slot) => slot.job !== undefined).length;
  }

  /** A function of this pool: `definition` goes to each worker before its first call there. */
  define(definition: unknown): PoolFunction {
    return { key: this.#nextKey++, definition };
  }

  /**
   * Queues `name`. `prepare` runs now, unless the pool is closed; its throw rejects the call.
   * Resolves with the worker's return value through `result`.
   */
  call(name: string, prepare: () => PoolCall): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#options.messages.unloaded(name));
    let call: PoolCall;
    try {
      call = prepare();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#next++, name, call, resolve, reject });
      this.#dispatch();
    });
  }

  /** Rejects queued calls and ends every worker after its own dlclose. Called when no call runs. */
  close(): void {
    this.#closed = true;
    const { messages } = this.#options;
    for (const job of this.#queue.splice(0)) job.reject(messages.cancelled(job.name));
    for (const slot of this.#workers.splice(0)) {
      slot.worker.postMessage({ type: 'close' } satisfies ToWorker);
      slot.worker.unref();
      if (slot.job !== undefined && messages.interrupted) slot.job.reject(messages.interrupted(slot.job.name));
    }
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#workers.find((candidate) => candidate.job === undefined);
      if (slot === undefined) {
        if (this.#workers.length >= this.#options.size) return;
        try {
          slot = this.#spawn();
        } catch (error) {
          // No worker can start (the same options fail each time): fail what waits, keep nothing.
          for (const job of this.#queue.splice(0)) job.reject(error);
          return;
        }
      }
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      const { fn, args, callbacks } = job.call;
      const definition = slot.known.has(fn.key) ? undefined : fn.definition;
      slot.known.add(fn.key);
      slot.worker.postMessage({ type: 'call', id: job.id, key: fn.key, definition, args, callbacks } satisfies ToWorker);
    }
  }

  #spawn(): PoolWorker {
    const shared = new SharedArrayBuffer(16);
    const flag = new Int32Array(shared);
    const options = { workerData: { flag: shared, data: this.#options.data } satisfies PoolWorkerData };
    const { execArgv } = this.#options;
    const worker = new Worker(this.#options.worker, execArgv ? { ...options, execArgv: [...execArgv] } : options);
    const slot: PoolWorker = {
      worker,
      flag,
      numberAnswer: new Float64Array(shared),
      bigintAnswer: new BigInt64Array(shared),
      known: new Set(),
      job: undefined,
    };
    worker.on('message', (message: FromWorker) => this.#receive(slot, message));
    worker.on('error', (error) => this.#lost(slot, error));
    worker.on('exit', (code) => this.#lost(slot, this.#options.messages.exited(code)));
    worker.unref();
    this.#workers.push(slot);
    return slot;
  }

  #receive(slot: PoolWorker, message: FromWorker): void {
    const job = slot.job;
    switch (message.type) {
      case 'progress': {
        let answer: number | bigint = 0;
        try {
          if (job?.id === message.id) answer = job.call.progress(message.index, message.values);
        } catch {
          answer = 0;
        }
        if (typeof answer === 'bigint') slot.bigintAnswer[1] = BigInt.asIntN(64, answer);
        else slot.numberAnswer[1] = answer;
        Atomics.store(slot.flag, 1, typeof answer === 'bigint' ? 1 : 0);
        Atomics.store(slot.flag, 0, 1);
        Atomics.notify(slot.flag, 0);
        return;
      }
      case 'fatal': {
        // The library does not load in a worker: the next worker would fail the same way.
        const error = this.#options.messages.loadFailed(message.error);
        for (const queued of this.#queue.splice(0)) queued.reject(error);
        this.#lost(slot, error);
        void slot.worker.terminate();
        return;
      }
      case 'result':
      case 'error': {
        if (job === undefined || job.id !== message.id) return;
        slot.job = undefined;
        slot.worker.unref();
        const { call } = job;
        if (message.type === 'error') job.reject(call.error ? call.error(message.error) : message.error);
        else if (!call.result) job.resolve(message.value);
        else {
          try {
            job.resolve(call.result(message.value));
          } catch (error) {
            job.reject(error);
          }
        }
        this.#dispatch();
      }
    }
  }

  /** A worker died or could not load: its call fails, it leaves the pool. */
  #lost(slot: PoolWorker, error: unknown): void {
    const index = this.#workers.indexOf(slot);
    if (index === -1) return;
    this.#workers.splice(index, 1);
    const job = slot.job;
    slot.job = undefined;
    job?.reject(error);
    this.#dispatch();
  }
}
