/**
 * The benchmark cases: one entry per row of the table, each with up to six columns. A column
 * is either a function (its result is checked against the pure-TS column before timing) or
 * a string saying why it is absent.
 */
import { isDeepStrictEqual } from 'node:util';
import koffi from 'koffi';
import { distance as fastestDistance } from 'fastest-levenshtein';
import { WordCounter, countDoubles, countDoublesAsync, getResult, levenshtein, library, stats } from '../../bindings/index.ts';
import { add as typedAddProbe, rawFunctions } from '../../bindings/unsafe.ts';
import { readStats } from '../../bindings/_marshal.ts';
import { LAYOUTS, Status } from '../../bindings/raw.ts';
import * as refLevenshtein from '../../reference/levenshtein.ts';
import * as refStats from '../../reference/stats.ts';
import * as refText from '../../reference/text.ts';
import * as refWords from '../../reference/words.ts';
import { chunks, doubles, randomLetters, wordText } from './data.ts';
import { anchorCases } from './anchor.ts';
import { asyncClosestCases, closestCases, scaleCases } from './closest-cases.ts';
import type { Budget } from './measure.ts';
import type { IndexMemory } from './memory.ts';
import type { NapiAddon } from './napi.ts';
import type { WasmMylib } from './wasm.ts';

export const COLUMNS = {
  ts: 'pure TS',
  typed: 'Rust, typed API',
  raw: 'Rust, raw koffi',
  napi: 'N-API C addon',
  wasm: 'Rust wasm32',
  npm: 'npm package',
} as const;
export type ColumnId = keyof typeof COLUMNS;
export const COLUMN_IDS = Object.keys(COLUMNS) as ColumnId[];

export interface Env {
  quick: boolean;
  napi: NapiAddon | undefined;
  napiAbsent: string;
  wasm: WasmMylib | undefined;
  wasmAbsent: string;
}

export interface Case {
  id: string;
  group: string;
  /** What one call does, for the table. */
  title: string;
  /** Ratios are taken against this column (default: pure TS). */
  baseline?: string;
  /** Column ids and titles when the case has columns of its own (default: COLUMNS, the main table's). */
  labels?: Readonly<Record<string, string>>;
  columns: Partial<Record<string, (() => unknown) | string>>;
  /** Maps a column's result to the comparable form (default: as is). 'none': nothing to check. */
  normalize?: ((value: unknown) => unknown) | 'none';
  /** Custom comparison (default: deep strict equality after normalize). */
  equal?: (actual: unknown, expected: unknown) => boolean;
  budget?: Partial<Budget>;
  /** The expected result when the pure-TS column is absent (run once, untimed). */
  expected?: () => unknown;
  /** Runs just before the case is measured (after every earlier case was cleaned up). */
  before?: () => Promise<void> | void;
  /** Frees native objects made for the case (and stops what `before` started). */
  cleanup?: () => void;
  /** Native memory of the case's index (scale cases), measured when the case is built. */
  memory?: IndexMemory;
}

export interface AsyncCase {
  id: string;
  title: string;
  /** One call; its resolved value is checked against `expected`. */
  call: () => Promise<unknown>;
  expected: unknown;
  normalize?: (value: unknown) => unknown;
  /** The same work synchronously (per-call time for comparison). */
  sync: () => unknown;
  levels: number[];
  /** Calls per measurement at each level. */
  total: number;
  cleanup?: () => void;
}

export const ERR_CAP = 1024;

/** The raw layer, called as the typed layer calls it: reused err buffer, out-params and scratch. */
export function rawKit() {
  const raw = rawFunctions(library());
  const err = Buffer.alloc(ERR_CAP);
  const u64 = new BigUint64Array(1);
  const u64b = new BigUint64Array(1);
  /** A MylibTextOut {len, ascii}: 16 bytes. */
  const text = new BigUint64Array(2);
  const check = (status: number, fn: string) => {
    if (status !== Status.OK) throw new Error(`${fn}: status ${status}: ${err.toString('utf8', 0, Math.max(0, err.indexOf(0)))}`);
  };
  return { raw, err, u64, u64b, text, check };
}

