/** Deterministic inputs for the benchmark cases (same seed, same data, every run). */
import { randomLetters, seededRandom } from '../../test/helpers.ts';

export { randomLetters, seededRandom };

/** `count` candidates of 8-32 random letters, as in the closest() feasibility probe. */
export function candidates(count: number, seed = 7): string[] {
  const random = seededRandom(seed);
  const result: string[] = new Array(count);
  for (let i = 0; i < count; i++) result[i] = randomLetters(8 + Math.floor(random() * 25), seed * 1000 + i);
  return result;
}

/** Uniform doubles in [-1000, 1000) with no NaN. */
export function doubles(count: number, seed = 3): Float64Array {
  const random = seededRandom(seed);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = (random() - 0.5) * 2000;
  return values;
}

/**
 * About `bytes` bytes of UTF-8 prose: words from a 20,000-word vocabulary drawn with a
 * Zipf-like skew (as real text), some capitalised or accented, separated by spaces,
 * punctuation and newlines. Built straight into one Buffer.
 */
export function wordText(bytes: number, seed = 11): Buffer {
  const random = seededRandom(seed);
  const accents = ['é', 'ü', 'ñ', 'ø', 'ß'];
  const vocabulary: Buffer[] = [];
  for (let i = 0; i < 20000; i++) {
    let word = randomLetters(2 + Math.floor(random() * 9), seed * 100000 + i);
    if (i % 17 === 0) word = word.slice(0, 1).toUpperCase() + word.slice(1);
    if (i % 23 === 0) word += accents[i % accents.length];
    vocabulary.push(Buffer.from(word));
  }
  const separators = [' ', ' ', ' ', ' ', ' ', ', ', '. ', '\n', ' - ', '; '].map((s) => Buffer.from(s));
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  while (true) {
    // Zipf-like: index = floor(n^(u^2)) favours small indices heavily.
    const u = random();
    const word = vocabulary[Math.min(vocabulary.length - 1, Math.floor(vocabulary.length ** (u * u)) - 1)]!;
    const separator = separators[Math.floor(random() * separators.length)]!;
    if (at + word.length + separator.length > bytes) break;
    at += word.copy(out, at);
    at += separator.copy(out, at);
  }
  out.fill(0x20, at);
  return out;
}

/** Splits `data` into views of `size` bytes (the last one shorter). No copies. */
export function chunks(data: Uint8Array, size: number): Uint8Array[] {
  const result: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += size) result.push(data.subarray(at, Math.min(at + size, data.length)));
  return result;
}

/** xoshiro128** (Blackman and Vigna) from a 128-bit state (not all zero): unsigned 32-bit outputs. */
export function xoshiro128ss(state: readonly [number, number, number, number]): () => number {
  let [a, b, c, d] = state.map((word) => word >>> 0) as [number, number, number, number];
  return () => {
    const t = b << 9;
    let r = Math.imul(b, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return r >>> 0;
  };
}

/**
 * Uniform doubles in [0, 1) from xoshiro128**, its state filled by splitmix32 from `seed`: one
 * stream for a whole data set, so no two strings come from related seeds.
 */
export function xoshiro128(seed: number): () => number {
  let x = seed >>> 0;
  const splitmix32 = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const next = xoshiro128ss([splitmix32(), splitmix32(), splitmix32(), splitmix32()]);
  return () => next() / 4294967296;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** `length` random lowercase letters drawn from `random`. */
function letters(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += LETTERS[Math.floor(random() * 26)];
  return text;
}

/**
 * The anchor's data shape (shared notes, fuzzy-anchor.md): one query of 19 random letters and
 * `count` candidates of 8-32 random letters (length uniform), all from one xoshiro128** stream.
 */
export function anchorData(count: number, seed = 24): { query: string; candidates: string[] } {
  const random = xoshiro128(seed);
  const query = letters(random, 19);
  const candidates: string[] = new Array(count);
  for (let i = 0; i < count; i++) candidates[i] = letters(random, 8 + Math.floor(random() * 25));
  return { query, candidates };
}
