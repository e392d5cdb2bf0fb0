/**
 * The Engine interface (bindings/ffi/engine.ts) exercised directly on libm and libc: any library,
 * any function type, in the one calling convention. Runtime-neutral (node:assert, no runtime
 * globals); written for the deno engine, which test/engines/deno-engine.test.ts runs it with:
 *
 *   deno run --allow-ffi --allow-read --allow-env --node-modules-dir=manual test/engines/deno-ffi-engine.ts
 *
 * MYLIB_DENO_RECORDS_LIB names the compiled deno-records-fixture.rs (records and unions by value).
 * MYLIB_FFI_ENGINE picks another registered engine. Prints one line per case and `ok N cases`;
 * exits non-zero on the first failure. Linux (glibc) only: the paths and struct tm are glibc's.
 */
import assert from 'node:assert/strict';
import process from 'node:process';
import { type EngineName, engineChoice, resolveEngine } from '../../bindings/ffi/engine.ts';
import { registerDenoEngine } from '../../bindings/ffi/engines/deno.ts';
import { Scope, parseDeclarations, parseFunction } from '../../bindings/ffi/grammar.ts';
import { decodeRecord, encodeRecord } from '../../bindings/ffi/record.ts';
import { type RecordType, layoutOf } from '../../bindings/ffi/types.ts';

registerDenoEngine();
const choice = engineChoice(process.env.MYLIB_FFI_ENGINE || 'deno', 'MYLIB_FFI_ENGINE');
const engine = resolveEngine(choice);
const expected: EngineName = choice === 'auto' ? engine.name : choice;
assert.equal(engine.name, expected);

const libm = engine.open('libm.so.6');
const libc = engine.open('libc.so.6');

const scope = new Scope();
parseDeclarations(
  `typedef struct { int quot; int rem; } div_t;
   typedef struct { long quot; long rem; } ldiv_t;
   typedef long time_t;
   struct tm { int tm_sec; int tm_min; int tm_hour; int tm_mday; int tm_mon; int tm_year;
               int tm_wday; int tm_yday; int tm_isdst; long tm_gmtoff; const char *tm_zone; };
   typedef int compare_fn(const void *a, const void *b);`,
  scope,
);
const bind = (library: typeof libc, prototype: string) => library.bind(parseFunction(prototype, scope));

const cases: Array<[string, () => unknown]> = [];
const test = (name: string, body: () => unknown) => cases.push([name, body]);

test('libm: cos and ldexp (double, int)', () => {
  const cos = bind(libm, 'double cos(double x)');
  assert.equal(cos.call(0), 1);
  assert.equal(cos.call(Math.PI), -1);
  const ldexp = bind(libm, 'double ldexp(double x, int exp)');
  assert.equal(ldexp.call(1.5, 4), 24);
  assert.equal(ldexp.call(1, -1), 0.5);
});

test('libm: callAsync resolves with the result', async () => {
  const cos = bind(libm, 'double cos(double x)');
  const results = await Promise.all([cos.callAsync([0]), cos.callAsync([Math.PI])]);
  assert.deepEqual(results, [1, -1]);
});

test('libc: strlen of a string, a TypedArray from its byteOffset, an address, an ArrayBuffer, a DataView', () => {
  const strlen = bind(libc, 'size_t strlen(const char *s)');
  assert.equal(strlen.call('hello'), 5);
  assert.equal(strlen.call('h\u00e9llo \u{1F600}'), 11, 'UTF-8 bytes');
  const bytes = new TextEncoder().encode('abc\0def\0');
  assert.equal(strlen.call(bytes), 3);
  assert.equal(strlen.call(bytes.subarray(4)), 3, 'from the byteOffset');
  assert.equal(strlen.call(engine.addressOf(bytes.subarray(4))), 3, 'a BigInt address');
  assert.equal(strlen.call(Number(engine.addressOf(bytes))), 3, 'a Number address');
  const generic = bind(libc, 'size_t strlen(const void *s)');
  assert.equal(generic.call(bytes.buffer), 3, 'an ArrayBuffer');
  assert.equal(generic.call(new DataView(bytes.buffer, 4)), 3, 'a DataView');
});

