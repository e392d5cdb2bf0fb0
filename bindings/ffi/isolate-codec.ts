/**
 * Internal: the values that cross between a process and its isolated host (isolate.ts,
 * isolate-host.ts), as bytes. Not public API.
 *
 * A message is one value, framed as a little-endian u32 byte count and the value's encoding:
 * undefined, null, booleans, Numbers, BigInts, strings (UTF-8), bytes (a copy of a TypedArray's
 * or ArrayBuffer's bytes, decoded as a Uint8Array), Arrays, plain objects (own enumerable string
 * keys), and a callback marker for a JS function (the host makes a stub that calls back). An
 * object or Array met twice is written once and referred to afterwards, so the type vocabulary's
 * self-referencing records cross whole. Anything else is refused with a TypeError naming `where`.
 */

const Tag = {
  Undefined: 0,
  Null: 1,
  False: 2,
  True: 3,
  Int32: 4,
  Float64: 5,
  BigInt64: 6,
  BigUint64: 7,
  BigText: 8,
  String: 9,
  Bytes: 10,
  Array: 11,
  Object: 12,
  Ref: 13,
  Callback: 14,
} as const;
type Tag = (typeof Tag)[keyof typeof Tag];

/** What a decoded callback marker is: the host replaces it with a stub of the parameter's type. */
export const CALLBACK: unique symbol = Symbol('callback');

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes messages into one growing buffer; `frame()` returns the bytes of the last one. */
export class Encoder {
  #bytes = new Uint8Array(256);
  #view = new DataView(this.#bytes.buffer);
  #at = 0;
  #seen: Map<object, number> | undefined;

  /** The frame of `value`: 4 bytes of length, then the value. Valid until the next call. */
  frame(value: unknown, where: string): Uint8Array {
    this.#at = 4;
    this.#seen = undefined;
    this.#value(value, where);
    this.#view.setUint32(0, this.#at - 4, true);
    return this.#bytes.subarray(0, this.#at);
  }

  #room(n: number): void {
    if (this.#at + n <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#at + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#at));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  #tag(tag: Tag): void {
    this.#room(1);
    this.#bytes[this.#at++] = tag;
  }

  #u32(n: number): void {
    this.#room(4);
    this.#view.setUint32(this.#at, n, true);
    this.#at += 4;
  }

  #raw(bytes: Uint8Array): void {
    this.#u32(bytes.length);
    this.#room(bytes.length);
    this.#bytes.set(bytes, this.#at);
    this.#at += bytes.length;
  }

  #text(text: string): void {
    // At most 3 bytes per UTF-16 unit.
    this.#room(4 + text.length * 3);
    const { written } = encoder.encodeInto(text, this.#bytes.subarray(this.#at + 4));
    this.#view.setUint32(this.#at, written, true);
    this.#at += 4 + written;
  }

  #value(value: unknown, where: string): void {
    switch (typeof value) {
      case 'undefined':
        this.#tag(Tag.Undefined);
        return;
      case 'boolean':
        this.#tag(value ? Tag.True : Tag.False);
        return;
      case 'number':
        if ((value | 0) === value && !Object.is(value, -0)) {
          this.#tag(Tag.Int32);
          this.#room(4);
          this.#view.setInt32(this.#at, value, true);
          this.#at += 4;
        } else {
          this.#tag(Tag.Float64);
          this.#room(8);
          this.#view.setFloat64(this.#at, value, true);
          this.#at += 8;
        }
        return;
      case 'bigint':
        if (value >= -(2n ** 63n) && value < 2n ** 63n) {
          this.#tag(Tag.BigInt64);
          this.#room(8);
          this.#view.setBigInt64(this.#at, value, true);
          this.#at += 8;
        } else if (value >= 0n && value < 2n ** 64n) {
          this.#tag(Tag.BigUint64);
          this.#room(8);
          this.#view.setBigUint64(this.#at, value, true);
          this.#at += 8;
        } else {
          this.#tag(Tag.BigText);
          this.#text(value.toString());
        }
        return;
      case 'string':
        this.#tag(Tag.String);
        this.#text(value);
        return;
      case 'function':
        this.#tag(Tag.Callback);
        return;
      case 'object':
        break;
      default:
        throw new TypeError(`${where}: a ${typeof value} cannot cross to an isolated library`);
    }
    if (value === null) {
      this.#tag(Tag.Null);
      return;
    }
    if (ArrayBuffer.isView(value)) {
      this.#tag(Tag.Bytes);
      this.#raw(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      return;
    }
    if (value instanceof ArrayBuffer) {
      this.#tag(Tag.Bytes);
      this.#raw(new Uint8Array(value));
      return;
    }
    this.#seen ??= new Map();
    const seen = this.#seen.get(value);
    if (seen !== undefined) {
      this.#tag(Tag.Ref);
      this.#u32(seen);
      return;
    }
    this.#seen.set(value, this.#seen.size);
    if (Array.isArray(value)) {
      this.#tag(Tag.Array);
      this.#u32(value.length);
      for (const item of value) this.#value(item, where);
      return;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== null && proto !== Object.prototype && Object.getPrototypeOf(proto) !== null)
      throw new TypeError(
        `${where}: a ${(value as object).constructor?.name ?? 'non-plain'} object cannot cross to an isolated library (plain objects, Arrays, TypedArrays only)`,
      );
    const keys = Object.keys(value);
    this.#tag(Tag.Object);
    this.#u32(keys.length);
    for (const key of keys) {
      this.#text(key);
      this.#value((value as Record<string, unknown>)[key], where);
    }
  }
}

