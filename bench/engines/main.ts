#!/usr/bin/env -S npx tsx
/**
 * npm run bench:engines [-- options]: the typed API's small calls (add, getResult 10 B and
 * 1 KiB) per runtime x engine, beside the N-API reference addon on every runtime that loads it;
 * and libm's `double cos(double)` declared through mylib-rust/ffi against the engine's raw call of
 * the same function (koffi.load().func, bun:ffi dlopen, Deno.dlopen, node:ffi dlopen), measured
 * side by side in alternating batches in the same process (goal: at most 1.5x the raw call).
 * And the same cos in an isolated library (`open('m', { isolate: true })`), per call (goal: under
 * 20 us on Node). And the forwarders (issue 24): each module-level function against the method it
 * calls (goal: at most 1.3x on every pair), mylib-rust/unsafe's `add` against mylib_add bound with
 * the engine's own FFI (goal: at most 2x on bun:ffi and Deno).
 * Each pair runs bench/engines/probe.ts in its own process; the pairs run in turn, round after
 * round, so every ratio pairs measurements of the same round.
 *   --quick        one round of short batches (checks that every pair runs); writes under .cache/bench/
 *   --rounds <n>   rounds (default 5; quick 1)
 *   --out <dir>    where to write <date>-engines.json/.md (default bench/results)
 * Runtimes come from npm run setup:runtimes; a pair whose runtime is missing is reported as
 * absent with the reason, and the run fails (nothing is skipped silently).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// @ts-expect-error -- plain .mjs module shared with scripts/runtimes/test.mjs
import { PAIRS, RUNTIMES, installed, runtimeCommand } from '../../scripts/runtimes/lib.mjs';
import { loadNapi } from '../lib/napi.ts';

interface Pair {
  id: string;
  runtime: string;
  engine: string;
}
interface Calls {
  add: number;
  getResult10: number;
  getResult1k: number;
}
/** One process's cos figures: median ns of each, and the median of its per-batch-pair ratios. */
interface CosVersusRaw {
  raw: number;
  ffi: number;
  ratio: number;
}
/** Median ns of a baseline and a candidate over pairs of batches, and the median of the per-pair ratios candidate / baseline. */
interface Paired {
  base: number;
  ns: number;
  ratio: number;
}
/** What each forwarder is paired with: unsafe add, the engine table's add and unsafeAccess().add against the raw engine call; the module-level functions against their methods. */
interface Forwarders {
  unsafeAdd: Paired;
  tableAdd: Paired;
  accessAdd: Paired;
  statusName: Paired;
  getResult: Paired;
}
interface Probe {
  runtime: string;
  engine: string;
  typed: Calls;
  cos: CosVersusRaw;
  forwarders: Forwarders;
  /** ns per call of cos in an isolated library (a round trip to its host process). */
  isolatedCos: number;
  napi?: Calls;
  napiAbsent?: string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: options } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, out: { type: 'string' } },
});
const quick = options.quick!;
const rounds = options.rounds === undefined ? (quick ? 1 : 5) : Number(options.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench:engines: --rounds must be a positive integer, got '${options.rounds}'`);
const outDir = options.out ?? (quick ? join(root, '.cache', 'bench') : join(root, 'bench', 'results'));
const say = (line: string) => console.log(`bench:engines: ${line}`);

const napi = loadNapi(say);
if (!napi.addon) say(`N-API addon absent: ${napi.reason}`);
const probe = join(root, 'bench', 'engines', 'probe.ts');
const pairs = PAIRS as Pair[];
const samples = new Map<string, Probe[]>(pairs.map((p) => [p.id, []]));
const absent = new Map<string, string>();

for (let round = 1; round <= rounds; round++) {
  for (const pair of pairs) {
    if (absent.has(pair.id)) continue;
    if (pair.runtime !== 'node20' && !installed(pair.runtime)) {
      absent.set(pair.id, `${(RUNTIMES as Record<string, { label: string }>)[pair.runtime]?.label ?? pair.runtime} is not installed (npm run setup:runtimes)`);
      continue;
    }
    const { bin, args } = runtimeCommand(pair.runtime, probe);
    const run = spawnSync(bin, args, {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
      env: {
        ...process.env,
        MYLIB_FFI_ENGINE: pair.engine,
        BENCH_CALLS: quick ? '20000' : '200000',
        ...(napi.addon ? { BENCH_NAPI_ADDON: napi.path } : {}),
        NODE_NO_WARNINGS: '1',
      },
    });
    const line = run.stdout?.split('\n').find((l) => l.startsWith('ENGINE-BENCH '));
    if (run.status !== 0 || !line) {
      const lines = (run.stderr || run.error?.message || `exit ${run.status}`).trim().split('\n');
      const why = (lines.find((l) => /\bError\b|error:/.test(l)) ?? lines.at(-1) ?? '').trim();
      absent.set(pair.id, why);
      say(`${pair.id}: FAILED: ${why}`);
      continue;
    }
    const result = JSON.parse(line.slice('ENGINE-BENCH '.length)) as Probe;
    if (result.engine !== pair.engine) {
      absent.set(pair.id, `asked for engine ${pair.engine}, the bindings used ${result.engine}`);
      continue;
    }
    samples.get(pair.id)!.push(result);
    say(
      `round ${round}/${rounds} ${pair.id}: add ${result.typed.add.toFixed(1)} ns, getResult 10 B ${result.typed.getResult10.toFixed(1)} ns, ` +
        `cos ${result.cos.ffi.toFixed(1)} ns (mylib-rust/ffi) vs ${result.cos.raw.toFixed(1)} ns (raw ${pair.engine}): ${result.cos.ratio.toFixed(2)}x, ` +
        `isolated cos ${(result.isolatedCos / 1000).toFixed(1)} us; unsafe add ${result.forwarders.unsafeAdd.ratio.toFixed(2)}x raw, ` +
        `statusName ${result.forwarders.statusName.ratio.toFixed(2)}x and getResult ${result.forwarders.getResult.ratio.toFixed(2)}x the method`,
    );
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[sorted.length >> 1]! : Number.NaN;
};
const spread = (values: number[]) => (values.length ? `${Math.min(...values).toFixed(2)}..${Math.max(...values).toFixed(2)}` : '-');

/** The cos row of a pair over the rounds: medians of the per-round figures, and the per-round ratios' spread. */
type CosRow = { raw: number; ffi: number; ratio: number; ratioSpread: string; rounds: number[] };
type Row = { pair: string; runtime: string; engine: string; typed: Calls; cos: CosRow; isolatedCos: number; napi?: Calls; napiAbsent?: string };
const rows: Row[] = [];
for (const pair of pairs) {
  const list = samples.get(pair.id)!;
  if (!list.length) continue;
  const pick = (key: keyof Calls, from: 'typed' | 'napi') => median(list.flatMap((p) => (p[from] ? [p[from]![key]] : [])));
  rows.push({
    pair: pair.id,
    runtime: list[0]!.runtime,
    engine: pair.engine,
    typed: { add: pick('add', 'typed'), getResult10: pick('getResult10', 'typed'), getResult1k: pick('getResult1k', 'typed') },
    cos: {
      raw: median(list.map((p) => p.cos.raw)),
      ffi: median(list.map((p) => p.cos.ffi)),
      ratio: median(list.map((p) => p.cos.ratio)),
      ratioSpread: spread(list.map((p) => p.cos.ratio)),
      rounds: list.map((p) => p.cos.ratio),
    },
    isolatedCos: median(list.map((p) => p.isolatedCos)),
    ...(list[0]!.napi ? { napi: { add: pick('add', 'napi'), getResult10: pick('getResult10', 'napi'), getResult1k: pick('getResult1k', 'napi') } } : {}),
    ...(list[0]!.napiAbsent ? { napiAbsent: list[0]!.napiAbsent } : {}),
  });
}

/** Per-round ratio of `a`'s value to the Node 20 N-API addon's (same round), median and spread. */
function versusNode20Napi(pairId: string, key: keyof Calls): { median: number; spread: string } | undefined {
  const base = samples.get('node20:koffi')!;
  const list = samples.get(pairId)!;
  const ratios = list.flatMap((p, i) => (base[i]?.napi ? [p.typed[key] / base[i]!.napi![key]] : []));
  return ratios.length ? { median: median(ratios), spread: spread(ratios) } : undefined;
}

interface Target {
  what: string;
  target: string;
  value: string;
  met: boolean | undefined;
}
const targets: Target[] = [];
const nsTarget = (pairId: string, limit: number) => {
  const list = samples.get(pairId)!.map((p) => p.typed.add);
  targets.push({
    what: `typed add on ${pairId}`,
    target: `<= ${limit} ns`,
    value: list.length ? `${median(list).toFixed(1)} ns (${spread(list)})` : `not measured: ${(absent.get(pairId) ?? 'no samples').replaceAll('|', '/')}`,
    met: list.length ? median(list) <= limit : undefined,
  });
};
const ratioTarget = (pairId: string, key: keyof Calls, limit: number, what: string) => {
  const ratio = versusNode20Napi(pairId, key);
  targets.push({
    what,
    target: `<= ${limit}x`,
    value: ratio ? `${ratio.median.toFixed(2)}x (rounds ${ratio.spread})` : `not measured: ${(absent.get(pairId) ?? 'no N-API samples').replaceAll('|', '/')}`,
    met: ratio ? ratio.median <= limit : undefined,
  });
};
nsTarget('bun:bun:ffi', 10);
nsTarget('deno:deno', 10);
ratioTarget('bun:bun:ffi', 'getResult10', 0.6, 'typed getResult 10 B on Bun (bun:ffi) vs N-API on Node 20');
ratioTarget('deno:deno', 'getResult10', 0.6, 'typed getResult 10 B on Deno (Deno.dlopen) vs N-API on Node 20');
ratioTarget('node20:koffi', 'getResult10', 2.0, 'typed getResult 10 B on Node 20 (koffi) vs N-API on Node 20');
/** An isolated scalar call on Node (koffi): a pipe round trip to the host process. */
const ISOLATED_LIMIT_US = 20;
{
  const list = samples.get('node20:koffi')!.map((p) => p.isolatedCos / 1000);
  targets.push({
    what: 'isolated scalar call (cos) on node20:koffi',
    target: `< ${ISOLATED_LIMIT_US} us`,
    value: list.length
      ? `${median(list).toFixed(1)} us (${spread(list)})`
      : `not measured: ${(absent.get('node20:koffi') ?? 'no samples').replaceAll('|', '/')}`,
    met: list.length ? median(list) < ISOLATED_LIMIT_US : undefined,
  });
}
/** mylib-rust/ffi's cos against the raw engine call, on every pair. */
const COS_LIMIT = 1.5;
for (const pair of pairs) {
  const row = rows.find((r) => r.pair === pair.id);
  targets.push({
    what: `mylib-rust/ffi cos vs raw ${pair.engine} cos on ${pair.id}`,
    target: `<= ${COS_LIMIT}x`,
    value: row ? `${row.cos.ratio.toFixed(2)}x (rounds ${row.cos.ratioSpread})` : `not measured: ${(absent.get(pair.id) ?? 'no samples').replaceAll('|', '/')}`,
    met: row ? row.cos.ratio <= COS_LIMIT : undefined,
  });
}

/** Issue 24: forwarders at zero cost. */
const FUNCTION_LIMIT = 1.3;
const UNSAFE_ADD_LIMIT = 2;
const FORWARDERS: { key: keyof Forwarders; label: string }[] = [
  { key: 'unsafeAdd', label: 'unsafe add vs raw add' },
  { key: 'tableAdd', label: 'raw table add vs raw add' },
  { key: 'accessAdd', label: 'unsafeAccess().add vs raw add' },
  { key: 'statusName', label: 'statusName() vs lib.statusName()' },
  { key: 'getResult', label: 'getResult() 10 B vs lib.getResult()' },
];
/** The per-round ratios of one forwarder on one pair. */
const forwarderRounds = (pairId: string, key: keyof Forwarders) => samples.get(pairId)!.map((p) => p.forwarders[key].ratio);
const forwarderTarget = (pairId: string, key: keyof Forwarders, limit: number, what: string) => {
  const list = forwarderRounds(pairId, key);
  targets.push({
    what,
    target: `<= ${limit}x`,
    value: list.length ? `${median(list).toFixed(2)}x (rounds ${spread(list)})` : `not measured: ${(absent.get(pairId) ?? 'no samples').replaceAll('|', '/')}`,
    met: list.length ? median(list) <= limit : undefined,
  });
};
for (const pair of pairs) {
  forwarderTarget(pair.id, 'statusName', FUNCTION_LIMIT, `issue 24: module-level statusName() vs the method on ${pair.id}`);
  forwarderTarget(pair.id, 'getResult', FUNCTION_LIMIT, `issue 24: module-level getResult() 10 B vs the method on ${pair.id}`);
}
forwarderTarget('bun:bun:ffi', 'unsafeAdd', UNSAFE_ADD_LIMIT, 'issue 24: unsafe add vs the raw bun:ffi call');
forwarderTarget('deno:deno', 'unsafeAdd', UNSAFE_ADD_LIMIT, 'issue 24: unsafe add vs the raw Deno.dlopen call');

const ns = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(1));
const forwarderCell = (pairId: string, key: keyof Forwarders) => {
  const list = samples.get(pairId)!;
  if (!list.length) return '-';
  const base = median(list.map((p) => p.forwarders[key].base));
  const value = median(list.map((p) => p.forwarders[key].ns));
  const rounds = forwarderRounds(pairId, key);
  return `${value.toFixed(1)} vs ${base.toFixed(1)}: ${median(rounds).toFixed(2)}x (${spread(rounds)})`;
};
const md = [
  `# Engine benchmark (${new Date().toISOString().slice(0, 10)})`,
  '',
  `Median ns per call over ${rounds} round(s); each round runs every pair once, in its own process. The N-API`,
  'columns are the reference C addon (bench/napi) on the same runtime and round.',
  '',
  '| runtime x engine | runtime | typed add | typed getResult 10 B | typed getResult 1 KiB | N-API add | N-API getResult 10 B | N-API getResult 1 KiB |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.pair} | ${r.runtime} | ${ns(r.typed.add)} | ${ns(r.typed.getResult10)} | ${ns(r.typed.getResult1k)} | ${ns(r.napi?.add)} | ${ns(r.napi?.getResult10)} | ${ns(r.napi?.getResult1k)} |`,
  ),
  ...[...absent].map(([id, why]) => `| ${id} | absent: ${why.replaceAll('|', '/')} | | | | | | |`),
  '',
  "libm's `double cos(double)` declared through mylib-rust/ffi (`open('m').func('double cos(double x)')`) against the",
  "engine's raw call of the same function (koffi: `koffi.load(path).func(...)`; bun:ffi, Deno and node:ffi: their `dlopen`),",
  `in the same process, in alternating batches; median ns over the rounds; ratio: the median of the per-round ratios (each the`,
  `median of one process's per-batch ratios), with their spread; goal <= ${COS_LIMIT}x. Isolated cos: the same call in`,
  `\`open('m', { isolate: true })\` (a round trip to the host process over pipes), median us per call.`,
  '',
  '| runtime x engine | raw cos | mylib-rust/ffi cos | ratio | spread over rounds | goal | isolated cos (us) |',
  '| --- | ---: | ---: | ---: | --- | --- | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.pair} | ${ns(r.cos.raw)} | ${ns(r.cos.ffi)} | ${r.cos.ratio.toFixed(2)}x | ${r.cos.ratioSpread} | ${r.cos.ratio <= COS_LIMIT ? 'met' : 'short'} | ${(r.isolatedCos / 1000).toFixed(1)} |`,
  ),
  ...[...absent].map(([id, why]) => `| ${id} | absent: ${why.replaceAll('|', '/')} | | | | | |`),
  '',
  'Forwarders (issue 24): ns of the forwarder vs ns of what it forwards to, median over the rounds; the ratio is the median',
  "of the per-round ratios (each the median of one process's per-batch-pair ratios), with their spread. Raw add: mylib_add",
  "bound with the engine's own FFI; raw table: `rawFunctions(lib).mylib_add`; the module-level functions against the method",
  'of the default library they call.',
  '',
  `| runtime x engine | ${FORWARDERS.map((f) => f.label).join(' | ')} |`,
  `| --- | ${FORWARDERS.map(() => '---:').join(' | ')} |`,
  ...rows.map((r) => `| ${r.pair} | ${FORWARDERS.map((f) => forwarderCell(r.pair, f.key)).join(' | ')} |`),
  '',
  '| target | goal | measured | |',
  '| --- | --- | --- | --- |',
  ...targets.map((t) => `| ${t.what} | ${t.target} | ${t.value} | ${t.met === undefined ? 'n/a' : t.met ? 'met' : 'short'} |`),
  '',
].join('\n');

mkdirSync(outDir, { recursive: true });
const stem = join(outDir, `${new Date().toISOString().slice(0, 10)}-engines`);
writeFileSync(
  `${stem}.json`,
  `${JSON.stringify({ rounds, quick, rows, targets, absent: Object.fromEntries(absent), samples: Object.fromEntries(samples) }, null, 2)}\n`,
);
writeFileSync(`${stem}.md`, md);
console.log(`\n${md}`);
say(`wrote ${relative(process.cwd(), stem)}.json and .md`);
if (absent.size > 0) {
  say(`FAILED: ${absent.size} pair(s) did not run: ${[...absent.keys()].join(', ')}`);
  process.exit(1);
}
