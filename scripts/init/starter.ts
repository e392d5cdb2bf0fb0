/**
 * The starter shape: what `npm run init` drops when --keep-examples is not given, read from
 * starter.json (data, in the template's own names, applied before renaming):
 *   drop     files removed
 *   regions  line ranges removed: from the first line containing `from` through the next line
 *            containing `to` (inclusive), in `file`
 *   lines    single lines containing `contains`, in `file`
 * Every entry must match exactly: a stale manifest is refused before anything is touched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Manifest = {
  drop: string[];
  regions: Array<{ file: string; from: string; to: string }>;
  lines: Array<{ file: string; contains: string }>;
};

export type Plan = { drop: string[]; edits: Map<string, string> };

export function readManifest(path: string): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

function matching(lines: string[], text: string, from = 0): number[] {
  return lines.flatMap((line, i) => (i >= from && line.includes(text) ? [i] : []));
}

/** The files to drop and the new text of every edited file, or the list of stale entries. */
export function planStarter(root: string, manifest: Manifest): Plan | { stale: string[] } {
  const stale: string[] = [];
  for (const file of manifest.drop) if (!existsSync(join(root, file))) stale.push(`drop: ${file} does not exist`);
  const texts = new Map<string, string[]>();
  const linesOf = (file: string) => {
    if (!texts.has(file)) texts.set(file, existsSync(join(root, file)) ? readFileSync(join(root, file), 'utf8').split('\n') : []);
    return texts.get(file) as string[];
  };
  const removed = new Map<string, Set<number>>();
  const remove = (file: string, first: number, last: number) => {
    const set = removed.get(file) ?? new Set<number>();
    for (let i = first; i <= last; i++) set.add(i);
    removed.set(file, set);
  };
  for (const { file, from, to } of manifest.regions) {
    const lines = linesOf(file);
    const starts = matching(lines, from);
    if (starts.length !== 1) {
      stale.push(`regions: "${from}" matches ${starts.length} lines of ${file} (one needed)`);
      continue;
    }
    const end = matching(lines, to, (starts[0] as number) + 1)[0];
    if (end === undefined) stale.push(`regions: no line containing "${to}" after "${from}" in ${file}`);
    else remove(file, starts[0] as number, end);
  }
  for (const { file, contains } of manifest.lines) {
    const found = matching(linesOf(file), contains);
    if (found.length !== 1) stale.push(`lines: "${contains}" matches ${found.length} lines of ${file} (one needed)`);
    else remove(file, found[0] as number, found[0] as number);
  }
  if (stale.length > 0) return { stale };
  const edits = new Map<string, string>();
  for (const [file, set] of removed) {
    edits.set(
      file,
      linesOf(file)
        .filter((_, i) => !set.has(i))
        .join('\n'),
    );
  }
  return { drop: manifest.drop, edits };
}
