// The grammar's header mode (parseHeader), readHeader (cc -E -dD or the raw text) and lib.include():
// what is read, what is skipped and why, where each declaration is, doc comments, own files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Scope, parseDeclarations, parseHeader } from '../../bindings/ffi/grammar.ts';
import { readHeader } from '../../bindings/ffi/header.ts';
import { open } from '../../bindings/ffi/library.ts';

const HAS_CC = !spawnSync('cc', ['--version']).error;
if (!HAS_CC) console.warn('header.test.ts: the cc cases FAIL: no C compiler (cc) on PATH: install gcc or clang');

/** What a header text declares (`kind name`) and skips (`why name`, `part`). */
function read(text: string) {
  const result = parseHeader(text, new Scope(), { file: 'test.h' });
  return {
    declared: result.declared.map((d) => `${d.item.kind} ${d.item.name}`),
    skipped: result.skipped.map((s) => `${s.part === 'syntax' ? 'dropped ' : ''}${s.why} ${s.name ?? '?'}`),
    result,
  };
}

describe('grammar, header mode: a refused declaration is recorded and reading goes on', () => {
  it.each([
    ['int printf(const char *fmt, ...); int puts(const char *s);', ['function puts'], ['variadic printf']],
    ['static inline int twice(int x) { return 2 * x; } int after(void);', ['function after'], ['static twice']],
    ['inline int f(void) { if (1) { return 0; } } int g(void);', ['function g'], ['inline f']],
    ['typedef __builtin_va_list va_list; int vf(const char *, va_list); int ok(void);', ['function ok'], ['unknown type va_list', 'unknown type vf']],
    ['struct bits { int a : 3; }; struct bits *make(void);', ['record bits', 'function make'], ['unsupported bits']],
    ['long double ld(void); double d(void);', ['function d'], ['unsupported ld']],
    ['int x __asm__("other_x"); int y;', ['variable y'], ['asm label x']],
    ['_Static_assert(1, "x"); int z(void);', ['function z'], ['unsupported _Static_assert']],
    ['int @ bad; int good(void);', ['function good'], ['unsupported bad']],
  ])('%s', (text, declared, skipped) => {
    const r = read(text);
    expect(r.declared).toEqual(declared);
    expect(r.skipped).toEqual(skipped);
  });

  it.each([
    [
      'extern void *malloc(size_t n) __attribute__((__nothrow__, __leaf__)) __attribute__((__malloc__));',
      ['function malloc'],
      ['dropped attribute malloc', 'dropped attribute malloc'],
    ],
    ['__extension__ typedef long long int quad_t;', ['typedef quad_t'], ['dropped extension quad_t']],
    ['__declspec(dllexport) int exported(void);', ['function exported'], ['dropped attribute exported']],
    ['_Noreturn void stop(int);', ['function stop'], ['dropped attribute stop']],
    ['extern __const char *__restrict name(void);', ['function name'], []],
  ])('drops, and records, attributes and __extension__: %s', (text, declared, skipped) => {
    const r = read(text);
    expect(r.declared).toEqual(declared);
    expect(r.skipped).toEqual(skipped);
  });

  it('a refused declaration leaves nothing in the scope', () => {
    const scope = new Scope();
    parseHeader('struct half { int ok; int bad : 1; }; enum e { A = 1, B = 2 } broken @;', scope);
    expect(scope.type('struct half')).toBeUndefined();
    expect(scope.constant('A')).toBeUndefined();
  });

  it('a refused declaration with no `;` before the end is one record and reading ends (it looped forever)', () => {
    const r = parseHeader('int ok(void);\nint [5] x int y long z');
    expect(r.declared.map((d) => d.item.name)).toEqual(['ok']);
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]).toMatchObject({ text: 'int [5] x int y long z', reason: "expected a name, found '['" });
  });

  it('the plain mode is unchanged: the first refusal throws', () => {
    expect(() => parseDeclarations('int printf(const char *, ...); int puts(const char *);')).toThrow(/variadic/);
  });
});

