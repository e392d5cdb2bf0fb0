/**
 * Per-call cost of the typed API on one runtime, bun:ffi vs koffi in the same process.
 * `bun test/engines/bench.ts [rounds] [engine]`. Median ns per call over the rounds; rounds
 * interleave the engines so drift hits both. Each case has its own loop, but with two engines
 * in one process Mylib's own call sites see two kinds of function: pass one engine to measure
 * it alone.
 */
import * as mylib from '../../bindings/index.ts';
import type { Mylib } from '../../bindings/index.ts';
import * as probes from '../../bindings/unsafe.ts';

const ROUNDS = Number(process.argv[2] ?? 9);
const ADD_CALLS = 5_000_000;
const STRING_CALLS = 1_000_000;
const TEXT = '0123456789';

const only = process.argv[3];
const engines = (['bun:ffi', 'koffi'] as const).filter((engine) => (engine !== 'bun:ffi' || process.versions.bun) && (only === undefined || engine === only));
const libraries = new Map<string, Mylib>(engines.map((engine) => [engine, mylib.open({ engine })]));
let sink = 0;

// One function per case and engine: a loop that calls one function only.
function makeCases(library: Mylib): Record<string, () => number> {
  const { raw, add } = probes.unsafeAccess(library);
  return {
    'typed add': () => {
      const start = performance.now();
      for (let i = 0; i < ADD_CALLS; i++) sink += add(20, 22);
      return ((performance.now() - start) * 1e6) / ADD_CALLS;
    },
    'raw mylib_add': () => {
      const start = performance.now();
      for (let i = 0; i < ADD_CALLS; i++) sink += raw.mylib_add(20, 22);
      return ((performance.now() - start) * 1e6) / ADD_CALLS;
    },
    'typed getResult (10 bytes)': () => {
      const start = performance.now();
      for (let i = 0; i < STRING_CALLS; i++) sink += library.getResult(TEXT).length;
      return ((performance.now() - start) * 1e6) / STRING_CALLS;
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const cases = new Map([...libraries].map(([engine, library]) => [engine, makeCases(library)]));
const results = new Map<string, number[]>();
// The default library is bun:ffi on Bun: the module-level function is the API users call.
const moduleAdd = () => {
  const start = performance.now();
  for (let i = 0; i < ADD_CALLS; i++) sink += probes.add(20, 22);
  return ((performance.now() - start) * 1e6) / ADD_CALLS;
};
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [engine, byName] of cases) {
    for (const [name, run] of Object.entries(byName)) {
      const ns = run();
      // Round 0 warms up (JIT tiers).
      if (round > 0) results.set(`${name} [${engine}]`, [...(results.get(`${name} [${engine}]`) ?? []), ns]);
    }
  }
  const ns = moduleAdd();
  if (round > 0) results.set(`module add() [${mylib.library().engine}]`, [...(results.get(`module add() [${mylib.library().engine}]`) ?? []), ns]);
}
const runtime = process.versions.bun ? `Bun ${process.versions.bun}` : `Node ${process.version}`;
console.log(`${runtime}, median of ${ROUNDS} rounds (ns per call; min-max in brackets)`);
for (const [name, values] of results) {
  console.log(`${name.padEnd(40)} ${median(values).toFixed(1).padStart(8)}  [${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)}]`);
}
if (sink === 0) console.log('unreachable');
for (const library of libraries.values()) library.unload();
