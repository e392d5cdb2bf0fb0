/**
 * mylib-rust/ffi on libraries this project did not write: libm, libc, and the C fixture
 * test/fixtures/ffi/fixture.c (paired with this file section by section, in the same order).
 * Every case runs on the engine MYLIB_FFI_ENGINE names (open() reads it), on every runtime.
 *
 * Where an engine cannot do something (CANNOT below, the same table as docs/ffi.md), the case
 * checks that the declaration is refused with an Error naming the construct, instead of the call.
 */
import assert from 'node:assert/strict';
import process from 'node:process';
import { DeclarationError, type ForeignLibrary, open, readBytes, readCString, readRecord, writeBytes, writeRecord } from '../../bindings/ffi/index.ts';
import type { RecordType } from '../../bindings/ffi/types.ts';
import { fixtureLibrary } from '../fixtures/ffi/build.ts';
import { each, group, test } from './harness.ts';

const ENGINE = process.env.MYLIB_FFI_ENGINE || undefined;
const LINUX = process.platform === 'linux';

/**
 * What an engine refuses, by design of its FFI: the case then expects a bind-time Error matching
 * the pattern. Keep in step with the table of docs/ffi.md.
 */
type Feature = 'threadCallback' | 'largeRecordByValue' | 'floatRecordByValue' | 'unexportedFunctionPointer';
const CANNOT: Record<string, Partial<Record<Feature, RegExp>>> = {
  // bun:ffi and node:ffi have no struct types: the engines lower records of 1, 2, 4 or 8 bytes of
  // integer fields to integers and refuse the others when they are declared.
  'bun:ffi': {
    largeRecordByValue: /bun:ffi cannot bind .*by value/,
    floatRecordByValue: /bun:ffi cannot bind .*floating-point/,
    // A threadsafe JSCallback answers 0 at once: only void callbacks may come from other threads.
    threadCallback: /bun:ffi cannot bind .*foreign threads/,
  },
  'node:ffi': {
    largeRecordByValue: /node:ffi cannot bind .*by value/,
    floatRecordByValue: /node:ffi cannot bind .*floating-point/,
    threadCallback: /node:ffi cannot bind .*thread/i,
    // node:ffi binds by exported name: a pointer to a static function cannot be called.
    unexportedFunctionPointer: /node:ffi cannot bind .*exported name only/,
  },
};
function cannot(feature: Feature): RegExp | undefined {
  return ENGINE === undefined ? undefined : CANNOT[ENGINE]?.[feature];
}

let fixtureLib: ForeignLibrary | Error | undefined;
/** The fixture, opened once (its build error, if any, fails every case that needs it). */
function fixture(): ForeignLibrary {
  if (fixtureLib === undefined) {
    try {
      fixtureLib = open(fixtureLibrary());
    } catch (error) {
      fixtureLib = error as Error;
    }
  }
  if (fixtureLib instanceof Error) throw fixtureLib;
  return fixtureLib;
}

let libmLib: ForeignLibrary | undefined;
let libcLib: ForeignLibrary | undefined;
const libm = () => (libmLib ??= open('m'));
const libc = () => (libcLib ??= open('c'));

/** The fixture's types, declared once. */
let fixtureTypes: Record<string, RecordType> | undefined;
function types(): Record<string, RecordType> {
  if (!fixtureTypes) {
    const declared = fixture().declare(`
      typedef struct { int32_t x; int32_t y; } fx_point;
      typedef struct { fx_point min; fx_point max; double weight; uint8_t tag[4]; } fx_box;
      typedef union { uint32_t u; float f; uint8_t bytes[4]; } fx_bits;
      typedef int32_t (*fx_binary_fn)(int32_t a, int32_t b);
      typedef void (*fx_visit_fn)(const char *name, double value, void *user_data);
    `);
    fixtureTypes = declared.types as Record<string, RecordType>;
  }
  return fixtureTypes;
}

