/**
 * The Engine interface (bindings/ffi/engine.ts) exercised directly on libraries this project did
 * not write: libm (`cos`, `ldexp`, `lgamma` and its data symbol `signgam`) and libc (`strlen`,
 * `div` -> div_t by value, `getenv`'s string result, `strtoull`'s 64-bit result, `qsort` with a
 * comparator callback, `abs` through its address). Runtime-neutral, no test framework: run it on
 * Bun (`bun test/engines/ffi-engine.ts`, engine bun:ffi) or Node >= 26.1
 * (`node --import tsx test/engines/ffi-engine.ts`, engine node:ffi). Each check prints `ok`;
 * the first failure throws (exit code 1). test/engines/ffi-engine.test.ts runs it on each runtime.
 *
 * The parent sets FFI_ENGINE_TEST (a non-ASCII value) in the environment: getenv must read it.
 */
import assert from 'node:assert/strict';
import type { Engine } from '../../bindings/ffi/engine.ts';
import { currentRuntime } from '../../bindings/ffi/engine.ts';
import { Scope, parseDeclarations, parseFunction } from '../../bindings/ffi/grammar.ts';
import type { FunctionType } from '../../bindings/ffi/types.ts';

const runtime = currentRuntime();
const engine: Engine =
  runtime === 'bun'
    ? (await import('../../bindings/ffi/engines/bun.ts')).bunEngine
    : runtime === 'node'
      ? (await import('../../bindings/ffi/engines/node.ts')).nodeFfiEngine
      : (() => {
          throw new Error(`ffi-engine.ts: no engine under test on ${runtime}`);
        })();

const LIBRARIES: Record<string, { libm: string; libc: string }> = {
  linux: { libm: 'libm.so.6', libc: 'libc.so.6' },
  darwin: { libm: '/usr/lib/libSystem.B.dylib', libc: '/usr/lib/libSystem.B.dylib' },
};
const names = LIBRARIES[process.platform];
if (!names) throw new Error(`ffi-engine.ts: no libm/libc names for ${process.platform}`);

const checks: Array<[string, () => unknown]> = [];
const check = (name: string, body: () => unknown) => checks.push([name, body]);

const scope = new Scope();
parseDeclarations(
  `
  typedef struct { int quot; int rem; } div_t;
  struct point { double x; double y; };
  typedef int compare_fn(const void *a, const void *b);
  div_t div(int numerator, int denominator);
  size_t strlen(const char *s);
  const char *getenv(const char *name);
  unsigned long long strtoull(const char *text, char **end, int base);
  long labs(long value);
  int abs(int value);
  void qsort(void *base, size_t count, size_t size, compare_fn *compare);
  `,
  scope,
);
const declared = (name: string) => {
  const fn = scope.functions.get(name);
  if (!fn) throw new Error(`not declared: ${name}`);
  return fn as FunctionType & { name: string };
};

const libm = engine.open(names.libm);
const libc = engine.open(names.libc);

check('cos: a double in and out, sync and async', async () => {
  const cos = libm.bind(parseFunction('double cos(double x)'));
  assert.equal(cos.call(0), 1);
  assert.equal(await cos.callAsync([Math.PI]), -1);
});

check('ldexp: double and int parameters', async () => {
  const ldexp = libm.bind(parseFunction('double ldexp(double x, int exponent)'));
  assert.equal(ldexp.call(0.75, 4), 12);
  assert.equal(ldexp.call(1, -0), 1);
  assert.equal(await ldexp.callAsync([3, 10]), 3072);
});

check('strlen: JS strings are NUL-terminated UTF-8; U+0000 is a TypeError naming the argument', async () => {
  const strlen = libc.bind(declared('strlen'));
  assert.equal(strlen.call('hello'), 5);
  assert.equal(strlen.call('héllo ✓'), 10);
  assert.equal(strlen.call(''), 0);
  assert.equal(await strlen.callAsync(['日本語']), 9);
  assert.equal(strlen.call(new TextEncoder().encode('abc\0def')), 3, 'a buffer passes as the pointer it is');
  assert.throws(() => strlen.call('a\0b'), { name: 'TypeError', message: /strlen argument 0 \(s\).*U\+0000/ });
  await assert.rejects(strlen.callAsync(['a\0b']), { name: 'TypeError', message: /strlen argument 0 \(s\)/ });
});

check('div: a div_t returned by value is a plain object', async () => {
  const div = libc.bind(declared('div'));
  assert.deepEqual(div.call(7, 2), { quot: 3, rem: 1 });
  assert.deepEqual(div.call(-7, 2), { quot: -3, rem: -1 });
  assert.deepEqual(await div.callAsync([100, 7]), { quot: 14, rem: 2 });
});

check('getenv: a const char * result is a string, NULL is null', async () => {
  const getenv = libc.bind(declared('getenv'));
  const expected = process.env.FFI_ENGINE_TEST;
  assert.ok(expected, 'the parent sets FFI_ENGINE_TEST');
  assert.equal(getenv.call('FFI_ENGINE_TEST'), expected);
  assert.equal(await getenv.callAsync(['FFI_ENGINE_TEST']), expected);
  assert.equal(getenv.call('FFI_ENGINE_TEST_SURELY_UNSET'), null);
});

