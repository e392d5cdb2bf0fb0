/** The performance targets of issue 8, the bridge issue and issue 14 (every row of its table), evaluated on one run's results. */
import { pairedRatio } from './measure.ts';
import type { CaseResult, AsyncResult } from './report.ts';

export interface Target {
  id: string;
  text: string;
  /** `slower / faster` style ratio: compare `value` with `limit` using `op`. */
  op: '<=' | '>=';
  limit: number;
  /** [case id, numerator column, denominator column]: value = time(num) / time(den). */
  ratio?: [string, string, string];
  /** Async: [case id, level a, level b]: value = time per call at a / at b (throughput gain of b). */
  async?: [string, number, number];
  /** Async: [case id, level, paired level]: value = cores busy at `level` (CPU time / wall time), per round. */
  cores?: [string, number, number];
  /** Scale case id: value = the index's RSS growth / (2x UTF-8 bytes + 16 B per candidate). */
  memory?: string;
  /** Why this benchmark does not measure the row (another tool does). */
  elsewhere?: string;
  /** Why the row is not measured in --quick. */
  notInQuick?: string;
  /** The issue whose goals table the row comes from (printed as its own table). */
  issue?: number;
}

const ENGINES_BENCH = 'needs Bun, Deno and Node 26 processes: npm run bench:engines reports it per runtime x engine (bench/results/<date>-engines.md)';

