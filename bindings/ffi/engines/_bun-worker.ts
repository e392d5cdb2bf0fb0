/**
 * Internal: the worker module of the bun:ffi engine's async calls (bun.ts, pool of _pool.ts).
 * Runs on Bun only, as a worker's entry. Not public API.
 *
 * `data.path` is the library. A named function is dlopen'ed by name (its handle keeps the file
 * loaded while the worker runs); a function pointer is a CFunction at its address.
 */
import { createRequire } from 'node:module';
import { type WorkerLibrary, serve } from './_pool-worker.ts';
import type { BunFfi, WorkerDefinition } from './bun.ts';

/** `PoolOptions.data` of the bun:ffi pool. */
export interface BunWorkerData {
  path: string;
}

function open(data: unknown): WorkerLibrary {
  const { path } = data as BunWorkerData;
  const ffi = createRequire(import.meta.url)('bun:ffi') as BunFfi;
  const opened: Array<{ close(): void }> = [];
  return {
    bind(definition) {
      const d = definition as WorkerDefinition;
      let fn: (...args: unknown[]) => unknown;
      if (d.name !== undefined) {
        const library = ffi.dlopen(path, { [d.name]: { args: d.args, returns: d.returns } });
        opened.push(library);
        fn = library.symbols[d.name]!;
      } else {
        fn = ffi.CFunction({ ptr: d.address as number, args: d.args, returns: d.returns });
      }
      return {
        call: (args) => fn(...args),
        callback(index, answer) {
          const callbackDefinition = d.callbacks[index]!;
          const callback = new ffi.JSCallback((...values: unknown[]) => {
            const value = answer(...values);
            return callbackDefinition.returns === 'bool' ? value !== 0 : callbackDefinition.returns === 'void' ? undefined : value;
          }, callbackDefinition);
          return { pointer: callback.ptr, close: () => callback.close() };
        },
      };
    },
    close() {
      for (const library of opened) library.close();
    },
  };
}

serve(open);
