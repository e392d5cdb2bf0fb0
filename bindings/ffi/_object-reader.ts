/**
 * Internal to the object-file reader (object-file.ts): bounded reads of a file or of one slice of
 * it, the parse state every format parser fills, and the machine table the formats share.
 */
import type { ExportedSymbol, ObjectFile } from './object-file.ts';

/** ELF e_machine, PE Machine and Mach-O cputype for each `process.arch`, with its word size. */
export const ARCHES: Record<string, { bits: 32 | 64; elf: number; pe?: number; macho?: number }> = {
  x64: { bits: 64, elf: 62, pe: 0x8664, macho: 0x01000007 },
  arm64: { bits: 64, elf: 183, pe: 0xaa64, macho: 0x0100000c },
  ia32: { bits: 32, elf: 3, pe: 0x14c, macho: 7 },
  arm: { bits: 32, elf: 40, pe: 0x1c4, macho: 12 },
  ppc: { bits: 32, elf: 20 },
  ppc64: { bits: 64, elf: 21 },
  s390: { bits: 32, elf: 22 },
  s390x: { bits: 64, elf: 22 },
  mips: { bits: 32, elf: 8 },
  mipsel: { bits: 32, elf: 8 },
  mips64el: { bits: 64, elf: 8 },
  riscv64: { bits: 64, elf: 243 },
  loong64: { bits: 64, elf: 258 },
};

export const HEAD_SIZE = 4096;
/** Longest name (symbol, library, trie path) and deepest export trie read. */
export const MAX_NAME = 16_384;
/** Largest file inspectObjectFile reads into memory. */
export const MAX_FILE = 1 << 30;

/** A problem with the file; turned into a message (objectFileProblem) or an Error naming the file. */
export class Problem extends Error {}

/** Bounded reads of a file or of one slice of it; every read and loop is checked against its size. */
export class Reader {
  little = true;
  readonly size: number;
  readonly #fetch: (offset: number, length: number) => Uint8Array;
  readonly #budget: { left: number };
  constructor(size: number, fetch: (offset: number, length: number) => Uint8Array, budget?: { left: number }) {
    this.size = size;
    this.#fetch = fetch;
    // Linear work in the file's size: tables that alias each other cannot make the reader quadratic.
    this.#budget = budget ?? { left: 4 * size + (1 << 20) };
  }

  fits(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.size;
  }

  truncated(offset: number, length: number, what: string): string {
    return `truncated or corrupt: ${what} ends at byte ${offset + length}, the file has ${this.size} bytes`;
  }

  /** `length` bytes at `offset`, or a Problem naming `what` when the file does not hold them. */
  view(offset: number, length: number, what: string): View {
    if (!this.fits(offset, length)) throw new Problem(this.truncated(offset, length, what));
    return new View(this.#fetch(offset, length), this, offset, what);
  }

  /** The image at [offset, offset + length): a fat file's slice (offsets inside are relative to it). */
  slice(offset: number, length: number): Reader {
    return new Reader(length, (o, n) => this.#fetch(offset + o, n), this.#budget);
  }

  spend(units: number, what: string): void {
    this.#budget.left -= units;
    if (this.#budget.left < 0)
      throw new Problem(`corrupt: reading ${what} takes more work than a ${this.size}-byte file can need (tables that alias each other)`);
  }
}

/** A checked window of the file: field reads in the reader's byte order, NUL-terminated and LEB128 reads. */
export class View {
  readonly bytes: Uint8Array;
  readonly little: boolean;
  readonly #dv: DataView;
  readonly #reader: Reader;
  readonly #at: number;
  readonly #what: string;
  readonly #strings = new Map<number, string>();
  constructor(bytes: Uint8Array, reader: Reader, at: number, what: string) {
    this.bytes = bytes;
    this.little = reader.little;
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#reader = reader;
    this.#at = at;
    this.#what = what;
  }
  get length(): number {
    return this.bytes.length;
  }
  #check(o: number, n: number, what: string): void {
    if (!Number.isSafeInteger(o) || o < 0 || o + n > this.bytes.length) {
      throw new Problem(`truncated or corrupt: ${what} at byte ${this.#at + o} lies outside ${this.#what} (${this.bytes.length} bytes at ${this.#at})`);
    }
  }
  sub(o: number, n: number, what: string): View {
    this.#check(o, n, what);
    return new View(this.bytes.subarray(o, o + n), this.#reader, this.#at + o, what);
  }
  u8(o: number, what = 'a byte'): number {
    this.#check(o, 1, what);
    return this.bytes[o] as number;
  }
  u16(o: number, what = 'a 16-bit field'): number {
    this.#check(o, 2, what);
    return this.#dv.getUint16(o, this.little);
  }
  u32(o: number, what = 'a 32-bit field'): number {
    this.#check(o, 4, what);
    return this.#dv.getUint32(o, this.little);
  }
  u64(o: number, what = 'a 64-bit field'): number {
    this.#check(o, 8, what);
    const value = this.#dv.getBigUint64(o, this.little);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Problem(`truncated or corrupt: ${what} at byte ${this.#at + o} is too large (${value})`);
    return Number(value);
  }
  word(is64: boolean, o: number, what: string): number {
    return is64 ? this.u64(o, what) : this.u32(o, what);
  }
  latin1(o: number, n: number): string {
    this.#check(o, n, 'a name');
    return Buffer.from(this.bytes.subarray(o, o + n))
      .toString('latin1')
      .replace(/\0.*$/s, '');
  }
  utf8(o: number, n: number, what: string): string {
    this.#check(o, n, what);
    return Buffer.from(this.bytes.subarray(o, o + n)).toString('utf8');
  }
  /** The index of the NUL ending the string at `o`, at most MAX_NAME bytes on. */
  end(o: number, what: string): number {
    this.#check(o, 1, what);
    const limit = Math.min(this.bytes.length, o + MAX_NAME + 1);
    const nul = this.bytes.subarray(o, limit).indexOf(0);
    this.#reader.spend(nul === -1 ? limit - o : nul + 1, what);
    if (nul === -1) {
      throw new Problem(
        `truncated or corrupt: ${what} at byte ${this.#at + o} ${limit === this.bytes.length ? `is not terminated inside ${this.#what}` : `is longer than ${MAX_NAME} bytes`}`,
      );
    }
    return o + nul;
  }
  /** The NUL-terminated UTF-8 string at `o` (each offset is decoded once). */
  cstring(o: number, what: string): string {
    const known = this.#strings.get(o);
    if (known !== undefined) return known;
    const text = this.utf8(o, this.end(o, what) - o, what);
    this.#strings.set(o, text);
    return text;
  }
  /** An unsigned LEB128 at `o`: [value, bytes read]. */
  uleb(o: number, what: string): [number, number] {
    let value = 0;
    let at = o;
    for (let shift = 0; ; shift += 7) {
      const byte = this.u8(at, what);
      at++;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      if (shift >= 56) throw new Problem(`truncated or corrupt: ${what} at byte ${this.#at + o} is longer than 9 bytes`);
    }
    if (!Number.isSafeInteger(value)) throw new Problem(`truncated or corrupt: ${what} at byte ${this.#at + o} is too large`);
    return [value, at - o];
  }
}

/** What a parser has found so far: objectFileProblem judges a partial result when parsing stops. */
export type Draft = Partial<ObjectFile> & { problems: string[]; exports: ExportedSymbol[]; deps: string[] };

export interface ParseOptions {
  /** Read exports, imports and the rest; else headers, tables and coverage only. */
  details: boolean;
  arch: string;
}
