/**
 * Run by test/engines/worker-modules.test.ts on Bun and on Node 26 (which run .ts themselves):
 * imports mylib-rust/ffi from the COMPILED bindings under argv[2] (a tsc outDir), declares libm's
 * `double cos(double)` with the engine MYLIB_FFI_ENGINE names and awaits `cos.async(0)`, which
 * runs on a worker of the pool started from the compiled worker module (.js). Prints
 * `DIST-ASYNC {json}`: the engine, the value, or the error.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const result: { engine?: string; value?: unknown; error?: string } = {};
try {
  const ffi = (await import(
    pathToFileURL(join(process.argv[2] as string, 'bindings', 'ffi', 'index.js')).href
  )) as typeof import('../../bindings/ffi/index.ts');
  const libm = ffi.open('m');
  try {
    result.engine = libm.engine;
    result.value = await libm.func('double cos(double x)').async(0);
  } finally {
    libm.close();
  }
} catch (error) {
  result.error = String((error as Error)?.stack ?? error);
}
console.log(`DIST-ASYNC ${JSON.stringify(result)}`);
