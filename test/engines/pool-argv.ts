/**
 * Run by test/engines/pool.test.ts in a Node started with per-process flags that Worker refuses
 * (--max-old-space-size, --expose-gc, --stack-size, --title): one async call through a WorkerPool
 * must still work. Prints `POOL-ARGV <result>` or `POOL-ARGV-ERROR <message>`.
 */
import { WorkerPool } from '../../bindings/ffi/engines/_pool.ts';
import { POOL_WORKER, POOL_WORKER_ARGV } from './pool-fixture.ts';
import type { TestWorkerData } from './pool-worker.ts';

const error = (what: string) => new Error(what);
const pool = new WorkerPool({
  size: 1,
  worker: POOL_WORKER,
  data: { library: 'doubling', path: 'none' } satisfies TestWorkerData,
  execArgv: [...POOL_WORKER_ARGV, '--no-deprecation'],
  messages: { unloaded: error, cancelled: error, exited: (code) => error(`exited ${code}`), loadFailed: (e) => e },
});
try {
  const value = await pool.call('double', () => ({ fn: pool.define('double'), args: [21], callbacks: [], keep: undefined, progress: () => 0 }));
  console.log(`POOL-ARGV ${String(value)}`);
} catch (e) {
  console.log(`POOL-ARGV-ERROR ${(e as Error).message}`);
}
pool.close();
