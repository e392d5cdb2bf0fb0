/**
 * One process of the engine benchmark: measures the typed API's small calls on the runtime it
 * runs on, through the engine MYLIB_FFI_ENGINE names, and the N-API reference addon when this
 * runtime loads it (BENCH_NAPI_ADDON). Prints one `ENGINE-BENCH {json}` line. Runs unchanged on
 * Node, Bun and Deno; bench/engines.ts starts it once per runtime x engine and round.
 */
import { createRequire } from 'node:module';
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
console.log(`ENGINE-BENCH ${JSON.stringify(result)}`);
