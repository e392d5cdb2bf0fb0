/**
 * Pure-TypeScript references for the text kernels. Tests compare the Rust functions with
 * these; benchmarks use them as the baseline; the service's `js` engine serves them.
 */

export function getResult(text: string): string {
  return `Rust says: ${text}`;
}

/** Adjacent equal code points, after lone surrogates become U+FFFD (as the bindings do). */
export function countDoublesString(text: string): number {
  const wellFormed = text.toWellFormed();
  let count = 0;
  let previous = -1;
  for (let i = 0; i < wellFormed.length; i++) {
    const codePoint = wellFormed.codePointAt(i)!;
    if (codePoint > 0xffff) i++;
    if (codePoint === previous) count++;
    previous = codePoint;
  }
  return count;
}

/** Adjacent equal bytes. */
export function countDoublesBytes(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 1; i < bytes.length; i++) if (bytes[i] === bytes[i - 1]) count++;
  return count;
}

export function countDoubles(input: string | Uint8Array): number {
  return typeof input === 'string' ? countDoublesString(input) : countDoublesBytes(input);
}