group('foreign', () => {
  test('open() uses the engine MYLIB_FFI_ENGINE names', () => {
    const lib = libm();
    if (ENGINE !== undefined) assert.equal(lib.engine, ENGINE);
    assert.match(lib.path, /m|System|ucrtbase|msvcrt/);
  });

  group('libm', () => {
    each(
      [
        ['double cos(double x)', [0], 1],
        ['double sqrt(double x)', [2], Math.SQRT2],
        ['double pow(double x, double y)', [2, 10], 1024],
        ['double ldexp(double x, int exp)', [1, -1074], Number.MIN_VALUE],
        ['float floorf(float x)', [2.5], 2],
        ['long lround(double x)', [-2.5], -3],
      ] as Array<[string, number[], number]>,
      ([prototype]) => prototype,
      ([prototype, args, expected]) => {
        const fn = libm().func(prototype) as unknown as (...a: number[]) => number;
        assert.equal(fn(...args), expected);
      },
    );

    test('symbols() lists cos as a function (with its version on ELF)', () => {
      const cos = libm()
        .symbols()
        .find((s) => s.name === 'cos' && s.defaultVersion !== false);
      assert.ok(cos, 'cos is exported');
      assert.equal(cos.kind, 'function');
      if (LINUX) assert.match(cos.version ?? '', /^GLIBC_|^$/);
    });

    test('async call resolves; an aborted signal rejects with its reason', async () => {
      const cos = libm().func('double cos(double x)');
      assert.equal(await cos.async(0), 1);
      assert.equal(await cos.async(0, { signal: new AbortController().signal }), 1);
      const controller = new AbortController();
      const reason = new Error('stop');
      controller.abort(reason);
      await assert.rejects(cos.async(0, { signal: controller.signal }), (error) => error === reason);
    });
  });

  group('libc', () => {
    test('strings in (const char *) and a bounded read of a returned char *', () => {
      const strlen = libc().func('size_t strlen(const char *s)');
      assert.equal(strlen('héllo'), 6);
      const strchr = libc().func('char *strchr(const char *s, int c)');
      const text = new TextEncoder().encode('key=value\0');
      const at = strchr(text as never, '='.charCodeAt(0));
      assert.equal(typeof at, 'bigint');
      assert.equal(readCString(at, 100), '=value');
      assert.equal(readCString(at, 3), '=va', 'stops at maxLength');
    });

    test('a struct returned by value: div_t div(int, int)', () => {
      const { functions } = libc().declare('typedef struct { int quot; int rem; } div_t; div_t div(int num, int den);');
      assert.deepEqual(functions.div?.(17, 5), { quot: 3, rem: 2 });
      assert.deepEqual(functions.div?.(-17, 5), { quot: -3, rem: -2 });
    });

    test('a sync callback receiving pointers: qsort', () => {
      const qsort = libc().func('void qsort(void *base, size_t count, size_t size, int (*compare)(const void *a, const void *b))');
      const values = Int32Array.from([5, -1, 3, 42, 0]);
      const read = (p: unknown) => new Int32Array(readBytes(p as bigint, 4).buffer)[0] as number;
      qsort(values, values.length, 4, (a, b) => read(a) - read(b));
      assert.deepEqual([...values], [-1, 0, 3, 5, 42]);
    });

    test('errno right after a call: strtol out of range', () => {
      const strtol = libc().func('long strtol(const char *s, char **end, int base)', { errno: true });
      assert.equal(strtol('12', null, 10), 12);
      assert.equal(strtol.errno, 0);
      strtol('99999999999999999999999', null, 10);
      assert.equal(strtol.errno, 34, 'ERANGE');
      assert.throws(() => strtol.async('1', null, 10), /errno is captured on the calling thread/);
    });

    test('a variadic prototype is refused with a position', () => {
      const text = 'int printf(const char *format, ...)';
      assert.throws(
        () => libc().func(text),
        (error: unknown) => error instanceof DeclarationError && error.column === text.indexOf('...') && error.pretty().includes('^ variadic'),
      );
    });
  });

  group('fixture', () => {
    // ---- structs by value and by pointer
    test('struct by value in and out: fx_point_add', () => {
      types();
      const add = fixture().func('fx_point fx_point_add(fx_point a, fx_point b)');
      assert.deepEqual(add({ x: 1, y: 2 }, { x: 10, y: -20 }), { x: 11, y: -18 });
    });

    test('a nested struct with an array, returned by value: fx_box_make', () => {
      types();
      const refused = cannot('largeRecordByValue');
      if (refused) {
        assert.throws(() => fixture().func('fx_box fx_box_make(int32_t w, int32_t h)'), refused);
        return;
      }
      const make = fixture().func('fx_box fx_box_make(int32_t w, int32_t h)');
      assert.deepEqual(make(3, 4), { min: { x: 0, y: 0 }, max: { x: 3, y: 4 }, weight: 1.5, tag: [98, 111, 120, 0] });
    });

    test('struct by const pointer, given as an object: fx_box_area', () => {
      types();
      const area = fixture().func('int64_t fx_box_area(const fx_box *box)');
      const box = { min: { x: 1, y: 1 }, max: { x: 4, y: 6 }, weight: 0, tag: [0, 0, 0, 0] };
      assert.equal(area(box), 15);
      assert.deepEqual(box.min, { x: 1, y: 1 }, 'a const pointer leaves the object alone');
    });

    test('struct by pointer written by the callee: the object gets the new fields', () => {
      const { fx_box } = types();
      const grow = fixture().func('double fx_box_grow(fx_box *box, int32_t by)');
      const box = { min: { x: 0, y: 0 }, max: { x: 2, y: 2 }, weight: 1.25, tag: [1, 2, 3, 4] };
      assert.equal(grow(box, 1), 2.5);
      assert.deepEqual(box, { min: { x: -1, y: -1 }, max: { x: 3, y: 3 }, weight: 2.5, tag: [1, 2, 3, 4] });
      // The same through caller memory and readRecord.
      const memory = new Uint8Array(40);
      assert.equal(grow(memory, 0), 0);
      assert.ok(fx_box);
    });

    // ---- a union
    test('a union returned by value reads every member; one member written through a pointer', () => {
      types();
      const refused = cannot('floatRecordByValue');
      if (refused) assert.throws(() => fixture().func('fx_bits fx_bits_make(uint32_t u)'), refused);
      else {
        const make = fixture().func('fx_bits fx_bits_make(uint32_t u)');
        const bits = make(0x3f800000) as { u: number; f: number; bytes: number[] };
        assert.equal(bits.u, 0x3f800000);
        assert.equal(bits.f, 1);
        assert.deepEqual(bits.bytes, [0, 0, 0x80, 0x3f]);
      }
      const read = fixture().func('uint32_t fx_bits_read(const fx_bits *b)');
      assert.equal(read({ f: -2 }), 0xc0000000);
      const ofFloat = fixture().func('uint32_t fx_bits_of_float(float f)');
      assert.equal(ofFloat(1), 0x3f800000);
    });

    // ---- callbacks
    test('a sync callback: fx_fold with a JS function', () => {
      const fold = fixture().func('int32_t fx_fold(const int32_t *values, size_t count, int32_t init, int32_t (*fn)(int32_t a, int32_t b))');
      const values = Int32Array.from([1, 2, 3, 4]);
      assert.equal(
        fold(values, 4, 0, (a, b) => a + b),
        10,
      );
      assert.equal(
        fold(values, 4, 1, (a, b) => a * b),
        24,
      );
    });

    test('a callback during an async call runs on the main thread', async () => {
      const fold = fixture().func('int32_t fx_fold(const int32_t *values, size_t count, int32_t init, int32_t (*fn)(int32_t a, int32_t b))');
      const values = Int32Array.from([1, 2, 3, 4]);
      let calls = 0;
      const result = await fold.async(values, 4, 100, (a, b) => {
        calls++;
        return a - b;
      });
      assert.equal(result, 90);
      assert.equal(calls, 4);
    });

    test('a callback typedef with strings and user data: fx_visit', () => {
      types();
      const visit = fixture().func('void fx_visit(fx_visit_fn visit, void *user_data)');
      const seen: Array<[unknown, unknown, unknown]> = [];
      (visit as unknown as (fn: (...a: unknown[]) => void, data: null) => void)((name, value, data) => seen.push([name, value, data]), null);
      assert.deepEqual(seen, [
        ['one', 1, null],
        ['two', 2, null],
      ]);
    });

    test('a callback called from a thread the fixture starts (async call), or a clear refusal', async () => {
      const refused = cannot('threadCallback');
      const declare = () => fixture().func('int32_t fx_call_on_thread(int32_t (*fn)(int32_t a, int32_t b), int32_t a, int32_t b)', { threadsafe: true });
      if (refused) {
        assert.throws(declare, refused);
        return;
      }
      const onThread = declare();
      assert.throws(() => onThread((a, b) => a - b, 1, 2), /threadsafe: true.*async/);
      assert.equal(await onThread.async((a, b) => a * 10 + b, 4, 2), 42);
    });

    // ---- out-parameters
    test('scalar out-parameters through one-element arrays: fx_divmod', () => {
      const divmod = fixture().func('int32_t fx_divmod(int32_t a, int32_t b, int32_t *quot, int32_t *rem)');
      const quot = new Int32Array(1);
      const rem = new Int32Array(1);
      assert.equal(divmod(17, 5, quot, rem), 0);
      assert.deepEqual([quot[0], rem[0]], [3, 2]);
      assert.equal(divmod(1, 0, quot, rem), -1);
    });

    test('a caller buffer filled by the callee: fx_name', () => {
      const name = fixture().func('size_t fx_name(char *out, size_t cap)');
      const buffer = new Uint8Array(4);
      assert.equal(name(buffer, buffer.length), 7);
      assert.equal(new TextDecoder().decode(buffer), 'fix\0');
    });

    // ---- errno
    test('errno set by the fixture, and left 0 by a call that does not set it', () => {
      const check = fixture().func('int32_t fx_check_positive(int32_t value)', { errno: true });
      assert.equal(check(-5), -1);
      assert.equal(check.errno, 33, 'EDOM');
      assert.equal(check(5), 5);
      assert.equal(check.errno, 0);
    });

    // ---- data symbols
    test('a data symbol read through address() + readRecord / readCString / readBytes', () => {
      const { fx_point } = types();
      assert.ok(fx_point);
      assert.deepEqual(readRecord(fixture().address('fx_origin'), fx_point), { x: 3, y: -4 });
      const greeting = fixture().address('fx_greeting');
      assert.equal(readCString(greeting, 1000), 'hello from the fixture');
      assert.deepEqual([...readBytes(greeting, 5)], [...new TextEncoder().encode('hello')]);
    });

    test('a data symbol written through writeBytes / writeRecord, seen by the library', () => {
      const { fx_point } = types();
      const counter = fixture().address('fx_counter');
      const get = fixture().func('int32_t fx_counter_get(void)');
      writeBytes(counter, Int32Array.of(1234));
      assert.equal(get(), 1234);
      writeBytes(counter, Int32Array.of(0));
      assert.equal(get(), 0);
      const origin = fixture().address('fx_origin');
      writeRecord(origin, fx_point as RecordType, { x: 7, y: 8 });
      assert.deepEqual(readRecord(origin, fx_point as RecordType), { x: 7, y: 8 });
      writeRecord(origin, fx_point as RecordType, { x: 3, y: -4 });
    });

    // ---- function pointers
    test('a function pointer returned by the fixture, called through funcAt', () => {
      types();
      const operation = fixture().func('fx_binary_fn fx_operation(const char *name)');
      const mul = operation('mul');
      assert.equal(typeof mul, 'bigint');
      assert.equal(operation('nothing'), null);
      const refused = cannot('unexportedFunctionPointer');
      if (refused) {
        assert.throws(() => fixture().funcAt(mul as bigint, 'int32_t mul(int32_t a, int32_t b)'), refused);
        return;
      }
      const callMul = fixture().funcAt(mul as bigint, 'int32_t mul(int32_t a, int32_t b)');
      assert.equal(callMul(6, 7), 42);
      const callAdd = fixture().funcAt(operation('add') as bigint, 'fx_binary_fn');
      assert.equal((callAdd as unknown as (a: number, b: number) => number)(6, 7), 13);
    });

    test('an exported function called through its address: address() + funcAt', () => {
      const counter = fixture().funcAt(fixture().address('fx_check_positive'), 'int32_t check(int32_t value)');
      assert.equal(counter(12), 12);
      assert.throws(() => fixture().funcAt(0n, 'int32_t f(void)'), /^TypeError: funcAt: argument 'address' is NULL$/);
      assert.throws(() => fixture().funcAt(-1, 'int32_t f(void)'), /^RangeError: funcAt: argument 'address'/);
    });

    // ---- strings and wide integers
    test('const char * results (NULL is null) and 64-bit integers', () => {
      const describe = fixture().func('const char *fx_describe(int32_t code)');
      assert.equal(describe(0), 'zero');
      assert.equal(describe(1), 'positive');
      assert.equal(describe(-1), null);
      assert.equal(fixture().func('uint64_t fx_u64_max(void)')(), 2n ** 64n - 1n);
      const neg = fixture().func('int64_t fx_i64_neg(int64_t v)');
      assert.equal(neg(5), -5);
      assert.equal(neg(2n ** 62n), -(2n ** 62n));
    });

    // ---- lifetime
    test('calls after close() throw; close is idempotent; using closes', () => {
      const path = fixtureLibrary();
      let get: () => unknown;
      {
        using lib = open(path);
        get = lib.func('int32_t fx_counter_get(void)');
        assert.equal(get(), 0);
      }
      assert.throws(() => get(), /fx_counter_get: library .* is closed/);
      const lib = open(path);
      const describe = lib.func('const char *fx_describe(int32_t code)');
      lib.close();
      lib.close();
      assert.throws(() => describe(0), /is closed/);
      assert.throws(() => lib.func('int32_t fx_counter_get(void)'), /func: library .* is closed/);
    });
  });

  group('pointer helpers', () => {
    each(
      [
        ['readCString(-1n)', () => readCString(-1n, 1), RangeError, /^readCString: argument 'address' must be an address from 0 to 2\^64 - 1, got -1n$/],
        ['readCString(2^64)', () => readCString(2n ** 64n, 1), RangeError, /argument 'address'/],
        ['readBytes(1.5)', () => readBytes(1.5, 1), RangeError, /^readBytes: argument 'address'/],
        ['readBytes("1")', () => readBytes('1' as never, 1), TypeError, /^readBytes: argument 'address' must be an address/],
        ['readBytes(p, -1)', () => readBytes(8n, -1), RangeError, /^readBytes: argument 'length'/],
        ['readCString(p, 2^31)', () => readCString(8n, 2 ** 31), RangeError, /^readCString: argument 'maxLength'/],
        ['readBytes(NULL, 4)', () => readBytes(0n, 4), TypeError, /NULL/],
      ] as Array<[string, () => unknown, ErrorConstructor, RegExp]>,
      ([name]) => name,
      ([, call, type, pattern]) => assert.throws(call, (error: unknown) => error instanceof type && pattern.test((error as Error).message)),
    );
    test('readCString(NULL) is null', () => assert.equal(readCString(null, 10), null));
  });
});