export const absentNapi = (env: Env, what: string) => (env.napi ? what : `N-API addon absent: ${env.napiAbsent}`);
export const absentWasm = (env: Env) => `wasm column absent: ${env.wasmAbsent}`;
export const KERNEL_NOT_IN_ADDON = 'not in the reference addon (it measures call and copy cost; it has no kernels beyond count_doubles)';
const NO_NPM = 'no npm package worth comparing (see the README, Performance)';

const SIZES: [string, number][] = [
  ['10 B', 10],
  ['1 KiB', 1024],
  ['64 KiB', 64 * 1024],
  ['1 MiB', 1024 * 1024],
];

function callCases(env: Env): Case[] {
  const { raw } = rawKit();
  const rawAny = raw as unknown as Record<string, ((...args: number[]) => number) | undefined>;
  // add() is a probe of mylib-rust/unsafe, not of the typed API; it goes through the same checks.
  const typedAdd: ((a: number, b: number) => number) | undefined = typedAddProbe;
  const args = { a: 20, b: 22 };
  const noopJs = (): undefined => undefined;
  const noADD = 'the library has no mylib_add export';
  return [
    {
      id: 'call/noop',
      group: 'call overhead',
      title: 'no-op call (Rust: mylib_abi_version)',
      baseline: 'napi',
      normalize: 'none',
      columns: {
        ts: () => noopJs(),
        typed: 'the typed API has no no-op function',
        raw: () => raw.mylib_abi_version(),
        napi: env.napi ? () => env.napi!.noop() : absentNapi(env, ''),
        wasm: env.wasm ? () => env.wasm!.abiVersion() : absentWasm(env),
        npm: 'n/a',
      },
    },
    {
      id: 'call/add',
      group: 'call overhead',
      title: 'add(i32, i32)',
      baseline: 'napi',
      columns: {
        ts: () => (args.a + args.b) | 0,
        typed: typedAdd ? () => typedAdd(args.a, args.b) : noADD,
        raw: rawAny.mylib_add ? () => rawAny.mylib_add!(args.a, args.b) : noADD,
        napi: env.napi ? () => env.napi!.add(args.a, args.b) : absentNapi(env, ''),
        wasm: !env.wasm ? absentWasm(env) : env.wasm.add ? () => env.wasm!.add!(args.a, args.b) : noADD,
        npm: 'n/a',
      },
    },
  ];
}

/** get_result round trips: the typed function, the raw one with the typed layer's marshalling, N-API, wasm. */
export function getResultCases(env: Env): Case[] {
  const { raw, err, text: textOut, check } = rawKit();
  return SIZES.map(([label, size]) => {
    const text = randomLetters(size, 100 + size);
    const input = Buffer.allocUnsafe(size * 3);
    const output = Buffer.allocUnsafe(size + 64);
    return {
      id: `get_result/${label}`,
      group: 'get_result',
      baseline: 'napi',
      title: `"Rust says: " + ${label} ASCII string, round trip`,
      columns: {
        ts: () => refText.getResult(text),
        typed: () => getResult(text),
        raw: () => {
          const length = input.write(text);
          check(raw.mylib_get_result(input, length, output, output.length, textOut, err, ERR_CAP), 'mylib_get_result');
          return output.toString('utf8', 0, Number(textOut[0]));
        },
        napi: env.napi ? () => env.napi!.getResult(text) : absentNapi(env, ''),
        wasm: env.wasm ? () => env.wasm!.getResult(text) : absentWasm(env),
        npm: 'n/a (string concatenation)',
      },
      // The pure-TS result is a V8 rope; compare flat strings.
      equal: (a, b) => String(a) === String(b),
    } satisfies Case;
  });
}

