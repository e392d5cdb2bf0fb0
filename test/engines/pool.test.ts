/**
 * The async worker pool of the bun:ffi and node:ffi engines (bindings/ffi/engines/_pool.ts), on
 * Node with a test worker module (test/engines/pool-worker.ts): failed calls and failed worker
 * starts leave nothing queued, and the main thread's per-process flags do not reach the workers.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PoolCall, WorkerPool } from '../../bindings/ffi/engines/_pool.ts';
import { POOL_WORKER, POOL_WORKER_ARGV } from './pool-fixture.ts';
import type { TestWorkerData } from './pool-worker.ts';

function pool(library: TestWorkerData['library'], options: { size?: number; execArgv?: string[] } = {}) {
  const loadFailures: unknown[] = [];
  const error = (what: string) => new Error(what);
  const made = new WorkerPool({
    size: options.size ?? 2,
    worker: POOL_WORKER,
    data: { library, path: 'fixture.so' } satisfies TestWorkerData,
    execArgv: [...POOL_WORKER_ARGV, ...(options.execArgv ?? [])],
    messages: {
      unloaded: (name) => error(`${name}: unloaded`),
      cancelled: (name) => error(`${name}: cancelled`),
      exited: (code) => error(`exited with ${code}`),
      loadFailed: (e) => {
        loadFailures.push(e);
        return e;
      },
    },
  });
  return { pool: made, loadFailures };
}

/** A call of `definition` with `value`; `keep` holds 1 MB, as a call's buffers would. */
function job(target: WorkerPool, definition: string, value: number): () => PoolCall {
  const fn = target.define(definition);
  return () => ({ fn, args: [value], callbacks: [], keep: new Uint8Array(1 << 20), progress: () => 0 });
}

describe('WorkerPool', () => {
  it('settles calls with the worker results, and calls that fail in the worker reject; none stays pending', async () => {
    const { pool: target } = pool('doubling');
    expect(await target.call('double', job(target, 'ok', 21))).toBe(42);
    const failing = Array.from({ length: 200 }, () => target.call('fail', job(target, 'fail', 1)));
    const outcomes = await Promise.allSettled(failing);
    expect(outcomes.every((o) => o.status === 'rejected' && /failed in the worker/.test(String(o.reason)))).toBe(true);
    expect(target.pending).toBe(0);
    target.close();
  });

  it('a worker that cannot start (Worker throws) rejects every call and keeps none', async () => {
    // --title is a per-process flag: new Worker() throws ERR_WORKER_INVALID_EXEC_ARGV.
    const { pool: target } = pool('doubling', { execArgv: ['--title=svc'] });
    const calls = Array.from({ length: 50 }, (_, i) => target.call('double', job(target, 'ok', i)));
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.map((o) => o.status)).toEqual(calls.map(() => 'rejected'));
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/invalid execArgv/);
    expect(target.pending).toBe(0);
    target.close();
  });

  it('a library that does not load in the worker rejects the running and the queued calls after ONE start', async () => {
    const { pool: target, loadFailures } = pool('unloadable', { size: 1 });
    const calls = Array.from({ length: 5 }, (_, i) => target.call('double', job(target, 'ok', i)));
    const outcomes = await Promise.allSettled(calls);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/cannot load fixture\.so/);
    }
    expect(loadFailures).toHaveLength(1);
    expect(target.pending).toBe(0);
    target.close();
  });

  it("the main thread's per-process Node flags do not reach the workers", () => {
    const flags = ['--max-old-space-size=2048', '--expose-gc', '--stack-size=2000', '--title=svc'];
    const child = spawnSync(process.execPath, [...flags, '--import', 'tsx', join(import.meta.dirname, 'pool-argv.ts')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const output = `${child.stdout}${child.stderr}`;
    expect(child.error, output).toBeUndefined();
    expect(output).toContain('POOL-ARGV 42');
    expect(child.status, output).toBe(0);
  });
});
