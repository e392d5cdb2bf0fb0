/**
 * Internal: what the engines whose FFI has no struct types (bun:ffi, node:ffi) share to present
 * the calling convention of engine.ts. Not public API.
 *
 * Records by value are lowered to one integer: a struct or union of 1, 2, 4 or 8 bytes whose
 * fields are all integers, enums, bools or pointers (nested records and arrays of them too)
 * travels in one general-purpose register on x86-64 System V, Windows x64 and AArch64, for
 * arguments and results alike, exactly as the unsigned integer of the same size does. Its bytes
 * are that integer's bytes on these little-endian hosts. Anything else (floats: SSE/FP registers
 * or a split; other sizes: the stack, or memory through a hidden pointer on Windows) is refused
 * when the function is bound.
 */
import { decodeRecord, encodeRecord } from './record.ts';
import { type CType, type FunctionType, type RecordType, type ScalarType, formatType, layoutOf, scalar } from './types.ts';

/** Hosts whose ABI passes the small integer records above in one integer register. */
const LOWERING_HOSTS = new Set(['x64', 'arm64']);

/** A record lowered to an unsigned integer of its size, and the codec between both. */
export interface LoweredRecord {
  readonly record: RecordType;
  /** uint8_t, uint16_t, uint32_t or uint64_t. */
  readonly scalar: ScalarType;
  /** The plain object as the integer (a BigInt for 8 bytes, else a Number). */
  encode(value: unknown, where: string): number | bigint;
  /** The integer (Number or BigInt) as the plain object. */
  decode(integer: number | bigint): Record<string, unknown>;
}

/** Why `type` does not lower to an integer register, or undefined when it does. */
function integerOnly(type: CType): string | undefined {
  switch (type.kind) {
    case 'scalar':
      return type.float ? `its field of type ${type.name} is a floating-point value` : undefined;
    case 'enum':
    case 'pointer':
      return undefined;
    case 'array':
      return integerOnly(type.of);
    case 'struct':
    case 'union':
      for (const field of type.fields ?? []) {
        const reason = integerOnly(field.type);
        if (reason) return reason;
      }
      return undefined;
    default:
      return `it holds a ${type.kind}`;
  }
}

/** The lowering of `record`, or the reason (a sentence) why it has none on this host. */
export function lowerRecord(record: RecordType, arch: string = process.arch): LoweredRecord | string {
  if (!LOWERING_HOSTS.has(arch)) return `records by value are lowered to integers on x64 and arm64 only (this is ${arch})`;
  const { size } = layoutOf(record);
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return `its size is ${size} bytes (lowered sizes: 1, 2, 4, 8)`;
  const reason = integerOnly(record);
  if (reason) return reason;
  const integer = scalar(`uint${size * 8}_t`) as ScalarType;
  const scratch = new DataView(new ArrayBuffer(8));
  return {
    record,
    scalar: integer,
    encode(value, where) {
      encodeRecord(record, value, scratch, 0, where);
      switch (size) {
        case 1:
          return scratch.getUint8(0);
        case 2:
          return scratch.getUint16(0, true);
        case 4:
          return scratch.getUint32(0, true);
        default:
          return scratch.getBigUint64(0, true);
      }
    },
    decode(value) {
      scratch.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
      return decodeRecord(record, scratch, 0);
    },
  };
}

/** The Error an engine throws for what it cannot bind: names the function, the engine, the construct. */
export function refusal(fn: FunctionType, engine: string, construct: string, reason: string): Error {
  return new Error(`mylib: ${engine} cannot bind ${fn.name ?? formatType(fn)}: ${construct}: ${reason}`);
}

/** The lowering of a record in `fn`, or the refusal. `where`: 'parameter name' or 'the result'. */
export function lowered(fn: FunctionType, engine: string, record: RecordType, where: string): LoweredRecord {
  const lowering = lowerRecord(record);
  if (typeof lowering === 'string') {
    throw refusal(fn, engine, `${where} is ${record.kind} ${record.name} by value`, `${engine} has no struct types, and ${lowering}`);
  }
  return lowering;
}

/** A parameter's name for messages: `argument 2 (text)`. */
export function argumentName(fn: FunctionType, index: number): string {
  const name = fn.params[index]?.name;
  return `${fn.name ?? 'function'} argument ${index}${name ? ` (${name})` : ''}`;
}