export const TARGETS: Target[] = [
  { id: 'typed-vs-raw-add', text: 'typed API / raw koffi, add', op: '<=', limit: 1.05, ratio: ['call/add', 'typed', 'raw'] },
  { id: 'typed-vs-raw-get10', text: 'typed API / raw koffi, get_result 10 B', op: '<=', limit: 1.05, ratio: ['get_result/10 B', 'typed', 'raw'] },
  { id: 'get10-vs-napi', text: 'get_result 10 B, typed / N-API', op: '<=', limit: 1.6, ratio: ['get_result/10 B', 'typed', 'napi'] },
  { id: 'get1k-vs-napi', text: 'get_result 1 KiB, typed / N-API', op: '<=', limit: 1.3, ratio: ['get_result/1 KiB', 'typed', 'napi'] },
  { id: 'get64k-vs-napi', text: 'get_result 64 KiB, typed / N-API', op: '<=', limit: 1.3, ratio: ['get_result/64 KiB', 'typed', 'napi'] },
  { id: 'get1m-vs-napi', text: 'get_result 1 MiB, typed / N-API', op: '<=', limit: 1.3, ratio: ['get_result/1 MiB', 'typed', 'napi'] },
  { id: 'doubles-buffer', text: 'count_doubles 1 MB Buffer: pure TS / typed (speedup)', op: '>=', limit: 30, ratio: ['count_doubles/buffer', 'ts', 'typed'] },
  {
    id: 'doubles-string',
    text: 'count_doubles 1M-letter string: pure TS / typed (speedup)',
    op: '>=',
    limit: 5,
    ratio: ['count_doubles/string', 'ts', 'typed'],
  },
  { id: 'lev-1000', text: 'Levenshtein 1000x1000: pure TS / typed (speedup)', op: '>=', limit: 8, ratio: ['levenshtein/1000', 'ts', 'typed'] },
  {
    id: 'index-vs-fastest',
    text: 'FuzzyIndex.closest 1x10k, default threads: fastest-levenshtein loop / typed (speedup)',
    op: '>=',
    limit: 8,
    ratio: ['closest/index', 'npm', 'typed'],
  },
  {
    id: 'index-1t-vs-fastest',
    text: 'FuzzyIndex.closest 1x10k, one thread: fastest-levenshtein loop / typed (speedup)',
    op: '>=',
    limit: 4,
    ratio: ['closest/index-1t', 'npm', 'typed'],
  },
  {
    id: 'oneshot-vs-fastest',
    text: 'one-shot closest 1x10k (packing included): fastest-levenshtein loop / typed',
    op: '>=',
    limit: 4,
    ratio: ['closest/one-shot', 'npm', 'typed'],
  },
  {
    id: 'index-1m',
    text: 'FuzzyIndex.closest 1x1M: ms per query (typed / 1 ms)',
    op: '<=',
    limit: 60,
    ratio: ['scale/1M', 'typed', 'unit'],
    notInQuick: '--quick stops the scale curve at 100k',
  },
  {
    id: 'index-mem-1m',
    text: 'native memory of a 1M-name index (RSS growth) / (2x UTF-8 bytes + 16 B per candidate)',
    op: '<=',
    limit: 1,
    memory: 'scale/1M',
    notInQuick: '--quick stops the scale curve at 100k; see index-mem-100k',
  },
  {
    id: 'index-mem-100k',
    text: 'native memory of a 100k-name index (RSS growth) / (2x UTF-8 bytes + 16 B per candidate)',
    op: '<=',
    limit: 1,
    memory: 'scale/100k',
  },
  {
    id: 'engines-add',
    text: 'typed add on Bun (bun:ffi) and Deno (Deno.dlopen), ns',
    op: '<=',
    limit: 10,
    elsewhere: 'needs Bun and Deno processes: npm run bench:engines reports it (bench/results/<date>-engines.md)',
  },
  {
    id: 'engines-get10-vs-napi',
    text: 'typed getResult 10 B on Bun and Deno / N-API addon on Node 20',
    op: '<=',
    limit: 0.6,
    elsewhere: 'needs Bun and Deno processes: npm run bench:engines reports it (bench/results/<date>-engines.md)',
  },
  {
    id: 'get10-vs-napi-koffi',
    text: 'typed getResult 10 B on this Node (koffi) / N-API (issue 14 row)',
    op: '<=',
    limit: 2,
    ratio: ['get_result/10 B', 'typed', 'napi'],
  },
  { id: 'stats', text: 'stats 1e6 doubles: pure TS / typed (speedup)', op: '>=', limit: 2, ratio: ['stats/1e6', 'ts', 'typed'] },
  { id: 'words', text: 'word count 50 MB: pure TS Map / typed (speedup)', op: '>=', limit: 3, ratio: ['words/50MB', 'ts', 'typed'] },
  { id: 'async-2', text: 'async heavy calls: throughput with 2 in flight / 1 in flight', op: '>=', limit: 1.6, async: ['async/closest', 1, 2] },
  {
    id: 'async-100k-cores',
    text: 'closestAsync over 100k candidates, 2 in flight: cores busy (CPU time / wall time, of 2)',
    op: '>=',
    limit: 1.7,
    cores: ['async/closest-100k', 2, 1],
  },
  // Issue 24's goals table, in its order.
  {
    id: 'i24-anchor-10k-1t',
    text: 'FuzzyIndex, anchor data, 10k, threads: 1: fastest-levenshtein loop / FuzzyIndex (speedup)',
    op: '>=',
    limit: 25,
    ratio: ['anchor/10k', 'npm', 't1'],
    issue: 24,
  },
  {
    id: 'i24-anchor-10k-auto',
    text: 'FuzzyIndex, anchor data, 10k, default threads, no busy process started: fastest-levenshtein loop / FuzzyIndex (speedup)',
    op: '>=',
    limit: 40,
    ratio: ['anchor/10k', 'npm', 'auto'],
    issue: 24,
  },
  {
    id: 'i24-loaded-10k',
    text: 'FuzzyIndex, anchor data, 10k, both cores busy with 2 other processes: threads: 1 / default threads (time ratio)',
    op: '>=',
    limit: 0.95,
    ratio: ['anchor/10k-loaded', 't1', 'auto'],
    issue: 24,
  },
  {
    id: 'i24-loaded-100k',
    text: 'FuzzyIndex, anchor data, 100k, both cores busy with 2 other processes: threads: 1 / default threads (time ratio)',
    op: '>=',
    limit: 0.95,
    ratio: ['anchor/100k-loaded', 't1', 'auto'],
    issue: 24,
  },
  {
    id: 'i24-1m',
    text: 'FuzzyIndex, anchor data, 1M names, default threads: ms per query',
    op: '<=',
    limit: 10,
    ratio: ['anchor/1M', 'auto', 'unit'],
    notInQuick: '--quick does not build the 1M case',
    issue: 24,
  },
  {
    id: 'i24-oneshot',
    text: 'one-shot closest, anchor data, 10k (packing included): fastest-levenshtein loop / closest() (speedup)',
    op: '>=',
    limit: 4,
    ratio: ['anchor/10k', 'npm', 'oneShot'],
    issue: 24,
  },
  { id: 'i24-functions', text: 'module-level function / the method, every engine', op: '<=', limit: 1.3, elsewhere: ENGINES_BENCH, issue: 24 },
  { id: 'i24-unsafe-add', text: '`unsafe.add` / the raw engine call, bun:ffi and Deno', op: '<=', limit: 2, elsewhere: ENGINES_BENCH, issue: 24 },
];

