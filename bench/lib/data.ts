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
