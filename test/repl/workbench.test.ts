// The REPL as a workbench for any shared library, driven through stdin/stdout like a
// user at the prompt: open the system's libm and libc next to mylib (mylib-rust/ffi's open()),
// list symbols (the object-file reader), declare C prototypes (lib.func) and call them, sync and
// async, read returned memory with `mem` (bounded reads), C types read by the grammar into the
// workbench's scope, the safety rails (data symbol, missing symbol, caret under a grammar error),
// declarations that survive `.rebuild`, and `.save` imported by a fresh process in a scratch
// project (test/repl/save.test.ts runs a saved module on Node, Bun and Deno). Linux only for now: the expectations name glibc/musl files and
// versions (macOS keeps libSystem in the dyld shared cache, with no file to read symbols from).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { ROOT } from '../../scripts/abi/index.ts';
import { Session, TSX, scratchProject } from './session.ts';

const LIBRARY = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));
const LINUX = process.platform === 'linux';
const GLIBC = LINUX && hostPlatform().libc === 'gnu';

if (!LINUX) console.warn(`test/repl/workbench.test.ts: SKIPPED on ${process.platform}: the expectations name Linux libraries (libm.so.6, libc.so.6).`);

/** The caret line under `line` must point at the first occurrence of `at` in it. */
function expectCaretUnder(output: string, line: string, at: string) {
  const lines = output.split('\n');
  const index = lines.findIndex((l) => l.trim() === line);
  expect(index, `no line '${line}' in:\n${output}`).toBeGreaterThanOrEqual(0);
  const caret = lines[index + 1] as string;
  expect(caret.indexOf('^'), `caret line:\n${lines[index]}\n${caret}`).toBe((lines[index] as string).indexOf(at));
}

