// `.save`: the workbench's declarations written as a module that imports mylib-rust/ffi only, in a
// fresh project outside the repository (the package compiled into its node_modules), then:
// type-checked (the functions' TypeScript types come from their C text), and run unchanged on
// Node 20 (tsx, koffi), Node 26 (its own type stripping, koffi), Bun (bun:ffi) and Deno
// (Deno.dlopen). The session names a library `__proto__` and a struct field `__proto__`: neither
// may lose a declaration. Bun, Deno and Node 26 come from `npm run setup:runtimes`; a missing one
// FAILS with the reason (MYLIB_SKIP_RUNTIMES=bun,deno,node26 skips them on purpose, and says so).
// Linux only: the session opens libm.so.6 and libc.so.6.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savedModule } from '../../bindings/repl/save.ts';
import { Workbench } from '../../bindings/repl/workbench.ts';
import { RUNTIME_BINARIES, TSX, scratchProject, typeCheckProject } from './session.ts';

const LINUX = process.platform === 'linux';
const SKIPPED = new Set((process.env.MYLIB_SKIP_RUNTIMES ?? '').split(',').filter(Boolean));
if (!LINUX) console.warn(`test/repl/save.test.ts: SKIPPED on ${process.platform}: the session opens Linux libraries (libm.so.6, libc.so.6).`);
for (const name of SKIPPED) console.warn(`test/repl/save.test.ts: ${name} SKIPPED on purpose (MYLIB_SKIP_RUNTIMES=${process.env.MYLIB_SKIP_RUNTIMES})`);

/** The program that imports the saved module: every kind of declaration, a closed-library call, JSON out. */
const USE = `import { readBytes } from 'mylib-rust/ffi';
import { load } from './native.ts';

const libs = load();
const proto = libs.__proto__;
const numbers = new Int32Array([3, 1, 2]);
// The comparator gets the two element addresses; bounded reads of mylib-rust/ffi read them.
const int = (p: unknown) => new DataView(readBytes(p as bigint, 4).buffer).getInt32(0, true);
libs.c.qsort(numbers, 3, 4, (a: unknown, b: unknown) => int(a) - int(b));
const copy = libs.c.strdup('saved module');
const out = {
  own: Object.hasOwn(libs, '__proto__'),
  cos: proto.cos(0),
  cosAsync: await proto.cos.async(Math.PI),
  strlen: libs.c.strlen('hello'),
  rem: (libs.c.div(17, 5) as { rem: number }).rem,
  sorted: Array.from(numbers),
  env: libs.c.getenv('MYLIB_SAVE_VALUE'),
  copy: typeof copy,
};
libs.c.free(copy);
libs.close();
let closed = '';
try {
  proto.cos(0);
} catch (error) {
  closed = (error as Error).message.replace(/library \\S+ is/, 'library <path> is');
}
console.log(JSON.stringify({ ...out, closed }));
`;

/** Lines that must NOT type-check: the types come from the C text. */
const TYPE_ERRORS = `import { load } from './native.ts';

const libs = load();
const cos: number = libs.__proto__.cos(0);
// @ts-expect-error double cos(double x) takes a number
libs.__proto__.cos('zero');
// @ts-expect-error size_t strlen(const char *s) takes one argument
libs.c.strlen('a', 'b');
// @ts-expect-error const char *getenv(...) returns string | null, not a number
const env: number = libs.c.getenv('HOME');
// @ts-expect-error no library of that name
libs.z;
// @ts-expect-error the paths of load() name the session's libraries
load({ nope: '/x.so' });
load({ c: '/lib/libc.so.6' });
void cos;
void env;
`;

const EXPECTED = {
  own: true,
  cos: 1,
  cosAsync: -1,
  strlen: 5,
  rem: 2,
  sorted: [1, 2, 3],
  env: 'from the test',
  copy: 'bigint',
  closed: 'cos: library <path> is closed',
};

