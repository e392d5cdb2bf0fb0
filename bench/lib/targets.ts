/** The performance targets of issue 8 (and the bridge issue), evaluated on one run's results. */
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
}

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
  { id: 'index-1m', text: 'FuzzyIndex.closest 1x1M: ms per query (typed / 1 ms)', op: '<=', limit: 60, ratio: ['scale/1M', 'typed', 'unit'] },
  { id: 'stats', text: 'stats 1e6 doubles: pure TS / typed (speedup)', op: '>=', limit: 2, ratio: ['stats/1e6', 'ts', 'typed'] },
  { id: 'words', text: 'word count 50 MB: pure TS Map / typed (speedup)', op: '>=', limit: 3, ratio: ['words/50MB', 'ts', 'typed'] },
  { id: 'async-2', text: 'async heavy calls: throughput with 2 in flight / 1 in flight', op: '>=', limit: 1.6, async: ['async/closest', 1, 2] },
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
}

export function evaluateTargets(cases: CaseResult[], asyncs: AsyncResult[]): TargetResult[] {
  return TARGETS.map((t): TargetResult => {
    const base = { id: t.id, text: t.text, op: t.op, limit: t.limit };
    let rounds: [number[], number[]] | undefined;
    let why = '';
    if (t.ratio) {
      const [caseId, num, den] = t.ratio;
      const c = cases.find((x) => x.id === caseId);
      const a = c?.columns[num];
      const b = c?.columns[den];
      if (!c) why = `case ${caseId} was not run`;
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
    return { ...base, value: ratio, low, high, met: t.op === '<=' ? ratio <= t.limit : ratio >= t.limit };
  });
}