function countDoublesCases(env: Env): Case[] {
  const { raw, err, u64, check } = rawKit();
  const text = randomLetters(1_000_000, 42);
  const bytes = Buffer.from(text);
  const input = Buffer.allocUnsafe(text.length * 3);
  return [
    {
      id: 'count_doubles/string',
      group: 'count_doubles',
      title: 'count_doubles, 1,000,000 random letters as a string (encoding included)',
      columns: {
        ts: () => refText.countDoublesString(text),
        typed: () => countDoubles(text),
        raw: () => {
          const length = input.write(text);
          check(raw.mylib_count_doubles_utf8(input, length, u64, err, ERR_CAP), 'mylib_count_doubles_utf8');
          return Number(u64[0]);
        },
        napi: absentNapi(env, 'the addon counts Buffers only (next row)'),
        wasm: env.wasm ? () => env.wasm!.countDoublesString(text) : absentWasm(env),
        npm: NO_NPM,
      },
    },
    {
      id: 'count_doubles/buffer',
      group: 'count_doubles',
      title: 'count_doubles, the same 1,000,000 bytes as a Buffer (read in place)',
      columns: {
        ts: () => refText.countDoublesBytes(bytes),
        typed: () => countDoubles(bytes),
        raw: () => {
          check(raw.mylib_count_doubles_bytes(bytes, bytes.length, u64, err, ERR_CAP), 'mylib_count_doubles_bytes');
          return Number(u64[0]);
        },
        napi: env.napi ? () => env.napi!.countDoubles(bytes) : absentNapi(env, ''),
        wasm: env.wasm ? () => env.wasm!.countDoublesBytes(bytes) : absentWasm(env),
        npm: NO_NPM,
      },
    },
  ];
}

function levenshteinCases(env: Env): Case[] {
  const { raw, err, u64, check } = rawKit();
  return [4, 16, 256, 1000].map((n) => {
    const a = randomLetters(n, 200 + n);
    const b = randomLetters(n, 300 + n);
    const scratch = Buffer.allocUnsafe(n * 6);
    return {
      id: `levenshtein/${n}`,
      group: 'levenshtein',
      title: `edit distance, ${n} x ${n} random letters`,
      budget: n >= 1000 ? { minSamples: 5 } : {},
      columns: {
        ts: () => refLevenshtein.levenshtein(a, b),
        typed: () => levenshtein(a, b),
        raw: () => {
          const lengthA = scratch.write(a);
          const second = scratch.subarray(lengthA);
          const lengthB = second.write(b);
          check(raw.mylib_levenshtein(scratch, lengthA, second, lengthB, u64, null, null, err, ERR_CAP), 'mylib_levenshtein');
          return Number(u64[0]);
        },
        napi: absentNapi(env, KERNEL_NOT_IN_ADDON),
        wasm: env.wasm ? () => env.wasm!.levenshtein(a, b) : absentWasm(env),
        npm: () => fastestDistance(a, b),
      },
    } satisfies Case;
  });
}

function statsCases(env: Env): Case[] {
  const { raw, err, check } = rawKit();
  const values = doubles(1_000_000);
  const statsOut = new Float64Array(LAYOUTS.MylibStats.size / 8);
  const close = (x: number, y: number) => x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y), 1);
  return [
    {
      id: 'stats/1e6',
      group: 'stats',
      title: 'stats (count, mean, variance, min, max) of 1,000,000 doubles',
      columns: {
        ts: () => refStats.stats(values),
        typed: () => stats(values),
        raw: () => {
          check(raw.mylib_stats(values, values.length, statsOut, err, ERR_CAP), 'mylib_stats');
          return readStats(statsOut);
        },
        napi: absentNapi(env, KERNEL_NOT_IN_ADDON),
        wasm: env.wasm ? () => env.wasm!.stats(values) : absentWasm(env),
        npm: NO_NPM,
      },
      // Summation order differs (Rust uses several accumulators): compare to 1e-9 relative.
      equal: (a, b) => {
        const x = a as refStats.Stats;
        const y = b as refStats.Stats;
        return x.count === y.count && x.min === y.min && x.max === y.max && close(x.mean, y.mean) && close(x.variance, y.variance);
      },
    },
  ];
}

