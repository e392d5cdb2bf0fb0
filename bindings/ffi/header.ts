/**
 * A C header, read: its path (or its text) through the C compiler's preprocessor when there is one
 * (`cc -E -dD`: includes followed, conditionals decided, macros expanded, `#define` lines kept),
 * else its raw text, then through the one grammar in header mode (grammar.ts `parseHeader`).
 *
 * The header's own declarations are those of its file and of the files it includes with quotes
 * (`#include "zconf.h"`); what the system headers it includes declare (`<stddef.h>`,
 * `<sys/types.h>`) is read for its types only and counted, not listed. Each declaration keeps the
 * comment written right before it in the header (or, zlib's style, right after it) as its doc.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import process from 'node:process';
import { type Declared, type HeaderDeclarations, Scope, type Skipped, type SourceSpan, parseHeader } from './grammar.ts';

/** Options of `readHeader()` and `lib.include()`. */
export interface HeaderOptions {
  /** Include directories (`-I`). */
  include?: readonly string[];
  /** Macros (`-D`): `NAME` or `NAME=value`. */
  define?: readonly string[];
  /**
   * `auto` (default): the C compiler's preprocessor when one runs, else the raw text; `cc`: the
   * preprocessor or an Error; `raw`: the raw text (the common subset: no includes, no conditionals).
   */
  preprocess?: 'auto' | 'cc' | 'raw';
  /** The C compiler: the environment variable CC, else `cc`. */
  compiler?: string;
}

/** One declaration of the header, where it is, and the comment that documents it. */
export interface HeaderDeclaration {
  readonly item: Declared;
  readonly at: SourceSpan;
  /** The comment before (or right after) the declaration, without its comment markers. */
  readonly doc: string | undefined;
}

/** A header, read. */
export interface Header {
  /** The file read (absolute), or `<text>`. */
  readonly file: string;
  /** The preprocessor command that ran, or undefined when the raw text was read. */
  readonly preprocessor: string | undefined;
  /** Why the raw text was read (no C compiler), when it was. */
  readonly note: string | undefined;
  /** The header's own files: it, and the files it includes with quotes. */
  readonly files: readonly string[];
  /** The declarations of those files, in order. */
  readonly declarations: readonly HeaderDeclaration[];
  /** What those files have that was not read (or pieces dropped), with the reason. */
  readonly skipped: readonly Skipped[];
  /** The system headers it includes: read for their types, counted here. */
  readonly context: { readonly files: number; readonly declarations: number; readonly skipped: number };
  /** Every name the reading declared (system headers included), as a child of the scope given. */
  readonly scope: Scope;
}

const OPTION_KEYS = new Set(['include', 'define', 'preprocess', 'compiler']);

function checkOptions(fn: string, options: unknown): HeaderOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`${fn}: argument 'options' must be an object`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`${fn}: argument 'options' has an unknown key '${key}' (known: ${[...OPTION_KEYS].join(', ')})`);
  }
  const o = options as HeaderOptions;
  for (const key of ['include', 'define'] as const) {
    const list = o[key];
    if (list !== undefined && (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === '')))
      throw new TypeError(`${fn}: option '${key}' must be an array of non-empty strings`);
  }
  if (o.preprocess !== undefined && !['auto', 'cc', 'raw'].includes(o.preprocess))
    throw new TypeError(`${fn}: option 'preprocess' must be 'auto', 'cc' or 'raw'`);
  if (o.define?.some((d) => !/^[A-Za-z_]\w*(=[\s\S]*)?$/.test(d))) throw new TypeError(`${fn}: option 'define' takes NAME or NAME=value`);
  return o;
}

/** A header's text (it has a newline or a `;`), or a path. */
export function isHeaderText(header: string): boolean {
  return /[\n;]/.test(header);
}

/**
 * Reads a header: a path (`/usr/include/zlib.h`) or C text (anything with a newline or a `;`).
 * Declarations land in a child scope of `scope` (returned as `header.scope`).
 */
