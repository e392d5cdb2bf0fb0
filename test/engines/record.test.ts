/** The record codec (bindings/ffi/record.ts) and the integer lowering of small records (_lowering.ts). */
import { describe, expect, it } from 'vitest';
import { lowerRecord } from '../../bindings/ffi/_lowering.ts';
import { Scope, parseDeclarations } from '../../bindings/ffi/grammar.ts';
import { decodeRecord, encodeRecord } from '../../bindings/ffi/record.ts';
import { type RecordType, layoutOf } from '../../bindings/ffi/types.ts';

const scope = new Scope();
parseDeclarations(
  `
  typedef struct { int quot; int rem; } div_t;
  struct mixed { uint8_t tag; double value; uint64_t big; const char *name; bool flag; int8_t small[3]; };
  union word { uint32_t u; int16_t halves[2]; uint8_t bytes[4]; };
  struct point { float x; float y; };
  struct tri { uint8_t a, b, c; };
  struct nested { struct tri t; uint8_t pad; };
  struct pair { void *p; };
  `,
  scope,
);
const record = (name: string) => {
  const found = scope.type(name === 'div_t' ? name : name === 'word' ? 'union word' : `struct ${name}`);
  if (!found) throw new Error(`no record ${name}`);
  return found as RecordType;
};

const roundTrip = (type: RecordType, value: unknown) => {
  const view = new DataView(new ArrayBuffer(layoutOf(type).size + 8));
  encodeRecord(type, value, view, 4);
  return decodeRecord(type, view, 4);
};

describe('record codec', () => {
  it.each([
    ['div_t', { quot: -3, rem: 1 }],
    ['mixed', { tag: 7, value: 1.5, big: 2n ** 63n, name: 0x1234n, flag: true, small: [-1, 0, 127] }],
    ['nested', { t: { a: 1, b: 2, c: 3 }, pad: 4 }],
  ])('%s round-trips', (name, value) => {
    expect(roundTrip(record(name), value)).toEqual(value);
  });

  it('reads 64-bit integers as Numbers when safe, NULL pointers as null', () => {
    const decoded = roundTrip(record('mixed'), { tag: 0, value: 0, big: 5n, name: null, flag: false, small: [0, 0, 0] });
    expect(decoded.big).toBe(5);
    expect(decoded.name).toBe(null);
  });

  it('writes the union members given and reads every member from the same bytes', () => {
    const decoded = roundTrip(record('word'), { u: 0x01020304 });
    expect(decoded).toEqual({ u: 0x01020304, halves: [0x0304, 0x0102], bytes: [4, 3, 2, 1] });
  });

  it.each([
    ['div_t', { quot: 1 }, TypeError, /div_t\.rem is missing/],
    ['div_t', { quot: 1.5, rem: 0 }, TypeError, /div_t\.quot must be an integer/],
    ['div_t', { quot: 2 ** 31, rem: 0 }, RangeError, /div_t\.quot must be from -2147483648 to 2147483647/],
    ['div_t', null, TypeError, /div_t must be an object/],
    ['mixed', { tag: 0, value: 0, big: 0, name: new Uint8Array(1), flag: false, small: [0, 0, 0] }, TypeError, /mixed\.name must be an address/],
    ['mixed', { tag: 0, value: 0, big: 0, name: null, flag: 1, small: [0, 0, 0] }, TypeError, /mixed\.flag must be a boolean/],
    ['mixed', { tag: 0, value: 0, big: 0, name: null, flag: false, small: [0, 0] }, TypeError, /mixed\.small must be an Array of 3/],
  ])('%s refuses %o', (name, value, kind, message) => {
    const type = record(name);
    expect(() => encodeRecord(type, value, new DataView(new ArrayBuffer(64)), 0)).toThrow(kind);
    expect(() => encodeRecord(type, value, new DataView(new ArrayBuffer(64)), 0)).toThrow(message);
  });
});

describe('lowering small records to integers', () => {
  it.each([
    ['div_t', 'uint64_t'],
    ['word', 'uint32_t'],
    ['pair', 'uint64_t'],
    ['nested', 'uint32_t'],
  ])('%s is lowered to %s', (name, scalar) => {
    const lowering = lowerRecord(record(name), 'x64');
    if (typeof lowering === 'string') throw new Error(lowering);
    expect(lowering.scalar.name).toBe(scalar);
  });

  it.each([
    ['point', 'x64', /floating-point/],
    ['tri', 'x64', /size is 3 bytes/],
    ['point', 'arm64', /floating-point/],
    ['div_t', 'ia32', /x64 and arm64 only/],
  ])('%s is refused on %s', (name, arch, reason) => {
    expect(lowerRecord(record(name), arch)).toMatch(reason);
  });

  it('encodes and decodes through the integer (little-endian bytes)', () => {
    const lowering = lowerRecord(record('div_t'), 'x64');
    if (typeof lowering === 'string') throw new Error(lowering);
    const integer = lowering.encode({ quot: 3, rem: 1 }, 'div_t');
    expect(integer).toBe((1n << 32n) | 3n);
    expect(lowering.decode(integer)).toEqual({ quot: 3, rem: 1 });
  });
});
