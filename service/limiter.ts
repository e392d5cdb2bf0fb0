/**
 * Bounds heavy work: at most `concurrency` tasks run, at most `queueLimit` wait; any further
 * task is refused at once with SaturatedError (the service answers 503 + Retry-After) instead
 * of queueing without bound. A waiting task whose signal aborts (its client left) leaves the
 * queue at once. Every slot taken is given back when its task settles, whatever the outcome.
 */
export class SaturatedError extends Error {
  override name = 'SaturatedError';
  /** Seconds the client should wait before retrying. */
  readonly retryAfter: number;
  constructor(retryAfter = 1) {
    super('the service is at its concurrency limit and its queue is full; retry later');
    this.retryAfter = retryAfter;
  }
}

/** The task's signal aborted before it got a slot (the client closed the connection). */
export class AbandonedError extends Error {
  override name = 'AbandonedError';
  constructor() {
    super('the client closed the connection before the request was served');
  }
}

interface Waiter {
  /** performance.now() when it joined the queue. */
  since: number;
  start: () => void;
  abandon: () => void;
}

export class Limiter {
  readonly concurrency: number;
  readonly queueLimit: number;
  #active = 0;
  readonly #waiting: Waiter[] = [];
  /** performance.now() of the last task start or end. */
  #progressAt = performance.now();

  constructor(concurrency: number, queueLimit: number) {
    this.concurrency = concurrency;
    this.queueLimit = queueLimit;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** Milliseconds the oldest queued task has waited for a slot; 0 if none waits. */
  get oldestWait(): number {
    const oldest = this.#waiting[0];
    return oldest ? performance.now() - oldest.since : 0;
  }

  /** Milliseconds every slot has been busy with no task starting or ending; 0 if a slot is free. */
  get stalledFor(): number {
    return this.#active >= this.concurrency ? performance.now() - this.#progressAt : 0;
  }

  /**
   * Runs `task` when a slot is free. Throws SaturatedError when the queue is full, and
   * AbandonedError when `signal` aborts before the task started (the task is then not run).
   */
  async run<T>(task: () => T | Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new AbandonedError();
    if (this.#active >= this.concurrency) {
      if (this.#waiting.length >= this.queueLimit) throw new SaturatedError();
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          since: performance.now(),
          start: () => {
            signal?.removeEventListener('abort', waiter.abandon);
            resolve();
          },
          abandon: () => {
            const index = this.#waiting.indexOf(waiter);
            if (index >= 0) this.#waiting.splice(index, 1);
            reject(new AbandonedError());
          },
        };
        this.#waiting.push(waiter);
        signal?.addEventListener('abort', waiter.abandon, { once: true });
      });
    } else {
      this.#active++;
    }
    this.#progressAt = performance.now();
    try {
      return await task();
    } finally {
      this.#progressAt = performance.now();
      // Hand the slot straight to the next waiter (active stays the same) or free it.
      const next = this.#waiting.shift();
      if (next) next.start();
      else this.#active--;
    }
  }
}
