/**
 * Worker libraries for test/engines/pool.test.ts: WorkerPool evaluates `workerLibrary` as source
 * in each worker, so these are real functions the test passes as String(fn). They run in the
 * worker, where they can use nothing of this module's scope. Methods, not arrow functions: tsx
 * wraps an arrow assigned to a property in a `__name` helper the worker does not have.
 */
import type { WorkerLibrary } from '../../bindings/ffi/engines/_pool.ts';

/** `call` doubles its first argument; a definition 'fail' throws in the worker instead. */
export function doubling(): WorkerLibrary {
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

/** A library that does not load: the worker's start fails. */
export function unloadable(data: unknown): WorkerLibrary {
  throw new Error(`cannot load ${String((data as { path: string }).path)}`);
}