describe('grammar, header mode: preprocessor lines', () => {
  it.each([
    ['#define ANSWER 42', 'constant ANSWER = 42'],
    ['#define MASK (1u << 4 | 0x3)', 'constant MASK = 19'],
    ['#define NEG (-1)', 'constant NEG = -1'],
    ['#define BASE 8\n#define MORE (BASE * 2 + 1)', 'constant MORE = 17'],
    ['#define VERSION "1.2" ".3"', 'string VERSION = "1.2.3"'],
    ['#define ESCAPED "a\\tb\\"c\\x41"', 'string ESCAPED = "a\\tb\\"cA"'],
    ['#define LONG_CONSTANT 10 /* a comment */', 'constant LONG_CONSTANT = 10'],
  ])('%s', (text, expected) => {
    const declared = parseHeader(text).declared.map((d) => d.item);
    const last = declared.at(-1);
    expect(
      last &&
        `${last.kind} ${last.name} = ${JSON.stringify(last.kind === 'string' ? last.value : 'value' in last ? last.value : '')}`.replace(/"(-?\d+)"$/, '$1'),
    ).toBe(expected.replace(/= (-?\d+)$/, '= $1'));
  });

  it.each([
    ['#define MAX(a, b) ((a) > (b) ? (a) : (b))', 'macro', 'function-like macro'],
    ['#define HEADER_H', 'macro', 'empty macro'],
    ['#define PI 3.14159', 'macro', 'not an integer or string constant'],
    ['#define HANDLE ((void *)0)', 'macro', 'not an integer or string constant'],
    ['#define HUGE 0xffffffffffffffff', 'macro', 'does not fit a JavaScript number'],
    ['#include <stdio.h>', 'preprocessor', '#include is not followed'],
    ['#ifdef X', 'preprocessor', 'conditionals'],
    ['#pragma once', 'preprocessor', '#pragma'],
  ])('%s is skipped: %s', (text, why, reason) => {
    const { declared, skipped } = parseHeader(text);
    expect(declared).toEqual([]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ why, part: 'declaration', file: '<text>', line: 1 });
    expect(skipped[0]?.reason).toContain(reason);
  });

  it('raw text: empty macros are removed, word macros put in place, in text order', () => {
    const r = read('#define API\n#define EXTERN extern\n#define uint unsigned int\nAPI EXTERN uint count(void);\n#undef API\nAPI int later(void);');
    expect(r.declared).toEqual(['function count']);
    expect(r.skipped.filter((s) => !s.startsWith('macro') && !s.startsWith('preprocessor'))).toEqual(['unknown type later']);
  });

  it('line markers give each declaration its file and line', () => {
    const text = '# 1 "/inc/a.h"\nint a(void);\n\n# 10 "/inc/b.h" 1\nint b(void);\nint c(\n  int x);\n# 3 "/inc/a.h" 2\n#define D 4\nint @;';
    const { declared, skipped } = parseHeader(text);
    expect(declared.map((d) => [d.item.name, d.at.file, d.at.line, d.at.endLine])).toEqual([
      ['a', '/inc/a.h', 1, 1],
      ['b', '/inc/b.h', 10, 10],
      ['c', '/inc/b.h', 11, 12],
      ['D', '/inc/a.h', 3, 3],
    ]);
    expect(skipped.map((s) => [s.file, s.line])).toEqual([['/inc/a.h', 4]]);
  });
});