check('64-bit integers: a Number when safe, else a BigInt; Numbers and BigInts in', async () => {
  const strtoull = libc.bind(declared('strtoull'));
  assert.equal(strtoull.call('12345', null, 10), 12345);
  assert.equal(strtoull.call('18446744073709551615', null, 10), 18446744073709551615n);
  assert.equal(await strtoull.callAsync(['9007199254740993', null, 10]), 9007199254740993n);
  const labs = libc.bind(declared('labs'));
  assert.equal(labs.call(-5), 5);
  assert.equal(labs.call(-(2n ** 60n)), 2n ** 60n);
});

const int32At = (address: bigint) => new Int32Array(engine.view(address, 4))[0]!;

check('qsort: a comparator callback, sync and async (the async one runs on this thread)', async () => {
  const qsort = libc.bind(declared('qsort'));
  const values = new Int32Array([5, -3, 9, 1, 0]);
  let calls = 0;
  qsort.call(values, values.length, 4, (a: bigint, b: bigint) => {
    calls++;
    assert.equal(typeof a, 'bigint');
    return int32At(a) - int32At(b);
  });
  assert.deepEqual([...values], [-3, 0, 1, 5, 9]);
  assert.ok(calls > 0);
  const more = new Int32Array([4, 8, 15, 16, 23, 42]);
  await qsort.callAsync([more, more.length, 4, (a: bigint, b: bigint) => int32At(b) - int32At(a)]);
  assert.deepEqual([...more], [42, 23, 16, 15, 8, 4]);
});

check('qsort: a comparator that throws: the call rethrows once it has returned', async () => {
  const qsort = libc.bind(declared('qsort'));
  const values = new Int32Array([3, 2, 1]);
  const boom = () => {
    throw new RangeError('comparator failed');
  };
  assert.throws(() => qsort.call(values, 3, 4, boom), { name: 'RangeError', message: 'comparator failed' });
  await assert.rejects(qsort.callAsync([values, 3, 4, boom]), { name: 'RangeError', message: 'comparator failed' });
});

check('symbol: the address of a data symbol (signgam, written by lgamma)', () => {
  const lgamma = libm.bind(parseFunction('double lgamma(double x)'));
  const signgam = libm.symbol('signgam');
  assert.equal(typeof signgam, 'bigint');
  lgamma.call(-0.5);
  assert.equal(int32At(signgam), -1);
  lgamma.call(0.5);
  assert.equal(int32At(signgam), 1);
  assert.throws(() => libm.symbol('surely_not_an_export_of_libm'), /surely_not_an_export_of_libm/);
});

check('bindAddress: a call through the address of an exported function', async () => {
  const abs = libc.bindAddress(libc.symbol('abs'), parseFunction('int abs(int value)'));
  assert.equal(abs.call(-42), 42);
  assert.equal(await abs.callAsync([-7]), 7);
});

check('view and addressOf: the same bytes, no copy', () => {
  const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const address = engine.addressOf(bytes.subarray(2));
  const view = new Uint8Array(engine.view(address, 4));
  assert.deepEqual([...view], [3, 4, 5, 6]);
  view[0] = 99;
  assert.equal(bytes[2], 99);
});

check('refusals at bind time name the function, the engine and the construct', () => {
  assert.throws(
    () => libm.bind(parseFunction('struct point cos(struct point p)', scope)),
    (error: Error) => /cos/.test(error.message) && error.message.includes(engine.name) && /struct point/.test(error.message),
  );
  assert.throws(() => libc.bind(parseFunction('int surely_not_exported_x(void)')), /surely_not_exported_x/);
});

check('foreign-thread callbacks: bound where the engine can, refused by name where it cannot', async () => {
  const refused = (construct: RegExp) => (error: Error) =>
    error.message.includes(engine.name) && /qsort/.test(error.message) && construct.test(error.message);
  if (engine.name === 'node:ffi') {
    assert.throws(() => libc.bind(declared('qsort'), { foreignThreadCallbacks: true }), refused(/foreign threads/));
    return;
  }
  // bun:ffi: a threadsafe callback answers 0 at once (so a comparator is refused) and runs the JS
  // function later on this thread (so a void one works, after the C call has returned).
  assert.throws(() => libc.bind(declared('qsort'), { foreignThreadCallbacks: true }), refused(/foreign threads.*returning a value/));
  if (process.platform !== 'linux') return; // pthread_once_t is an int on Linux only.
  const once = libc.bind(parseFunction('int pthread_once(int *control, void (*init)(void))'), { foreignThreadCallbacks: true });
  let ran = 0;
  assert.equal(once.call(new Int32Array(1), () => ran++), 0);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(ran, 1);
});

let failed = 0;
for (const [name, body] of checks) {
  try {
    await body();
    console.log(`ok ${engine.name} ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${engine.name} ${name}`);
    console.log(error);
  }
}
libm.close();
libc.close();
libc.close();
if (failed > 0) {
  console.log(`${failed} of ${checks.length} checks failed on ${engine.name}`);
  process.exit(1);
}
console.log(`all ${checks.length} checks passed on ${engine.name}`);
