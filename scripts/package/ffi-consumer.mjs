// The consumer of `mylib-rust/ffi` that test-package.mjs copies into a throw-away project where
// the tarballs are installed, and runs there on Node, Bun and Deno (one engine per run, chosen by
// MYLIB_FFI_ENGINE). It imports the INSTALLED package, lists libm's exports, declares
// `double cos(double)` and libc's struct-returning `div`, calls them (cos also through `.async`),
// and prints one line: `FFI-CONSUMER {json}` with what it saw, or `{ error }`. It judges nothing:
// test-package.mjs compares the values (FFI_EXPECTED). It prints instead of writing a file so
// that Deno needs no --allow-write (the flags are those of scripts/runtimes/lib.mjs).
import process from 'node:process';
import { currentRuntime, open } from 'mylib-rust/ffi';

/** What the run saw; every field is compared by test-package.mjs. */
/** @type {Record<string, unknown>} */
const result = {};
/** @type {Array<{ close(): void }>} */
const opened = [];
try {
  result.runtime = currentRuntime();
  // close() in finally, not `using`: Node 20 (the oldest Node the package supports) has no `using`.
  const libm = open('m');
  opened.push(libm);
  result.engine = libm.engine;
  result.libm = libm.path;
  const cosSymbol = libm.symbols().find((s) => s.name === 'cos');
  result.cosKind = cosSymbol?.kind ?? null;
  const cos = libm.func('double cos(double x)');
  result.cos = [cos(0), cos(Math.PI), cos(Math.PI / 3)];
  result.cosAsync = await cos.async(Math.PI);
  const libc = open('c');
  opened.push(libc);
  const { functions, types } = libc.declare(`
    typedef struct { int quot; int rem; } div_t;
    div_t div(int numerator, int denominator);
  `);
  result.divType = types.div_t?.kind ?? null;
  const div = functions.div;
  if (!div) throw new Error('declare() bound no function div');
  result.div = [div(17, 5), div(-17, 5), div(2147483647, -1)];
} catch (error) {
  const e = /** @type {{ name?: string, message?: string, stack?: string }} */ (error);
  result.error = { name: e?.name, message: String(e?.message ?? error), stack: e?.stack };
} finally {
  for (const library of opened) library.close();
}
console.log(`FFI-CONSUMER ${JSON.stringify(result)}`);
process.exitCode = result.error ? 1 : 0;