function wordCases(env: Env): Case[] {
  const { raw, err, u64, u64b, check } = rawKit();
  const megabytes = env.quick ? 2 : 50;
  const text = wordText(megabytes * 1_000_000);
  const parts = chunks(text, 64 * 1024);
  const k = 10;
  return [
    {
      id: 'words/50MB',
      group: 'word count',
      title: `word count over ${megabytes} MB of generated text fed in 64 KiB chunks, top ${k}`,
      budget: { rounds: env.quick ? 1 : 3, ms: 0, minSamples: 1 },
      columns: {
        ts: () => {
          const counter = new refWords.WordCounter();
          for (const part of parts) counter.feed(part);
          return counter.top(k);
        },
        typed: () => {
          const counter = new WordCounter();
          try {
            for (const part of parts) counter.feed(part);
            return counter.top(k);
          } finally {
            counter.close();
          }
        },
        raw: () => {
          check(raw.mylib_word_counter_new(false, u64, err, ERR_CAP), 'mylib_word_counter_new');
          const counter = u64[0]!;
          try {
            for (const part of parts) check(raw.mylib_word_counter_feed(counter, part, part.length, err, ERR_CAP), 'mylib_word_counter_feed');
            check(raw.mylib_word_counter_top(counter, k, u64, u64b, err, ERR_CAP), 'mylib_word_counter_top');
            const length = Number(u64b[0]);
            const decoded = Buffer.from(koffi.view(u64[0] as unknown as object, length)).toString('utf8');
            raw.mylib_bytes_free(u64[0]!, length);
            return decoded
              .split('\n')
              .filter((line) => line !== '')
              .map((line) => ({ word: line.slice(0, line.indexOf('\t')), count: Number(line.slice(line.indexOf('\t') + 1)) }));
          } finally {
            raw.mylib_word_counter_free(counter);
          }
        },
        napi: absentNapi(env, KERNEL_NOT_IN_ADDON),
        wasm: env.wasm
          ? () => {
              const counter = env.wasm!.wordCounter();
              try {
                for (const part of parts) counter.feed(part);
                return counter.top(k);
              } finally {
                counter.free();
              }
            }
          : absentWasm(env),
        npm: NO_NPM,
      },
    },
  ];
}

/** Sync cases, built group by group (so the 50 MB text exists only while its group runs). */
export const CASE_GROUPS: { group: string; build: (env: Env) => Case[] }[] = [
  { group: 'call overhead', build: callCases },
  { group: 'get_result', build: getResultCases },
  { group: 'count_doubles', build: countDoublesCases },
  { group: 'levenshtein', build: levenshteinCases },
  { group: 'closest', build: closestCases },
  { group: 'scale', build: scaleCases },
  { group: 'fuzzy, anchor data', build: anchorCases },
  { group: 'stats', build: statsCases },
  { group: 'word count', build: wordCases },
];

export function asyncCases(env: Env): AsyncCase[] {
  const small = Buffer.from(randomLetters(1024, 5));
  const large = Buffer.from(randomLetters(1024 * 1024, 6));
  return [
    ...asyncClosestCases(env),
    {
      id: 'async/count_doubles',
      title: 'countDoublesAsync, 1 KiB Buffer (trivial work: the cost of going async)',
      call: () => countDoublesAsync(small),
      expected: refText.countDoublesBytes(small),
      sync: () => countDoubles(small),
      levels: [1, 2, 200],
      total: env.quick ? 200 : 4000,
    },
    {
      id: 'async/count_doubles_1mib',
      title: 'countDoublesAsync, 1 MiB Buffer (includes the private copy every async call takes of its input)',
      call: () => countDoublesAsync(large),
      expected: refText.countDoublesBytes(large),
      sync: () => countDoubles(large),
      levels: [1, 2, 200],
      total: env.quick ? 20 : 400,
    },
  ];
}

export function sameResult(c: Case, actual: unknown, expected: unknown): boolean {
  if (c.normalize === 'none') return true;
  const a = c.normalize ? c.normalize(actual) : actual;
  const b = c.normalize ? c.normalize(expected) : expected;
  return c.equal ? c.equal(a, b) : isDeepStrictEqual(a, b);
}
