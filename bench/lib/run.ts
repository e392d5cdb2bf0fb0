/** Runs cases (interleaved), checks every column against the pure-TS result, collects results. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import koffi from 'koffi';
import { library } from '../../bindings/index.ts';
import { type AsyncCase, type Case, COLUMN_IDS, type Env, sameResult } from './cases.ts';
import { type Budget, interleave, median, throughput } from './measure.ts';
import { loadNapi } from './napi.ts';
import type { AsyncResult, CaseResult, ColumnResult, Machine } from './report.ts';
import { caseLines, summarise } from './report.ts';
import { loadWasm } from './wasm.ts';

export const log = (line: string) => console.log(line);

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return `${command}: not found`;
  }
}

/** Loads the library, the N-API addon and the wasm module; describes the machine. */
export function prepare(quick: boolean): { env: Env; machine: Machine } {
  const lib = library();
  const napi = loadNapi(log);
  if (!napi.addon) log(`N-API column absent: ${napi.reason}`);
  const wasm = loadWasm();
  if (!wasm.wasm) log(`wasm column absent: ${wasm.reason}`);
  const koffiVersion = String((koffi as unknown as { version?: string }).version ?? 'unknown');
  const machine: Machine = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()} ${process.arch}`,
    node: process.versions.node,
    v8: process.versions.v8,
    koffi: koffiVersion,
    rustc: version('rustc', ['--version']),
    loadAverageStart: loadavg(),
    library: lib.path,
    napi: napi.addon ? napi.path : `absent: ${napi.reason}`,
    wasm: wasm.wasm ? wasm.path : `absent: ${wasm.reason}`,
  };
  const env: Env = {
    quick,
    napi: napi.addon,
    napiAbsent: napi.addon ? '' : napi.reason,
    wasm: wasm.wasm,
    wasmAbsent: wasm.wasm ? '' : wasm.reason,
  };
  return { env, machine };
}

const message = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** Checks, then measures one case. Failures (throws, wrong results) go to `failures`. */
export async function runCase(c: Case, budget: Budget, failures: string[]): Promise<CaseResult> {
  const columns: Record<string, ColumnResult> = {};
  const fns = new Map<string, () => unknown>();
  // A case whose pure-TS column is too slow to time still checks against it, run once.
  let expected: unknown = typeof c.columns.ts !== 'function' && c.expected ? c.expected() : undefined;
  for (const id of c.labels ? Object.keys(c.labels) : COLUMN_IDS) {
    const column = c.columns[id];
    if (column === undefined) continue;
    if (typeof column === 'string') {
      columns[id] = { status: 'absent', reason: column };
      continue;
    }
    try {
      const value = column();
      if (id === 'ts' || (id === c.baseline && c.expected === undefined && expected === undefined)) expected = value;
      else if (!sameResult(c, value, expected)) {
        throw new Error(`result differs from pure TS: got ${JSON.stringify(value)?.slice(0, 200)}, expected ${JSON.stringify(expected)?.slice(0, 200)}`);
      }
      fns.set(id, column);
      columns[id] = { status: 'ok', rounds: [], medianNs: NaN, lowNs: NaN, highNs: NaN };
    } catch (error) {
      columns[id] = { status: 'failed', reason: message(error) };
      failures.push(`${c.id} / ${id}: ${message(error)}`);
    }
  }
  try {
    const sampled = await interleave(fns, { ...budget, ...c.budget });
    for (const [id, s] of sampled) (columns[id] as { rounds: number[] }).rounds = s.rounds;
    // Once more after timing: state kept between calls (scratch buffers, handles) must not drift.
    if (c.budget?.ms !== 0) {
      for (const [id, fn] of fns) {
        if (id !== 'ts' && !sameResult(c, fn(), expected)) throw new Error(`${id}: result changed after timing`);
      }
    }
  } catch (error) {
    failures.push(`${c.id}: ${message(error)}`);
    for (const id of fns.keys()) columns[id] = { status: 'failed', reason: message(error) };
  }
  const baseline = c.baseline && columns[c.baseline]?.status === 'ok' ? c.baseline : 'ts';
  const result: CaseResult = {
    id: c.id,
    group: c.group,
    title: c.title,
    baseline,
    columns,
    ...(c.labels ? { labels: c.labels } : {}),
    ...(c.memory ? { memory: c.memory } : {}),
  };
  summarise(columns, baseline);
  for (const line of caseLines(result)) log(line);
  return result;
}

/** Throughput with 1, 2, 200 calls in flight, levels interleaved round by round. */
export async function runAsyncCase(a: AsyncCase, rounds: number, failures: string[]): Promise<AsyncResult | undefined> {
  try {
    const value = await a.call();
    const got = a.normalize ? a.normalize(value) : value;
    if (JSON.stringify(got) !== JSON.stringify(a.expected)) throw new Error(`async result differs: ${JSON.stringify(got)?.slice(0, 200)}`);
    const syncRounds: number[] = [];
    const perLevel = new Map<number, number[]>(a.levels.map((l) => [l, []]));
    const coresPerLevel = new Map<number, number[]>(a.levels.map((l) => [l, []]));
    await throughput(a.call, 2, Math.min(a.total, 20)); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < a.levels.length; k++) {
        const level = a.levels[(k + round) % a.levels.length]!;
        const { ns, cores } = await throughput(a.call, level, a.total);
        perLevel.get(level)!.push(ns);
        coresPerLevel.get(level)!.push(cores);
      }
      const t0 = process.hrtime.bigint();
      const n = Math.max(1, a.total >> 2);
      for (let i = 0; i < n; i++) a.sync();
      syncRounds.push(Number(process.hrtime.bigint() - t0) / n);
    }
    const one = median(perLevel.get(a.levels[0]!)!);
    const result: AsyncResult = {
      id: a.id,
      title: a.title,
      syncNs: median(syncRounds),
      levels: a.levels.map((inFlight) => {
        const r = perLevel.get(inFlight)!;
        const m = median(r);
        const paired = median(r.map((x, i) => perLevel.get(a.levels[0]!)![i]! / x));
        const cores = median(coresPerLevel.get(inFlight)!);
        const coresRounds = coresPerLevel.get(inFlight)!;
        return { inFlight, rounds: r, medianNs: m, callsPerSecond: 1e9 / m, vsOne: inFlight === a.levels[0] ? 1 : paired || one / m, cores, coresRounds };
      }),
    };
    return result;
  } catch (error) {
    failures.push(`${a.id}: ${message(error)}`);
    return undefined;
  } finally {
    a.cleanup?.();
  }
}
