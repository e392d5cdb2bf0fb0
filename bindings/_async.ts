/** Internal: the process-wide limit on async calls in flight. Not public API. */

import { MAX_ASYNC_CALLS } from './limits.ts';
import type { AbortSignalLike } from './ffi/typed.ts';

export { MAX_ASYNC_CALLS };

interface Waiter {
  admit(): void;
  abort(reason: unknown): void;
}

/** A FIFO semaphore over MAX_ASYNC_CALLS. One abort listener per signal, however many calls share it. */
class AsyncGate {
  #running = 0;
  readonly #waiting: Waiter[] = [];
  readonly #bySignal = new WeakMap<AbortSignalLike, Set<Waiter>>();

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves when the call may start; rejects with the signal's reason if aborted first. */
  enter(signal?: AbortSignalLike): Promise<void> {
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

  #watch(signal: AbortSignalLike): Set<Waiter> {
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

export const asyncGate = new AsyncGate();

/** Async calls running and waiting (for tests and the service's health report). */
export function asyncCallStats(): { running: number; waiting: number; limit: number } {
  return { running: asyncGate.running, waiting: asyncGate.waiting, limit: MAX_ASYNC_CALLS };
}