export interface TargetResult {
  id: string;
  text: string;
  op: string;
  limit: number;
  /** Median paired ratio; undefined when a column is absent. */
  value?: number;
  low?: number;
  high?: number;
  met?: boolean;
  why?: string;
  /** Context for the value (the paired level, the measuring method). */
  note?: string;
  issue?: number;
}

const verdict = (t: Target, value: number) => (t.op === '<=' ? value <= t.limit : value >= t.limit);

export function evaluateTargets(cases: CaseResult[], asyncs: AsyncResult[], quick = false): TargetResult[] {
  return TARGETS.map((t): TargetResult => {
    const base = { id: t.id, text: t.text, op: t.op, limit: t.limit, ...(t.issue ? { issue: t.issue } : {}) };
    let rounds: [number[], number[]] | undefined;
    let why = '';
    if (t.elsewhere) return { ...base, why: t.elsewhere };
    if (t.memory) {
      const m = cases.find((x) => x.id === t.memory)?.memory;
      if (!m) return { ...base, why: quick && t.notInQuick ? t.notInQuick : `case ${t.memory} was not run` };
      const values = m.builds.map((b) => b / m.limitBytes);
      const value = m.medianBytes / m.limitBytes;
      const perCandidate = (m.medianBytes - 2 * m.utf8Bytes) / m.candidates;
      const note = `RSS-based: ${(m.medianBytes / 2 ** 20).toFixed(1)} MiB = 2x UTF-8 ${perCandidate >= 0 ? '+' : '-'} ${Math.abs(perCandidate).toFixed(1)} B per candidate, median of ${m.builds.length} builds`;
      return { ...base, value, low: Math.min(...values), high: Math.max(...values), met: verdict(t, value), note };
    }
    if (t.cores) {
      const [caseId, level, paired] = t.cores;
      const c = asyncs.find((x) => x.id === caseId);
      const a = c?.levels.find((l) => l.inFlight === level);
      const b = c?.levels.find((l) => l.inFlight === paired);
      if (!a || !b) return { ...base, why: `case ${caseId} was not run` };
      const per = a.coresRounds ?? [a.cores];
      const note = `${paired} in flight: ${b.cores.toFixed(2)} cores; throughput ${level} vs ${paired} in flight: ${a.vsOne.toFixed(2)}x`;
      return { ...base, value: a.cores, low: Math.min(...per), high: Math.max(...per), met: verdict(t, a.cores), note };
    }
    if (t.ratio) {
      const [caseId, num, den] = t.ratio;
      const c = cases.find((x) => x.id === caseId);
      const a = c?.columns[num];
      const b = c?.columns[den];
      if (!c) why = quick && t.notInQuick ? t.notInQuick : `case ${caseId} was not run`;
      else if (den === 'unit' && a?.status === 'ok') rounds = [a.rounds, a.rounds.map(() => 1e6)];
      else if (a?.status !== 'ok') why = `${num}: ${a?.reason ?? 'absent'}`;
      else if (b?.status !== 'ok') why = `${den}: ${b?.reason ?? 'absent'}`;
      else rounds = [a.rounds, b.rounds];
    } else if (t.async) {
      const [caseId, la, lb] = t.async;
      const c = asyncs.find((x) => x.id === caseId);
      const a = c?.levels.find((l) => l.inFlight === la);
      const b = c?.levels.find((l) => l.inFlight === lb);
      if (!a || !b) why = `case ${caseId} was not run`;
      else rounds = [a.rounds, b.rounds];
    }
    if (!rounds) return { ...base, why };
    const { ratio, low, high } = pairedRatio(rounds[0], rounds[1]);
    return { ...base, value: ratio, low, high, met: verdict(t, ratio) };
  });
}