/** Reads one message's value from its bytes (the frame without its length). */
export function decode(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seen: object[] = [];
  let at = 0;
  const u32 = () => {
    const n = view.getUint32(at, true);
    at += 4;
    return n;
  };
  const text = () => {
    const n = u32();
    const s = decoder.decode(bytes.subarray(at, at + n));
    at += n;
    return s;
  };
  const value = (): unknown => {
    const tag = bytes[at++] as Tag | undefined;
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Int32:
        at += 4;
        return view.getInt32(at - 4, true);
      case Tag.Float64:
        at += 8;
        return view.getFloat64(at - 8, true);
      case Tag.BigInt64:
        at += 8;
        return view.getBigInt64(at - 8, true);
      case Tag.BigUint64:
        at += 8;
        return view.getBigUint64(at - 8, true);
      case Tag.BigText:
        return BigInt(text());
      case Tag.String:
        return text();
      case Tag.Bytes: {
        const n = u32();
        at += n;
        return bytes.slice(at - n, at);
      }
      case Tag.Array: {
        const out: unknown[] = [];
        seen.push(out);
        const n = u32();
        for (let i = 0; i < n; i++) out.push(value());
        return out;
      }
      case Tag.Object: {
        const out: Record<string, unknown> = {};
        seen.push(out);
        const n = u32();
        for (let i = 0; i < n; i++) {
          const key = text();
          out[key] = value();
        }
        return out;
      }
      case Tag.Ref:
        return seen[u32()];
      case Tag.Callback:
        return CALLBACK;
      default:
        throw new Error(`isolated library: unreadable message (tag ${tag} at byte ${at - 1})`);
    }
  };
  return value();
}

/**
 * Collects frames from bytes read in pieces: `push` what a read gave, `next` the next complete
 * message's bytes or undefined.
 */
export class FrameReader {
  #buffer = new Uint8Array(4096);
  #start = 0;
  #end = 0;

  /** Room for the next read: at least `min` bytes after what is held. */
  space(min = 4096): Uint8Array {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#buffer.length - this.#end < min) {
      const held = this.#end - this.#start;
      const size = Math.max(this.#buffer.length, (held + min) * 2);
      const grown = size > this.#buffer.length ? new Uint8Array(size) : this.#buffer;
      grown.set(this.#buffer.subarray(this.#start, this.#end), 0);
      this.#buffer = grown;
      this.#start = 0;
      this.#end = held;
    }
    return this.#buffer.subarray(this.#end);
  }

  /** `n` bytes were read into the last `space()`. */
  filled(n: number): void {
    this.#end += n;
  }

  /** The bytes still needed to complete the next frame (at least 1 when none is complete). */
  missing(): number {
    const held = this.#end - this.#start;
    if (held < 4) return 4 - held;
    const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset + this.#start, 4).getUint32(0, true);
    return Math.max(0, 4 + length - held);
  }

  /** The next complete message's value, or undefined (nothing complete yet). */
  next(): { value: unknown } | undefined {
    if (this.missing() > 0) return undefined;
    const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset + this.#start, 4).getUint32(0, true);
    const body = this.#buffer.subarray(this.#start + 4, this.#start + 4 + length);
    this.#start += 4 + length;
    return { value: decode(body) };
  }
}