export function readHeader(header: string, options?: HeaderOptions, scope: Scope = new Scope(), fn = 'readHeader'): Header {
  if (typeof header !== 'string') throw new TypeError(`${fn}: argument 'header' must be a path or C text, got ${header === null ? 'null' : typeof header}`);
  if (header.trim() === '') throw new TypeError(`${fn}: argument 'header' is empty`);
  const opts = checkOptions(fn, options);
  const isText = isHeaderText(header);
  const file = isText ? '<text>' : resolve(header);
  if (!isText && !existsSync(file)) throw new Error(`${fn}: no header at ${file}`);
  const raw = isText ? header : readFileSync(file, 'utf8');

  let text = raw;
  let preprocessor: string | undefined;
  let note: string | undefined;
  const mode = opts.preprocess ?? 'auto';
  if (mode !== 'raw') {
    const compiler = opts.compiler ?? process.env.CC ?? 'cc';
    const args = ['-E', '-dD', ...(opts.include ?? []).map((dir) => `-I${dir}`), ...(opts.define ?? []).map((d) => `-D${d}`), '-x', 'c', isText ? '-' : file];
    const run = spawnSync(compiler, args, { input: isText ? header : undefined, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (run.error) {
      const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT';
      if (mode === 'cc' || !missing) throw new Error(`${fn}: cannot run the preprocessor '${compiler}': ${run.error.message}`);
      note = `no C compiler (${compiler}): the raw text was read (no includes, no conditionals)`;
    } else if (run.status !== 0) {
      throw new Error(`${fn}: ${compiler} ${args.join(' ')} failed (exit ${run.status ?? run.signal}):\n${run.stderr.trim()}`);
    } else {
      text = run.stdout;
      preprocessor = `${compiler} ${args.join(' ')}`;
    }
  }

  const local = new Scope(scope);
  const read: HeaderDeclarations = parseHeader(text, local, { file });
  // Own files: the header and what it includes with quotes (the preprocessor names stdin `<stdin>`).
  const own = ownFiles(file, raw, opts.include ?? []);
  if (isText) own.add('<stdin>');
  const isOwn = (name: string) => own.has(name === '<stdin>' || name === '<text>' ? name : resolve(name));
  const sources = new Map<string, string[]>();
  const linesOf = (name: string): string[] | undefined => {
    if (name === '<stdin>' || name === '<text>') return raw.split('\n');
    let lines = sources.get(name);
    if (!lines) {
      try {
        lines = readFileSync(name, 'utf8').split('\n');
      } catch {
        return undefined;
      }
      sources.set(name, lines);
    }
    return lines;
  };
  const declarations: HeaderDeclaration[] = [];
  const contextFiles = new Set<string>();
  let contextDeclarations = 0;
  for (const { item, at } of read.declared) {
    if (!isOwn(at.file)) {
      contextDeclarations++;
      contextFiles.add(at.file);
      continue;
    }
    const lines = linesOf(at.file);
    declarations.push({ item, at, doc: lines ? docComment(lines, at) : undefined });
  }
  const skipped = read.skipped.filter((s) => isOwn(s.file));
  for (const s of read.skipped) if (!isOwn(s.file)) contextFiles.add(s.file);
  return {
    file,
    preprocessor,
    note,
    files: [...own],
    declarations,
    skipped,
    context: {
      files: [...contextFiles].filter((f) => !f.startsWith('<')).length,
      declarations: contextDeclarations,
      skipped: read.skipped.length - skipped.length,
    },
    scope: local,
  };
}

/** The header and the files it includes with quotes, recursively (found beside the includer, then in `-I` directories). */
function ownFiles(file: string, raw: string, include: readonly string[]): Set<string> {
  const own = new Set<string>([file]);
  const queue: Array<{ from: string; text: string }> = [{ from: file, text: raw }];
  while (queue.length > 0) {
    const { from, text } = queue.shift() as { from: string; text: string };
    for (const [, name] of text.matchAll(/^[ \t]*#[ \t]*include[ \t]*"([^"\n]+)"/gm)) {
      const candidates = isAbsolute(name as string)
        ? [name as string]
        : [dirname(from === '<text>' ? resolve('x') : from), ...include].map((dir) => resolve(dir, name as string));
      const found = candidates.find((c) => existsSync(c));
      if (!found || own.has(found)) continue;
      own.add(found);
      try {
        queue.push({ from: found, text: readFileSync(found, 'utf8') });
      } catch {
        // Unreadable: the preprocessor says so.
      }
    }
  }
  return own;
}

const MAX_DOC_LINES = 40;

/**
 * The comment documenting the declaration at `at`: a comment on its last line (after it), else
 * one ending on the line before it, else one starting on the line after it that is not followed
 * at once by another declaration (zlib documents a function after its prototype).
 */
export function docComment(lines: readonly string[], at: SourceSpan): string | undefined {
  const line = (k: number) => lines[k - 1] ?? '';
  const trailing = /\/\*(.*?)\*\/\s*$|\/\/(.*)$/.exec(line(at.endLine).replace(/"(?:[^"\\]|\\.)*"/g, '""'));
  if (trailing && at.line === at.endLine && trailing.index > 0 && line(at.endLine).slice(0, trailing.index).trim() !== '') {
    return clean([trailing[1] ?? trailing[2] ?? '']);
  }
  // Before: a block comment ending on the line before (or before the group of declarations this
  // one closes, with no blank line between), or `//` lines.
  let top = at.line;
  while (top > 1 && top > at.line - 40 && line(top - 1).trim() !== '' && !/\*\/\s*$|^\s*\/\//.test(line(top - 1))) top--;
  if (top !== at.line && !/\*\/\s*$/.test(line(top - 1))) top = at.line;
  const before = line(top - 1).trim();
  if (before.endsWith('*/')) {
    let k = top - 1;
    while (k > 0 && !line(k).includes('/*')) k--;
    if (k > 0 && /^\s*\/\*/.test(line(k))) return clean(range(lines, k, top - 1));
  }
  if (before.startsWith('//')) {
    let k = top - 1;
    while (
      k > 1 &&
      line(k - 1)
        .trim()
        .startsWith('//')
    )
      k--;
    return clean(range(lines, k, top - 1));
  }
  // After: a block comment starting on the next line, followed by a blank line or the end.
  const after = at.endLine + 1;
  if (/^\s*\/\*/.test(line(after)) && !line(after).includes('*/', line(after).indexOf('/*') + 2)) {
    let k = after;
    while (k <= lines.length && !line(k).includes('*/')) k++;
    if (k <= lines.length && (k === lines.length || line(k + 1).trim() === '')) return clean(range(lines, after, k));
  }
  return undefined;
}

function range(lines: readonly string[], from: number, to: number): string[] {
  return lines.slice(from - 1, to);
}

/** Comment lines without `/*`, `*\/`, `**`, `*` and `//` margins; at most MAX_DOC_LINES lines. */
function clean(comment: readonly string[]): string | undefined {
  const body = comment.map((l) =>
    l
      .replace(/^\s*\/\*+\s?/, '')
      .replace(/\s*\*+\/\s*$/, '')
      .replace(/^\s*\*+\s?/, '')
      .replace(/^\s*\/\/+\s?/, '')
      .trimEnd(),
  );
  while (body.length > 0 && body[0]?.trim() === '') body.shift();
  while (body.length > 0 && body.at(-1)?.trim() === '') body.pop();
  if (body.length === 0) return undefined;
  // The common indentation out (the first line's, after the comment's opening, apart).
  const rest = body.slice(1).filter((l) => l.trim() !== '');
  const indent = rest.length === 0 ? 0 : Math.min(...rest.map((l) => /^\s*/.exec(l)?.[0].length ?? 0));
  const out = [(body[0] as string).trim(), ...body.slice(1).map((l) => l.slice(indent))];
  return out.length > MAX_DOC_LINES ? `${out.slice(0, MAX_DOC_LINES).join('\n')}\n...` : out.join('\n');
}
