// The workbench's readers without a REPL: the C declaration parser's columns (table-driven), the
// names `.symbols` shows, and the library-name rules. The symbol tables themselves are read by
// bindings/ffi/object-file.ts (tested in test/ffi/).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { ROOT } from '../../scripts/abi/index.ts';
import { DeclarationError, bindingResultText, koffiPrototype, parsePrototype, parseStruct } from '../../scripts/repl/cdecl.ts';
import { defaultName, resolveLibrary } from '../../bindings/ffi/names.ts';
import { displayName, formatOf } from '../../scripts/repl/workbench.ts';
import { inspectObjectFile } from '../../bindings/ffi/object-file.ts';

describe('parsePrototype', () => {
  it.each([
    ['double cos(double x)', 'double cos(double x)'],
    ['double cos(double);', 'double cos(double)'],
    ['int f(void)', 'int f()'],
    ['char *strdup(const char * s)', 'void *strdup(const char *s)'],
    ['const char *getenv(const char *name)', 'const char *getenv(const char *name)'],
    ['int printf(const char *fmt, ...)', 'int printf(const char *fmt, ...)'],
    ['struct tm *gmtime(const time_t *t)', 'tm *gmtime(const time_t *t)'],
    ['unsigned long long f(char **argv, uint8_t *const p)', 'unsigned long long f(char **argv, uint8_t *const p)'],
    ['int32_t mylib_add(int32_t a, int32_t b)', 'int32_t mylib_add(int32_t a, int32_t b)'],
  ])('%s -> koffi binds %s', (text, bound) => {
    const prototype = parsePrototype(text);
    expect(koffiPrototype(prototype, bindingResultText(prototype))).toBe(bound);
  });

  it.each([
    ['double cos(double x', 19, "missing ')'"],
    ['double cos double x)', 20, "expected '('"],
    ['cos(double x)', 0, 'missing the result type'],
    ['double cos(double x, )', 19, 'parameter 2 is empty'],
    ['double cos(dou$ble x)', 14, "unexpected '$'"],
    ['int qsort(int (*cmp)(int))', 14, '.callback'],
    ['double cos(double x) foo', 21, "unexpected 'foo'"],
    ['int f(..., int x)', 6, "'...' must be the last"],
    ['int f(int a[4])', 11, 'pointers'],
    ['double cos(double x y)', 18, 'cannot read parameter 1'],
    ['double cos(dou ble x)', 15, 'cannot read parameter 1'],
    ['double double cos(int x)', 7, 'one word too many'],
    ['int f(void x)', 6, "cannot be 'void'"],
  ])('%s fails at column %i', (text, column, reason) => {
    let error: unknown;
    try {
      parsePrototype(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeclarationError);
    expect((error as DeclarationError).column).toBe(column);
    expect((error as DeclarationError).reason).toContain(reason);
    const [line, caret] = (error as DeclarationError).pretty('').split('\n');
    expect(line).toBe(text);
    expect(caret?.indexOf('^')).toBe(column);
  });
});

describe('parseStruct', () => {
  it.each([
    ['struct tm { int tm_sec; long tm_gmtoff; const char *tm_zone; }', 'tm', { tm_sec: 'int32_t', tm_gmtoff: 'long', tm_zone: 'const char *' }],
    ['typedef struct { double x, y; } Point;', 'Point', { x: 'double', y: 'double' }],
    ['Rect { Point a; char name[16]; }', 'Rect', { a: 'Point', name: 'char [16]' }],
    ['FILE', 'FILE', undefined],
  ])('%s', (text, name, fields) => {
    const parsed = parseStruct(text);
    expect(parsed.name).toBe(name);
    expect(parsed.fields && Object.fromEntries(parsed.fields.map((f) => [f.name, f.type]))).toEqual(fields);
  });
  it.each([
    ['struct X { int a: 3; }', ':'],
    ['struct X { int a[; }', ';'],
    ['struct { int a; }', '{'],
    ['struct X { int a; int a; }', 'a; }'],
  ])('%s fails under %s', (text, at) => {
    expect(() => parseStruct(text)).toThrow(DeclarationError);
    try {
      parseStruct(text);
    } catch (error) {
      expect((error as DeclarationError).column).toBe(text.lastIndexOf(at));
    }
  });
});

describe('.symbols presentation', () => {
  it('shows versions as readelf does (@@ default, @ hidden) and universal files with their slices', () => {
    expect(displayName({ name: 'cos', kind: 'function' })).toBe('cos');
    expect(displayName({ name: 'cos', kind: 'function', version: 'GLIBC_2.2.5', defaultVersion: true })).toBe('cos@@GLIBC_2.2.5');
    expect(displayName({ name: 'memcpy', kind: 'function', version: 'GLIBC_2.2.5', defaultVersion: false })).toBe('memcpy@GLIBC_2.2.5');
    const path = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));
    const file = inspectObjectFile(path);
    expect(formatOf(file)).toMatch(/^(ELF|PE|Mach-O) (x86_64|aarch64)/);
    expect(
      formatOf({
        ...file,
        format: 'macho-fat',
        machine: 'aarch64',
        slices: [
          { machine: 'x86_64', machineCode: 0, offset: 0, size: 0 },
          { machine: 'aarch64', machineCode: 0, offset: 0, size: 0 },
        ],
      }),
    ).toBe('Mach-O aarch64 (universal: x86_64, aarch64)');
  });
});

describe('library names', () => {
  it.each([
    ['libm.so.6', 'm'],
    ['/usr/lib/libfoo.so', 'foo'],
    ['libz.1.dylib', 'z'],
    ['ucrtbase.dll', 'ucrtbase'],
    ['m', 'm'],
    ['libc++.so.1', 'c__'],
    ['/x/2d-lib.so', '_2d_lib'],
  ])('%s is `%s` at the prompt', (spec, name) => {
    expect(defaultName(spec)).toBe(name);
  });

  it.runIf(process.platform === 'linux' && hostPlatform().libc === 'gnu')('m and c are glibc sonames on glibc', () => {
    expect(resolveLibrary('m').file).toMatch(/\/libm\.so\.6$/);
    expect(resolveLibrary('libc').file).toMatch(/\/libc\.so\.6$/);
  });
});
