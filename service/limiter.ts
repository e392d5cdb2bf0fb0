/**
 * Bounds heavy work: at most `concurrency` tasks run, at most `queueLimit` wait; any further
 * task is refused at once with SaturatedError (the service answers 503 + Retry-After) instead
 * of queueing without bound.
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

export class Limiter {
  readonly concurrency: number;
  readonly queueLimit: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

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

  /** Runs `task` when a slot is free. Throws SaturatedError when the queue is full. */
  async run<T>(task: () => T | Promise<T>): Promise<T> {
    if (this.#active >= this.concurrency) {
      if (this.#waiting.length >= this.queueLimit) throw new SaturatedError();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same) or free it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