test('libc: a string with U+0000 is refused, naming the argument', () => {
  const strlen = bind(libc, 'size_t strlen(const char *s)');
  assert.throws(
    () => strlen.call('a\0b'),
    (error: unknown) => error instanceof TypeError && /strlen/.test(error.message) && /\(s\)/.test(error.message) && /U\+0000/.test(error.message),
  );
});

test('libc: 64-bit integers: Numbers when safe, BigInts beyond', () => {
  const llabs = bind(libc, 'long long llabs(long long x)');
  assert.equal(llabs.call(-5), 5);
  assert.equal(llabs.call(-5n), 5);
  assert.equal(llabs.call(-(2n ** 60n)), 2n ** 60n);
  assert.equal(llabs.call(-(2 ** 40)), 2 ** 40);
  const labs = bind(libc, 'long labs(long x)');
  assert.equal(labs.call(-7), 7);
});

test('libc: div and ldiv return records by value', () => {
  const div = bind(libc, 'div_t div(int numerator, int denominator)');
  assert.deepEqual(div.call(7, 2), { quot: 3, rem: 1 });
  assert.deepEqual(div.call(-7, 2), { quot: -3, rem: -1 });
  const ldiv = bind(libc, 'ldiv_t ldiv(long numerator, long denominator)');
  assert.deepEqual(ldiv.call(2 ** 40 + 3, 2), { quot: 2 ** 39 + 1, rem: 1 });
});

test('libc: div by value, asynchronously', async () => {
  const div = bind(libc, 'div_t div(int numerator, int denominator)');
  assert.deepEqual(await div.callAsync([17, 5]), { quot: 3, rem: 2 });
});

test('libc: setenv/getenv: strings in, a string or null out', () => {
  const setenv = bind(libc, 'int setenv(const char *name, const char *value, int overwrite)');
  const getenv = bind(libc, 'const char *getenv(const char *name)');
  assert.equal(setenv.call('MYLIB_DENO_ENGINE_TEST', 'caf\u00e9 \u{1F600}', 1), 0);
  assert.equal(getenv.call('MYLIB_DENO_ENGINE_TEST'), 'caf\u00e9 \u{1F600}');
  assert.equal(getenv.call('MYLIB_DENO_ENGINE_TEST_UNSET_VARIABLE'), null);
});

test('libc: qsort with a comparator callback (pointers in as BigInts)', () => {
  const qsort = bind(libc, 'void qsort(void *base, size_t count, size_t size, compare_fn *compare)');
  const values = new Int32Array([5, -3, 9, 0, 2, 7, -8]);
  let calls = 0;
  const result = qsort.call(values, values.length, 4, (a: unknown, b: unknown) => {
    calls++;
    assert.equal(typeof a, 'bigint');
    const left = new Int32Array(engine.view(a as bigint, 4))[0]!;
    const right = new Int32Array(engine.view(b as bigint, 4))[0]!;
    return left - right;
  });
  assert.equal(result, undefined);
  assert.ok(calls > 0);
  assert.deepEqual([...values], [-8, -3, 0, 2, 5, 7, 9]);
});

test('libc: qsort asynchronously, the comparator on the main thread', async () => {
  const qsort = bind(libc, 'void qsort(void *base, size_t count, size_t size, compare_fn *compare)');
  const values = new Float64Array([3.5, -1, 2.25, 10]);
  const compare = (a: unknown, b: unknown) => Math.sign(new Float64Array(engine.view(a as bigint, 8))[0]! - new Float64Array(engine.view(b as bigint, 8))[0]!);
  await qsort.callAsync([values, values.length, 8, compare]);
  assert.deepEqual([...values], [-1, 2.25, 3.5, 10]);
});

test('libc: a C function by address (symbol, bindAddress) and as a callback argument', () => {
  const strcmp = libc.symbol('strcmp');
  assert.equal(typeof strcmp, 'bigint');
  const bound = libc.bindAddress(strcmp, parseFunction('int strcmp(const char *a, const char *b)'));
  assert.ok((bound.call('abc', 'abd') as number) < 0);
  assert.equal(bound.call('same', 'same'), 0);
  const labs = libc.bindAddress(libc.symbol('labs'), parseFunction('long labs(long x)'));
  assert.equal(labs.call(-3), 3);
  // Elements of 4 bytes holding C strings: qsort hands strcmp pointers to them.
  const qsort = bind(libc, 'void qsort(void *base, size_t count, size_t size, compare_fn *compare)');
  const table = new TextEncoder().encode('cc\0\0aa\0\0bb\0\0');
  qsort.call(table, 3, 4, strcmp);
  assert.equal(new TextDecoder().decode(table), 'aa\0\0bb\0\0cc\0\0');
});

