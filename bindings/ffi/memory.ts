/**
 * Reading and writing native memory at an address a foreign call returned, always within a bound
 * the caller gives: a C string stops at its NUL or at `maxLength` bytes, whichever comes first,
 * and never reads past either; `readBytes` copies exactly `length` bytes; a record reads exactly
 * sizeof(type). Nothing here frees: free memory through the library that allocated it.
 *
 * A bound limits how far a read goes; it cannot make a wrong address valid. Reading an address
 * that is not mapped kills the process, as in C. Addresses are checked before anything is read:
 * a BigInt or a Number from 0 to 2^64 - 1 (a Number must be a safe integer), and the bytes read or
 * written must end at or below 2^64 (no wrap to page zero); anything else is a RangeError or
 * TypeError naming the function and the argument.
 */
import process from 'node:process';
import { ENGINE_ENV, type Engine, type EngineName, engineChoice, resolveEngine } from './engine.ts';
import { decodeRecord, encodeRecord } from './record.ts';
import { type CType, type RecordType, formatType, layoutOf } from './types.ts';

/** An address: a BigInt (as foreign calls return them) or a safe-integer Number. */
export type Address = bigint | number;

/** Options of the memory helpers. */
export interface MemoryOptions {
  /** The engine whose view of memory is used (default: the runtime's default engine, or MYLIB_FFI_ENGINE). */
  engine?: EngineName | 'auto';
}

const U64_LIMIT = 1n << 64n;
/** The most bytes one helper reads or writes: 1 GiB. */
export const MAX_LENGTH = 2 ** 30;

function shown(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  return typeof value === 'object' || typeof value === 'function' ? `a ${typeof value}` : String(value);
}

/**
 * `value` as an address, checked before any conversion: a RangeError for a negative, fractional,
 * unsafe or too large number, a TypeError for anything that is not a number. NULL (0) passes: the
 * caller decides what NULL means.
 */
export function checkAddress(value: unknown, fn: string, argument = 'address'): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value >= U64_LIMIT) throw new RangeError(`${fn}: argument '${argument}' must be an address from 0 to 2^64 - 1, got ${value}n`);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || !Number.isSafeInteger(value)) {
      throw new RangeError(`${fn}: argument '${argument}' must be an address (a BigInt, or a Number from 0 to 2^53 - 1), got ${value}`);
    }
    return BigInt(value);
  }
  throw new TypeError(`${fn}: argument '${argument}' must be an address (a BigInt or a Number), got ${shown(value)}`);
}

/**
 * Checks that the `length` bytes from `at` lie below 2^64: an address within `length` bytes of
 * the top would wrap around to page zero, which engines read as NULL or as an unmapped page.
 */
export function checkSpan(at: bigint, length: number, fn: string, argument = 'address'): void {
  if (at + BigInt(length) > U64_LIMIT) {
    throw new RangeError(
      `${fn}: argument '${argument}' 0x${at.toString(16)} plus ${length} bytes passes the end of the address space (2^64): the access would wrap`,
    );
  }
}

