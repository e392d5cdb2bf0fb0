/**
 * The starter shape: what `npm run init` drops when --keep-examples is not given, read from
 * starter/*.json (data, in the template's own names, applied before renaming):
 *   drop     files removed
 *   regions  line ranges removed: from the one line containing `from` through the next line
 *            starting with `to`, widened by `before` lines above and `through` lines below
 *            (defaults 0), in `file`
 *   lines    the one line containing `contains`, in `file`
 *   replace  the one occurrence of `from`, replaced by `to`, in `file` (a name inside a list)
 * Every entry must match exactly: a stale manifest is refused before anything is touched.
 *   names    what the dropped code is called: no file of the starter may mention one (any case,
 *            bounded by characters that are not letters or digits, so `mylib_name` has `name`)
 *   allow    the few mentions that stay, each with its file and the reason
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type Manifest = {
  drop: string[];
  regions: Array<{ file: string; from: string; to: string; before?: number; through?: number }>;
  lines: Array<{ file: string; contains: string }>;
  replace: Array<{ file: string; from: string; to: string }>;
  names: string[];
  allow: Array<{ file: string; name: string; why: string }>;
};

export type Plan = { drop: string[]; edits: Map<string, string> };

/** The manifest kept in `dir` as one JSON file per kind of entry (drop.json, regions.json ...). */
export function readManifest(dir: string): Manifest {
  const parts = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Partial<Manifest>);
  const manifest: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [kind, entries] of Object.entries(part)) {
      if (kind in manifest) throw new Error(`init: ${dir}: '${kind}' is in more than one file`);
      manifest[kind] = entries;
    }
  }
  return manifest as Manifest;
}

function matching(lines: string[], text: string, from = 0): number[] {
  return lines.flatMap((line, i) => (i >= from && line.includes(text) ? [i] : []));
}

/** A file's text under `root`, or undefined when there is none. */
function readIn(root: string): (file: string) => string | undefined {
  return (file) => (existsSync(join(root, file)) ? readFileSync(join(root, file), 'utf8') : undefined);
}

/** The files to drop and the new text of every edited file, or the list of stale entries. */
export function planStarter(root: string, manifest: Manifest, read: (file: string) => string | undefined = readIn(root)): Plan | { stale: string[] } {
  const stale: string[] = [];
  for (const file of manifest.drop) if (read(file) === undefined) stale.push(`drop: ${file} does not exist`);
  const texts = new Map<string, string[]>();
  const linesOf = (file: string) => {
    if (!texts.has(file)) texts.set(file, read(file)?.split('\n') ?? []);
    return texts.get(file) as string[];
  };
  const removed = new Map<string, Set<number>>();
  const remove = (file: string, first: number, last: number) => {
    const set = removed.get(file) ?? new Set<number>();
    for (let i = first; i <= last; i++) set.add(i);
    removed.set(file, set);
  };
  for (const { file, from, to, before = 0, through = 0 } of manifest.regions) {
    const lines = linesOf(file);
    const starts = matching(lines, from);
    if (starts.length !== 1) {
      stale.push(`regions: "${from}" matches ${starts.length} lines of ${file} (one needed)`);
      continue;
    }
    const end = lines.findIndex((line, i) => i > (starts[0] as number) && line.startsWith(to));
    if (end < 0) stale.push(`regions: no line starting with "${to}" after "${from}" in ${file}`);
    else remove(file, (starts[0] as number) - before, end + through);
  }
  for (const { file, contains } of manifest.lines) {
    const found = matching(linesOf(file), contains);
    if (found.length !== 1) stale.push(`lines: "${contains}" matches ${found.length} lines of ${file} (one needed)`);
    else remove(file, found[0] as number, found[0] as number);
  }
  const edits = new Map<string, string>();
  for (const [file, set] of removed) {
    edits.set(
      file,
      linesOf(file)
        .filter((_, i) => !set.has(i))
        .join('\n'),
    );
  }
  for (const { file, from, to } of manifest.replace) {
    const text = edits.get(file) ?? linesOf(file).join('\n');
    const count = text.split(from).length - 1;
    if (count !== 1) stale.push(`replace: "${from}" occurs ${count} times in ${file} (once needed)`);
    else
      edits.set(
        file,
        text.replace(from, () => to),
      );
  }
  if (stale.length > 0) return { stale };
  return { drop: manifest.drop, edits };
}

/** Every dropped name that `files` (path -> text) still mention, as `path: name`, less the allowed ones. */
export function leftovers(files: ReadonlyMap<string, string>, { names, allow }: Pick<Manifest, 'names' | 'allow'>): string[] {
  const words = names.map((name) => name.replace(/[^\w]/g, '\\$&')).join('|');
  const pattern = new RegExp(`(?<![A-Za-z0-9])(?:${words})(?![A-Za-z0-9])`, 'gi');
  const allowed = new Set(allow.map(({ file, name }) => `${file}: ${name.toLowerCase()}`));
  const found: string[] = [];
  for (const [file, text] of files) {
    const named = new Set([...text.matchAll(pattern)].map((match) => `${file}: ${match[0].toLowerCase()}`));
    for (const entry of named) if (!allowed.has(entry)) found.push(entry);
  }
  return found;
}
