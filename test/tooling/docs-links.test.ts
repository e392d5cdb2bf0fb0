// Relative links in README.md and docs/*.md resolve: the file exists and, for a Markdown
// target, the #anchor names one of its headings (GitHub's slugs). README.md stays short.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README_MAX_LINES = 130;

interface Link {
  line: number;
  target: string;
}

/** Lines outside fenced code blocks: `raw`, and `text` with inline code spans blanked (their links are text). */
function proseLines(markdown: string): Array<{ line: number; raw: string; text: string }> {
  const out: Array<{ line: number; raw: string; text: string }> = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((raw, i) => {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(raw)?.[1];
    if (fence !== undefined) {
      if (opener !== undefined && opener[0] === fence[0] && opener.length >= fence.length && raw.trim() === opener) fence = undefined;
      return;
    }
    if (opener !== undefined) {
      fence = opener;
      return;
    }
    out.push({ line: i + 1, raw, text: raw.replace(/(`+)[^`]*?\1/g, (m) => ' '.repeat(m.length)) });
  });
  return out;
}

/** Inline links and images `[text](target "title")`, and reference definitions `[x]: target`. */
export function extractLinks(markdown: string): Link[] {
  const links: Link[] = [];
  for (const { line, text } of proseLines(markdown)) {
    for (const m of text.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
      links.push({ line, target: (m[1] ?? '').replace(/^<|>$/g, '') });
    }
    const def = /^ {0,3}\[[^\]]+\]:\s*(\S+)/.exec(text);
    if (def?.[1] !== undefined) links.push({ line, target: def[1].replace(/^<|>$/g, '') });
  }
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // inline HTML tags
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file defines: heading slugs (repeats get -1, -2...) and HTML ids. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const add = (base: string): void => {
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  };
  const lines = proseLines(markdown);
  lines.forEach(({ raw, text }, i) => {
    const atx = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(raw);
    if (atx) add(slug(atx[1] ?? ''));
    const next = lines[i + 1];
    if (
      !atx &&
      text.trim() !== '' &&
      !/^\s*([-*+]|\d+\.|\||>)/.test(text) &&
      next !== undefined &&
      next.line === lines[i]!.line + 1 &&
      /^ {0,3}(=+|-+)\s*$/.test(next.text)
    ) {
      add(slug(raw)); // setext heading
    }
    for (const m of text.matchAll(/<a\s[^>]*\b(?:name|id)="([^"]+)"/g)) out.add(m[1]!);
  });
  return out;
}

/** Problems with the relative links of `files` (paths relative to `root`), one line each. */
export function checkLinks(root: string, files: string[]): string[] {
  const problems: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (path: string): Set<string> => {
    let set = anchorCache.get(path);
    if (!set) {
      set = anchors(readFileSync(path, 'utf8'));
      anchorCache.set(path, set);
    }
    return set;
  };
  for (const file of files) {
    const source = join(root, file);
    for (const { line, target } of extractLinks(readFileSync(source, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // external
      const hash = target.indexOf('#');
      const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const where = `${file}:${line}: ${target}`;
      if (pathPart.startsWith('/')) {
        problems.push(`${where}: absolute path; use a path relative to ${file}`);
        continue;
      }
      const resolved = pathPart === '' ? source : resolve(dirname(source), pathPart);
      if (!existsSync(resolved)) {
        problems.push(`${where}: ${relative(root, resolved) || '.'} does not exist`);
        continue;
      }
      if (anchor === undefined || !resolved.endsWith('.md')) continue;
      if (!anchorsOf(resolved).has(anchor)) {
        problems.push(`${where}: no heading #${anchor} in ${relative(root, resolved)}`);
      }
    }
  }
  return problems;
}

function docsFiles(root: string): string[] {
  const docs = join(root, 'docs');
  const pages = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => `docs/${f}`)
    : [];
  return ['README.md', ...pages];
}

describe('the checker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'docs-links-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'page.md'), '# A page\n\n## Set `x` up: once!\n\n## Twice\n\n## Twice\n\n<a id="custom"></a>\n');
  writeFileSync(join(dir, 'file.txt'), 'text\n');

  it.each([
    ['a file', '[p](docs/page.md)', []],
    ['a heading in another file', '[p](docs/page.md#a-page)', []],
    ['a heading with code and punctuation', '[p](docs/page.md#set-x-up-once)', []],
    ['a repeated heading', '[p](docs/page.md#twice-1)', []],
    ['an HTML anchor', '[p](docs/page.md#custom)', []],
    ['a heading in the same file', '# Top\n\n[t](#top)', []],
    ['a non-Markdown file', '![i](file.txt)', []],
    ['an external link', '[e](https://example.com/missing) [m](mailto:a@b.c)', []],
    ['a link in a code span', '`[x](missing.md)`', []],
    ['a link in a fenced block', '```md\n[x](missing.md)\n```', []],
    ['a missing file', 'text\n[x](docs/missing.md)', ['README.md:2: docs/missing.md: docs/missing.md does not exist']],
    ['a missing heading', '[x](docs/page.md#nope)', ['README.md:1: docs/page.md#nope: no heading #nope in docs/page.md']],
    ['a third Twice that does not exist', '[x](docs/page.md#twice-2)', ['README.md:1: docs/page.md#twice-2: no heading #twice-2 in docs/page.md']],
    ['a missing heading in the same file', '# Top\n[x](#bottom)', ['README.md:2: #bottom: no heading #bottom in README.md']],
    ['a reference definition', '[x]: docs/gone.md', ['README.md:1: docs/gone.md: docs/gone.md does not exist']],
    ['an absolute path', '[x](/docs/page.md)', ['README.md:1: /docs/page.md: absolute path; use a path relative to README.md']],
  ])('%s', (_name, markdown, expected) => {
    writeFileSync(join(dir, 'README.md'), `${markdown}\n`);
    expect(checkLinks(dir, ['README.md'])).toEqual(expected);
  });

  it('resolves links relative to the linking file', () => {
    writeFileSync(join(dir, 'docs', 'other.md'), '[up](../file.txt) [side](page.md#twice) [bad](file.txt)\n');
    expect(checkLinks(dir, ['docs/other.md'])).toEqual(['docs/other.md:1: file.txt: docs/file.txt does not exist']);
  });
});

describe('README.md and docs/', () => {
  it('every relative link and #anchor resolves', () => {
    expect(checkLinks(ROOT, docsFiles(ROOT))).toEqual([]);
  });

  it(`README.md has at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\n$/, '').split('\n').length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it("every docs/ page is linked from the README's table of contents", () => {
    const linked = new Set(extractLinks(readFileSync(join(ROOT, 'README.md'), 'utf8')).map((l) => l.target.split('#')[0]));
    expect(
      docsFiles(ROOT)
        .slice(1)
        .filter((page) => !linked.has(page)),
    ).toEqual([]);
  });
});