describe.runIf(LINUX)('npm run repl: a workbench for any shared library', () => {
  let work: string;
  let saveDir: string;
  let session: Session;

  beforeAll(async () => {
    expect(existsSync(LIBRARY), `${LIBRARY} is missing: run \`npm run build\` first`).toBe(true);
    work = mkdtempSync(join(tmpdir(), 'mylib-repl-workbench-'));
    const crate = join(work, 'crate');
    for (const entry of ['Cargo.toml', 'Cargo.lock', 'build.rs', 'rustlib']) {
      if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(crate, entry), { recursive: true });
    }
    // The saved module imports mylib-rust/ffi: save it in a project where that package is installed.
    saveDir = scratchProject('mylib-repl-workbench-save-');
    session = new Session({
      MYLIB_CRATE_DIR: crate,
      MYLIB_REPL_TARGET_DIR: join(work, 'target'),
      MYLIB_REPL_HISTORY: join(work, 'history'),
      MYLIB_LIBRARY_PATH: LIBRARY,
      MYLIB_WORKBENCH_VALUE: 'set for the workbench test',
    });
    await session.waitFor(/mylib> $/, 0, 30_000);
  });

  afterAll(() => {
    session?.child.kill();
    if (work) rmSync(work, { recursive: true, force: true });
    if (saveDir) rmSync(saveDir, { recursive: true, force: true });
  });

  it('.open m finds the system libm; .symbols m cos lists cos with its version; .declare; m.cos(0) is 1', async () => {
    // --direct: this file reads the memory the calls return (mem.*), which an isolated library's
    // host keeps (test/repl/isolate.test.ts drives the isolated default).
    const opened = await session.send('.open m --direct');
    expect(opened).toMatch(/opened \/\S*lib[mc][.\w-]*so[.\d]* as `m` \(engine koffi, in this process\): ELF \w+, \d+ exported symbols \(\.dynsym\)/);

    const listing = await session.send('.symbols m cos');
    expect(listing).toMatch(/^m: \/\S+ \(ELF \w+, \.dynsym\): \d+ of \d+ symbols match 'cos'/);
    // The exact name is listed first, then the names that start with it.
    const cos = listing.split('\n')[1];
    expect(listing.split('\n')[2]).toMatch(/^\s+function\s+cos\w/);
    expect(cos, listing).toBeDefined();
    if (GLIBC) expect(cos).toMatch(/^\s+function\s+cos@@GLIBC_2\.\d+(\.\d+)?(\s|$)/);
    // Paged: a filter that matches many names shows 40 and points at .more.
    const page = await session.send('.symbols m');
    expect(page).toMatch(/-- 40 of \d+ shown; \.more for the next 40/);
    const more = await session.send('.more');
    expect(more).toMatch(/-- 80 of \d+ shown/);

    const declared = await session.send('.declare m double cos(double)');
    expect(declared).toMatch(/declared m\.cos: double cos\(double\)\s+\[cos(@@GLIBC_[\d.]+)?, function/);
    expect(declared).toContain('can crash this process');
    expect(declared).toContain('.save <file.ts>');
    expect(await session.send('m.cos(0)')).toBe('1\n');
    expect(await session.send('m.cos(Math.PI)')).toBe('-1\n');
    // The same call off the main thread.
    expect(await session.send('await m.cos.async(Math.PI)')).toBe('-1\n');
    expect(await session.send('m.cos')).toBe('[Function m.cos: double cos(double)]\n');
  });

  it('libc: strlen; getenv and strdup return pointers read with mem.cstring / mem.hex; free is an explicit call', async () => {
    expect(await session.send('.open c --direct')).toMatch(/opened \/\S+ as `c`/);
    expect(await session.send('.declare c size_t strlen(const char *s)')).toMatch(/declared c\.strlen/);
    expect(await session.send('c.strlen("hello")')).toBe('5\n');

    const getenv = await session.send('.declare c char *getenv(const char *name)');
    expect(getenv).toContain("its 'char *' result comes back as a pointer (BigInt)");
    await session.send('const value = c.getenv("MYLIB_WORKBENCH_VALUE")');
    expect(await session.send('typeof value')).toBe("'bigint'\n");
    expect(await session.send('mem.cstring(value, 64)')).toBe("'set for the workbench test'\n");
    // The bound is the user's: no more than maxLen bytes are read.
    expect(await session.send('mem.cstring(value, 3)')).toBe("'set'\n");
    expect(await session.send('mem.cstring(c.getenv("MYLIB_NO_SUCH_VARIABLE"), 64)')).toBe('null\n');
    expect(await session.send('mem.cstring(value)')).toMatch(/TypeError: mem\.cstring: argument 'maxLength' must be a byte count/);
    expect(await session.send('mem.cstring(-1n, 4)')).toMatch(/RangeError: mem\.cstring: argument 'address' must be an address from 0 to 2\^64 - 1/);

    await session.send('.declare c char *strdup(const char *s)');
    await session.send('.declare c void free(void *p)');
    await session.send('const copy = c.strdup("hi there")');
    const hex = await session.send('mem.hex(copy, 9)');
    expect(hex).toMatch(/^0x[0-9a-f]{12} {2}68 69 20 74 68 65 72 65 00\s+\|hi there\.\|$/m);
    expect(await session.send('c.free(copy)')).toBe('');
    // A `const char *` result is copied into a JS string instead.
    await session.send('.declare c const char *getenv(const char *name)');
    expect(await session.send('c.getenv("MYLIB_WORKBENCH_VALUE")')).toBe("'set for the workbench test'\n");
    // The crash warning is said once per session.
    expect(session.output.match(/can crash this process/g)).toHaveLength(1);
  });

  it('.struct, .callback and .typedef are C read by the grammar into one scope: gmtime read with mem.struct, qsort with a JS comparator', async () => {
    const struct = await session.send(
      '.struct struct tm { int tm_sec; int tm_min; int tm_hour; int tm_mday; int tm_mon; int tm_year; int tm_wday; int tm_yday; int tm_isdst; long tm_gmtoff; const char *tm_zone; }',
    );
    expect(struct).toMatch(/struct tm: 56 bytes, alignment 8 \(tm_sec@0 int32_t, .* tm_zone@48 const char \*\)/);
    // time_t is a platform typedef (C text read by the grammar when the workbench starts).
    await session.send('.declare c struct tm *gmtime(const time_t *t)');
    await session.send('const when = c.gmtime(new BigInt64Array([86400n * 365n + 3600n * 5n]))');
    expect(await session.send('const { tm_zone, ...tm } = mem.struct(when, "tm"); JSON.stringify(tm)')).toContain(
      '"tm_hour":5,"tm_mday":1,"tm_mon":0,"tm_year":71',
    );
    expect(await session.send('mem.cstring(tm_zone, 16)')).toBe("'GMT'\n");
    expect(await session.send('mem.read(when, "int32_t", 3)')).toBe('[ 0, 0, 5 ]\n');
    // The shorthand struct form is usable by its name.
    expect(await session.send('.struct Span { int32_t start; int32_t end; }')).toMatch(/struct Span: 8 bytes, alignment 4/);
    expect(await session.send('.typedef span_ref const Span *')).toBe('typedef const Span *span_ref (8 bytes).\n');

    expect(await session.send('.callback int CmpFn(const void *a, const void *b)')).toContain('callback CmpFn');
    await session.send('.declare c void qsort(void *base, size_t n, size_t size, CmpFn *cmp)');
    await session.send('const numbers = new Int32Array([3, 1, 2])');
    await session.send('c.qsort(numbers, 3, 4, (a, b) => mem.read(a, "int32_t") - mem.read(b, "int32_t"))');
    expect(await session.send('Array.from(numbers).join(",")')).toBe("'1,2,3'\n");
  });

  it('refuses a data symbol declared as a function and a missing symbol, with a clear message', async () => {
    const data = await session.send('.declare c int environ(void)');
    expect(data).toMatch(/\.declare refused: 'environ(@@GLIBC_[\d.]+)?' in c is a data symbol \(8 bytes\), not a function/);
    expect(await session.send('typeof c.environ')).toBe("'undefined'\n");
    if (GLIBC) expect(await session.send('.declare m int signgam(void)')).toMatch(/refused: 'signgam@@GLIBC_[\d.]+' in m is a data symbol/);
    const missing = await session.send('.declare m double coss(double x)');
    expect(missing).toMatch(/\.declare refused: m \(\/\S+\) exports no symbol 'coss'\. Did you mean: cos\b/);
  });

  it("a bad declaration is shown with the grammar's caret under the column that failed", async () => {
    expectCaretUnder(await session.send('.declare m double cos(dou$ble x)'), 'double cos(dou$ble x)', '$');
    const unclosed = await session.send('.declare m double cos(double x');
    expect(unclosed).toContain("^ missing ')' at the end of the parameters");
    expectCaretUnder(await session.send('.declare m double cos(FILE *f)'), 'double cos(FILE *f)', 'FILE');
    expect(session.output).toContain("^ unknown type 'FILE': declare it first");
    expectCaretUnder(await session.send('.declare m double cos(double x) extra'), 'double cos(double x) extra', 'extra');
    expectCaretUnder(await session.send('.declare c int printf(const char *format, ...)'), 'int printf(const char *format, ...)', '...');
    expectCaretUnder(await session.send('.struct struct Point { double x; double y: 3; }'), 'struct Point { double x; double y: 3; }', ':');
    // The shorthand form's caret points into what was typed.
    expectCaretUnder(await session.send('.struct Point { double x; double y: 3; }'), 'Point { double x; double y: 3; }', ':');
    expectCaretUnder(await session.send('.struct struct tm { int other; }'), 'struct tm { int other; }', 'tm');
    expect(session.output).toContain('struct tm is already defined with other fields');
    // A failed text declares nothing: Point is still unknown.
    expect(await session.send('.typedef p Point *')).toContain("unknown type 'Point'");
  });

  it('.help shows the declared prototypes; they survive a .rebuild of mylib', { timeout: 300_000 }, async () => {
    const help = await session.send('.help');
    expect(help).toContain('Foreign libraries');
    expect(help).toMatch(/ {4}double cos\(double\)\n {8}m\.cos\(arg0\)/);
    expect(help).toContain('typedef int CmpFn(const void *a, const void *b);');
    expect(help).toContain('size_t strlen(const char *s)');
    expect(await session.send('.help m.cos')).toMatch(/^m\.cos: double cos\(double\)\n {2}from \/\S+/);

    const rebuilt = await session.send('.rebuild', /rebuild: (built|FAILED)/, 240_000);
    expect(rebuilt).toMatch(/rebuild: built in [\d.]+ s/);
    expect(await session.send('mylib.levenshtein("kitten", "sitting")')).toBe('3\n');
    expect(await session.send('m.cos(0)')).toBe('1\n');
    expect(await session.send('c.strlen("after rebuild")')).toBe('13\n');
    expect(await session.send('.help')).toContain('double cos(double)');
  });

  it('.save writes a TypeScript module on mylib-rust/ffi that a fresh process imports and calls through', async () => {
    const file = join(saveDir, 'libs.ts');
    const saved = await session.send(`.save ${file}`);
    expect(saved).toMatch(/saved 7 declaration\(s\) from 2 libraries to /);
    const source = readFileSync(file, 'utf8');
    expect(source).toContain("import { type ForeignLibrary, type OpenOptions, open } from 'mylib-rust/ffi';");
    expect(source).toContain("    cos: lib.func('double cos(double)'),");
    expect(source).toContain("    strdup: lib.func('char *strdup(const char *s)'),");
    expect(source).toContain('struct tm { int tm_sec;');
    writeFileSync(
      join(saveDir, 'use.ts'),
      [
        "import { load } from './libs.ts';",
        'const libs = load();',
        'const copy = libs.c.strdup("saved") as bigint;',
        'const out = { cos: libs.m.cos(0), strlen: libs.c.strlen("hello"), env: libs.c.getenv("MYLIB_WORKBENCH_VALUE"), copy: typeof copy };',
        'libs.c.free(copy);',
        'libs.close();',
        'let closed = "";',
        'try { libs.m.cos(0); } catch (error) { closed = (error as Error).message; }',
        'console.log(JSON.stringify({ ...out, closed }));',
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, [TSX, join(saveDir, 'use.ts')], {
      cwd: saveDir,
      encoding: 'utf8',
      env: { ...process.env, MYLIB_WORKBENCH_VALUE: 'fresh process' },
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      cos: 1,
      strlen: 5,
      env: 'fresh process',
      copy: 'bigint',
      closed: expect.stringMatching(/^cos: library \/\S+ is closed$/),
    });
  });

  it('.libs lists what is open; .close refuses later calls instead of crashing', async () => {
    const libs = await session.send('.libs');
    expect(libs).toMatch(/^ {2}m +\/\S+ +\(\d+ symbols, 1 declared: cos\)$/m);
    expect(libs).toMatch(/^ {2}c +\/\S+ +\(\d+ symbols, 6 declared: strlen, getenv, strdup, free, gmtime, qsort\)$/m);
    await session.send('const keptCos = m.cos');
    expect(await session.send('.close m')).toMatch(/closed m/);
    expect(await session.send('keptCos(0)')).toMatch(/Error: cos: library \/\S+ is closed/);
    expect(await session.send('typeof m')).toBe("'undefined'\n");
    expect(await session.send('.close m')).toContain("no open library named 'm'");
    expect(await session.send('.open m as libm2')).toMatch(/as `libm2`/);
    expect(await session.send('.open m as mylib')).toContain("the name 'mylib' is taken");
    expect(await session.exit()).toBe(0);
  });
});
