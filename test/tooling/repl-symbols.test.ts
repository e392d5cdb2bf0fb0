// The workbench's readers without a REPL: the C declaration parser's columns (table-driven), the
// symbol-table reader on the host's system libraries (compared with readelf when it is there)
// and on broken files, and the library-name rules.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { ROOT } from '../../scripts/abi/index.ts';
import { DeclarationError, bindingResultText, koffiPrototype, parsePrototype, parseStruct } from '../../scripts/repl/cdecl.ts';
import { defaultName, resolveLibrary } from '../../bindings/ffi/names.ts';
import { displayName, readSymbolTable } from '../../scripts/repl/symbols.ts';

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

describe('readSymbolTable', () => {
  it('reads the host library: every DECLARATIONS export is a function', () => {
    const path = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));
    const table = readSymbolTable(readFileSync(path), path);
    expect(table.symbols.filter((s) => s.name.startsWith('mylib_')).every((s) => s.kind === 'function')).toBe(true);
  });

  it.runIf(process.platform === 'linux')('matches readelf --dyn-syms on the system libm and libc (names, versions, kinds)', () => {
    const readelf = spawnSync('readelf', ['--version'], { encoding: 'utf8' });
    if (readelf.status !== 0) {
      console.warn('repl-symbols.test.ts: readelf is not installed; the comparison with it is SKIPPED');
      return;
    }
    for (const spec of ['m', 'c']) {
      const file = resolveLibrary(spec).file as string;
      const ours = readSymbolTable(readFileSync(file), file);
      const theirs = spawnSync('readelf', ['--dyn-syms', '-W', file], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((l) => l.trim().split(/\s+/))
        // Num: Value Size Type Bind Vis Ndx Name
        .filter(
          (f) =>
            f.length >= 8 &&
            /^\d+:$/.test(f[0] as string) &&
            f[6] !== 'UND' &&
            !(f[6] === 'ABS' && /^GLIBC_/.test(f[7] as string)) &&
            ['GLOBAL', 'WEAK', 'UNIQUE'].includes(f[4] as string) &&
            !['HIDDEN', 'INTERNAL'].includes(f[5] as string),
        )
        .map(
          (f) =>
            `${(f[7] as string).replace(/ \(\d+\)$/, '')} ${['FUNC', 'IFUNC'].includes(f[3] as string) ? 'function' : ['OBJECT', 'TLS', 'COMMON'].includes(f[3] as string) ? 'data' : 'other'}`,
        )
        .sort();
      expect(ours.symbols.map((s) => `${displayName(s)} ${s.kind}`).sort()).toEqual(theirs);
    }
  });

  it('turns a truncated or foreign file into a message, not a RangeError', () => {
    const path = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));
    const bytes = readFileSync(path);
    expect(() => readSymbolTable(bytes.subarray(0, 200), 'cut.so')).toThrow(/^cut\.so: truncated or corrupt (ELF|PE|Mach-O) file: /);
    expect(() => readSymbolTable(Buffer.from('#!/bin/sh\n'), 'script')).toThrow(/script: not a shared library this reader knows .* starts with 23212f62/);
    expect(() => readSymbolTable(Buffer.alloc(0), 'empty')).toThrow(/empty file/);
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
