/**
 * Internal: the worker module of the node:ffi engine's async calls (node.ts, pool of _pool.ts).
 * Runs on Node >= 26.1 only, as a worker's entry. Not public API.
 *
 * It keeps, per file, the DynamicLibrary objects it opened and the signature each has bound per
 * name (node:ffi takes one signature per symbol per DynamicLibrary), as the main thread does.
 */
import { createRequire } from 'node:module';
import { type WorkerLibrary, serve } from './_pool-worker.ts';
import type { NodeFfi, Opened, WorkerDefinition } from './node.ts';

/** `PoolOptions.data` of the node:ffi pool. */
export interface NodeWorkerData {
  path: string;
}

function open(data: unknown): WorkerLibrary {
  const { path } = data as NodeWorkerData;
  const ffi = createRequire(import.meta.url)('node:ffi') as NodeFfi;
  const files = new Map<string, Opened[]>();
  const openFile = (file: string): Opened => {
    const entry: Opened = { library: new ffi.DynamicLibrary(file), bound: new Map() };
    const entries = files.get(file) ?? [];
    entries.push(entry);
    files.set(file, entries);
    return entry;
  };
  openFile(path);
  return {
    bind(definition) {
      const d = definition as WorkerDefinition;
      const key = JSON.stringify(d.signature);
      const entry = files.get(d.file)?.find((candidate) => (candidate.bound.get(d.name) ?? key) === key) ?? openFile(d.file);
      entry.bound.set(d.name, key);
      const fn = entry.library.getFunction(d.name, d.signature);
      return {
        call: (args) => fn(...args),
        callback(index, answer) {
          const signature = d.callbacks[index]!;
          const pointer = entry.library.registerCallback(signature, (...values) => {
            const value = answer(...values);
            return signature.return === 'void' ? undefined : value;
          });
          return { pointer, close: () => entry.library.unregisterCallback(pointer) };
        },
      };
    },
    close() {
      for (const entries of files.values()) for (const entry of entries) entry.library.close();
    },
  };
}

serve(open);
