#!/usr/bin/env -S npx tsx
/**
 * npm run bench [-- options]: pure TS vs Rust (typed API, raw koffi) vs an N-API C addon vs
 * Rust in wasm32 vs the best npm package, measured interleaved in one process.
 *   --quick        short smoke pass (small inputs, one round); writes under .cache/bench/
 *   --only <text>  only cases whose id contains <text> (e.g. get_result, closest); the files are
 *                  <date>-only-<text>.*, so a partial run never replaces a day's full run
 *   --rounds <n>   rounds per case (default 11; quick 1)
 *   --out <dir>    where to write <date>.json/.md/.svg, <date>-scale.svg and <date>-fuzzy.svg (default bench/results, quick: .cache/bench)
 *   --strict       also exit 1 when a target is missed
 *   --render <json> only rewrite the .md, .svg, -scale.svg and -fuzzy.svg beside a results .json (after changing the writers)
 * Exits 1 if a case throws or a column's result differs from the pure-TS result.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type AsyncCase, type Case, CASE_GROUPS, COLUMNS, asyncCases } from './lib/cases.ts';
import type { Budget } from './lib/measure.ts';
import { type AsyncResult, type CaseResult, type RunResult, asyncLines, markdown, resultStem, svgChart, targetLine } from './lib/report.ts';
import { svgAnchorChart, svgScaleChart } from './lib/report-fuzzy.ts';
import { log, prepare, runAsyncCase, runCase } from './lib/run.ts';
import { evaluateTargets } from './lib/targets.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const options = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        rounds: { type: 'string' },
        out: { type: 'string' },
        strict: { type: 'boolean', default: false },
        render: { type: 'string' },
      },
    }).values;
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\nusage: npm run bench -- [--quick] [--only <text>] [--rounds <n>] [--out <dir>] [--strict]`);
    process.exit(2);
  }
})();

if (options.render) {
  const file = options.render;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  const stem = file.replace(/\.json$/, '');
  writeFileSync(`${stem}.md`, markdown(saved));
  writeFileSync(`${stem}.svg`, svgChart(saved));
  writeFileSync(`${stem}-scale.svg`, svgScaleChart(saved));
  writeFileSync(`${stem}-fuzzy.svg`, svgAnchorChart(saved));
  log(`rewrote ${stem}.md, ${stem}.svg, ${stem}-scale.svg and ${stem}-fuzzy.svg from ${file}`);
  process.exit(0);
}

const quick = options.quick!;
const rounds = options.rounds === undefined ? (quick ? 1 : 11) : Number(options.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench: --rounds must be a positive integer, got '${options.rounds}'`);
  process.exit(2);
}
const budget: Budget = quick ? { rounds, ms: 5, minSamples: 2 } : { rounds, ms: 30, minSamples: 8 };
const outDir = options.out ?? (quick ? join(root, '.cache', 'bench') : join(root, 'bench', 'results'));
const only = options.only;
const started = Date.now();

log(`mylib benchmarks (${quick ? 'quick smoke pass' : 'full'}): ${rounds} round(s), ${budget.ms} ms per column per round`);
const { env, machine } = prepare(quick);
log(`library: ${machine.library}`);
log(
  `machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, koffi ${machine.koffi}, load ${machine.loadAverageStart.map((x) => x.toFixed(1)).join(' ')}\n`,
);

const failures: string[] = [];
const cases: CaseResult[] = [];
for (const { group, build } of CASE_GROUPS) {
  let built: Case[];
  try {
    built = build(env).filter((c) => !only || c.id.includes(only));
  } catch (error) {
    failures.push(`${group}: building the case failed: ${(error as Error).stack}`);
    log(`${group}: FAILED to build: ${(error as Error).message}`);
    continue;
  }
  for (const c of built) {
    try {
      await c.before?.();
      cases.push(await runCase(c, budget, failures));
    } finally {
      c.cleanup?.();
    }
  }
}

const asyncs: AsyncResult[] = [];
if (!only || only.startsWith('async') || 'async'.startsWith(only)) {
  log('\nasync throughput (koffi worker threads)');
  let built: AsyncCase[];
  try {
    built = asyncCases(env).filter((a) => !only || a.id.startsWith(only) || 'async'.startsWith(only));
  } catch (error) {
    failures.push(`async: building the cases failed: ${(error as Error).message}`);
    built = [];
  }
  for (const a of built) {
    const result = await runAsyncCase(a, quick ? 1 : Math.max(3, rounds - 2), failures);
    if (result) {
      asyncs.push(result);
      for (const line of asyncLines(result)) log(line);
    }
  }
}

machine.loadAverageEnd = loadavg();
const targets = evaluateTargets(cases, asyncs, quick);
const date = new Date().toISOString().slice(0, 10);
const run: RunResult = {
  date,
  mode: quick ? 'quick' : 'full',
  seconds: Math.round((Date.now() - started) / 1000),
  machine,
  method:
    `Each case runs in one Node process. Every round measures each column once (rotated order) with mitata's measure() ` +
    `(warm-up, batched fast calls, ${budget.ms} ms per column per round); a column's figure is the median of its per-round ` +
    `medians and ratios are medians of per-round paired ratios, over ${rounds} round(s). Each column's result is checked ` +
    `against the pure-TS result before and after timing.`,
  columns: COLUMNS,
  cases,
  async: asyncs,
  targets,
  failures,
};

log('\ntargets (paired ratios, one run):');
for (const t of targets.filter((x) => !x.issue)) log(targetLine(t));
log('\ngoals of issue 24 (paired ratios, one run):');
for (const t of targets.filter((x) => x.issue)) log(targetLine(t));

if (cases.length === 0 && asyncs.length === 0) {
  console.error(`bench: no case matched --only '${only}' (nothing written)`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
const base = resultStem(outDir, date, only);
writeFileSync(`${base}.json`, `${JSON.stringify(run, null, 2)}\n`);
writeFileSync(`${base}.md`, markdown(run));
writeFileSync(`${base}.svg`, svgChart(run));
writeFileSync(`${base}-scale.svg`, svgScaleChart(run));
writeFileSync(`${base}-fuzzy.svg`, svgAnchorChart(run));
log(`\nwrote ${['.json', '.md', '.svg', '-scale.svg', '-fuzzy.svg'].map((ext) => relative(process.cwd(), `${base}${ext}`)).join(', ')} in ${run.seconds} s`);

const missed = targets.filter((t) => t.met === false);
if (failures.length) {
  console.error(`\nbench: ${failures.length} failure(s):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(1);
}
log(
  `summary: ${cases.length} cases, ${asyncs.length} async cases, no failures; targets met ${targets.filter((t) => t.met).length}/${targets.length}, missed ${missed.length}, not measured ${targets.filter((t) => t.met === undefined).length}`,
);
if (options.strict && missed.length) process.exit(1);
// koffi worker threads and FinalizationRegistry callbacks must not keep the process alive.
process.exit(0);