const encoder = new TextEncoder();

/**
 * A `const char *` argument: a JS string as NUL-terminated UTF-8 (a string with U+0000 is a
 * TypeError naming the argument); null stays null; anything else (a buffer, an address) is
 * passed as the pointer it is.
 */
export function stringArgument(value: unknown, where: string): unknown {
  if (typeof value !== 'string') return value;
  if (value.includes('\0')) throw new TypeError(`${where} must not contain U+0000 (a C string ends at its first NUL)`);
  return encoder.encode(`${value}\0`);
}

/** A 64-bit integer result in the convention: a Number when it is safe, else the BigInt. */
export function wideResult(value: unknown): unknown {
  return typeof value === 'bigint' && value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}

export type Convert = (value: unknown) => unknown;
export const same: Convert = (value) => value;

/**
 * `native` with its arguments and result converted (`same` where nothing is). Fixed-arity
 * closures up to 9 parameters: a rest-parameter wrapper cost ~100 ns more per 7-argument call on
 * Node 26.10. Returns `native` itself when nothing converts.
 */
export function converting(native: (...args: unknown[]) => unknown, converters: readonly Convert[], result: Convert): (...args: unknown[]) => unknown {
  if (result === same && converters.every((convert) => convert === same)) return native;
  const [c0 = same, c1 = same, c2 = same, c3 = same, c4 = same, c5 = same, c6 = same, c7 = same, c8 = same] = converters;
  const r = result;
  switch (converters.length) {
    case 0:
      return () => r(native());
    case 1:
      return (a) => r(native(c0(a)));
    case 2:
      return (a, b) => r(native(c0(a), c1(b)));
    case 3:
      return (a, b, c) => r(native(c0(a), c1(b), c2(c)));
    case 4:
      return (a, b, c, d) => r(native(c0(a), c1(b), c2(c), c3(d)));
    case 5:
      return (a, b, c, d, e) => r(native(c0(a), c1(b), c2(c), c3(d), c4(e)));
    case 6:
      return (a, b, c, d, e, f) => r(native(c0(a), c1(b), c2(c), c3(d), c4(e), c5(f)));
    case 7:
      return (a, b, c, d, e, f, g) => r(native(c0(a), c1(b), c2(c), c3(d), c4(e), c5(f), c6(g)));
    case 8:
      return (a, b, c, d, e, f, g, h) => r(native(c0(a), c1(b), c2(c), c3(d), c4(e), c5(f), c6(g), c7(h)));
    case 9:
      return (a, b, c, d, e, f, g, h, i) => r(native(c0(a), c1(b), c2(c), c3(d), c4(e), c5(f), c6(g), c7(h), c8(i)));
    default:
      return (...args: unknown[]) => r(native(...args.map((value, index) => (converters[index] ?? same)(value))));
  }
}

/** A call's state shared by its callbacks: the first exception one of them threw. */
export interface CallState {
  thrown?: { error: unknown };
}

/** A callback parameter of a sync call, and its body around the JS function passed for it. */
export interface CallbackParam {
  readonly index: number;
  body(fn: (...args: unknown[]) => unknown, state: CallState): (...raw: unknown[]) => unknown;
}

/**
 * A sync call whose JS-function arguments become native callbacks valid for that call only:
 * `make` turns a body into a C function pointer, released when the call returns. A callback's
 * exception is rethrown once the native call has returned (the C caller saw 0).
 */
export function withCallbacks<C extends CallbackParam>(
  call: (...args: unknown[]) => unknown,
  callbacks: readonly C[],
  make: (callback: C, body: (...raw: unknown[]) => unknown) => { pointer: unknown; release(): void },
): (...args: unknown[]) => unknown {
  if (callbacks.length === 0) return call;
  return (...args: unknown[]) => {
    const made: Array<{ release(): void }> = [];
    const state: CallState = {};
    try {
      for (const callback of callbacks) {
        const fn = args[callback.index];
        if (typeof fn !== 'function') continue;
        const native = make(callback, callback.body(fn as (...a: unknown[]) => unknown, state));
        made.push(native);
        args[callback.index] = native.pointer;
      }
      const result = call(...args);
      if (state.thrown) throw state.thrown.error;
      return result;
    } finally {
      for (const native of made) native.release();
    }
  };
}
