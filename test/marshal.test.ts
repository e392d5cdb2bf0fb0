// bindings/_marshal.ts packCandidates: the packed bytes and offsets every closest call and index
// is built from, compared with encoding each candidate on its own (what the library must see).
import { describe, expect, it } from 'vitest';
import { PACK_CHUNK_UNITS, packCandidates } from '../bindings/_marshal.ts';
import { randomLetters } from './helpers.ts';

/** What packCandidates must produce: each candidate encoded alone, back to back. */
function expected(candidates: readonly string[]): { bytes: Buffer; offsets: number[] } {
  const parts = candidates.map((c) => Buffer.from(c));
  const offsets = [0];
  for (const part of parts) offsets.push(offsets[offsets.length - 1]! + part.length);
  return { bytes: Buffer.concat(parts), offsets };
}

function check(candidates: readonly string[]): void {
  const packed = packCandidates('test', candidates, (size) => Buffer.alloc(size));
  const want = expected(candidates);
  expect(packed.length).toBe(want.bytes.length);
  expect(Buffer.compare(packed.bytes.subarray(0, packed.length), want.bytes)).toBe(0);
  expect([...packed.offsets]).toEqual(want.offsets);
}

describe('packCandidates', () => {
  const letters = (n: number) => Array.from({ length: n }, (_, i) => randomLetters(8 + (i % 25), i + 1));

  it.each([
    ['empty list', []],
    ['empty strings', ['', '', 'a', '']],
    ['ASCII across several join chunks (40,000 candidates)', letters(40_000)],
    ['non-ASCII in one chunk, ASCII in the others', [...letters(5_000), 'héllo', '日本', '🦀', ...letters(5_000)]],
  ])('%s', (_label, candidates) => check(candidates));

  it.each([
    ['in one join chunk', 1_600],
    ['on both sides of a join chunk boundary', PACK_CHUNK_UNITS - 2],
  ])('encodes lone surrogates per candidate: a split pair %s', (_label, fillerUnits) => {
    // A high surrogate ending one candidate and a low one starting the next must not pair up.
    // `fillerUnits` + 2 units of 'x\ud83e' end a chunk exactly in the second case.
    const filler = Array.from({ length: fillerUnits / 2 }, (_, i) => (i % 2 ? 'ab' : 'cd'));
    const at = filler.length;
    const candidates = [...filler, 'x\ud83e', '\udd80y', ...letters(1_500)];
    check(candidates);
    const packed = packCandidates('test', candidates, (size) => Buffer.alloc(size));
    expect(packed.bytes.subarray(packed.offsets[at], packed.offsets[at + 1]).toString()).toBe('x\ufffd');
    expect(packed.bytes.subarray(packed.offsets[at + 1], packed.offsets[at + 2]).toString()).toBe('\ufffdy');
  });
});
