/**
 * The grammar's lexer (grammar.ts reads through it): C text to tokens with their offsets, the
 * error at a position, and the lexical side of header mode (preprocessor directives, dropped
 * spellings, string literals, skip reasons). Not an entry point of its own: its public types
 * (DeclarationError, SourceSpan, Skipped, HeaderDeclarations ...) are exported by mylib-rust/ffi.
 */
import type { Declared } from './grammar.ts';
/** A declaration the grammar refuses or cannot read, at a position of the text. */
export class DeclarationError extends Error {
  readonly text: string;
  /** 0-based offset into `text`. */
  readonly offset: number;
  /** 1-based line and 0-based column of `offset`. */
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(text: string, offset: number, reason: string) {
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1);
    super(`${reason} (${text.includes('\n') ? `line ${line}, ` : ''}column ${column + 1})`);
    this.name = 'DeclarationError';
    this.text = text;
    this.offset = offset;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
  /** The line of the text, a caret under the failing column, and the reason. */
  pretty(indent = '  '): string {
    const lineText = this.text.split('\n')[this.line - 1] ?? '';
    return `${indent}${lineText}\n${indent}${' '.repeat(this.column)}^ ${this.reason}`;
  }
}

export interface Token {
  readonly text: string;
  readonly at: number;
  /** `string`, `float` and `bad` (a character the grammar has no use for): header mode only. */
  readonly kind: 'word' | 'number' | 'punct' | 'end' | 'string' | 'float' | 'bad';
}

const TOKEN = /(\s+|\/\*[\s\S]*?\*\/|\/\/[^\n]*)|([A-Za-z_][A-Za-z0-9_]*)|(0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*)|(\.\.\.|<<|>>|[*(),;{}[\]=:+\-|&^~/%<>])|(.)/gy;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match !== null && match[0] !== ''; match = TOKEN.exec(text)) {
    const at = match.index;
    if (match[1] !== undefined) {
      if (match[1].startsWith('/*') && !match[1].endsWith('*/')) throw new DeclarationError(text, at, 'unterminated comment');
      continue;
    }
    if (match[2] !== undefined) tokens.push({ text: match[2], at, kind: 'word' });
    else if (match[3] !== undefined) tokens.push({ text: match[3], at, kind: 'number' });
    else if (match[4] !== undefined) tokens.push({ text: match[4], at, kind: 'punct' });
    else {
      const char = match[5] as string;
      if (char === '#') throw new DeclarationError(text, at, 'preprocessor lines are not read here: give the declarations after preprocessing');
      if (char === '/' && text[at + 1] === '*') throw new DeclarationError(text, at, 'unterminated comment');
      throw new DeclarationError(text, at, `unexpected '${char}'`);
    }
  }
  tokens.push({ text: '', at: text.length, kind: 'end' });
  return tokens;
}

/** A preprocessor line of a header (continuation lines joined), at its offset. */
export interface Directive {
  readonly text: string;
  readonly at: number;
}

