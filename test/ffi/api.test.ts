/**
 * mylib-rust/ffi on Node through koffi (the fast loop; test/conformance/foreign.ts runs the
 * library cases on every runtime x engine pair): argument and option errors, the types derived
 * from prototype text, declare(), errno, abort, close, and the docs/ffi.md example run on Node and
 * on the Bun and Deno of .cache/runtimes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  DeclarationError,
  type ForeignFunction,
  type ForeignLibrary,
  type ParamsOf,
  type PointerArgument,
  type PointerResult,
  type RecordValue,
  type ResultOf,
  open,
  readBytes,
  readCString,
  readRecord,
} from '../../bindings/ffi/index.ts';
import type { RecordType } from '../../bindings/ffi/types.ts';
import { ROOT, fixtureLibrary } from '../fixtures/ffi/build.ts';

const opened: ForeignLibrary[] = [];
function lib(name: string): ForeignLibrary {
  const library = open(name, { engine: 'koffi' });
  opened.push(library);
  return library;
}
afterAll(() => {
  for (const library of opened) library.close();
});

describe('package', () => {
  it('exports ./ffi with types, from the compiled bindings/ffi/index', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(manifest.exports['./ffi']).toEqual({ types: './dist/bindings/ffi/index.d.ts', default: './dist/bindings/ffi/index.js' });
    expect(existsSync(join(ROOT, 'bindings', 'ffi', 'index.ts'))).toBe(true);
  });
});

describe('types derived from the prototype text', () => {
  it('scalars, wide integers, booleans, void', () => {
    expectTypeOf<ParamsOf<'double cos(double x)'>>().toEqualTypeOf<[number]>();
    expectTypeOf<ResultOf<'double cos(double x)'>>().toEqualTypeOf<number>();
    expectTypeOf<ParamsOf<'int64_t f(uint64_t a, size_t n, unsigned long long m, long x)'>>().toEqualTypeOf<
      [number | bigint, number | bigint, number | bigint, number | bigint]
    >();
    expectTypeOf<ParamsOf<'bool f(bool b, unsigned int u, unsigned)'>>().toEqualTypeOf<[boolean, number, number]>();
    expectTypeOf<ResultOf<'void free(void *p);'>>().toEqualTypeOf<void>();
    expectTypeOf<ParamsOf<'int f(void)'>>().toEqualTypeOf<[]>();
    expectTypeOf<ParamsOf<'int f()'>>().toEqualTypeOf<[]>();
  });

  it('strings, pointers, arrays, records', () => {
    expectTypeOf<ParamsOf<'size_t strlen(const char *s)'>>().toEqualTypeOf<[string | null]>();
    expectTypeOf<ResultOf<'const char *strerror(int e)'>>().toEqualTypeOf<string | null>();
    expectTypeOf<ResultOf<'char *getenv(const char *name)'>>().toEqualTypeOf<PointerResult>();
    expectTypeOf<ParamsOf<'void f(char *out, uint8_t buf[16], const double *v, char **argv)'>>().toEqualTypeOf<
      [PointerArgument, PointerArgument, PointerArgument, PointerArgument]
    >();
    expectTypeOf<ParamsOf<'int f(const struct point *p, struct point q)'>>().toEqualTypeOf<[PointerArgument | RecordValue, RecordValue]>();
    expectTypeOf<ResultOf<'struct tm *localtime(const time_t *t)'>>().toEqualTypeOf<PointerResult>();
    expectTypeOf<ParamsOf<'div_t div(Point p)'>>().toEqualTypeOf<[unknown]>();
    expectTypeOf<ResultOf<'div_t div(int a, int b)'>>().toEqualTypeOf<unknown>();
  });

  it('written-out callbacks are typed functions', () => {
    type Qsort = ParamsOf<'void qsort(void *base, size_t n, size_t size, int (*compare)(const void *a, const void *b))'>;
    expectTypeOf<Qsort[3]>().toEqualTypeOf<((a: PointerResult, b: PointerResult) => number) | bigint | null>();
    type Visit = ParamsOf<'void visit(void (*fn)(const char *name, double value), int n)'>;
    expectTypeOf<Visit>().toEqualTypeOf<[((name: string | null, value: number) => void) | bigint | null, number]>();
  });

  it('a non-literal prototype gives an untyped function', () => {
    expectTypeOf<ParamsOf<string>>().toEqualTypeOf<unknown[]>();
    expectTypeOf<ForeignFunction<'double cos(double x)'>>().toBeCallableWith(1);
    const m = lib('m');
    const cos = m.func('double cos(double x)');
    expectTypeOf(cos).returns.toEqualTypeOf<number>();
    expectTypeOf(cos.async).returns.toEqualTypeOf<Promise<number>>();
  });
});

describe('open()', () => {
  it('resolves platform names and reports the engine', () => {
    const m = lib('m');
    expect(m.engine).toBe('koffi');
    expect(m.name).toBe('m');
    expect(m.func('double sqrt(double x)')(16)).toBe(4);
  });

  it.each([
    [() => open(42 as never), TypeError, /^open: argument 'pathOrName' must be a string, got number$/],
    [() => open(''), TypeError, /^open: argument 'pathOrName' is empty$/],
    [() => open('m', { engin: 'koffi' } as never), TypeError, /^open: argument 'options' has an unknown key 'engin'/],
    [() => open('m', { engine: 'ctypes' as never }), TypeError, /^open: option 'engine' must be one of auto, koffi/],
    [() => open('/no/such/libfoo.so'), Error, /^open: \/no\/such\/libfoo\.so: file not found/],
    [() => open('no_such_library_xyz'), Error, /^open: cannot load libno_such_library_xyz\.so with engine koffi: .*looked in/],
  ])('refuses bad input %#', (call, type, pattern) => {
    expect(call).toThrow(type);
    expect(call).toThrow(pattern);
  });

  it('checks the file before dlopen: a truncated library is an Error, not a crash', () => {
    const whole = readFileSync(fixtureLibrary());
    const dir = join(ROOT, '.cache', 'fixtures');
    mkdirSync(dir, { recursive: true });
    const truncated = join(dir, `truncated-${process.pid}.so`);
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(() => open(truncated)).toThrow(new RegExp(`^open: ${truncated.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
  });
});

describe('func() and declare()', () => {
  it('a DeclarationError points at the construct', () => {
    const c = lib('c');
    let caught: unknown;
    try {
      c.func('int f(int x : 3)');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DeclarationError);
    expect((caught as DeclarationError).pretty()).toMatch(/\^ /);
  });

  it('a missing symbol names the function, the engine and the library', () => {
    expect(() => lib('m').func('double no_such_function(double x)')).toThrow(/^no_such_function: .*\(engine koffi, library .*libm/);
  });

  it('checks the argument count', () => {
    const cos = lib('m').func('double cos(double x)') as unknown as (...args: unknown[]) => unknown;
    expect(() => cos()).toThrow(/^cos: expected 1 argument, got 0 \(double cos\(double x\)\)$/);
    expect(() => cos(1, 2)).toThrow(/expected 1 argument, got 2/);
  });

  it('declare() returns functions, types and enum constants, and keeps the names for func()', () => {
    const f = open(fixtureLibrary(), { engine: 'koffi' });
    opened.push(f);
    const { functions, types, constants } = f.declare(`
      enum fx_color { RED, GREEN = 4, BLUE };
      typedef struct { int32_t x; int32_t y; } fx_point;
      fx_point fx_point_add(fx_point a, fx_point b);
    `);
    expect(constants).toEqual({ RED: 0, GREEN: 4, BLUE: 5 });
    expect(Object.keys(types).sort()).toEqual(['enum fx_color', 'fx_point']);
    expect(functions.fx_point_add?.({ x: 1, y: 1 }, { x: 2, y: 3 })).toEqual({ x: 3, y: 4 });
    expect(f.func('fx_point fx_point_add(fx_point a, fx_point b)').declaration).toBe('fx_point fx_point_add(fx_point a, fx_point b)');
    expect(readRecord(f.address('fx_origin'), types.fx_point as RecordType)).toEqual({ x: 3, y: -4 });
  });

  it('a declare() text that fails half way declares nothing', () => {
    const f = open(fixtureLibrary(), { engine: 'koffi' });
    opened.push(f);
    expect(() => f.declare('typedef int32_t my_int; int32_t fx_counter_get(void); int x : 3;')).toThrow(DeclarationError);
    expect(() => f.func('my_int fx_counter_get(void)')).toThrow(DeclarationError);
  });

  it('a record argument of the wrong shape is a TypeError naming the field', () => {
    const f = open(fixtureLibrary(), { engine: 'koffi' });
    opened.push(f);
    f.declare('typedef struct { int32_t x; int32_t y; } fx_point; typedef struct { fx_point min; fx_point max; double weight; uint8_t tag[4]; } fx_box;');
    const area = f.func('int64_t fx_box_area(const fx_box *box)');
    expect(() => area({ min: { x: 0, y: 0 }, max: { x: 1 }, weight: 0, tag: [] })).toThrow(/^fx_box_area: argument 1\.max\.y is missing/);
  });

  it('unknown func options are a TypeError', () => {
    expect(() => lib('m').func('double cos(double x)', { errorno: true } as never)).toThrow(/^func: argument 'options' has an unknown key 'errorno'/);
  });
});

describe('async, errno, close', () => {
  it('an abort after the call started rejects at once with the reason; the result is dropped', async () => {
    const c = lib('c');
    const usleep = c.func('int usleep(uint32_t usec)');
    const controller = new AbortController();
    const pending = usleep.async(200_000, { signal: controller.signal });
    const started = performance.now();
    controller.abort(new Error('enough'));
    await expect(pending).rejects.toThrow('enough');
    expect(performance.now() - started).toBeLessThan(150);
  });

  it('errno is per function and read right after the call', () => {
    const c = lib('c');
    const plain = c.func('long strtol(const char *s, char **end, int base)');
    const withErrno = c.func('long strtol(const char *s, char **end, int base)', { errno: true });
    plain('99999999999999999999', null, 10);
    expect(plain.errno).toBeUndefined();
    withErrno('99999999999999999999', null, 10);
    expect(withErrno.errno).toBe(34);
    expect(() => withErrno.async('1', null, 10)).toThrow(/^strtol\.async: errno is captured on the calling thread/);
  });

  it('close() makes every function throw, sync and async', async () => {
    const m = open('m', { engine: 'koffi' });
    const cos = m.func('double cos(double x)');
    m.close();
    expect(m.closed).toBe(true);
    expect(() => cos(0)).toThrow(/^cos: library .* is closed$/);
    await expect(cos.async(0)).rejects.toThrow(/is closed/);
    expect(() => m.address('cos')).toThrow(/^address: library .* is closed$/);
    expect(() => m.symbols()).not.toThrow();
  });
});

describe('memory helpers', () => {
  it('readCString never reads past maxLength nor past the NUL', () => {
    const f = open(fixtureLibrary(), { engine: 'koffi' });
    opened.push(f);
    const greeting = f.address('fx_greeting');
    expect(readCString(greeting, 5)).toBe('hello');
    expect(readCString(greeting, 0)).toBe('');
    expect(readCString(greeting, 10_000)).toBe('hello from the fixture');
    expect(readBytes(greeting, 0)).toEqual(new Uint8Array(0));
  });
});

// ---------------------------------------------------------------------------------------------
// docs/ffi.md's example, extracted and run on each runtime present.

function docsExample(): { code: string; output: string } {
  const text = readFileSync(join(ROOT, 'docs', 'ffi.md'), 'utf8');
  const block = (marker: string) => {
    const at = text.indexOf(marker);
    if (at < 0) throw new Error(`docs/ffi.md has no ${marker}`);
    const match = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at));
    if (!match) throw new Error(`docs/ffi.md: no code block after ${marker}`);
    return match[1] as string;
  };
  return { code: block('<!-- example: ffi -->'), output: block('<!-- output: ffi -->') };
}

function writeExample(): string {
  const { code } = docsExample();
  const dir = join(ROOT, '.cache', 'docs-example');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `ffi-${process.pid}.mts`);
  writeFileSync(file, code.replaceAll("'mylib-rust/ffi'", JSON.stringify(join(ROOT, 'bindings', 'ffi', 'index.ts'))));
  return file;
}

const RUNTIMES = join(ROOT, '.cache', 'runtimes');
const BUN = join(RUNTIMES, 'bun-1.4.4', 'bin', 'bun');
const DENO = join(RUNTIMES, 'deno-2.9.6', 'deno');

describe('docs/ffi.md example', () => {
  const run = (bin: string, args: string[]) => {
    const result = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MYLIB_FFI_ENGINE: '' }, timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${bin} exited ${result.status ?? result.signal}:\n${result.stderr}`);
    return result.stdout;
  };

  it('runs on Node (koffi) and prints the documented output', () => {
    expect(run(process.execPath, ['--import', 'tsx', writeExample()])).toBe(docsExample().output);
  });

  // npm test installs Bun and Deno first (npm run setup:runtimes): a missing one fails, never skips.
  const required = (bin: string) => {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run setup:runtimes\``);
    return bin;
  };

  it('runs on Bun (bun:ffi)', () => {
    expect(run(required(BUN), [writeExample()])).toBe(docsExample().output);
  });

  it('runs on Deno (Deno.dlopen)', () => {
    expect(run(required(DENO), ['run', '--allow-ffi', '--allow-read', '--allow-env', '--node-modules-dir=manual', writeExample()])).toBe(docsExample().output);
  });
});
