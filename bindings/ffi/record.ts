/**
 * Records (struct/union) as plain objects: the codec between the calling convention's object
 * (engine.ts: one property per field, nested records as objects, arrays as Arrays) and the C
 * bytes, laid out by `layoutOf` (types.ts). For engines that copy records themselves (bun:ffi and
 * node:ffi lower small ones to integers, see _lowering.ts) and for reading records in memory.
 *
 * Encoding zeroes the record's bytes first (padding included), then writes each field:
 * - a struct needs every field; a union writes the fields present (in declaration order; give
 *   one), and all-zero bytes when none is;
 * - integers take a Number (an integer in range) or a BigInt (64-bit and pointer-sized ones);
 *   `bool` a boolean; pointers an address (BigInt or Number) or null; enums a Number.
 * Decoding gives every field: a union reads each member from the same bytes. 64-bit integers are
 * a Number when safe, else a BigInt; pointers a BigInt address or null.
 * Wrong values throw a TypeError or RangeError naming the field path (`div_t.quot`).
 */
import { type CType, type RecordType, layoutOf } from './types.ts';

/** Writes `value` (a plain object) as record `type` at `offset` of `view`. */
export function encodeRecord(type: RecordType, value: unknown, view: DataView, offset: number, where: string = type.name): void {
  const { size } = layoutOf(type);
  new Uint8Array(view.buffer, view.byteOffset + offset, size).fill(0);
  writeRecord(type, value, view, offset, where);
}

/** Reads record `type` at `offset` of `view` as a plain object. */
export function decodeRecord(type: RecordType, view: DataView, offset: number): Record<string, unknown> {
  const layout = layoutOf(type);
  const result: Record<string, unknown> = {};
  for (const field of layout.fields) result[field.name] = read(field.type, view, offset + field.offset);
  return result;
}

function writeRecord(type: RecordType, value: unknown, view: DataView, offset: number, where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where} must be an object with the fields of ${type.kind} ${type.name}, got ${describe(value)}`);
  }
  const object = value as Record<string, unknown>;
  const layout = layoutOf(type);
  for (const field of layout.fields) {
    const present = Object.hasOwn(object, field.name) && object[field.name] !== undefined;
    if (!present) {
      if (type.kind === 'union') continue;
      throw new TypeError(`${where}.${field.name} is missing (${type.kind} ${type.name} needs every field)`);
    }
    write(field.type, object[field.name], view, offset + field.offset, `${where}.${field.name}`);
  }
}

function write(type: CType, value: unknown, view: DataView, offset: number, where: string): void {
  switch (type.kind) {
    case 'scalar': {
      if (type.name === 'bool') {
        if (typeof value !== 'boolean') throw new TypeError(`${where} must be a boolean, got ${describe(value)}`);
        view.setUint8(offset, value ? 1 : 0);
        return;
      }
      if (type.float) {
        if (typeof value !== 'number') throw new TypeError(`${where} must be a number, got ${describe(value)}`);
        if (type.size === 4) view.setFloat32(offset, value, true);
        else view.setFloat64(offset, value, true);
        return;
      }
      writeInteger(type.size, type.signed, value, view, offset, where);
      return;
    }
    case 'enum':
      writeInteger(4, true, value, view, offset, where);
      return;
    case 'pointer': {
      const size = layoutOf(type).size;
      if (value === null) return;
      if (typeof value !== 'bigint' && typeof value !== 'number') {
        throw new TypeError(`${where} must be an address (a BigInt) or null, got ${describe(value)}`);
      }
      writeInteger(size, false, value, view, offset, where);
      return;
    }
    case 'struct':
    case 'union':
      writeRecord(type, value, view, offset, where);
      return;
    case 'array': {
      if (!Array.isArray(value) || value.length !== type.length) {
        throw new TypeError(`${where} must be an Array of ${type.length} elements, got ${describe(value)}`);
      }
      const step = layoutOf(type.of).size;
      for (let index = 0; index < type.length; index++) write(type.of, value[index], view, offset + index * step, `${where}[${index}]`);
      return;
    }
    case 'void':
    case 'function':
      throw new TypeError(`${where}: a ${type.kind} field has no value`);
  }
}

function writeInteger(size: number, signed: boolean, value: unknown, view: DataView, offset: number, where: string): void {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
  else throw new TypeError(`${where} must be an integer (a Number or a BigInt), got ${describe(value)}`);
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (big < min || big > max) throw new RangeError(`${where} must be from ${min} to ${max}, got ${big}`);
  switch (size) {
    case 1:
      view.setUint8(offset, Number(BigInt.asUintN(8, big)));
      return;
    case 2:
      view.setUint16(offset, Number(BigInt.asUintN(16, big)), true);
      return;
    case 4:
      view.setUint32(offset, Number(BigInt.asUintN(32, big)), true);
      return;
    default:
      view.setBigUint64(offset, BigInt.asUintN(64, big), true);
  }
}

function read(type: CType, view: DataView, offset: number): unknown {
  switch (type.kind) {
    case 'scalar':
      if (type.name === 'bool') return view.getUint8(offset) !== 0;
      if (type.float) return type.size === 4 ? view.getFloat32(offset, true) : view.getFloat64(offset, true);
      return readInteger(type.size, type.signed, view, offset);
    case 'enum':
      return view.getInt32(offset, true);
    case 'pointer': {
      const address = BigInt(readInteger(layoutOf(type).size, false, view, offset) as number | bigint);
      return address === 0n ? null : address;
    }
    case 'struct':
    case 'union':
      return decodeRecord(type, view, offset);
    case 'array': {
      const step = layoutOf(type.of).size;
      return Array.from({ length: type.length }, (_, index) => read(type.of, view, offset + index * step));
    }
    case 'void':
    case 'function':
      return undefined;
  }
}

function readInteger(size: number, signed: boolean, view: DataView, offset: number): number | bigint {
  switch (size) {
    case 1:
      return signed ? view.getInt8(offset) : view.getUint8(offset);
    case 2:
      return signed ? view.getInt16(offset, true) : view.getUint16(offset, true);
    case 4:
      return signed ? view.getInt32(offset, true) : view.getUint32(offset, true);
    default: {
      const value = signed ? view.getBigInt64(offset, true) : view.getBigUint64(offset, true);
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an Array of ${value.length}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
