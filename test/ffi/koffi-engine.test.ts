/**
 * The koffi engine through the Engine interface alone (bindings/ffi/engine.ts), on libraries it
 * was not written for: libm, libc, and mylib's own exports called as plain C functions. Function
 * types are written out as vocabulary values (bindings/ffi/types.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeLibrary } from '../../bindings/ffi/engine.ts';
import { koffiEngine } from '../../bindings/ffi/engines/koffi.ts';
import { type CType, type FunctionType, type RecordType, VOID, pointer, scalar } from '../../bindings/ffi/types.ts';
import { LIBRARY_PATH_ENV, hostPlatform, libraryFileName } from '../../bindings/names.ts';

const t = (name: string): CType => {
  const type = scalar(name);
  if (!type) throw new Error(`no scalar ${name}`);
  return type;
};
const fn = (name: string | undefined, result: CType, ...params: Array<[string, CType]>): FunctionType & { name: string } =>
  ({ kind: 'function', name, result, params: params.map(([n, type]) => ({ name: n, type })) }) as FunctionType & { name: string };
const CHAR = t('char');
const constChar = pointer(CHAR, true);

const LIBC = { linux: 'libc.so.6', darwin: '/usr/lib/libSystem.B.dylib', win32: 'msvcrt.dll' }[process.platform as string] ?? 'libc.so.6';
const LIBM = { linux: 'libm.so.6', darwin: '/usr/lib/libSystem.B.dylib', win32: 'msvcrt.dll' }[process.platform as string] ?? 'libm.so.6';

describe('libm', () => {
  let libm: NativeLibrary;
  beforeAll(() => {
    libm = koffiEngine.open(LIBM);
  });
  afterAll(() => libm.close());

  it('cos(double) and ldexp(double, int)', () => {
    const cos = libm.bind(fn('cos', t('double'), ['x', t('double')]));
    const ldexp = libm.bind(fn('ldexp', t('double'), ['x', t('double')], ['exp', t('int')]));
    expect(cos.call(0)).toBe(1);
    expect(cos.call(Math.PI)).toBe(-1);
    expect(ldexp.call(0.75, 4)).toBe(12);
    expect(ldexp.call(1, -1074)).toBe(Number.MIN_VALUE);
  });

  it('callAsync resolves with the result', async () => {
    const ldexp = libm.bind(fn('ldexp', t('double'), ['x', t('double')], ['exp', t('int')]));
    await expect(ldexp.callAsync([3, 3])).resolves.toBe(24);
  });

  it('symbol() and bindAddress(): cos called through its address', () => {
    const address = libm.symbol('cos');
    expect(typeof address).toBe('bigint');
    const cos = libm.bindAddress(address, fn(undefined, t('double'), ['x', t('double')]));
    expect(cos.call(0)).toBe(1);
  });

  it('a missing symbol is an Error naming it, at bind and at symbol()', () => {
    expect(() => libm.bind(fn('no_such_function_xyz', t('double')))).toThrow(/no_such_function_xyz/);
    expect(() => libm.symbol('no_such_symbol_xyz')).toThrow(/no_such_symbol_xyz/);
  });
});

describe('libc', () => {
  let libc: NativeLibrary;
  beforeAll(() => {
    libc = koffiEngine.open(LIBC);
  });
  afterAll(() => libc.close());

  it('strlen(const char *): a JS string in, as UTF-8', () => {
    const strlen = libc.bind(fn('strlen', t('size_t'), ['s', constChar]));
    expect(strlen.call('hello')).toBe(5);
    expect(strlen.call('héllo 日本')).toBe(Buffer.byteLength('héllo 日本'));
    expect(strlen.call('')).toBe(0);
  });

  it('div(int, int) returns div_t by value: a plain object', () => {
    const divT: RecordType = {
      kind: 'struct',
      name: 'div_t',
      fields: [
        { name: 'quot', type: t('int') },
        { name: 'rem', type: t('int') },
      ],
    };
    const div = libc.bind(fn('div', divT, ['numer', t('int')], ['denom', t('int')]));
    expect(div.call(7, 2)).toEqual({ quot: 3, rem: 1 });
    expect(div.call(-7, 2)).toEqual({ quot: -3, rem: -1 });
    // Another record of the same name (koffi's type names are process-wide) binds too.
    const other: RecordType = { kind: 'struct', name: 'div_t', fields: divT.fields };
    expect(libc.bind(fn('div', other, ['numer', t('int')], ['denom', t('int')])).call(9, 4)).toEqual({ quot: 2, rem: 1 });
  });

  it('pointer parameters take a TypedArray, an ArrayBuffer, an address (BigInt or Number) or null; results are BigInt or null', () => {
    const memchr = libc.bind(fn('memchr', pointer(VOID), ['s', pointer(VOID, true)], ['c', t('int')], ['n', t('size_t')]));
    const bytes = Buffer.from('abcdef');
    const start = koffiEngine.addressOf(bytes);
    expect(memchr.call(bytes, 0x63, 6)).toBe(start + 2n);
    expect(memchr.call(bytes.subarray(1), 0x61, 5)).toBeNull();
    expect(memchr.call(start, 0x64, 6)).toBe(start + 3n);
    expect(memchr.call(Number(start), 0x64, 6)).toBe(start + 3n);
    expect(memchr.call(null, 0x64, 0)).toBeNull();
    const copy = new Uint8Array(bytes).buffer;
    expect(memchr.call(copy, 0x66, 6)).toBe(koffiEngine.addressOf(new Uint8Array(copy)) + 5n);
  });

  it('64-bit results: a Number when safe, else a BigInt', () => {
    const strtoull = libc.bind(fn('strtoull', t('unsigned long long'), ['s', constChar], ['end', pointer(pointer(CHAR))], ['base', t('int')]));
    expect(strtoull.call('12', null, 10)).toBe(12);
    expect(strtoull.call('18446744073709551615', null, 10)).toBe(18446744073709551615n);
  });

  it('a const char * result is a string, NULL is null', () => {
    const getenv = libc.bind(fn('getenv', constChar, ['name', constChar]));
    expect(getenv.call('MYLIB_KOFFI_ENGINE_TEST_UNSET')).toBeNull();
    process.env.MYLIB_KOFFI_ENGINE_TEST_SET = 'ok';
    // Node's process.env writes through to the C environment.
    expect(getenv.call('MYLIB_KOFFI_ENGINE_TEST_SET')).toBe('ok');
  });

  it('view() and addressOf(): native memory without copying', () => {
    const bytes = Buffer.from('abcdef');
    const view = new Uint8Array(koffiEngine.view(koffiEngine.addressOf(bytes) + 1n, 3));
    expect([...view]).toEqual([0x62, 0x63, 0x64]);
    view[0] = 0x5a;
    expect(bytes.toString()).toBe('aZcdef');
  });

  it('refuses at bind time what cannot cross (an array parameter), naming the function', () => {
    const arrayParam = fn('strlen', t('size_t'), ['s', { kind: 'array', of: CHAR, length: 4 }]);
    expect(() => libc.bind(arrayParam)).toThrow(/strlen.*array/);
  });
});

describe('mylib, as any C library', () => {
  // The built library, found without the loader (which imports every engine).
  const path = process.env[LIBRARY_PATH_ENV] || join(import.meta.dirname, '..', '..', 'artifacts', libraryFileName(hostPlatform()));
  const U8 = t('uint8_t');
  const SIZE = t('size_t');
  const progressFn = fn('MylibProgressFn', t('bool'), ['done', t('uint64_t')], ['total', t('uint64_t')], ['user_data', pointer(VOID)]);
  const levenshtein = fn(
    'mylib_levenshtein',
    t('int32_t'),
    ['a', pointer(U8, true)],
    ['a_len', SIZE],
    ['b', pointer(U8, true)],
    ['b_len', SIZE],
    ['out_distance', pointer(t('uint64_t'))],
    ['progress', pointer(progressFn)],
    ['user_data', pointer(VOID)],
    ['err', pointer(U8)],
    ['err_cap', SIZE],
  );
  let mylib: NativeLibrary;
  beforeAll(() => {
    if (!existsSync(path)) throw new Error(`mylib is not built (npm run build): ${path}`);
    mylib = koffiEngine.open(path);
  });
  afterAll(() => mylib.close());

  function run(progress: unknown, user: unknown = null): { status: unknown; distance: bigint } {
    const a = Buffer.from('kitten');
    const b = Buffer.from('sitting');
    const distance = new BigUint64Array([77n]);
    const status = mylib.bind(levenshtein).call(a, a.length, b, b.length, distance, progress, user, Buffer.alloc(256), 256);
    return { status, distance: distance[0]! };
  }

  it('mylib_levenshtein with a progress callback: called with (done, total, user_data), its answer counts', () => {
    const calls: unknown[][] = [];
    const ok = run((...args: unknown[]) => {
      calls.push(args);
      return true;
    });
    expect(ok).toMatchObject({ status: 0, distance: 3n });
    expect(calls).toEqual([[7, 7, null]]);
    expect(run(() => false)).toMatchObject({ status: 5, distance: 77n });
    expect(run(null)).toMatchObject({ status: 0, distance: 3n });
  });

  it('an exception in the callback gives C false and is rethrown when the call returns', () => {
    expect(() =>
      run(() => {
        throw new Error('from the callback');
      }),
    ).toThrow('from the callback');
  });

  it('callAsync: the callback runs on the main thread while the call waits on a worker thread', async () => {
    const bound = mylib.bind(levenshtein, { foreignThreadCallbacks: true });
    const a = Buffer.from('a'.repeat(3000));
    const b = Buffer.from('b'.repeat(3000));
    const distance = new BigUint64Array(new ArrayBuffer(8));
    const err = Buffer.alloc(256);
    const calls: Array<[unknown, unknown]> = [];
    const status = await bound.callAsync([
      a,
      a.length,
      b,
      b.length,
      distance,
      (done: unknown, total: unknown) => {
        calls.push([done, total]);
        return true;
      },
      null,
      err,
      256,
    ]);
    expect(status).toBe(0);
    expect(distance[0]).toBe(3000n);
    expect(calls.at(-1)).toEqual([3000, 3000]);
  });

  it('symbol() + bindAddress(): mylib_add through its address', () => {
    const add = mylib.bindAddress(mylib.symbol('mylib_add'), fn(undefined, t('int32_t'), ['a', t('int32_t')], ['b', t('int32_t')]));
    expect(add.call(20, 22)).toBe(42);
  });
});