/** Header mode: also string and character literals, floating constants, `->`, `!`, `?`, `.`; directives apart. */
const HEADER_TOKEN =
  /(\s+|\/\*[\s\S]*?(?:\*\/|$)|\/\/[^\n]*)|([A-Za-z_][A-Za-z0-9_]*)|((?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)[uUlLfF]*)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(\.\.\.|<<|>>|->|[*(),;{}[\]=:+\-|&^~/%<>!?.])|(#(?:[^\n\\/]|\\[\s\S]|\/\*[\s\S]*?\*\/|\/(?!\*))*)|(.)/gy;

/** Header mode: never throws; what the grammar cannot use becomes a `bad` token, refused where it stands. */
export function tokenizeHeader(text: string): { tokens: Token[]; directives: Directive[] } {
  const tokens: Token[] = [];
  const directives: Directive[] = [];
  HEADER_TOKEN.lastIndex = 0;
  for (let match = HEADER_TOKEN.exec(text); match !== null && match[0] !== ''; match = HEADER_TOKEN.exec(text)) {
    const at = match.index;
    if (match[1] !== undefined) {
      if (match[1].startsWith('/*') && !match[1].endsWith('*/')) tokens.push({ text: '/*', at, kind: 'bad' });
      continue;
    }
    if (match[2] !== undefined) tokens.push({ text: match[2], at, kind: 'word' });
    else if (match[3] !== undefined) tokens.push({ text: match[3], at, kind: /^0[xX]/.test(match[3]) || !/[.eE]/.test(match[3]) ? 'number' : 'float' });
    else if (match[4] !== undefined) tokens.push({ text: match[4], at, kind: 'string' });
    else if (match[5] !== undefined) tokens.push({ text: match[5], at, kind: 'punct' });
    else if (match[6] !== undefined) {
      const lineStart = text.lastIndexOf('\n', at - 1) + 1;
      if (/^[ \t]*$/.test(text.slice(lineStart, at))) directives.push({ text: match[6], at });
      else {
        tokens.push({ text: '#', at, kind: 'bad' });
        HEADER_TOKEN.lastIndex = at + 1;
      }
    } else tokens.push({ text: match[7] as string, at, kind: 'bad' });
  }
  tokens.push({ text: '', at: text.length, kind: 'end' });
  return { tokens, directives };
}

/** Why a header's declaration (or a piece of one) was not read, as a short code; `reason` says more. */
export type SkipReason = 'variadic' | 'inline' | 'static' | 'attribute' | 'asm label' | 'extension' | 'macro' | 'preprocessor' | 'unknown type' | 'unsupported';

/** Where a header's declaration is: the file named by the preprocessor's line markers (else the text's), 1-based lines. */
export interface SourceSpan {
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
}

/** Something of a header that was not read, or a piece of a declaration that was dropped. */
export interface Skipped extends SourceSpan {
  readonly why: SkipReason;
  readonly reason: string;
  /** The declared name, when it can be told. */
  readonly name: string | undefined;
  /** `declaration`: left out; `syntax`: this piece was dropped and the declaration was read. */
  readonly part: 'declaration' | 'syntax';
  /** The text, whitespace collapsed, at most 160 characters. */
  readonly text: string;
}

/** What `parseHeader` read: the declarations with where each one is, and what it skipped. */
export interface HeaderDeclarations {
  readonly declared: ReadonlyArray<{ readonly item: Declared; readonly at: SourceSpan }>;
  readonly skipped: readonly Skipped[];
}

export interface ParseHeaderOptions {
  /** The file name of the text (for a raw header; a preprocessed one names its files itself). */
  file?: string;
}

/** Words of compiler dialects, in header mode: spelled as C, or dropped from the declaration (and recorded). */
export const HEADER_SPELLINGS: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  __const: 'const',
  __const__: 'const',
  __signed: 'signed',
  __signed__: 'signed',
  __volatile: 'volatile',
  __volatile__: 'volatile',
  __inline: 'inline',
  __inline__: 'inline',
  __asm: '__asm__',
  asm: '__asm__',
});
export const DROPPED_WORDS: Readonly<Record<string, { why: SkipReason; parens: boolean }>> = Object.assign(
  Object.create(null) as Record<string, { why: SkipReason; parens: boolean }>,
  {
    __attribute__: { why: 'attribute', parens: true },
    __attribute: { why: 'attribute', parens: true },
    __declspec: { why: 'attribute', parens: true },
    _Noreturn: { why: 'attribute', parens: false },
    __extension__: { why: 'extension', parens: false },
  },
);

/** The `why` of a refusal, from its reason. */
export function skipReason(reason: string): SkipReason {
  if (reason.startsWith('variadic')) return 'variadic';
  if (reason.startsWith('inline')) return 'inline';
  if (reason.startsWith('static')) return 'static';
  if (reason.startsWith('asm')) return 'asm label';
  if (reason.startsWith('unknown type')) return 'unknown type';
  return 'unsupported';
}

/** A directive's text without its comments. */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ');
}

/** The value of C string literals (adjacent ones joined): `"a\\n" "b"` -> `a\nb`. */
export function cString(literals: string): string {
  let out = '';
  for (const [, body] of literals.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    out += (body as string).replace(/\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)/g, (_, e: string) => {
      if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
      if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
      return ({ n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b' } as Record<string, string>)[e] ?? e;
    });
  }
  return out;
}
