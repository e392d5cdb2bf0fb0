#!/usr/bin/env -S npx tsx
/**
 * npm run bench:strings [-- --rounds n --quick --strict --out dir]: the getResult round trip
 * ("Rust says: " + text) at 10 B, 1 KiB, 64 KiB and 1 MiB through the typed API, the raw koffi
 * function (the typed layer's marshalling without its checks), an N-API C addon doing the same
 * copy-in/copy-out (the floor) and wasm. Reports typed / N-API against the bridge issue's limits
 * (<= 1.3x at 1 KiB and 1 MiB; issue 8 adds 64 KiB <= 1.3x and 10 B <= 1.6x).
 * Exits 1 if a column throws or returns a wrong string; with --strict also if a limit is missed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { COLUMNS, getResultCases } from './lib/cases.ts';
import { pairedRatio } from './lib/measure.ts';
import { type CaseResult, type RunResult, markdown } from './lib/report.ts';
import { log, prepare, runCase } from './lib/run.ts';
import { type TargetResult, evaluateTargets } from './lib/targets.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const options = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        out: { type: 'string' },
        strict: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`bench:strings: ${(error as Error).message}\nusage: npm run bench:strings -- [--quick] [--rounds <n>] [--out <dir>] [--strict]`);
    process.exit(2);
  }
})();
const quick = options.quick!;
const rounds = options.rounds === undefined ? (quick ? 1 : 11) : Number(options.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench:strings: --rounds must be a positive integer, got '${options.rounds}'`);
  process.exit(2);
}
const started = Date.now();
log(`getResult round trip: ${rounds} round(s)`);
const { env, machine } = prepare(quick);
const failures: string[] = [];
const cases: CaseResult[] = [];
for (const c of getResultCases(env)) {
  cases.push(await runCase(c, quick ? { rounds, ms: 5, minSamples: 2 } : { rounds, ms: 50, minSamples: 8 }, failures));
}

// Typed vs N-API (the limits).
const targets: TargetResult[] = evaluateTargets(cases, []).filter((t) => t.id.startsWith('get') || t.id === 'typed-vs-raw-get10');
log('\nround trip vs the N-API addon (time ratio, median of per-round pairs; lower is better):');
for (const c of cases) {
  const napi = c.columns.napi;
  if (napi?.status !== 'ok') {
    log(`  ${c.id}: N-API column absent`);
    continue;
  }
  const parts = (['typed', 'raw', 'wasm'] as const).flatMap((id) => {
    const col = c.columns[id];
    if (col?.status !== 'ok') return [];
    const { ratio, low, high } = pairedRatio(col.rounds, napi.rounds);
    return [`${COLUMNS[id]} ${ratio.toFixed(2)}x [${low.toFixed(2)}..${high.toFixed(2)}]`];
  });
  log(`  ${c.id.padEnd(18)} ${parts.join('   ')}`);
}
log('\nlimits (typed API):');
for (const t of targets) {
  log(t.value === undefined ? `  [n/a ] ${t.text}: ${t.why}` : `  [${t.met ? 'met ' : 'MISS'}] ${t.text}: ${t.value.toFixed(2)}, limit ${t.op} ${t.limit}`);
}

machine.loadAverageEnd = loadavg();
const run: RunResult = {
  date: new Date().toISOString().slice(0, 10),
  mode: quick ? 'quick' : 'full',
  seconds: Math.round((Date.now() - started) / 1000),
  machine,
  method: `getResult round trips only, ${rounds} interleaved rounds per size (see bench/strings.ts).`,
  columns: COLUMNS,
  cases,
  async: [],
  targets,
  failures,
};
const outDir = options.out ?? (quick ? join(root, '.cache', 'bench') : join(root, 'bench', 'results'));
mkdirSync(outDir, { recursive: true });
const base = join(outDir, `${run.date}-strings`);
writeFileSync(`${base}.json`, `${JSON.stringify(run, null, 2)}\n`);
writeFileSync(`${base}.md`, markdown(run));
log(`\nwrote ${relative(process.cwd(), base)}.json and .md in ${run.seconds} s`);
if (failures.length) {
  console.error(`bench:strings: ${failures.length} failure(s):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(1);
}
if (options.strict && targets.some((t) => t.met === false)) process.exit(1);
process.exit(0);