test('foreignThreadCallbacks: a synchronous call refuses a JS callback, callAsync takes it', async () => {
  const qsort = libc.bind(parseFunction('void qsort(void *base, size_t count, size_t size, compare_fn *compare)', scope), { foreignThreadCallbacks: true });
  const values = new Int32Array([3, 1, 2]);
  const compare = (a: unknown, b: unknown) => new Int32Array(engine.view(a as bigint, 4))[0]! - new Int32Array(engine.view(b as bigint, 4))[0]!;
  if (engine.name === 'deno') assert.throws(() => qsort.call(values, 3, 4, compare), /qsort.*callAsync/);
  await qsort.callAsync([values, 3, 4, compare]);
  assert.deepEqual([...values], [1, 2, 3]);
});

test('libc: a struct by pointer (gmtime_r fills struct tm; decodeRecord reads it)', () => {
  const gmtime = bind(libc, 'struct tm *gmtime_r(const time_t *time, struct tm *out)');
  const tm = scope.tag('struct tm') as RecordType;
  const out = new Uint8Array(layoutOf(tm).size);
  const time = new BigInt64Array([86_400n * 365n + 3_600n * 5n + 42n]); // 1971-01-01 05:00:42 UTC
  const returned = gmtime.call(time, out);
  assert.equal(returned, engine.addressOf(out), 'the result is the out pointer, as a BigInt');
  const fields = decodeRecord(tm, new DataView(out.buffer), 0);
  assert.equal(fields.tm_year, 71);
  assert.equal(fields.tm_yday, 0);
  assert.equal(fields.tm_hour, 5);
  assert.equal(fields.tm_sec, 42);
  assert.equal(fields.tm_wday, 5, 'a Friday');
  assert.equal(typeof fields.tm_zone, 'bigint');
  // And back: mktime-free round trip through timegm.
  const timegm = bind(libc, 'time_t timegm(struct tm *tm)');
  const again = new Uint8Array(layoutOf(tm).size);
  encodeRecord(tm, { ...fields, tm_zone: null }, new DataView(again.buffer), 0);
  assert.equal(timegm.call(again), Number(time[0]));
});

test('libc: a data symbol (environ) and a view of it', () => {
  const environ = libc.symbol('environ');
  const table = new BigUint64Array(engine.view(environ, 8))[0]!;
  assert.notEqual(table, 0n);
  const first = new BigUint64Array(engine.view(table, 8))[0]!;
  const strlen = bind(libc, 'size_t strlen(const char *s)');
  assert.ok((strlen.call(first) as number) > 0, 'environ[0] is a C string');
});

test('missing symbols and libraries are refused by name', () => {
  assert.throws(() => libc.symbol('mylib_no_such_symbol'), /mylib_no_such_symbol/);
  assert.throws(() => bind(libc, 'int mylib_no_such_function(int x)'), /mylib_no_such_function/);
  assert.throws(() => engine.open('/nonexistent/libnothing.so'), Error);
});

test('a pointer result: NULL is null, an address a BigInt', () => {
  const memchr = bind(libc, 'void *memchr(const void *s, int c, size_t n)');
  const bytes = new TextEncoder().encode('abcdef');
  assert.equal(memchr.call(bytes, 'z'.charCodeAt(0), bytes.length), null);
  assert.equal(memchr.call(bytes, 'd'.charCodeAt(0), bytes.length), engine.addressOf(bytes) + 3n);
  assert.equal(memchr.call(bytes.subarray(6), 0, 0), null, 'an empty view passes as NULL (n = 0)');
});

test('close is idempotent', () => {
  const extra = engine.open('libm.so.6');
  const cos = extra.bind(parseFunction('double cos(double x)'));
  assert.equal(cos.call(0), 1);
  extra.close();
  extra.close();
});

