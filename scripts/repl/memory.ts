/**
 * `mem`: reading memory behind a pointer a foreign call returned (a BigInt in koffi 3), always
 * within a bound the caller gives. Nothing here frees: memory is freed by an explicit call to the
 * allocating library's own free (`c.free(p)` after `.declare c void free(void *p)`).
 *
 * A bound only limits how far the read goes; it cannot make a wrong pointer valid. Reading an
 * address that is not mapped crashes the process, like in C.
 */
import { inspect } from 'node:util';

type Koffi = typeof import('koffi').default;

export type PointerLike = bigint | number;

/** A hex dump that prints as one in the REPL (not as an escaped string). */
export class HexDump {
  readonly text: string;
  readonly bytes: Uint8Array;
  constructor(address: bigint, bytes: Uint8Array) {
    this.bytes = bytes;
    const lines: string[] = [];
    for (let at = 0; at < bytes.length; at += 16) {
      const row = bytes.subarray(at, at + 16);
      const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      lines.push(`0x${(address + BigInt(at)).toString(16).padStart(12, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
    }
    this.text = lines.join('\n');
  }
  toString(): string {
    return this.text;
  }
  [inspect.custom](): string {
    return this.text;
  }
}

function checkPointer(where: string, pointer: unknown): bigint | null {
  if (pointer === null || pointer === 0n || pointer === 0) return null;
  if (typeof pointer === 'number' && Number.isSafeInteger(pointer) && pointer > 0) return BigInt(pointer);
  if (typeof pointer === 'bigint' && pointer > 0n) return pointer;
  throw new TypeError(`${where}: expected a pointer (a BigInt returned by a foreign call), got ${inspect(pointer)}`);
}

function checkBound(where: string, name: string, value: unknown, max = 1 << 30): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new TypeError(`${where}: ${name} must be a byte count from 0 to ${max} (the most bytes to read), got ${inspect(value)}`);
  }
  return value;
}

export function memoryHelpers(koffi: Koffi) {
  const view = (pointer: bigint, length: number) => new Uint8Array(koffi.view(pointer, length));
  return {
    /** The NUL-terminated UTF-8 string at `ptr`, reading at most `maxLen` bytes (no NUL within them: the first maxLen bytes). null for NULL. */
    cstring(ptr: PointerLike | null, maxLen: number): string | null {
      const pointer = checkPointer('mem.cstring(ptr, maxLen)', ptr);
      const bound = checkBound('mem.cstring(ptr, maxLen)', 'maxLen', maxLen);
      if (pointer === null) return null;
      if (bound === 0) return '';
      const bytes = view(pointer, bound);
      let end = 0;
      // Byte by byte: nothing past the NUL is touched.
      while (end < bound && bytes[end] !== 0) end++;
      return Buffer.from(bytes.subarray(0, end)).toString('utf8');
    },
    /** `n` bytes at `ptr` as a hex dump (`.bytes` holds a copy). */
    hex(ptr: PointerLike, n: number): HexDump {
      const pointer = checkPointer('mem.hex(ptr, n)', ptr);
      const bound = checkBound('mem.hex(ptr, n)', 'n', n, 1 << 20);
      if (pointer === null) throw new TypeError('mem.hex(ptr, n): ptr is NULL');
      return new HexDump(pointer, Uint8Array.from(view(pointer, bound)));
    },
    /** A copy of `n` bytes at `ptr`. */
    bytes(ptr: PointerLike, n: number): Uint8Array {
      const pointer = checkPointer('mem.bytes(ptr, n)', ptr);
      const bound = checkBound('mem.bytes(ptr, n)', 'n', n);
      if (pointer === null) throw new TypeError('mem.bytes(ptr, n): ptr is NULL');
      return Uint8Array.from(view(pointer, bound));
    },
    /** The struct `type` (declared with .struct, or a koffi type name) at `ptr`: reads sizeof(type) bytes. */
    struct(ptr: PointerLike, type: string, count?: number): unknown {
      const pointer = checkPointer('mem.struct(ptr, type)', ptr);
      if (pointer === null) throw new TypeError('mem.struct(ptr, type): ptr is NULL');
      let size: number;
      try {
        size = koffi.sizeof(type);
      } catch (error) {
        throw new TypeError(`mem.struct(ptr, ${inspect(type)}): ${(error as Error).message} (declare it with .struct)`);
      }
      if (count === undefined) return koffi.decode(pointer, type);
      checkBound('mem.struct(ptr, type, count)', 'count', count, Math.floor((1 << 30) / Math.max(size, 1)));
      return koffi.decode(pointer, type, count);
    },
    /** A value of a primitive type at `ptr` (`mem.read(p, 'int32_t')`), or `count` of them as an array. */
    read(ptr: PointerLike, type: string, count?: number): unknown {
      return this.struct(ptr, type, count);
    },
  };
}

export type MemoryHelpers = ReturnType<typeof memoryHelpers>;
