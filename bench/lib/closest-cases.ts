/**
 * The fuzzy search's benchmark cases: closest over a list and over a FuzzyIndex (one-shot,
 * indexed, one thread), the scale curve from 1k to 1M candidates, and the async searches.
 * Listed in CASE_GROUPS and asyncCases() of cases.ts.
 */
import { distance as fastestDistance } from 'fastest-levenshtein';
import { FuzzyIndex, closest } from '../../bindings/index.ts';
import { packCandidates } from '../../bindings/_marshal.ts';
import * as refFuzzy from '../../reference/levenshtein.ts';
import { type AsyncCase, type Case, ERR_CAP, type Env, KERNEL_NOT_IN_ADDON, absentNapi, absentWasm, rawKit } from './cases.ts';
import { candidates, randomLetters } from './data.ts';
import { measureIndexMemory } from './memory.ts';

const NO_MAX_DISTANCE = 0xffffffff;

/** The best pure-JS closest: fastest-levenshtein in a loop, then the `limit` best (ties by index). */
export function closestWithFastest(query: string, list: readonly string[], limit: number): { index: number; distance: number }[] {
  const best: { index: number; distance: number }[] = [];
  for (let index = 0; index < list.length; index++) {
    const d = fastestDistance(query, list[index]!);
    if (best.length === limit && d >= best[limit - 1]!.distance) continue;
    let at = best.length === limit ? limit - 1 : best.length;
    while (at > 0 && best[at - 1]!.distance > d) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = { index, distance: d };
    if (best.length > limit) best.length = limit;
  }
  return best;
}

export function closestCases(env: Env): Case[] {
  const { raw, err, u64, check } = rawKit();
  const list = candidates(10_000);
  const query = randomLetters(19, 77);
  const limit = 10;
  const normalize = (value: unknown) => (value as { index: number; distance: number }[]).map((m) => [m.index, m.distance]);
  const queryBytes = Buffer.from(query);
  const matches = new Uint32Array(limit * 2);
  const readMatches = () => Array.from({ length: Number(u64[0]) }, (_, i) => ({ index: matches[2 * i]!, distance: matches[2 * i + 1]! }));
  const tsColumn = () => refFuzzy.closest(query, list, { limit });
  const npmColumn = () => closestWithFastest(query, list, limit);

  // Raw one-shot: pack with the typed layer's own packing on every call, into a kept buffer.
  let packBuffer = Buffer.allocUnsafe(0);
  const keptBuffer = (size: number) => {
    if (packBuffer.length < size) packBuffer = Buffer.allocUnsafe(size);
    return packBuffer;
  };
  const rawOneShot = () => {
    const { bytes, length, offsets } = packCandidates('bench', list, keptBuffer);
    const status = raw.mylib_closest(
      queryBytes,
      queryBytes.length,
      bytes,
      length,
      offsets,
      list.length,
      NO_MAX_DISTANCE,
      0,
      matches,
      limit,
      u64,
      null,
      null,
      err,
      ERR_CAP,
    );
    check(status, 'mylib_closest');
    return readMatches();
  };

  // Raw index: packed once.
  const packed = packCandidates('bench', list, Buffer.allocUnsafe);
  check(raw.mylib_fuzzy_index_new(packed.bytes, packed.length, packed.offsets, list.length, u64, err, ERR_CAP), 'mylib_fuzzy_index_new');
  const rawIndex = u64[0]!;
  const typedIndex = new FuzzyIndex(list);
  const wasmIndex = env.wasm?.fuzzyIndex(list);
  /** `threads` 0: every core (the typed sync default); 1: the calling thread only. */
  const rawIndexClosest = (threads: number) => () => {
    const status = raw.mylib_fuzzy_index_closest(
      rawIndex,
      queryBytes,
      queryBytes.length,
      NO_MAX_DISTANCE,
      threads,
      matches,
      limit,
      u64,
      null,
      null,
      err,
      ERR_CAP,
    );
    check(status, 'mylib_fuzzy_index_closest');
    return readMatches();
  };

  return [
    {
      id: 'closest/one-shot',
      group: 'closest',
      title: 'closest(query, 10,000 candidates of 8-32 letters), best 10, packing on every call',
      normalize,
      budget: { minSamples: 5 },
      columns: {
        ts: tsColumn,
        typed: () => closest(query, list, { limit }),
        raw: rawOneShot,
        napi: absentNapi(env, KERNEL_NOT_IN_ADDON),
        wasm: env.wasm ? () => env.wasm!.closest(query, list, limit) : absentWasm(env),
        npm: npmColumn,
      },
    },
    {
      id: 'closest/index',
      group: 'closest',
      title: 'FuzzyIndex.closest(query) over the same 10,000, best 10 (packed once), default threads',
      normalize,
      budget: { minSamples: 5 },
      columns: {
        ts: tsColumn,
        typed: () => typedIndex.closest(query, { limit }),
        raw: rawIndexClosest(0),
        napi: absentNapi(env, KERNEL_NOT_IN_ADDON),
        wasm: wasmIndex ? () => wasmIndex.closest(query, limit) : absentWasm(env),
        npm: npmColumn,
      },
    },
    {
      id: 'closest/index-1t',
      group: 'closest',
      title: 'FuzzyIndex.closest(query) over the same 10,000, best 10, one thread',
      normalize,
      budget: { minSamples: 5 },
      columns: {
        ts: tsColumn,
        typed: () => typedIndex.closest(query, { limit, threads: 1 }),
        raw: rawIndexClosest(1),
        napi: absentNapi(env, KERNEL_NOT_IN_ADDON),
        wasm: 'wasm32 runs one thread',
        npm: npmColumn,
      },
      cleanup: () => {
        raw.mylib_fuzzy_index_free(rawIndex);
        typedIndex.close();
        wasmIndex?.free();
      },
    },
  ];
}