describe.runIf(LINUX)('.save: a module on mylib-rust/ffi that runs on Node, Bun and Deno', () => {
  let project: string;
  let source: string;
  const workbench = new Workbench({ bind() {}, taken: () => false, mylibPath: () => undefined });

  beforeAll(() => {
    project = scratchProject('mylib-repl-save-');
    workbench.open('m as __proto__');
    workbench.open('c');
    workbench.struct('typedef struct { int __proto__; int rem; } div_t');
    workbench.callback('int CmpFn(const void *a, const void *b)');
    workbench.declare('__proto__ double cos(double x)');
    workbench.declare('c size_t strlen(const char *s)');
    workbench.declare('c div_t div(int numerator, int denominator)');
    workbench.declare('c void qsort(void *base, size_t n, size_t size, CmpFn *cmp)');
    workbench.declare('c char *strdup(const char *s)');
    workbench.declare('c void free(void *p)');
    workbench.declare('c const char *getenv(const char *name)');
    workbench.typedef('typedef unsigned long ino_t');
    source = savedModule(workbench, 'Written by test/repl/save.test.ts');
    writeFileSync(join(project, 'native.ts'), source);
    writeFileSync(join(project, 'use.ts'), USE);
    writeFileSync(join(project, 'types.ts'), TYPE_ERRORS);
  });

  afterAll(() => {
    workbench.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('imports mylib-rust/ffi only, declares the types as one C text block and each function from its text', () => {
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['mylib-rust/ffi']);
    expect(source).not.toMatch(/from 'koffi'|import\(|require\(/);
    expect(source).toContain('typedef struct { int __proto__; int rem; } div_t;');
    expect(source).toContain('typedef int CmpFn(const void *a, const void *b);');
    expect(source).toContain('typedef int64_t time_t;');
    expect(source).toContain("    cos: lib.func('double cos(double x)'),");
    // `__proto__:` in an object literal would set the prototype: a computed key is a property.
    expect(source).toContain("  ['__proto__']: 'm',");
    expect(source).toContain('  readonly __proto__: ReturnType<typeof bind0>;');
  });

  it('type-checks: a function is typed from its C text (tsc over the scratch project)', () => {
    // use.ts prints with console (Node's types are not installed there): the module and the type checks only.
    const tsc = typeCheckProject(project, ['native.ts', 'types.ts']);
    expect(tsc.output).toBe('');
    expect(tsc.status).toBe(0);
  });

  const runtimes: Array<{ name: string; label: string; command: () => [string, string[]] }> = [
    { name: 'node20', label: 'Node 20 (tsx, koffi)', command: () => [process.execPath, [TSX, 'use.ts']] },
    { name: 'node26', label: 'Node 26 (type stripping, koffi)', command: () => [RUNTIME_BINARIES.node26, ['use.ts']] },
    { name: 'bun', label: 'Bun (bun:ffi)', command: () => [RUNTIME_BINARIES.bun, ['use.ts']] },
    {
      name: 'deno',
      label: 'Deno (Deno.dlopen)',
      command: () => [RUNTIME_BINARIES.deno, ['run', '--allow-ffi', '--allow-read', '--allow-env', '--node-modules-dir=manual', 'use.ts']],
    },
  ];
  for (const runtime of runtimes) {
    it.skipIf(SKIPPED.has(runtime.name))(`runs unchanged on ${runtime.label}`, () => {
      const [bin, args] = runtime.command();
      expect(
        existsSync(bin),
        `${runtime.label} is missing at ${bin}: run \`npm run setup:runtimes\` (or MYLIB_SKIP_RUNTIMES=${runtime.name} to skip it on purpose)`,
      ).toBe(true);
      const run = spawnSync(bin, args, {
        cwd: project,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, MYLIB_FFI_ENGINE: '', MYLIB_SAVE_VALUE: 'from the test', NO_COLOR: '1' },
      });
      expect(run.status, `${runtime.label} exited ${run.status ?? run.signal}:\n${run.stderr}`).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(EXPECTED);
    });
  }

  it('refuses to save a library named close (it would shadow close())', () => {
    const other = new Workbench({ bind() {}, taken: () => false, mylibPath: () => undefined });
    try {
      other.open('m as close');
      expect(() => savedModule(other, 'test')).toThrow(/named 'close'/);
    } finally {
      other.dispose();
    }
  });
});