// Records and unions by value, on the Rust fixture deno-records-fixture.rs (compiled by the
// vitest file, which passes its path; a run without it says so).
const recordsPath = process.env.MYLIB_DENO_RECORDS_LIB;
if (recordsPath) {
  const records = engine.open(recordsPath);
  const types = new Scope();
  parseDeclarations(
    `typedef struct { float a; float b; } Floats2;
     typedef union { double d; int64_t i; } WideOrDouble;
     typedef union { float f[2]; float g; } FloatPair;
     typedef struct { int8_t c; uint8_t arr[3]; int16_t s; } Packed;
     typedef struct { double x; WideOrDouble u; } Nested;
     typedef union { struct { float x; int32_t tag; } s; double d; } Mixed;
     typedef union { float f; double d; } FloatOrDouble;
     typedef int32_t records_fn(Packed p, WideOrDouble u);
     typedef Floats2 floats_fn(float x);`,
    types,
  );
  const fixture = (prototype: string) => records.bind(parseFunction(prototype, types));

  test('records: a struct of floats in and out', () => {
    assert.deepEqual(fixture('Floats2 floats2_make(float a, float b)').call(1.5, -2), { a: 1.5, b: -2 });
    assert.equal(fixture('float floats2_sum(Floats2 v)').call({ a: 1.5, b: 2 }), 3.5);
  });

  test('records: unions by value (integer and double; floats of one type; mixed eightbyte)', () => {
    assert.equal(fixture('int64_t wide_or_double_get(WideOrDouble u)').call({ i: 2n ** 60n }), 2n ** 60n);
    assert.equal((fixture('WideOrDouble wide_or_double_make(int64_t i)').call(-5) as { i: number }).i, -5);
    assert.equal(fixture('float float_pair_sum(FloatPair u)').call({ f: [1.25, 2] }), 3.25);
    assert.deepEqual((fixture('FloatPair float_pair_make(float a, float b)').call(1.25, 2) as { f: number[] }).f, [1.25, 2]);
    const tag = new Int32Array(1);
    assert.equal(fixture('float mixed_x(Mixed m, int32_t *tag)').call({ s: { x: 2.5, tag: 9 } }, tag), 2.5);
    assert.equal(tag[0], 9);
    assert.deepEqual((fixture('Mixed mixed_make(float x, int32_t tag)').call(2.5, 9) as { s: unknown }).s, { x: 2.5, tag: 9 });
  });

  test('records: arrays and nested unions inside structs', () => {
    assert.equal(fixture('int32_t packed_sum(Packed p)').call({ c: -1, arr: [2, 3, 4], s: 500 }), 508);
    assert.equal(fixture('double nested_sum(Nested n)').call({ x: 0.5, u: { i: 3 } }), 3.5);
  });

  test('records: callbacks take and return records by value, sync and async', async () => {
    const toCallback = fixture('int32_t records_to_callback(records_fn *f)');
    const sum = (p: { c: number; arr: number[]; s: number }, u: { i: number }) => p.c + p.arr[2]! + p.s + u.i;
    assert.equal(toCallback.call(sum), 1 + 4 + 5 + 6);
    assert.equal(await toCallback.callAsync([sum]), 16);
    const fromCallback = fixture('Floats2 record_from_callback(floats_fn *f)');
    assert.deepEqual(
      fromCallback.call((x: number) => ({ a: x, b: x + 1 })),
      { a: 3, b: 5 },
    );
  });

  test('bindAddress of a function that no file exports', async () => {
    const address = fixture('void *private_adder(void)').call();
    assert.equal(typeof address, 'bigint');
    const add = records.bindAddress(address as bigint, parseFunction('int32_t add(int32_t a, int32_t b)'));
    assert.equal(add.call(20, 22), 42);
    assert.equal(await add.callAsync([1, 2]), 3);
  });

  test('records: a union of float and double without an integer is refused when bound', () => {
    if (engine.name !== 'deno') return;
    assert.throws(() => fixture('double float_pair_sum(FloatOrDouble u)'), /float_pair_sum.*union FloatOrDouble/);
  });
} else {
  console.log('note: MYLIB_DENO_RECORDS_LIB is not set: the records and unions cases did not run');
}

let failed = 0;
for (const [name, body] of cases) {
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}\n${(error as Error).stack ?? error}`);
    break;
  }
}
libm.close();
libc.close();
if (failed > 0) process.exit(1);
console.log(`ok ${cases.length} cases (${engine.name})`);