/**
 * Scale curve (issue 14 item 3): FuzzyIndex.closest at 1k .. 1M candidates. Pure TS is timed up
 * to 10k and run once as the check above that; fastest-levenshtein is timed up to 100k (1M in a
 * full run). `--quick` stops at 100k.
 */
export function scaleCases(env: Env): Case[] {
  const { raw, err, u64, check } = rawKit();
  const query = randomLetters(19, 77);
  const limit = 10;
  const normalize = (value: unknown) => (value as { index: number; distance: number }[]).map((m) => [m.index, m.distance]);
  const sizes: [string, number][] = [
    ['1k', 1_000],
    ['10k', 10_000],
    ['100k', 100_000],
    ['1M', 1_000_000],
  ];
  return sizes
    .filter(([, n]) => !env.quick || n <= 100_000)
    .map(([label, n]): Case => {
      const list = candidates(n, 13);
      // Native memory first, through the raw export with the candidates packed beforehand.
      const packed = Buffer.from(list.join(''));
      const offsets = new Uint32Array(n + 1);
      for (let i = 0, at = 0; i <= n; i++) {
        offsets[i] = at;
        at += list[i]?.length ?? 0;
      }
      const memory = measureIndexMemory(n, packed.length, env.quick ? 3 : 5, () => {
        check(raw.mylib_fuzzy_index_new(packed, packed.length, offsets, n, u64, err, ERR_CAP), 'mylib_fuzzy_index_new');
        const pointer = u64[0]!;
        return () => raw.mylib_fuzzy_index_free(pointer);
      });
      const index = new FuzzyIndex(list);
      const reference = () => refFuzzy.closest(query, list, { limit });
      return {
        id: `scale/${label}`,
        group: 'scale',
        title: `FuzzyIndex.closest, 1 query x ${n.toLocaleString('en-US')} candidates of 8-32 letters, best 10, default threads`,
        normalize,
        budget: n >= 100_000 ? { minSamples: 3, rounds: env.quick ? 1 : 3 } : { minSamples: 5 },
        expected: n > 10_000 ? reference : undefined,
        columns: {
          ts: n <= 10_000 ? reference : `not timed above 10k (about ${Math.round(n / 200)} ms per query); run once as the check`,
          typed: () => index.closest(query, { limit }),
          raw: 'see closest/index for the raw column',
          napi: absentNapi(env, KERNEL_NOT_IN_ADDON),
          wasm: 'not measured on the scale curve',
          npm: n <= 100_000 || !env.quick ? () => closestWithFastest(query, list, limit) : 'not timed at 1M in --quick',
        },
        cleanup: () => index.close(),
        memory,
      };
    });
}

/** The async searches (asyncCases() lists them first). */
export function asyncClosestCases(env: Env): AsyncCase[] {
  const query = randomLetters(19, 78);
  const normalize = (value: unknown) => (value as { index: number; distance: number }[]).map((m) => [m.index, m.distance]);
  const list100k = candidates(100_000, 10);
  const index100k = new FuzzyIndex(list100k);
  // 'heavy' is about 1 ms of Rust per call: 10,000 candidates took that before the lane kernel,
  // 200,000 take it now (a 10k search is ~0.06 ms, no heavier than going async itself).
  const heavy = new FuzzyIndex(candidates(200_000, 9));
  return [
    {
      id: 'async/closest',
      title: 'FuzzyIndex.closestAsync, 1 query x 200,000 candidates (heavy, ~1 ms of Rust)',
      call: () => heavy.closestAsync(query, { limit: 10 }),
      expected: normalize(heavy.closest(query, { limit: 10 })),
      normalize,
      sync: () => heavy.closest(query, { limit: 10 }),
      levels: [1, 2, 200],
      total: env.quick ? 8 : 400,
      cleanup: () => heavy.close(),
    },
    {
      // Issue 14: with 2 in flight both cores should be busy (async calls use cores - 1 threads each).
      id: 'async/closest-100k',
      title: 'FuzzyIndex.closestAsync, 1 query x 100,000 candidates (cores busy with 2 in flight vs 1)',
      call: () => index100k.closestAsync(query, { limit: 10 }),
      expected: normalize(index100k.closest(query, { limit: 10 })),
      normalize,
      sync: () => index100k.closest(query, { limit: 10 }),
      levels: [1, 2],
      total: env.quick ? 6 : 100,
      cleanup: () => index100k.close(),
    },
  ];
}
