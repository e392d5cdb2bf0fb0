/**
 * One process of the engine benchmark: measures the typed API's small calls on the runtime it
 * runs on, through the engine MYLIB_FFI_ENGINE names, and the N-API reference addon when this
 * runtime loads it (BENCH_NAPI_ADDON). Then libm's `double cos(double)` declared through
 * mylib-rust/ffi (`open('m').func(...)`) against the same function bound with the engine's own
 * FFI (the raw call), measured in alternating batches in this process; and the same cos in an
 * isolated library (`open('m', { isolate: true })`: a round trip to a child process). And the
 * forwarders: each module-level function against the method it calls, mylib-rust/unsafe's `add`
 * against mylib_add bound with the engine's own FFI, also in alternating batches. Prints one
 * `ENGINE-BENCH {json}` line. Runs unchanged on Node, Bun and Deno; bench/engines/main.ts starts it
 * once per runtime x engine and round.
 */
import { createRequire } from 'node:module';
import type { EngineName } from '../../bindings/ffi/engine.ts';
import { open } from '../../bindings/ffi/index.ts';
import { getResult, library, statusName } from '../../bindings/index.ts';
import { add, rawFunctions, unsafeAccess } from '../../bindings/unsafe.ts';

/** Median ns of a baseline and a candidate over pairs of batches, and the median of the per-pair ratios candidate / baseline. */
interface Paired {
  base: number;
  ns: number;
  ratio: number;
}

interface NapiAddon {
  add(a: number, b: number): number;
  getResult(text: string): string;
}

const CALLS = Number(process.env.BENCH_CALLS ?? 200_000);
const SAMPLES = 7;
const TEXT_10 = 'ten bytes!';
const TEXT_1K = 'k'.repeat(1024);

/** Median ns per call over SAMPLES timed batches, after a warm-up batch. */
function perCall(fn: () => unknown, calls: number): number {
  for (let i = 0; i < calls / 4; i++) fn();
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) fn();
    samples.push(((performance.now() - started) * 1e6) / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[SAMPLES >> 1]!;
}

function runtime(): string {
  const global = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (global.Bun) return `bun ${global.Bun.version}`;
  if (global.Deno) return `deno ${global.Deno.version.deno}`;
  return `node ${process.versions.node}`;
}

const lib = library();
if (getResult(TEXT_10) !== `Rust says: ${TEXT_10}` || add(20, 22) !== 42) throw new Error('engine bench: wrong results');
const result: Record<string, unknown> = {
  runtime: runtime(),
  engine: lib.engine,
  typed: {
    add: perCall(() => add(20, 22), CALLS),
    getResult10: perCall(() => getResult(TEXT_10), CALLS / 2),
    getResult1k: perCall(() => getResult(TEXT_1K), CALLS / 8),
  },
};
const addonPath = process.env.BENCH_NAPI_ADDON;
if (addonPath) {
  try {
    const addon = createRequire(import.meta.url)(addonPath) as NapiAddon;
    if (addon.getResult(TEXT_10) !== `Rust says: ${TEXT_10}`) throw new Error('wrong result');
    result.napi = {
      add: perCall(() => addon.add(20, 22), CALLS),
      getResult10: perCall(() => addon.getResult(TEXT_10), CALLS / 2),
      getResult1k: perCall(() => addon.getResult(TEXT_1K), CALLS / 8),
    };
  } catch (error) {
    result.napiAbsent = (error as Error).message.split('\n')[0];
  }
}

// ---------------------------------------------------------------------------------------------
// mylib-rust/ffi against the engine's raw call: the same libm cos, the same argument.

type Cos = (x: number) => number;
type Add = (a: number, b: number) => number;
const require = createRequire(import.meta.url);

/**
 * `name` of the library at `path`, bound with `engine`'s own FFI, nothing of mylib-rust in between.
 * `prototype` is the C declaration koffi takes; `types` the parameter types and `returns` the result
 * type in the names bun:ffi, Deno and node:ffi share (f64, i32).
 */
function rawFunction<F>(engine: EngineName, path: string, name: string, prototype: string, types: string[], returns: string): F {
  switch (engine) {
    case 'koffi': {
      const koffi = require('koffi') as { load(path: string): { func(prototype: string): F } };
      return koffi.load(path).func(prototype);
    }
    case 'bun:ffi': {
      const bun = require('bun:ffi') as { dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Record<string, F> } };
      return bun.dlopen(path, { [name]: { args: types, returns } }).symbols[name]!;
    }
    case 'deno': {
      const deno = (
        globalThis as { Deno?: { dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: Record<string, F> } } }
      ).Deno;
      if (!deno) throw new Error('engine bench: engine deno outside Deno');
      return deno.dlopen(path, { [name]: { parameters: types, result: returns } }).symbols[name]!;
    }
    case 'node:ffi': {
      const ffi = require('node:ffi') as {
        dlopen(path: string, symbols: Record<string, { arguments: string[]; return: string }>): { functions: Record<string, F> };
      };
      return ffi.dlopen(path, { [name]: { arguments: types, return: returns } }).functions[name]!;
    }
  }
}

