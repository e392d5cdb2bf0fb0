/**
 * `mem`: reading memory behind a pointer a foreign call returned (a BigInt), on the bounded reads
 * of mylib-rust/ffi (bindings/ffi/memory.ts): every read stops at a bound the caller gives.
 * Nothing here frees: memory is freed by an explicit call to the allocating library's own free
 * (`c.free(p)` after `.declare c void free(void *p)`).
 *
 * Types are named as C names them, read by the grammar against the workbench's scope (the types
 * of `.struct`, `.typedef`, `.callback` and the platform typedefs): `mem.struct(p, 'tm')` (a
 * typedef name, or a struct/union tag), `mem.read(p, 'int32_t', 3)`, `mem.read(p, 'const char *')`.
 *
 * A bound only limits how far the read goes; it cannot make a wrong pointer valid. Reading an
 * address that is not mapped crashes the process, like in C.
 */
import { inspect } from 'node:util';
import {
  type Address,
  type CType,
  type RecordType,
  type Scope,
  decodeRecord,
  formatType,
  parseType,
  readBytes,
  readCString,
  readRecord,
  sizeOf,
} from '../ffi/index.ts';

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

/** Runs `body`; an error of the API (`readBytes: ...`) is renamed after the helper (`mem.hex: ...`). */
function as<T>(helper: string, api: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`${api}: `)) error.message = `${helper}: ${error.message.slice(api.length + 2)}`;
    throw error;
  }
}

/** The most bytes `mem.hex` dumps (1 MiB). */
const HEX_MAX = 1 << 20;

/** The `mem` object of the REPL; types are read against `scope` (the workbench's). */
export function memoryHelpers(scope: Scope) {
  /** A type from its C name (or a type value from the grammar, passed through). */
  const typeOf = (helper: string, type: unknown): CType => {
    if (type !== null && typeof type === 'object' && 'kind' in type) return type as CType;
    if (typeof type !== 'string') throw new TypeError(`${helper}: the type must be a C type name ('tm', 'struct tm', 'int32_t'), got ${inspect(type)}`);
    const name = type.trim();
    // A bare tag (`tm` for `struct tm`) when no typedef has the name.
    const tagged = /^[A-Za-z_]\w*$/.test(name) && scope.type(name) === undefined ? (scope.tag(`struct ${name}`) ?? scope.tag(`union ${name}`)) : undefined;
    if (tagged) return tagged;
    try {
      return parseType(name, scope);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TypeError(`${helper}: cannot read the type '${name}': ${reason} (declare it first with .struct, .typedef or .callback)`);
    }
  };
  const recordOf = (helper: string, type: unknown): RecordType => {
    const t = typeOf(helper, type);
    if (t.kind !== 'struct' && t.kind !== 'union') throw new TypeError(`${helper}: '${formatType(t)}' is not a struct or union (mem.read reads any type)`);
    if (t.fields === undefined) throw new TypeError(`${helper}: ${t.kind} ${t.name} is opaque (declared without fields): it cannot be read`);
    return t;
  };
  const countOf = (helper: string, count: unknown, size: number): number => {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || count * size > 2 ** 30) {
      throw new RangeError(`${helper}: count must be an integer from 0 to ${Math.floor(2 ** 30 / Math.max(size, 1))} (at most 1 GiB), got ${inspect(count)}`);
    }
    return count;
  };
  /** One value of any sized type at `address`, through the record codec (a one-field record). */
  const readValue = (type: CType, address: bigint, size: number): unknown => {
    const wrapper: RecordType = { kind: 'struct', name: '(mem.read)', fields: [{ name: 'value', type }] };
    const bytes = readBytes(address, size);
    return decodeRecord(wrapper, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0).value;
  };
  const address = (helper: string, ptr: unknown): bigint => {
    if (ptr === null || ptr === 0 || ptr === 0n) throw new TypeError(`${helper}: the pointer is NULL`);
    if (typeof ptr === 'number' && Number.isSafeInteger(ptr) && ptr > 0) return BigInt(ptr);
    if (typeof ptr === 'bigint' && ptr > 0n) return ptr;
    throw new TypeError(`${helper}: expected a pointer (a BigInt returned by a foreign call), got ${inspect(ptr)}`);
  };

  return {
    /** The NUL-terminated UTF-8 string at `ptr`, reading at most `maxLen` bytes (no NUL within them: the first maxLen bytes). null for NULL. */
    cstring(ptr: Address | null, maxLen: number): string | null {
      return as('mem.cstring', 'readCString', () => readCString(ptr, maxLen));
    },
    /** `n` bytes at `ptr` as a hex dump (`.bytes` holds a copy); at most 1 MiB. */
    hex(ptr: Address, n: number): HexDump {
      const at = address('mem.hex', ptr);
      if (typeof n === 'number' && n > HEX_MAX) throw new RangeError(`mem.hex: at most ${HEX_MAX} bytes are dumped, got ${n} (mem.bytes copies more)`);
      return new HexDump(
        at,
        as('mem.hex', 'readBytes', () => readBytes(at, n)),
      );
    },
    /** A copy of `n` bytes at `ptr`. */
    bytes(ptr: Address, n: number): Uint8Array {
      return as('mem.bytes', 'readBytes', () => readBytes(address('mem.bytes', ptr), n));
    },
    /** The struct or union `type` at `ptr` (reads exactly sizeof(type) bytes), or `count` of them in a row. */
    struct(ptr: Address, type: string | RecordType, count?: number): unknown {
      const at = address('mem.struct', ptr);
      const record = recordOf('mem.struct', type);
      if (count === undefined) return as('mem.struct', 'readRecord', () => readRecord(at, record));
      const size = sizeOf(record);
      return Array.from({ length: countOf('mem.struct', count, size) }, (_, i) =>
        as('mem.struct', 'readRecord', () => readRecord(at + BigInt(i * size), record)),
      );
    },
    /**
     * A value of any C type at `ptr` (`mem.read(p, 'int32_t')`, `mem.read(p, 'double', 4)`,
     * `mem.read(p, 'const char *')` gives the pointer), or `count` of them in a row as an Array.
     */
    read(ptr: Address, type: string | CType, count?: number): unknown {
      const at = address('mem.read', ptr);
      const t = typeOf('mem.read', type);
      let size: number;
      try {
        size = sizeOf(t);
      } catch (error) {
        throw new TypeError(`mem.read: ${(error as Error).message}`);
      }
      if (count === undefined) return as('mem.read', 'readBytes', () => readValue(t, at, size));
      return Array.from({ length: countOf('mem.read', count, size) }, (_, i) => as('mem.read', 'readBytes', () => readValue(t, at + BigInt(i * size), size)));
    },
  };
}

export type MemoryHelpers = ReturnType<typeof memoryHelpers>;
