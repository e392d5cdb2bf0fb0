/**
 * Fuzzy search on the anchor's data shape (issue 24; shared notes, fuzzy-anchor.md): one query of
 * 19 random letters against candidates of 8-32 random letters, minimum distance (limit 1). Columns:
 * a fastest-levenshtein loop (the baseline), FuzzyIndex with `threads: 1` and with the default
 * threads, and one-shot closest() (packing included) at 10k. The `-loaded` cases run the same
 * while two other processes keep both cores busy (started before the case, killed after it).
 */
import { FuzzyIndex, closest } from '../../bindings/index.ts';
import type { Case, Env } from './cases.ts';
import { closestWithFastest } from './closest-cases.ts';
import { anchorData } from './data.ts';
import { BusyProcesses } from './load.ts';

export const ANCHOR_COLUMNS = {
  npm: 'fastest-levenshtein loop',
  t1: 'FuzzyIndex, threads: 1',
  auto: 'FuzzyIndex, default threads',
  oneShot: 'closest(), one-shot',
} as const;

const normalize = (value: unknown) => (value as { index: number; distance: number }[]).map((m) => [m.index, m.distance]);

interface Options {
  count: number;
  label: string;
  /** Time the fastest-levenshtein loop (else it runs once, untimed, as the check). */
  npm: boolean;
  oneShot: boolean;
  loaded: boolean;
  env: Env;
}

function anchorCase({ count, label, npm, oneShot, loaded, env }: Options): Case {
  // The data and the index exist only while the case runs (before .. cleanup): a 1M-name list
  // kept alive beside the 10k case made every one-shot call's garbage cost a full GC of it.
  let data: { query: string; candidates: string[]; index: FuzzyIndex } | undefined;
  const busy = loaded ? new BusyProcesses(2) : undefined;
  const current = () => {
    if (!data) throw new Error(`anchor/${label}: the case runs between before() and cleanup()`);
    return data;
  };
  const fastest = () => {
    const { query, candidates } = current();
    return closestWithFastest(query, candidates, 1);
  };
  const columns: Case['columns'] = {};
  if (npm) columns.npm = fastest;
  columns.t1 = () => {
    const { query, index } = current();
    return index.closest(query, { limit: 1, threads: 1 });
  };
  columns.auto = () => {
    const { query, index } = current();
    return index.closest(query, { limit: 1 });
  };
  if (oneShot) {
    columns.oneShot = () => {
      const { query, candidates } = current();
      return closest(query, candidates, { limit: 1 });
    };
  }
  const what = `1 query of 19 letters x ${count.toLocaleString('en-US')} candidates of 8-32 letters, best 1`;
  return {
    id: `anchor/${label}${loaded ? '-loaded' : ''}`,
    group: 'fuzzy, anchor data',
    title: loaded ? `${what}, both cores busy with 2 other processes` : what,
    labels: ANCHOR_COLUMNS,
    columns,
    baseline: npm ? 'npm' : 't1',
    normalize,
    expected: npm ? undefined : fastest,
    budget: count >= 1_000_000 ? { minSamples: 3, rounds: 5 } : count >= 100_000 ? { minSamples: 3, rounds: env.quick ? 1 : 7 } : { minSamples: 5 },
    before: async () => {
      const { query, candidates } = anchorData(count);
      data = { query, candidates, index: new FuzzyIndex(candidates) };
      await busy?.start();
    },
    cleanup: () => {
      busy?.stop();
      data?.index.close();
      data = undefined;
    },
  };
}

/** The anchor cases; 1M only in a full run. */
export function anchorCases(env: Env): Case[] {
  const cases = [
    anchorCase({ count: 10_000, label: '10k', npm: true, oneShot: true, loaded: false, env }),
    anchorCase({ count: 100_000, label: '100k', npm: true, oneShot: false, loaded: false, env }),
    anchorCase({ count: 10_000, label: '10k', npm: true, oneShot: false, loaded: true, env }),
    anchorCase({ count: 100_000, label: '100k', npm: false, oneShot: false, loaded: true, env }),
  ];
  if (!env.quick) cases.push(anchorCase({ count: 1_000_000, label: '1M', npm: false, oneShot: false, loaded: false, env }));
  return cases;
}
