/**
 * One process of the engine benchmark: measures the typed API's small calls on the runtime it
 * runs on, through the engine MYLIB_FFI_ENGINE names, and the N-API reference addon when this
 * runtime loads it (BENCH_NAPI_ADDON). Then libm's `double cos(double)` declared through
 * mylib-rust/ffi (`open('m').func(...)`) against the same function bound with the engine's own
 * FFI (the raw call), measured in alternating batches in this process; and the same cos in an
 * isolated library (`open('m', { isolate: true })`: a round trip to a child process). Prints one
 * `ENGINE-BENCH {json}` line. Runs unchanged on Node, Bun and Deno; bench/engines.ts starts it
 * once per runtime x engine and round.
 */
import { createRequire } from 'node:module';
import type { EngineName } from '../../bindings/ffi/engine.ts';
import { open } from '../../bindings/ffi/index.ts';
import { getResult, library } from '../../bindings/index.ts';
import { add } from '../../bindings/unsafe.ts';

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
const require = createRequire(import.meta.url);

/** libm's cos bound with `engine`'s own FFI, nothing of mylib-rust in between. */
function rawCos(engine: EngineName, path: string): Cos {
  switch (engine) {
    case 'koffi': {
      const koffi = require('koffi') as { load(path: string): { func(prototype: string): Cos } };
      return koffi.load(path).func('double cos(double)');
    }
    case 'bun:ffi': {
      const bun = require('bun:ffi') as {
        dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Record<string, Cos> };
      };
      return bun.dlopen(path, { cos: { args: ['f64'], returns: 'f64' } }).symbols.cos!;
    }
    case 'deno': {
      const deno = (
        globalThis as { Deno?: { dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: Record<string, Cos> } } }
      ).Deno;
      if (!deno) throw new Error('engine bench: engine deno outside Deno');
      return deno.dlopen(path, { cos: { parameters: ['f64'], result: 'f64' } }).symbols.cos!;
    }
    case 'node:ffi': {
      const ffi = require('node:ffi') as {
        dlopen(path: string, symbols: Record<string, { arguments: string[]; return: string }>): { functions: Record<string, Cos> };
      };
      return ffi.dlopen(path, { cos: { arguments: ['f64'], return: 'f64' } }).functions.cos!;
    }
  }
}

const libm = open('m', { engine: lib.engine as EngineName });
const ffiCos: Cos = libm.func('double cos(double x)');
const raw: Cos = rawCos(libm.engine, libm.path);
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
 * Pairs of batches (raw, mylib-rust/ffi) per process, of CALLS / 4 calls each: many short pairs
 * rather than a few long ones, so that a burst of another process's work spoils few pairs and the
 * median ratio skips them. Odd, so the median is one of them.
 */
const COS_SAMPLES = 31;

/** Warm-up, then COS_SAMPLES pairs of batches in alternating order; medians, and the median of the per-pair ratios. */
function cosVersusRaw(calls: number): { raw: number; ffi: number; ratio: number } {
  timeRaw(calls);
  timeFfi(calls);
  const raws: number[] = [];
  const ffis: number[] = [];
  const ratios: number[] = [];
  for (let s = 0; s < COS_SAMPLES; s++) {
    let rawNs: number;
    let ffiNs: number;
    if (s % 2 === 0) {
      rawNs = timeRaw(calls);
      ffiNs = timeFfi(calls);
    } else {
      ffiNs = timeFfi(calls);
      rawNs = timeRaw(calls);
    }
    raws.push(rawNs);
    ffis.push(ffiNs);
    ratios.push(ffiNs / rawNs);
  }
  const mid = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  return { raw: mid(raws), ffi: mid(ffis), ratio: mid(ratios) };
}

result.cos = cosVersusRaw(CALLS / 4);
libm.close();

// The same cos in an isolated library (a child process of this runtime): a round trip over pipes.
const isolatedLibm = open('m', { engine: lib.engine as EngineName, isolate: true });
const isolatedCos: Cos = isolatedLibm.func('double cos(double x)');
if (isolatedCos(0.5) !== raw(0.5)) throw new Error('engine bench: isolated cos differs');
result.isolatedCos = perCall(() => isolatedCos(0.5), Math.max(1000, CALLS / 100));
isolatedLibm.close();
if (!Number.isFinite(sink)) throw new Error('engine bench: cos sums are not finite');
console.log(`ENGINE-BENCH ${JSON.stringify(result)}`);
