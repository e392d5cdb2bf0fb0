#!/usr/bin/env -S npx tsx
// npm run test:runtimes: the conformance suite (test/conformance/run.ts) on every runtime x
// engine pair, each in its own child process with MYLIB_FFI_ENGINE=<engine>.
//   --pairs node20:koffi,bun:koffi   a subset (ids as in PAIRS, lib.mjs); `koffi` = every koffi pair
//   --filter <text>                  only the cases whose name contains <text>
//   --verbose                        print every case line of every pair
//   --timeout <s>                    per pair (default 300)
// A pair passes only when its child exits 0 and reports cases run, none failed, and the engine
// asked for, and every exit case (test/exit/ways.ts: process.exit with async calls in flight, in
// a child each) ends with its code within the bound. A missing runtime or an engine the bindings ignore is a FAILED pair, never a skip.
// Exit code 1 when any selected pair did not pass, 2 on a bad flag.
import { spawn } from 'node:child_process';
import { argv } from 'zx';
import { WAYS, exitProblem, runWay } from '../../test/exit/ways.ts';
import { fixtureLibrary } from '../../test/fixtures/ffi/build.ts';
import { PAIRS, RUNTIMES, fail, installed, root, runtimeCommand, say, seconds, table, warn } from './lib.mjs';

/** @import { Runtime } from './lib.mjs' */
/** @typedef {(typeof PAIRS)[number]} Pair */
/** @typedef {{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, timedOut: boolean, wallS: string }} PairRun */
/** @typedef {{ ok: boolean, version: string, passed: number, failed: number, suiteS: string, note: string, wallS?: string }} Verdict */

const SUITE = 'test/conformance/run.ts';
const EXIT_FIXTURE = 'test/exit/fixture.ts';
const timeoutMs = Number(argv.timeout ?? 300) * 1000;

/** @param {unknown} list the --pairs flag */
function selectPairs(list) {
  if (!list) return PAIRS;
  const wanted = String(list)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  /** @type {Pair[]} */
  const chosen = [];
  for (const want of wanted) {
    const matched = PAIRS.filter((p) => p.id === want || (want === 'koffi' && p.engine === 'koffi') || p.runtime === want);
    if (matched.length === 0) {
      fail(`unknown pair '${want}' (known: ${PAIRS.map((p) => p.id).join(', ')}; or a runtime name, or 'koffi')`);
      process.exit(2);
    }
    for (const p of matched) if (!chosen.includes(p)) chosen.push(p);
  }
  return PAIRS.filter((p) => chosen.includes(p));
}

/** @param {Runtime} runtime */
function command(runtime) {
  return runtimeCommand(runtime, SUITE);
}

/**
 * @param {Pair} pair
 * @param {string} bin
 * @param {string[]} args
 * @returns {Promise<PairRun>}
 */
