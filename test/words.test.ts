import { describe, expect, it } from 'vitest';
import { WordCounter } from '../bindings/index.ts';
import * as reference from '../reference/words.ts';

function countBoth(chunks: Array<Uint8Array | string>, k: number, lowercase = false) {
  using counter = new WordCounter({ lowercase });
  const expected = new reference.WordCounter({ lowercase });
  for (const chunk of chunks) {
    counter.feed(chunk);
    expected.feed(chunk);
  }
  return { actual: counter.top(k), expected: expected.top(k) };
}

const texts: Array<[string, string]> = [
  ['empty', ''],
  ['simple', 'the cat and the hat and the bat'],
  ['punctuation and digits', 'v2.0, v2.0; x86_64 42 42 42'],
  ['mixed scripts', 'héllo wörld 日本語 héllo 😀 Ωμέγα'],
  ['NUL separates', 'a\0a\0b'],
  ['combining marks separate', 'e\u0301e\u0301'],
  ['case differs', 'Word word WORD word'],
  ['final sigma', 'ΟΔΟΣ Οδος'],
];

describe('WordCounter against the reference', () => {
  it.each(texts)('%s', (_name, text) => {
    const { actual, expected } = countBoth([Buffer.from(text)], 100);
    expect(actual).toEqual(expected);
    const lower = countBoth([Buffer.from(text)], 100, true);
    expect(lower.actual).toEqual(lower.expected);
  });

  it('splits at every byte offset give the same counts', () => {
    const bytes = Buffer.from('naïve café 😀 日本 naïve, x1 😀😀 café');
    const whole = countBoth([bytes], 50).expected;
    for (let split = 0; split <= bytes.length; split++) {
      const { actual } = countBoth([bytes.subarray(0, split), bytes.subarray(split)], 50);
      expect(actual, `split at ${split}`).toEqual(whole);
    }
  });

  it('treats invalid UTF-8 as a separator', () => {
    const { actual, expected } = countBoth([Buffer.from([0x61, 0x62, 0xff, 0x63, 0xe6]), Buffer.from('de')], 10);
    expect(actual).toEqual(expected);
    expect(actual.map((w) => w.word)).toEqual(['ab', 'c', 'de']);
  });

  it('accepts strings and orders ties by code point', () => {
    const { actual, expected } = countBoth(['b a \uFF21 😀 ', 'c'], 10);
    expect(actual).toEqual(expected);
  });

  it('top(k) limits and defaults to 10', () => {
    using counter = new WordCounter();
    counter.feed(Array.from({ length: 30 }, (_, i) => `w${i}`).join(' '));
    expect(counter.top()).toHaveLength(10);
    expect(counter.top(3)).toHaveLength(3);
    expect(counter.top(0)).toEqual([]);
  });
});

describe('WordCounter lifecycle and bad input', () => {
  it('close() is idempotent; use after close throws a clear error', () => {
    const counter = new WordCounter();
    counter.feed('a b');
    counter.close();
    counter.close();
    expect(counter.closed).toBe(true);
    expect(() => counter.feed('x')).toThrow(/^WordCounter\.feed: the WordCounter is closed/);
    expect(() => counter.top(1)).toThrow(/^WordCounter\.top: the WordCounter is closed/);
  });

  const bad: Array<[string, (c: WordCounter) => unknown, RegExp, ErrorConstructor]> = [
    ['feed(number)', (c) => c.feed(5 as never), /WordCounter\.feed: argument 'chunk' must be a Uint8Array or a string, got number/, TypeError],
    ['feed()', (c) => (c.feed as () => unknown)(), /WordCounter\.feed: expected 1 argument/, TypeError],
    ['top(-1)', (c) => c.top(-1), /WordCounter\.top: argument 'k' must be an integer from 0/, RangeError],
    ['top(NaN)', (c) => c.top(NaN), /WordCounter\.top: argument 'k'/, RangeError],
    ['top("3")', (c) => c.top('3' as never), /WordCounter\.top: argument 'k' must be a number/, TypeError],
  ];
  it.each(bad)('%s', (_name, call, message, type) => {
    using counter = new WordCounter();
    expect(() => call(counter)).toThrow(type);
    expect(() => call(counter)).toThrow(message);
  });

  it('rejects bad options', () => {
    expect(() => new WordCounter({ lowercase: 'yes' as never })).toThrow(/WordCounter: option 'lowercase' must be a boolean/);
    expect(() => new WordCounter(3 as never)).toThrow(/WordCounter: argument 'options' must be an object/);
  });
});
