// The files of the throw-away consumer projects test-package.mjs installs the tarballs into.
// Each check script calls the installed package and writes its results as JSON to the file
// named by its first argument (wine cannot pipe a Windows node's stdout), or the error.

const body = (/** @type {string} */ load) => `const out = process.argv[2];
const result = {};
try {
  const m = ${load};
  result.getResult = m.getResult('Hello from an installed package ✓');
  result.countDoubles = [m.countDoubles('aabbb'), m.countDoubles(Buffer.from('xxyyz'))];
  const counter = new m.WordCounter({ lowercase: true });
  counter.feed('The cat and the hat. ').feed(Buffer.from('THE END, the end'));
  result.top = counter.top(3);
  counter.close();
  result.path = m.library().path;
  result.abi = m.ABI_VERSION;
} catch (error) {
  result.error = { name: error?.name, message: String(error?.message ?? error), platformPackage: error?.platformPackage };
}
writeFileSync(out, JSON.stringify(result, null, 2));
process.exitCode = result.error ? 1 : 0;
`;

export const CONSUMER_FILES = {
  'check.mjs': `import { writeFileSync } from 'node:fs';\nimport * as mylib from 'mylib-rust';\n${body('mylib')}`,
  'check.cjs': `const { writeFileSync } = require('node:fs');\n${body("require('mylib-rust')")}`,
};

/**
 * The consumer the types check compiles (test-package.mjs, [types]): `tsc --noEmit --strict
 * --module nodenext --moduleResolution nodenext consumer.ts` in a `"type": "module"` project, on
 * TypeScript 7 and 5.x, with and without `--types node`. It uses no Node global itself, so the run
 * without Node's types shows whether the package's declarations need them.
 */
export const TYPES_CONSUMER = `import {
  ABI_VERSION, FuzzyIndex, LIB_NAME, LibraryLoadError, MAX_ASYNC_CALLS, Mylib, MylibError, WordCounter,
  closest, closestAsync, countDoubles, countDoublesAsync, getResult, histogram, levenshtein, library, load, open,
  stats, statsAsync, statusName, unload,
  type AsyncClosestOptions, type ClosestOptions, type EngineName, type HandleOptions, type LoadOptions, type Match,
  type Stats, type StatusName, type WordCount,
} from 'mylib-rust';
import * as main from 'mylib-rust';
import {
  LAYOUTS, Status, add, debugPanic, rawFunctions, unsafeAccess,
  type Pointer, type RawFunction, type RawFunctions, type SymbolName, type UnsafeAccess,
} from 'mylib-rust/unsafe';
import {
  DeclarationError, ENGINES, Scope, addressOf, currentRuntime, defaultEngine, formatType, open as openForeign, parseFunction, parseType, readCString,
  readRecord, sizeOf,
  type CType, type Declarations, type EngineName as FfiEngineName, type ExportedSymbol, type ForeignFunction, type ForeignLibrary, type FuncOptions,
  type OpenOptions, type RecordType, type SymbolKind,
} from 'mylib-rust/ffi';

const text: string = getResult('x');
const count: number = countDoubles(new Uint8Array([97, 97])) + countDoubles('bb') + levenshtein('a', 'b');
const later: Promise<number> = countDoublesAsync('aa');
const matches: Match[] = closest('q', ['a'], { limit: 1, maxDistance: 2, onProgress: (done: number, total: number) => done < total } satisfies ClosestOptions);
const controller = new AbortController();
const pending: Promise<Match[]> = closestAsync('q', ['a'], { signal: controller.signal } satisfies AsyncClosestOptions);
const summary: Stats = stats(new Float64Array([1, 2]));
const summaryLater: Promise<Stats> = statsAsync(new Float64Array([1]));
const bins: Uint32Array = histogram(new Float64Array([1]), new Uint32Array(4), { min: 0, max: 1 });
const name: string = statusName(6) + LIB_NAME + ABI_VERSION + MAX_ASYNC_CALLS;
const lib: Mylib = open({ path: '/nowhere', engine: 'koffi' } satisfies LoadOptions);
const engine: EngineName = lib.engine;
const byPath: Mylib = open('/nowhere');
const options: HandleOptions = { library: library() };
{
  using index = new FuzzyIndex(['a', 'b'], options);
  const found: Match[] = index.closest('a');
  void found;
}
const top: WordCount[] = new WordCounter({ lowercase: true }).feed('a').feed(new Uint8Array([98])).top(1);
load({ path: '/elsewhere' });
unload();
try {
  debugPanic('x');
} catch (error) {
  if (error instanceof MylibError) {
    const code: StatusName | \`MYLIB_ERR_UNKNOWN_\${number}\` = error.code;
    const status: number = error.status;
    void [code, status];
  } else if (error instanceof LibraryLoadError) {
    const tried: string[] = error.attempts.map((a) => \`\${a.path}: \${a.reason}\`);
    const wanted: string = error.platformPackage;
    void [tried, wanted];
  }
}
// mylib-rust/unsafe: its types can be named.
const access: UnsafeAccess = unsafeAccess(lib);
const raw: RawFunctions = rawFunctions();
const one: RawFunction<'int32_t mylib_add(int32_t a, int32_t b)'> = raw.mylib_add;
const symbol: SymbolName = 'mylib_add';
const handle: Pointer | null = null;
const sum: number = add(1, 2) + access.add(1, 2) + one(1, 2) + Status.PANIC + LAYOUTS.MylibStats.size;

// mylib-rust/ffi: open, symbols, func (types derived from the prototype text), declare, memory.
const libm: ForeignLibrary = openForeign('m', { engine: 'auto' } satisfies OpenOptions);
const runtimeName: 'node' | 'bun' | 'deno' = currentRuntime();
const ffiEngine: FfiEngineName = libm.engine === defaultEngine() ? ENGINES[0] : libm.engine;
const exported: ExportedSymbol[] = libm.symbols();
const kind: SymbolKind | undefined = exported.find((s) => s.name === 'cos')?.kind;
const cos: ForeignFunction<'double cos(double x)'> = libm.func('double cos(double x)', { errno: false } satisfies FuncOptions);
const cosValue: number = cos(0);
const cosLater: Promise<number> = cos.async(Math.PI, { signal: controller.signal });
const strlen = openForeign('c').func('size_t strlen(const char *s)');
const length: number | bigint = strlen('abc');
const declared: Declarations = openForeign('c').declare('typedef struct { int quot; int rem; } div_t; div_t div(int numerator, int denominator);');
const divT: CType | undefined = declared.types.div_t;
const record: Record<string, unknown> | undefined = divT?.kind === 'struct' ? readRecord(addressOf(new Uint8Array(8)), divT as RecordType) : undefined;
const parsed: string = formatType(parseType('const char *', new Scope())) + parseFunction('int f(int a)').name + sizeOf(parseType('void *'));
const fromC: string | null = readCString(null, 16);
try {
  parseFunction('int printf(const char *format, ...)');
} catch (error) {
  if (error instanceof DeclarationError) {
    const where: string = \`\${error.line}:\${error.column}: \${error.reason}\`;
    void [where, error.pretty()];
  }
}

// What must NOT type-check.
// @ts-expect-error cos takes a number
cos('zero');
// @ts-expect-error cos returns a number
const notAString: string = cos(0);
// @ts-expect-error strlen takes a string or null
strlen(42);
// @ts-expect-error an engine name is one of ENGINES
openForeign('m', { engine: 'ctypes' });
// @ts-expect-error getResult takes a string
getResult(42);
// @ts-expect-error the constructor is private: open() makes a Mylib
new Mylib();
// @ts-expect-error raw access is in mylib-rust/unsafe, not on Mylib
lib.raw;
// @ts-expect-error the probe add is in mylib-rust/unsafe, not in the main entry
main.add(1, 2);
// @ts-expect-error candidatePaths is internal
main.candidatePaths();
// @ts-expect-error MylibError.code is a union of the known codes
const notACode: MylibError['code'] = 'NOPE';
// @ts-expect-error reference/ is test code, not exported
await import('mylib-rust/reference/text');

export { byPath, bins, count, engine, later, matches, name, notACode, pending, summary, summaryLater, symbol, handle, sum, text, top };
export { cosLater, cosValue, divT, ffiEngine, fromC, kind, length, notAString, parsed, record, runtimeName };
`;

