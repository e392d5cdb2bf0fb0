import { describe, expect, it } from 'vitest';
import { countDoubles, getResult } from '../bindings/index.ts';
import * as reference from '../reference/text.ts';
import { randomLetters } from './helpers.ts';

const MiB = 1 << 20;

const texts: Array<[string, string]> = [
  ['empty', ''],
  ['the demo input', 'Hello!'],
  ['the count example', 'aabbb'],
  ['embedded NUL', 'a\0\0b\0'],
  ['only NULs', '\0\0\0'],
  ['two-byte characters', 'ééè ñññ'],
  ['three-byte characters', '日日本本本'],
  ['U+AAAA (EA AA AA: equal bytes inside one code point)', '\uAAAA\uAAAA'],
  ['astral characters', '😀😀😁𝄞𝄞'],
  ['combining marks', 'e\u0301\u0301e\u0301'],
  ['lone high surrogates', '\uD800\uD800a'],
  ['lone surrogates of different values (both become U+FFFD)', '\uD800\uDBFFx\uDC00'],
  ['a surrogate pair beside a lone one', '😀\uD83D'],
  ['1 MiB of random letters', randomLetters(MiB, 7)],
  ['1 MiB of mixed scripts', randomLetters(MiB / 4, 9, 'aé日😀\0')],
];

describe('getResult', () => {
  it.each(texts)('%s', (_name, text) => {
    expect(getResult(text)).toBe(reference.getResult(text.toWellFormed()));
  });

  it('keeps everything after an embedded NUL', () => {
    expect(getResult('a\0b')).toBe('Rust says: a\0b');
  });

  it('handles inputs larger than the kept scratch buffers (8 MiB)', () => {
    const big = randomLetters(8 * MiB, 3);
    const result = getResult(big);
    expect(result.length).toBe(big.length + 'Rust says: '.length);
    expect(result.endsWith(big.slice(-100))).toBe(true);
  });
});

describe('countDoubles on strings (code points)', () => {
  it.each(texts)('%s', (_name, text) => {
    expect(countDoubles(text)).toBe(reference.countDoublesString(text));
  });

  it('counts the documented examples', () => {
    expect(countDoubles('aabbb')).toBe(3);
    expect(countDoubles('éé')).toBe(1);
    expect(countDoubles('\uAAAA')).toBe(0);
  });
});

describe('countDoubles on bytes (zero-copy)', () => {
  it.each(texts)('%s', (_name, text) => {
    const bytes = Buffer.from(text);
    expect(countDoubles(bytes)).toBe(reference.countDoublesBytes(bytes));
  });

  it('reads a subarray at its offset, not the start of its ArrayBuffer', () => {
    const bytes = Buffer.from('zzzzaabbbzzzz');
    expect(countDoubles(bytes.subarray(4, 9))).toBe(3);
    expect(countDoubles(new Uint8Array(bytes.buffer, bytes.byteOffset + 4, 5))).toBe(3);
  });

  it('counts bytes, not code points', () => {
    expect(countDoubles(Buffer.from('\uAAAA'))).toBe(1);
    expect(countDoubles(Buffer.from('éé'))).toBe(0);
  });

  it('agrees with the reference at every length around the vector chunk and flush sizes', () => {
    const data = Buffer.from(randomLetters(20_000, 11, 'ab'));
    for (const length of [0, 1, 2, 31, 32, 33, 63, 64, 65, 255 * 32, 255 * 32 + 1, 255 * 32 + 2, 20_000]) {
      const slice = data.subarray(0, length);
      expect(countDoubles(slice), `length ${length}`).toBe(reference.countDoublesBytes(slice));
    }
  });
});
