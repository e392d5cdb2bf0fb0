import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scope, parseDeclarations } from '../../bindings/ffi/index.ts';
import { defaultName, resolveLibrary } from '../../bindings/ffi/names.ts';
import { inspectObjectFile } from '../../bindings/ffi/object-file.ts';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { ROOT } from '../../scripts/abi/index.ts';
import { Workbench, WorkbenchError, platformTypedefs, readSymbolTable } from '../../bindings/repl/workbench.ts';

const workbench = () => new Workbench({ bind() {}, taken: () => false, mylibPath: () => undefined });

/** The caret column of a WorkbenchError's pretty() block, and its text line. */
function caret(run: () => unknown): { line: string; column: number; reason: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    const lines = (error as Error).message.split('\n');
    const at = lines.findIndex((l) => /^\s*\^ /.test(l));
    const caretLine = lines[at] as string;
    return { line: (lines[at - 1] as string).slice(2), column: caretLine.indexOf('^') - 2, reason: caretLine.slice(caretLine.indexOf('^') + 2) };
  }
  throw new Error('no error');
}

describe('.struct, .callback, .typedef: C text into the workbench scope', () => {
  it.each([
    [
      '.struct',
      'struct tm { int tm_sec; long tm_gmtoff; const char *tm_zone; }',
      ['struct tm'],
      /struct tm: 24 bytes, alignment 8 \(tm_sec@0 int32_t, tm_gmtoff@8 long, tm_zone@16 const char \*\)/,
    ],
    ['.struct', 'typedef struct { double x, y; } Point;', ['Point'], /struct Point: 16 bytes/],
    ['.struct', 'Rect { double w; char name[16]; }', ['struct Rect', 'Rect'], /struct Rect: 24 bytes, alignment 8 \(w@0 double, name@8 char \[16\]\)/],
    ['.struct', 'FILE', ['struct FILE', 'FILE'], /opaque type FILE: use it behind a pointer \(FILE \*\)/],
    ['.struct', 'union value { int32_t i; double d; }', ['union value'], /union value: 8 bytes/],
    ['.struct', 'enum color { RED, GREEN = 4 }', ['enum color'], /enum color: RED = 0, GREEN = 4/],
    ['.callback', 'int CmpFn(const void *a, const void *b)', ['CmpFn'], /callback CmpFn: .*Declare parameters as `CmpFn \*`/],
    ['.callback', 'typedef int (*cmp_fn)(const void *, const void *);', ['cmp_fn'], /Declare parameters as `cmp_fn`/],
    ['.typedef', 'ino_t unsigned long', ['ino_t'], /^typedef unsigned long ino_t \(8 bytes\)\.$/],
    ['.typedef', 'typedef uint16_t port_t', ['port_t'], /^typedef uint16_t port_t \(2 bytes\)\.$/],
  ])('%s %s', (command, text, names, output) => {
    const wb = workbench();
    const run = { '.struct': wb.struct, '.callback': wb.callback, '.typedef': wb.typedef }[command] as (args: string) => string;
    expect(run.call(wb, text)).toMatch(output);
    expect(wb.types.at(-1)?.names).toEqual(names);
    // What .save writes (TYPES) is C the grammar reads again, in one scope.
    const scope = new Scope();
    expect(() => parseDeclarations(wb.types.map((t) => t.text).join('\n'), scope)).not.toThrow();
  });

  it.each([
    ['.struct', 'struct X { int a: 3; }', 'struct X { int a: 3; }', 'struct X { int a'.length, 'bit-fields are not supported'],
    ['.struct', 'X { int a[; }', 'X { int a[; }', 'X { int a['.length, ''],
    ['.struct', 'struct X { int a; int a; }', 'struct X { int a; int a; }', 'struct X { int a; int '.length, "duplicate field 'a'"],
    ['.struct', 'X { FILE f; }', 'X { FILE f; }', 'X { '.length, "unknown type 'FILE': declare it first"],
    ['.struct', 'int f(void)', 'int f(void)', 'int '.length, "'f' is a function: declare it on its library"],
    ['.callback', 'int x', 'typedef int x', 0, 'a callback is one function type'],
    ['.typedef', 'p struct nope *x', 'struct nope *x', 'struct nope *'.length, ''],
  ])('%s %s fails with a caret', (command, text, line, column, reason) => {
    const wb = workbench();
    const before = wb.types.length;
    const run = { '.struct': wb.struct, '.callback': wb.callback, '.typedef': wb.typedef }[command] as (args: string) => string;
    const error = caret(() => run.call(wb, text));
    expect(error.line).toBe(line);
    expect(error.column).toBe(column);
    expect(error.reason).toContain(reason);
    expect(wb.types.length).toBe(before);
  });

  it('a text that fails half way declares nothing; a redefinition with other fields is refused', () => {
    const wb = workbench();
    expect(() => wb.struct('struct A { int a; }; struct B { int b: 1; }')).toThrow(WorkbenchError);
    expect(wb.scope.tag('struct A')).toBeUndefined();
    wb.struct('struct A { int a; }');
    expect(wb.struct('struct A { int a; }')).toBe('nothing new: declared already, with the same definition.');
    expect(caret(() => wb.struct('struct A { long a; }')).reason).toBe('struct A is already defined with other fields');
  });

  it('names like __proto__ and constructor are C names: fields, typedefs and tags', () => {
    const wb = workbench();
    expect(wb.struct('struct __proto__ { int __proto__; int constructor; }')).toMatch(
      /struct __proto__: 8 bytes, alignment 4 \(__proto__@0 int32_t, constructor@4 int32_t\)/,
    );
    expect(wb.typedef('constructor int32_t')).toMatch(/typedef int32_t constructor/);
    expect(wb.scope.typedef('toString')).toBeUndefined();
  });

  it('the platform typedefs are C text the grammar reads', () => {
    const text = platformTypedefs('x64', 'linux');
    expect(text).toContain('typedef int64_t time_t;');
    expect(platformTypedefs('x64', 'darwin')).toContain('typedef uint16_t mode_t;');
    expect(platformTypedefs('x64', 'win32')).toBe('typedef int64_t time_t;');
    expect(platformTypedefs('ia32', 'linux')).toBe('');
    expect(workbench().scope.typedef('time_t')).toMatchObject({ kind: 'scalar', name: 'int64_t' });
  });
});

describe('readSymbolTable', () => {
  it('reads the host library: every DECLARATIONS export is a function', () => {
    const path = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));
    const table = readSymbolTable(path);
    expect(table.symbols.filter((s) => s.name.startsWith('mylib_')).every((s) => s.kind === 'function')).toBe(true);
  });

  it('turns a truncated or foreign file into a message, not a RangeError', () => {
    const path = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));
    const bytes = readFileSync(path);
    expect(() => inspectObjectFile(bytes.subarray(0, 200), { name: 'cut.so' })).toThrow(/^cut\.so: /);
    expect(() => inspectObjectFile(Buffer.from('#!/bin/sh\n'), { name: 'script' })).toThrow(
      /script: not an object file this reader knows .* starts with 23212f62/,
    );
    expect(() => inspectObjectFile(Buffer.alloc(0), { name: 'empty' })).toThrow(/empty file/);
    expect(() => readSymbolTable(join(ROOT, 'package.json'))).toThrow(/package\.json: not an object file/);
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
