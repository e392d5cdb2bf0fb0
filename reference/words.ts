/**
 * Pure-TypeScript reference word counter: a Map over the whole decoded stream. A word is a
 * maximal run of Unicode alphanumeric characters (Alphabetic or Numeric, like Rust's
 * char::is_alphanumeric); invalid UTF-8 decodes to U+FFFD, which separates words.
 */
const WORD = /[\p{Alphabetic}\p{N}]+/gu;

import type { WordCount } from '../bindings/types.ts';

export type { WordCount };

/** Compares in Unicode code point order (UTF-16 `<` differs above U+FFFF vs U+E000-U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class WordCounter {
  readonly #counts = new Map<string, number>();
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });
  readonly #lowercase: boolean;
  #tail = '';

  constructor({ lowercase = false }: { lowercase?: boolean } = {}) {
    this.#lowercase = lowercase;
  }

  feed(chunk: Uint8Array | string): this {
    const text = this.#tail + (typeof chunk === 'string' ? chunk.toWellFormed() : this.#decoder.decode(chunk, { stream: true }));
    // The last word may continue in the next chunk: keep it back.
    let end = text.length;
    const last = /[\p{Alphabetic}\p{N}]+$/u.exec(text);
    if (last) end = last.index;
    this.#countIn(text.slice(0, end), this.#counts);
    this.#tail = text.slice(end);
    return this;
  }

  top(k = 10): WordCount[] {
    const counts = new Map(this.#counts);
    this.#countIn(this.#tail, counts);
    return [...counts]
      .map(([word, count]) => ({ word, count }))
      .sort((a, b) => b.count - a.count || compareCodePoints(a.word, b.word))
      .slice(0, k);
  }

  #countIn(text: string, counts: Map<string, number>): void {
    for (const [match] of text.matchAll(WORD)) {
      const word = this.#lowercase ? match.toLowerCase() : match;
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
}