function runPair(pair, bin, args) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(bin, args, {
      cwd: root,
      env: { ...process.env, MYLIB_FFI_ENGINE: pair.engine, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (argv.verbose) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => (stderr += `\nspawn failed: ${error.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, wallS: seconds(started) });
    });
  });
}

/**
 * The verdict of one pair from its child's output.
 * @param {Pair} pair
 * @param {PairRun} run
 * @returns {Verdict}
 */
function judge(pair, run) {
  const line = run.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('CONFORMANCE '));
  let report;
  try {
    report = line ? JSON.parse(line.slice('CONFORMANCE '.length)) : undefined;
  } catch {
    report = undefined;
  }
  const base = {
    version: report?.runtime ?? '',
    passed: report?.passed ?? 0,
    failed: report?.failed ?? 0,
    suiteS: report ? (report.ms / 1000).toFixed(2) : '-',
  };
  if (run.timedOut) return { ...base, ok: false, note: `timed out after ${timeoutMs / 1000} s` };
  if (!report) {
    const tail = (run.stderr || run.stdout).trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    return { ...base, ok: false, note: `no report (exit ${run.code ?? run.signal}): ${tail.slice(0, 300)}` };
  }
  if (report.error) return { ...base, ok: false, note: report.error };
  if (report.engine !== pair.engine) return { ...base, ok: false, note: `ran on engine ${report.engine}, not ${pair.engine}` };
  if (report.failed > 0) return { ...base, ok: false, note: `${report.failed} case(s) failed` };
  if (report.passed === 0) return { ...base, ok: false, note: 'no case ran' };
  if (run.code !== 0) return { ...base, ok: false, note: `exit ${run.code ?? run.signal} after all cases passed` };
  // node:ffi warns when it is loaded; the engine's workers load it again with the warning off.
  const warnings = run.stderr.match(/ExperimentalWarning/g)?.length ?? 0;
  if (warnings > 1) return { ...base, ok: false, note: `${warnings} ExperimentalWarnings on stderr (at most one per process)` };
  return { ...base, ok: true, note: '' };
}

const pairs = selectPairs(argv.pairs);
const started = performance.now();
// The foreign-library suite's C fixture, built once here: the pairs only read it (Deno runs
// without --allow-run).
try {
  say(`C fixture: ${fixtureLibrary()}`);
} catch (error) {
  fail(/** @type {Error} */ (error).message);
  process.exit(1);
}
/** @type {Array<[pair: string, runtime: string, engine: string, result: string, cases: number, passed: number, failed: number, suiteS: string, wallS: string, why: string]>} */
const rows = [];
let allOk = true;
say(`${pairs.length} pair(s): ${pairs.map((p) => p.id).join(', ')}`);
if (!process.version.startsWith('v20.')) warn(`the node20 pair runs on the node running this script, which is ${process.version}`);

for (const pair of pairs) {
  /** @type {Verdict} */
  let verdict;
  /** @type {PairRun | undefined} */
  let run;
  if (pair.runtime !== 'node20' && !installed(pair.runtime)) {
    verdict = {
      ok: false,
      version: '',
      passed: 0,
      failed: 0,
      suiteS: '-',
      note: `${RUNTIMES[pair.runtime].label} ${RUNTIMES[pair.runtime].version} is not installed: run npm run setup:runtimes`,
    };
  } else {
    process.stdout.write(`runtimes: ${pair.id}... `);
    const extra = argv.filter ? ['--filter', String(argv.filter)] : [];
    const { bin, args } = command(pair.runtime);
    run = await runPair(pair, bin, [...args, ...extra]);
    verdict = judge(pair, run);
    verdict.wallS = run.wallS;
    const exitRun = runtimeCommand(pair.runtime, EXIT_FIXTURE);
    const ways = /** @type {Array<keyof typeof WAYS>} */ (Object.keys(WAYS)).filter((way) => !argv.filter || `exit ${way}`.includes(String(argv.filter)));
    for (const way of ways) {
      const problem = exitProblem(await runWay(exitRun.bin, exitRun.args, way, pair.engine, root), way, pair.engine);
      if (problem === undefined) {
        verdict.passed++;
        continue;
      }
      verdict.failed++;
      verdict.ok = false;
      verdict.note = `${verdict.note ? `${verdict.note}; ` : ''}exit ${way}: ${problem}`;
    }
  }
  allOk &&= verdict.ok;
  const status = verdict.ok ? 'PASSED' : 'FAILED';
  console.log(`${pair.id}: ${status}, ${verdict.passed} passed, ${verdict.failed} failed${verdict.note ? ` (${verdict.note})` : ''}`);
  if (!verdict.ok && run && !argv.verbose) {
    // The failing cases with their messages, and stderr's tail.
    const lines = run.stdout.split('\n');
    const shown = [];
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]?.startsWith('  FAIL')) continue;
      shown.push(lines[i]);
      for (let j = i + 1; j < lines.length && lines[j]?.startsWith('      '); j++) shown.push(lines[j]);
    }
    if (shown.length > 0) console.log(shown.join('\n'));
    const errTail = run.stderr
      .trim()
      .split('\n')
      .filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l))
      .slice(-8)
      .join('\n');
    if (errTail) console.log(`  stderr:\n    ${errTail.replaceAll('\n', '\n    ')}`);
  }
  rows.push([
    pair.id,
    verdict.version,
    pair.engine,
    verdict.ok ? 'PASSED' : 'FAILED',
    verdict.passed + verdict.failed,
    verdict.passed,
    verdict.failed,
    verdict.suiteS,
    verdict.wallS ?? '-',
    verdict.note,
  ]);
}

// Every pair runs the same case list: a pair that ran fewer (a module that did not load, a
// runner that stopped early) fails even when none of its cases did.
const most = Math.max(0, ...rows.map((r) => r[4]));
for (const r of rows) {
  if (r[3] === 'PASSED' && r[4] < most) {
    r[3] = 'FAILED';
    r[9] = `ran ${r[4]} cases, another pair ran ${most}`;
    allOk = false;
  }
}

const notSelected = PAIRS.filter((p) => !pairs.includes(p)).map((p) => p.id);
console.log(`\n${table(['pair', 'runtime', 'engine', 'result', 'cases', 'passed', 'failed', 'suite s', 'wall s', 'why'], rows)}\n`);
if (notSelected.length > 0) say(`not selected (--pairs): ${notSelected.join(', ')}`);
const failed = rows.filter((r) => r[3] !== 'PASSED').length;
say(`${pairs.length - failed} of ${pairs.length} pair(s) passed in ${seconds(started)} s${failed ? `; ${failed} FAILED` : ''}`);
process.exit(allOk ? 0 : 1);