const libm = open('m', { engine: lib.engine as EngineName });
const ffiCos: Cos = libm.func('double cos(double x)');
const raw = rawFunction<Cos>(libm.engine, libm.path, 'cos', 'double cos(double)', ['f64'], 'f64');
if (ffiCos(0.5) !== raw(0.5) || ffiCos(0) !== 1) throw new Error(`engine bench: cos differs: ${ffiCos(0.5)} (mylib-rust/ffi), ${raw(0.5)} (raw)`);

// One loop per function, each calling one function only: a shared loop taking the function as an
// argument would be polymorphic and slow both down unequally.
let sink = 0;
function timeRaw(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += raw(0.5);
  const ns = ((performance.now() - started) * 1e6) / calls;
  sink += sum;
  return ns;
}
function timeFfi(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += ffiCos(0.5);
  const ns = ((performance.now() - started) * 1e6) / calls;
  sink += sum;
  return ns;
}

/**
 * Pairs of batches (a, b) per process, of `calls` calls each: many short pairs rather than a few
 * long ones, so that a burst of another process's work spoils few pairs and the median ratio
 * skips them. Odd, so the median is one of them.
 */
const PAIRED_SAMPLES = 31;

/** Medians of `a` and `b` over PAIRED_SAMPLES pairs of batches in alternating order, and the median of the per-pair ratios b / a. */
function paired(a: (calls: number) => number, b: (calls: number) => number, calls: number): Paired {
  a(calls);
  b(calls);
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let s = 0; s < PAIRED_SAMPLES; s++) {
    let aNs: number;
    let bNs: number;
    if (s % 2 === 0) {
      aNs = a(calls);
      bNs = b(calls);
    } else {
      bNs = b(calls);
      aNs = a(calls);
    }
    as.push(aNs);
    bs.push(bNs);
    ratios.push(bNs / aNs);
  }
  const mid = (values: number[]) => [...values].sort((x, y) => x - y)[values.length >> 1]!;
  return { base: mid(as), ns: mid(bs), ratio: mid(ratios) };
}

const cos = paired(timeRaw, timeFfi, CALLS / 4);
result.cos = { raw: cos.base, ffi: cos.ns, ratio: cos.ratio };

libm.close();

// The same cos in an isolated library (a child process of this runtime): a round trip over pipes.
const isolatedLibm = open('m', { engine: lib.engine as EngineName, isolate: true });
const isolatedCos: Cos = isolatedLibm.func('double cos(double x)');
if (isolatedCos(0.5) !== raw(0.5)) throw new Error('engine bench: isolated cos differs');
result.isolatedCos = perCall(() => isolatedCos(0.5), Math.max(1000, CALLS / 100));
isolatedLibm.close();
// ---------------------------------------------------------------------------------------------
// Forwarders: each module-level function against the method it forwards to, and mylib-rust/unsafe's
// add (as a user imports it) against mylib_add bound with the engine's own FFI. One loop each.

const access = unsafeAccess(lib);
const rawAdd = rawFunction<Add>(lib.engine as EngineName, lib.path, 'mylib_add', 'int32_t mylib_add(int32_t a, int32_t b)', ['i32', 'i32'], 'i32');
if (rawAdd(20, 22) !== 42 || access.add(20, 22) !== 42 || statusName(0) !== lib.statusName(0)) throw new Error('engine bench: forwarders differ');
let textSink = 0;
function timeRawAdd(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += rawAdd(i, 1);
  const ns = ((performance.now() - started) * 1e6) / calls;
  sink += sum;
  return ns;
}
function timeUnsafeAdd(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += add(i, 1);
  const ns = ((performance.now() - started) * 1e6) / calls;
  sink += sum;
  return ns;
}
const tableAdd = rawFunctions(lib).mylib_add;
function timeTableAdd(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += tableAdd(i, 1);
  const ns = ((performance.now() - started) * 1e6) / calls;
  sink += sum;
  return ns;
}
function timeAccessAdd(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += access.add(i, 1);
  const ns = ((performance.now() - started) * 1e6) / calls;
  sink += sum;
  return ns;
}
function timeStatusNameMethod(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += lib.statusName(i & 7).length;
  const ns = ((performance.now() - started) * 1e6) / calls;
  textSink += sum;
  return ns;
}
function timeStatusNameFunction(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += statusName(i & 7).length;
  const ns = ((performance.now() - started) * 1e6) / calls;
  textSink += sum;
  return ns;
}
function timeGetResultMethod(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += lib.getResult(TEXT_10).length;
  const ns = ((performance.now() - started) * 1e6) / calls;
  textSink += sum;
  return ns;
}
function timeGetResultFunction(calls: number): number {
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) sum += getResult(TEXT_10).length;
  const ns = ((performance.now() - started) * 1e6) / calls;
  textSink += sum;
  return ns;
}
result.forwarders = {
  unsafeAdd: paired(timeRawAdd, timeUnsafeAdd, CALLS / 4),
  tableAdd: paired(timeRawAdd, timeTableAdd, CALLS / 4),
  accessAdd: paired(timeRawAdd, timeAccessAdd, CALLS / 4),
  statusName: paired(timeStatusNameMethod, timeStatusNameFunction, CALLS / 8),
  getResult: paired(timeGetResultMethod, timeGetResultFunction, CALLS / 8),
};
if (textSink === 0) throw new Error('engine bench: no text was returned');

if (!Number.isFinite(sink)) throw new Error('engine bench: cos sums are not finite');
console.log(`ENGINE-BENCH ${JSON.stringify(result)}`);
