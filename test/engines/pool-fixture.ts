/** The worker module of the test pools (pool-worker.ts) and the Node options it needs here. */

export const POOL_WORKER = new URL('./pool-worker.ts', import.meta.url);

/** tsx's hooks in each worker where Node does not strip types itself (Node 20; see ts-worker-hooks.mjs). */
export const POOL_WORKER_ARGV: readonly string[] = (process.features as { typescript?: unknown }).typescript
  ? []
  : ['--import', new URL('./ts-worker-hooks.mjs', import.meta.url).href];