describe('readHeader: the preprocessor or the raw text, own files, doc comments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mylib-header-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'types.h'), '/** A point. */\ntypedef struct { int x, y; } point;\n');
  writeFileSync(
    join(dir, 'api.h'),
    [
      '#include <stddef.h>',
      '#include "types.h"',
      '#define API_LEVEL 3',
      '',
      '/* Moves a point. */',
      'point move(point p, int dx);',
      'size_t count(void);',
      '',
      'int checked(int x);',
      '/*',
      '   checked() returns x.',
      '*/',
      '',
      '#ifdef WITH_EXTRA',
      'int extra(void);',
      '#endif',
    ].join('\n'),
  );

  it.runIf(HAS_CC)('through cc -E -dD: the header and what it includes with quotes, not <stddef.h>; -D reaches the preprocessor', () => {
    const header = readHeader(join(dir, 'api.h'), { define: ['WITH_EXTRA'] });
    expect(header.preprocessor).toMatch(/^cc -E -dD -DWITH_EXTRA -x c /);
    expect(header.files).toEqual([join(dir, 'api.h'), join(dir, 'types.h')]);
    expect(header.declarations.map((d) => `${d.item.kind} ${d.item.name}`)).toEqual([
      'typedef point',
      'constant API_LEVEL',
      'function move',
      'function count',
      'function checked',
      'function extra',
    ]);
    expect(header.context.declarations).toBeGreaterThan(0);
    const doc = (name: string) => header.declarations.find((d) => d.item.name === name)?.doc;
    // `count` follows `move` with no blank line: the group shares the comment before it.
    expect([doc('point'), doc('move'), doc('count'), doc('checked'), doc('extra')]).toEqual([
      'A point.',
      'Moves a point.',
      'Moves a point.',
      'checked() returns x.',
      undefined,
    ]);
    expect(readHeader(join(dir, 'api.h')).declarations.map((d) => d.item.name)).not.toContain('extra');
  });

  it.runIf(HAS_CC)('C text goes through the preprocessor too; a preprocessor error is an Error with its message', () => {
    expect(readHeader('#define TWO 2\nint f(int a[TWO]);').declarations.map((d) => d.item.name)).toEqual(['TWO', 'f']);
    expect(() => readHeader('#error stop here\n')).toThrow(/readHeader: cc .* failed \(exit 1\):\n.*stop here/);
  });

  it('raw: no includes, both branches of a conditional, the skipped lines listed', () => {
    const header = readHeader(join(dir, 'api.h'), { preprocess: 'raw' });
    expect(header.preprocessor).toBeUndefined();
    expect(header.declarations.map((d) => d.item.name)).toEqual(['API_LEVEL', 'count', 'checked', 'extra']);
    expect(header.skipped.map((s) => `${s.why} ${s.name ?? s.text}`)).toEqual([
      'preprocessor #include <stddef.h>',
      'preprocessor #include "types.h"',
      'unknown type move',
      'preprocessor #ifdef WITH_EXTRA',
      'preprocessor #endif',
    ]);
  });

  it('a missing compiler: auto reads the raw text and says so; cc is an Error', () => {
    const header = readHeader(join(dir, 'api.h'), { compiler: 'no-such-cc-here' });
    expect(header.note).toBe('no C compiler (no-such-cc-here): the raw text was read (no includes, no conditionals)');
    expect(() => readHeader(join(dir, 'api.h'), { compiler: 'no-such-cc-here', preprocess: 'cc' })).toThrow(/cannot run the preprocessor 'no-such-cc-here'/);
  });

  it.each([
    [undefined, {}, /argument 'header' must be a path or C text, got undefined/],
    ['', {}, /argument 'header' is empty/],
    ['/no/such/header.h', {}, /no header at \/no\/such\/header.h/],
    ['int f(void);', { include: 'dir' }, /option 'include' must be an array/],
    ['int f(void);', { define: ['1X'] }, /option 'define' takes NAME or NAME=value/],
    ['int f(void);', { preprocess: 'gcc' }, /option 'preprocess' must be 'auto', 'cc' or 'raw'/],
    ['int f(void);', { nope: 1 }, /unknown key 'nope'/],
  ])('bad input is an error naming the argument: %s %j', (header, options, message) => {
    expect(() => readHeader(header as string, options as never)).toThrow(message);
  });
});

describe.runIf(process.platform === 'linux')('lib.include(): bound, skipped, not exported', () => {
  it('binds what the library exports, lists what it does not, and what was skipped', () => {
    using m = open('m');
    const included = m.include('double cos(double x);\ndouble no_such_function(double);\nint printf(const char *, ...);\n#define HALF 0.5\nenum { ONE = 1 };');
    expect(Object.keys(included.functions)).toEqual(['cos']);
    expect(included.functions.cos?.(0)).toBe(1);
    expect(included.unexported.map((u) => [u.name, u.reason])).toEqual([['no_such_function', expect.stringContaining("exports no symbol 'no_such_function'")]]);
    expect(included.skipped.map((s) => `${s.why} ${s.name}`)).toEqual(['variadic printf', 'macro HALF']);
    expect(included.constants).toEqual({ ONE: 1 });
    // The names stay declared on the library.
    expect(m.func('double cos(double x)')(0)).toBe(1);
  });

  it.each([
    [5, /include: argument 'options' must be an object, got number/],
    [{ include: 'x' }, /include: option 'include' must be an array/],
  ])('bad options: %j', (options, message) => {
    using m = open('m');
    expect(() => m.include('double cos(double);', options as never)).toThrow(message);
  });

  it('after close(), include is refused', () => {
    const m = open('m');
    m.close();
    expect(() => m.include('double cos(double);')).toThrow(/include: library .* is closed/);
  });
});
