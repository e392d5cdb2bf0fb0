/** Pure-TypeScript references for edit distance and closest (plain dynamic program). */

export function levenshtein(a: string, b: string): number {
  const x = Array.from(a.toWellFormed(), (c) => c.codePointAt(0)!);
  const y = Array.from(b.toWellFormed(), (c) => c.codePointAt(0)!);
  if (x.length === 0) return y.length;
  const row = new Uint32Array(y.length + 1);
  for (let j = 0; j <= y.length; j++) row[j] = j;
  for (let i = 0; i < x.length; i++) {
    let diagonal = row[0]!;
    row[0] = i + 1;
    for (let j = 0; j < y.length; j++) {
      const above = row[j + 1]!;
      row[j + 1] = Math.min(above + 1, row[j]! + 1, diagonal + (x[i] === y[j] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[y.length]!;
}

import type { Match } from '../bindings/types.ts';

export type { Match };

export function closest(
  query: string,
  candidates: readonly string[],
  { limit = Infinity, maxDistance = Infinity }: { limit?: number; maxDistance?: number } = {},
  distance: (a: string, b: string) => number = levenshtein,
): Match[] {
  const matches: Match[] = [];
  candidates.forEach((candidate, index) => {
    const d = distance(query, candidate);
    if (d <= maxDistance) matches.push({ index, candidate, distance: d });
  });
  matches.sort((p, q) => p.distance - q.distance || p.index - q.index);
  return matches.slice(0, limit);
}