/** A byte count from 0 to `max`, else a RangeError (TypeError for a non-number). */
export function checkLength(value: unknown, fn: string, argument: string, max = MAX_LENGTH): number {
  if (typeof value !== 'number') throw new TypeError(`${fn}: argument '${argument}' must be a byte count (a Number), got ${shown(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`${fn}: argument '${argument}' must be an integer from 0 to ${max}, got ${value}`);
  return value;
}

const engines = new Map<string, Engine>();

/** The engine that reads memory for these helpers. */
export function memoryEngine(options?: MemoryOptions): Engine {
  const choice = options?.engine !== undefined ? engineChoice(options.engine, "option 'engine'") : engineChoice(process.env[ENGINE_ENV], ENGINE_ENV);
  let engine = engines.get(choice);
  if (!engine) {
    engine = resolveEngine(choice);
    engines.set(choice, engine);
  }
  return engine;
}

const decoder = new TextDecoder('utf-8');

/**
 * The NUL-terminated UTF-8 string at `address`, reading at most `maxLength` bytes (when no NUL
 * is among them, the string is those bytes). null for NULL. Invalid UTF-8 becomes U+FFFD.
 */
export function readCString(address: Address | null, maxLength: number, options?: MemoryOptions): string | null {
  const at = address === null ? 0n : checkAddress(address, 'readCString', 'address');
  const bound = checkLength(maxLength, 'readCString', 'maxLength');
  if (at === 0n) return null;
  if (bound === 0) return '';
  checkSpan(at, bound, 'readCString');
  const bytes = new Uint8Array(memoryEngine(options).view(at, bound));
  // Byte by byte: nothing past the NUL is touched.
  let end = 0;
  while (end < bound && bytes[end] !== 0) end++;
  return decoder.decode(bytes.slice(0, end));
}

/** A copy of the `length` bytes at `address`. NULL is a TypeError unless `length` is 0. */
export function readBytes(address: Address, length: number, options?: MemoryOptions): Uint8Array {
  const at = checkAddress(address, 'readBytes', 'address');
  const count = checkLength(length, 'readBytes', 'length');
  if (count === 0) return new Uint8Array(0);
  if (at === 0n) throw new TypeError("readBytes: argument 'address' is NULL");
  checkSpan(at, count, 'readBytes');
  return new Uint8Array(memoryEngine(options).view(at, count)).slice();
}

/** Copies `bytes` to `address` (bytes.length of them). */
export function writeBytes(address: Address, bytes: ArrayBufferView | ArrayBuffer, options?: MemoryOptions): void {
  const at = checkAddress(address, 'writeBytes', 'address');
  const source = ArrayBuffer.isView(bytes)
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : bytes instanceof ArrayBuffer
      ? new Uint8Array(bytes)
      : undefined;
  if (!source) throw new TypeError(`writeBytes: argument 'bytes' must be an ArrayBuffer or a TypedArray, got ${shown(bytes)}`);
  checkLength(source.length, 'writeBytes', 'bytes.length');
  if (source.length === 0) return;
  if (at === 0n) throw new TypeError("writeBytes: argument 'address' is NULL");
  checkSpan(at, source.length, 'writeBytes');
  new Uint8Array(memoryEngine(options).view(at, source.length)).set(source);
}

function recordType(type: unknown, fn: string): RecordType {
  const t = type as CType | undefined;
  if (!t || typeof t !== 'object' || (t.kind !== 'struct' && t.kind !== 'union')) {
    throw new TypeError(
      `${fn}: argument 'type' must be a struct or union type (from lib.declare(...).types or parseType), got ${t && typeof t === 'object' && 'kind' in t ? formatType(t) : shown(type)}`,
    );
  }
  if (t.fields === undefined) throw new TypeError(`${fn}: ${t.kind} ${t.name} is opaque (declared without fields): it cannot be read`);
  return t;
}

/** The struct or union `type` at `address`, as a plain object (reads exactly sizeof(type) bytes). */
export function readRecord(address: Address, type: RecordType, options?: MemoryOptions): Record<string, unknown> {
  const at = checkAddress(address, 'readRecord', 'address');
  const record = recordType(type, 'readRecord');
  if (at === 0n) throw new TypeError("readRecord: argument 'address' is NULL");
  const size = layoutOf(record).size;
  checkSpan(at, size, 'readRecord');
  const copy = new Uint8Array(memoryEngine(options).view(at, size)).slice();
  return decodeRecord(record, new DataView(copy.buffer), 0);
}

/** Writes `value` (a plain object, every field given) as the struct or union `type` at `address`. */
export function writeRecord(address: Address, type: RecordType, value: Record<string, unknown>, options?: MemoryOptions): void {
  const at = checkAddress(address, 'writeRecord', 'address');
  const record = recordType(type, 'writeRecord');
  if (at === 0n) throw new TypeError("writeRecord: argument 'address' is NULL");
  const size = layoutOf(record).size;
  checkSpan(at, size, 'writeRecord');
  // Encoded aside first: a value of the wrong shape leaves the memory untouched.
  const bytes = new Uint8Array(size);
  encodeRecord(record, value, new DataView(bytes.buffer), 0);
  new Uint8Array(memoryEngine(options).view(at, size)).set(bytes);
}

/** The address of the first byte of `view` (valid while its buffer is alive and not detached or moved). */
export function addressOf(view: ArrayBufferView, options?: MemoryOptions): bigint {
  if (!ArrayBuffer.isView(view)) throw new TypeError(`addressOf: argument 'view' must be a TypedArray or DataView, got ${shown(view)}`);
  return memoryEngine(options).addressOf(view);
}