/**
 * A strict consumer with only the ECMAScript library: `lib: ["es2022"]`, `types: []` (no DOM, no
 * Node), compiled by ES2022_TSCONFIG in the [types] project. The package's declarations must not
 * name a DOM or Node global (AbortSignal was one): a signal is the exported AbortSignalLike.
 */
export const ES2022_CONSUMER = `import { type AbortSignalLike, type LevenshteinOptions, countDoubles, levenshteinAsync } from 'mylib-rust';
import { Status } from 'mylib-rust/unsafe';
import { type AbortSignalLike as FfiAbortSignalLike, type AsyncOptions, type ForeignFunction, open } from 'mylib-rust/ffi';

declare const signal: AbortSignalLike;
const same: FfiAbortSignalLike = signal;
const pending: Promise<number> = levenshteinAsync('q', 'a', { signal: same } satisfies LevenshteinOptions);
const cos: ForeignFunction<'double cos(double x)'> = open('m').func('double cos(double x)');
const later: Promise<number> = cos.async(0, { signal } satisfies AsyncOptions);
export const used = [pending, later, countDoubles('aa') + Status.PANIC];
`;

export const ES2022_TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], types: [] },
    files: ['es2022-consumer.ts'],
  },
  null,
  2,
)}\n`;

/** The expected WordCounter input, the same text as the check scripts feed. */
export const WORDS_INPUT = ['The cat and the hat. ', 'THE END, the end'];
export const GET_RESULT_INPUT = 'Hello from an installed package ✓';
/** @type {[string, string]} */
export const COUNT_INPUTS = ['aabbb', 'xxyyz'];

/** The module test-package.mjs copies from this folder into the [ffi] project and runs on every runtime x engine pair. */
export const FFI_CONSUMER = 'ffi-consumer.mjs';
/** What ffi-consumer.mjs must see: cos(0), cos(pi); cos(pi / 3) within 1e-12; the div_t of each div call. */
export const FFI_EXPECTED = {
  cos: [1, -1],
  cosThird: 0.5,
  cosAsync: -1,
  div: [
    { quot: 3, rem: 2 },
    { quot: -3, rem: -2 },
    { quot: -2147483647, rem: 0 },
  ],
};
