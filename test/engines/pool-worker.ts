/**
 * The worker module of test/engines/pool.test.ts and pool-argv.ts: a WorkerPool worker (serve of
 * bindings/ffi/engines/_pool-worker.ts) whose library is chosen by `data.library`.
 */
import { type WorkerLibrary, serve } from '../../bindings/ffi/engines/_pool-worker.ts';

/** `PoolOptions.data` of the test pools. */
export interface TestWorkerData {
  /** `doubling`: `call` doubles its first argument, a definition 'fail' throws in the worker instead. `unloadable`: open throws. */
  library: 'doubling' | 'unloadable';
  path: string;
}

function doubling(): WorkerLibrary {
  return {
    bind(definition) {
      return {
        call(args) {
          if (definition === 'fail') throw new Error('failed in the worker');
          return (args[0] as number) * 2;
        },
        callback() {
          return { pointer: null, close() {} };
        },
      };
    },
    close() {},
  };
}

serve((data) => {
  const { library, path } = data as TestWorkerData;
  if (library === 'unloadable') throw new Error(`cannot load ${path}`);
  return doubling();
});
