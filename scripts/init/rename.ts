/**
 * Renaming by content: one ordered list of literal replacements, derived from two identities,
 * applied in a single pass (a replaced text is never matched again), most specific first.
 */
import { type Identity, type Spellings, spellings } from './identity.ts';

export type Replacement = { from: string; to: string };

/** The replacements that turn `from`'s spellings into `to`'s, most specific first. */
export function replacements(from: Identity, to: Identity): Replacement[] {
  const a = spellings(from);
  const b = spellings(to);
  return [
    { from: a.repository, to: b.repository },
    { from: a.holder, to: b.holder },
    // A path or file name needs the package without its scope (`~/.pkg_repl_history`).
    { from: `/path/to/${a.package}`, to: `/path/to/${b.slug}` },
    { from: `.${a.package}_`, to: `.${b.slug}_` },
    { from: a.package, to: b.package },
    { from: a.upper, to: b.upper },
    { from: a.pascal, to: b.pascal },
    { from: a.lower, to: b.lower },
  ].filter((r, i, all) => r.from !== r.to && all.findIndex((s) => s.from === r.from) === i);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Languages whose regular-expression literals need `/` escaped in a replacement. */
const SCRIPT = /\.(?:[cm]?[jt]s|tsx)$/;

/**
 * Offsets of `line` that sit inside a JavaScript regular-expression literal: a `/` where an
 * expression starts opens one. Strings and comments are skipped (a line starting with `*` is
 * inside a block comment); good enough for the template's code.
 */
function regexSpans(line: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let quote = '';
  let last = '';
  if (/^\s*\*/.test(line)) return spans; // inside a block comment
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '/' && line[i + 1] === '/') break;
    else if (c === '/' && line[i + 1] === '*') {
      const close = line.indexOf('*/', i + 2);
      if (close < 0) break;
      i = close + 1;
      continue;
    } else if (c === '/' && (last === '' || '(,=:[!&|?{};'.includes(last))) {
      let j = i + 1;
      let inClass = false;
      for (; j < line.length; j++) {
        const d = line[j];
        if (d === '\\') j++;
        else if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
      }
      spans.push([i, j]);
      i = j;
      last = ')';
      continue;
    }
    if (c.trim() !== '') last = c;
  }
  return spans;
}

export type Renamer = { text(path: string, content: string): string; path(path: string): string; count(content: string): number };

export function renamer(from: Identity, to: Identity): Renamer {
  const list = replacements(from, to);
  const pattern = new RegExp(list.map((r) => escapeRegExp(r.from)).join('|'), 'g');
  const target = new Map(list.map((r) => [r.from, r.to]));
  const plain = (text: string) => text.replace(pattern, (found) => target.get(found) as string);
  return {
    path: plain,
    count: (content) => content.match(pattern)?.length ?? 0,
    text(path, content) {
      if (!SCRIPT.test(path) || !list.some((r) => r.to.includes('/'))) return plain(content);
      return content
        .split('\n')
        .map((line) => {
          const spans = regexSpans(line);
          if (spans.length === 0) return plain(line);
          return line.replace(pattern, (found, offset: number) => {
            const replaced = target.get(found) as string;
            return spans.some(([start, end]) => offset > start && offset < end) ? replaced.replaceAll('/', '\\/') : replaced;
          });
        })
        .join('\n');
    },
  };
}

export type { Spellings };
