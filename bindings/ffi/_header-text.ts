/**
 * Header mode's view of the text (grammar.ts `parseHeader`): where each offset is (file and line,
 * through `cc -E` line markers), the tokens as the grammar reads them (dialect words spelled as C,
 * attributes dropped, simple raw-header macros put in place), and how a refused declaration is
 * stepped over and named.
 */
import { DROPPED_WORDS, type Directive, HEADER_SPELLINGS, type SkipReason, type SourceSpan, type Token, cString, stripComments } from './c-lexer.ts';

/** Words that make up the spelling of a built-in scalar (`unsigned long long int`). */
export const SCALAR_WORDS = new Set(['void', 'char', 'short', 'int', 'long', 'signed', 'unsigned', 'float', 'double', 'bool', '_Bool']);

interface Marker {
  at: number;
  file: string;
  line: number;
}

/** Offsets to files and lines. */
export class HeaderText {
  readonly file: string;
  /** Offsets where each line of the text starts. */
  readonly #lineStarts: number[] = [0];
  /** Line markers: from `at` on, the text is `file` from line `line`. */
  readonly #markers: Marker[] = [];

  constructor(text: string, directives: readonly Directive[], file: string) {
    this.file = file;
    for (let k = text.indexOf('\n'); k !== -1; k = text.indexOf('\n', k + 1)) this.#lineStarts.push(k + 1);
    for (const directive of directives) {
      const marker = /^#\s*(?:line\s+)?(\d+)\s+"((?:[^"\\]|\\.)*)"/.exec(directive.text);
      if (!marker) continue;
      const next = text.indexOf('\n', directive.at);
      this.#markers.push({ at: next === -1 ? text.length : next + 1, file: cString(`"${marker[2]}"`), line: Number(marker[1]) });
    }
  }

  /** The text is `cc -E` output (it has line markers). */
  get preprocessed(): boolean {
    return this.#markers.length > 0;
  }

  /** 1-based line of the text at `offset`. */
  #textLine(offset: number): number {
    const starts = this.#lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The file and line of `offset`, through the line markers. */
  #locate(offset: number): { file: string; line: number } {
    let marker: Marker | undefined;
    for (let lo = 0, hi = this.#markers.length - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      const m = this.#markers[mid] as Marker;
      if (m.at <= offset) {
        marker = m;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!marker) return { file: this.file, line: this.#textLine(offset) };
    return { file: marker.file, line: marker.line + this.#textLine(offset) - this.#textLine(marker.at) };
  }

  span(from: number, to: number): SourceSpan {
    const start = this.#locate(from);
    return { file: start.file, line: start.line, endLine: start.line + this.#textLine(to) - this.#textLine(from) };
  }
}

/** A piece dropped from a declaration (an attribute, `__extension__`), reported once its declaration is known. */
export interface DroppedPiece {
  at: number;
  to: number;
  why: SkipReason;
}

/**
 * Dialect words spelled as C, attributes and `__extension__` dropped (and pushed on `dropped`); in a
 * raw header (not `preprocessed`), macros that are empty or stand for words put in place, in the
 * order of the text.
 */
export function prepareTokens(tokens: readonly Token[], directives: readonly Directive[], preprocessed: boolean, dropped: DroppedPiece[]): Token[] {
  const out: Token[] = [];
  const macros = new Map<string, string[]>();
  let d = 0;
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k] as Token;
    for (; d < directives.length && (directives[d] as Directive).at < token.at; d++) {
      if (preprocessed) continue;
      const text = stripComments((directives[d] as Directive).text);
      const define = /^#\s*define\s+([A-Za-z_]\w*)(?![\w(])\s*([\s\S]*)$/.exec(text);
      const undef = /^#\s*undef\s+([A-Za-z_]\w*)/.exec(text);
      if (define) {
        const value = (define[2] as string).trim();
        if (/^([A-Za-z_]\w*\s*)*$/.test(value)) macros.set(define[1] as string, value.split(/\s+/).filter(Boolean));
      } else if (undef) macros.delete(undef[1] as string);
    }
    if (token.kind !== 'word') {
      out.push(token);
      continue;
    }
    const replacement = macros.get(token.text);
    const words = replacement ? replacement.map((text) => HEADER_SPELLINGS[text] ?? text) : [HEADER_SPELLINGS[token.text] ?? token.text];
    for (const word of words) {
      const drop = DROPPED_WORDS[word];
      if (!drop) {
        out.push({ text: word, at: token.at, kind: 'word' });
        continue;
      }
      let to = token.at + token.text.length;
      if (drop.parens && tokens[k + 1]?.text === '(') {
        let depth = 0;
        for (k++; k < tokens.length - 1; k++) {
          const t = tokens[k] as Token;
          if (t.text === '(') depth++;
          else if (t.text === ')' && --depth === 0) break;
        }
        const last = tokens[k] as Token;
        to = last.at + last.text.length;
      }
      dropped.push({ at: token.at, to, why: drop.why });
    }
  }
  return out;
}

/** The index after a refused declaration that starts at `start`: after its top-level `;`, or after a function body's balanced `}`. */
export function resyncIndex(tokens: readonly Token[], start: number): number {
  let depth = 0;
  for (let k = start; k < tokens.length; k++) {
    const token = tokens[k] as Token;
    if (token.kind === 'end') return k;
    if (token.kind !== 'punct') continue;
    if (token.text === '{' && depth === 0 && k > start && tokens[k - 1]?.text === ')') {
      let inner = 0;
      for (; k < tokens.length - 1; k++) {
        const t = tokens[k] as Token;
        if (t.text === '{') inner++;
        else if (t.text === '}' && --inner === 0) break;
      }
      return Math.min(k + 1, tokens.length - 1);
    }
    if (token.text === '(' || token.text === '[' || token.text === '{') depth++;
    else if (token.text === ')' || token.text === ']' || token.text === '}') depth = Math.max(0, depth - 1);
    else if (token.text === ';' && depth === 0) return k + 1;
  }
  return tokens.length - 1;
}

/** The name a refused declaration declares: the word before its first top-level `(`, else its last top-level word. */
export function declaredNameIn(tokens: readonly Token[], start: number, end: number): string | undefined {
  let depth = 0;
  let last: string | undefined;
  for (let k = start; k < end; k++) {
    const token = tokens[k] as Token;
    if (token.text === '(' && depth === 0) {
      const previous = tokens[k - 1];
      if (k > start && previous?.kind === 'word' && previous.text !== '__asm__') return previous.text;
      // `int (*name)(...)`: the word after the star.
      const inner = tokens[k + 2];
      if (tokens[k + 1]?.text === '*' && inner?.kind === 'word') return inner.text;
    }
    if (token.text === '(' || token.text === '{' || token.text === '[') depth++;
    else if (token.text === ')' || token.text === '}' || token.text === ']') depth = Math.max(0, depth - 1);
    else if (
      depth === 0 &&
      token.kind === 'word' &&
      !SCALAR_WORDS.has(token.text) &&
      !['struct', 'union', 'enum', 'typedef', 'const', '__asm__'].includes(token.text)
    ) {
      last = token.text;
    }
  }
  return last;
}
