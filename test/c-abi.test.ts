/**
 * The C ABI called the way a C caller can call it: the table's functions, plus variants bound
 * through the koffi engine that take addresses (`uintptr_t`) so tests can pass misaligned and
 * overlapping pointers that the typed layer never produces: huge inputs and allocation failures,
 * numeric edge cases, misaligned arrays, overlapping outputs, the final progress call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MylibTable } from '../bindings/_table.ts';
import type { NativeLibrary } from '../bindings/ffi/engine.ts';
import { koffiEngine } from '../bindings/ffi/engines/koffi.ts';
import { parseFunction } from '../bindings/ffi/grammar.ts';
import { loadLibrary } from '../bindings/loader.ts';
import { readStats } from '../bindings/_marshal.ts';
import { LAYOUTS, type RawFunctions, STATUS_NAMES, Status, TABLE_SCOPE } from '../bindings/raw.ts';

const ERR_CAP = 512;
let table: MylibTable;
let lib: { raw: RawFunctions; native: NativeLibrary };
/** `mylib_stats`/`mylib_histogram` with every array as an address. */
let statsAt: (values: bigint, len: number, out: Float64Array, err: Buffer, errCap: number) => number;
let histogramAt: (
  values: bigint,
  len: number,
  min: number,
  max: number,
  bins: bigint,
  binCount: number,
  outCounted: BigUint64Array,
  err: Buffer,
  errCap: number,
) => number;

beforeAll(() => {
  table = loadLibrary({ engine: 'koffi' });
  lib = { raw: table.raw, native: koffiEngine.open(table.path) };
  const bind = (prototype: string) => lib.native.bind(parseFunction(prototype, TABLE_SCOPE)).call;
  statsAt = bind('int32_t mylib_stats(uintptr_t values, size_t len, MylibStats *out_stats, uint8_t *err, size_t err_cap)') as typeof statsAt;
  histogramAt = bind(
    'int32_t mylib_histogram(uintptr_t values, size_t len, double min, double max, uintptr_t bins, size_t bin_count, uint64_t *out_counted, uint8_t *err, size_t err_cap)',
  ) as typeof histogramAt;
});

afterAll(() => {
  lib.native.close();
  table.unload();
});

function errText(err: Buffer): string {
  const end = err.indexOf(0);
  return err.toString('utf8', 0, end === -1 ? err.length : end);
}

/** Runs `body` with `len` bytes of library memory (address + a view over it), then frees it. */
function withLibraryMemory<T>(len: number, body: (address: bigint, bytes: DataView) => T): T {
  const pointer = lib.raw.mylib_bytes_alloc(len);
  if (pointer === null) throw new Error('mylib_bytes_alloc failed');
  try {
    return body(pointer, new DataView(koffiEngine.view(pointer, len)));
  } finally {
    lib.raw.mylib_bytes_free(pointer, len);
  }
}

/** `count` distinct code points from U+0080 up, skipping surrogates. */
function distinctCodePoints(count: number): string {
  const parts: string[] = [];
  for (let cp = 0x80; parts.length < count; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    parts.push(String.fromCodePoint(cp));
  }
  return parts.join('');
}

function packCandidates(words: readonly string[]): { packed: Buffer; offsets: Uint32Array } {
  const parts = words.map((word) => Buffer.from(word));
  const offsets = new Uint32Array(words.length + 1);
  let end = 0;
  parts.forEach((part, i) => {
    end += part.length;
    offsets[i + 1] = end;
  });
  return { packed: Buffer.concat(parts), offsets };
}

describe('the table on koffi (bindings/_table.ts)', () => {
  it("binds koffi's own functions: nothing between the typed layer and the call", () => {
    const info = (f: unknown) => (f as { info: { name: string; arguments: Array<{ type: { name: string } }>; result: { name: string } } }).info;
    expect(info(table.raw.mylib_add).name).toBe('mylib_add');
    expect(info(table.raw.mylib_status_name).result.name).toBe('char *'); // koffi's name for 'const char *': a string
    // The address form: every pointer parameter a uintptr_t.
    expect(info(table.addressed.mylib_get_result).arguments.map((a) => a.type.name)).toEqual([
      'uintptr_t',
      'size_t',
      'uintptr_t',
      'size_t',
      'uintptr_t',
      'uintptr_t',
      'size_t',
    ]);
  });
});

describe('status table', () => {
  it('MYLIB_ERR_OUT_OF_MEMORY is 7', () => {
    expect(Status.OUT_OF_MEMORY).toBe(7);
    expect(STATUS_NAMES[7]).toBe('MYLIB_ERR_OUT_OF_MEMORY');
  });
});

describe('misaligned arrays are rejected, never read in place', () => {
  it.each([1, 2, 4, 7])('mylib_stats with values at an address 8k + %i', (offset) => {
    withLibraryMemory(64, (address, bytes) => {
      for (let i = 0; i < 3; i++) bytes.setFloat64(offset + 8 * i, i + 1, true);
      const err = Buffer.alloc(ERR_CAP);
      const out = new Float64Array(LAYOUTS.MylibStats.size / 8);
      expect(statsAt(address + BigInt(offset), 3, out, err, ERR_CAP)).toBe(Status.INVALID_ARGUMENT);
      expect(errText(err)).toMatch(/^mylib_stats: argument 'values' is not 8-byte aligned/);
    });
  });

  it('mylib_stats at an aligned address of the same memory works', () => {
    withLibraryMemory(64, (address, bytes) => {
      for (let i = 0; i < 3; i++) bytes.setFloat64(8 + 8 * i, i + 1, true);
      const out = new Float64Array(LAYOUTS.MylibStats.size / 8);
      expect(statsAt(address + 8n, 3, out, Buffer.alloc(ERR_CAP), ERR_CAP)).toBe(Status.OK);
      expect(readStats(out).mean).toBe(2);
    });
  });

  it.each([
    ['values', 3n, 32n, /^mylib_histogram: argument 'values' is not 8-byte aligned/],
    ['bins', 0n, 42n, /^mylib_histogram: argument 'bins' is not 4-byte aligned/],
  ])('mylib_histogram with misaligned %s', (_name, valuesAt, binsAt, message) => {
    withLibraryMemory(64, (address) => {
      const err = Buffer.alloc(ERR_CAP);
      const counted = new BigUint64Array([99n]);
      expect(histogramAt(address + valuesAt, 2, 0, 1, address + binsAt, 2, counted, err, ERR_CAP)).toBe(Status.INVALID_ARGUMENT);
      expect(errText(err)).toMatch(message);
      expect(counted[0]).toBe(99n);
    });
  });
});

describe('histogram bins overlapping values are rejected', () => {
  it.each([
    ['the same start', 0],
    ['inside values', 8],
    ['the last value', 16],
  ])('bins at %s (typed arrays over one ArrayBuffer)', (_name, byteOffset) => {
    const memory = new ArrayBuffer(64);
    const values = new Float64Array(memory, 0, 3);
    values.set([0.5, 1.5, 2.5]);
    const bins = new Uint32Array(memory, byteOffset, 4);
    const before = new Uint8Array(memory).slice();
    const err = Buffer.alloc(ERR_CAP);
    const counted = new BigUint64Array([99n]);
    expect(lib.raw.mylib_histogram(values, 3, 0, 3, bins, 4, counted, err, ERR_CAP)).toBe(Status.INVALID_ARGUMENT);
    expect(errText(err)).toMatch(/^mylib_histogram: arguments 'bins' and 'values' overlap/);
    expect(new Uint8Array(memory)).toEqual(before);
    expect(counted[0]).toBe(99n);
  });

  it('adjacent (not overlapping) bins are fine', () => {
    const memory = new ArrayBuffer(64);
    const values = new Float64Array(memory, 0, 3);
    values.set([0.5, 1.5, 2.5]);
    const bins = new Uint32Array(memory, 24, 3);
    const counted = new BigUint64Array(1);
    expect(lib.raw.mylib_histogram(values, 3, 0, 3, bins, 3, counted, Buffer.alloc(ERR_CAP), ERR_CAP)).toBe(Status.OK);
    expect([...bins]).toEqual([1, 1, 1]);
    expect([...values]).toEqual([0.5, 1.5, 2.5]);
  });
});

describe('mylib_get_result refuses out_info overlapping text or out', () => {
  // Addresses, not buffers: the typed layer never produces these overlaps.
  const getResultAt = (text: bigint, textLen: number, out: bigint, outCap: number, outInfo: bigint, err: Buffer) =>
    lib.native
      .bind(
        parseFunction(
          'int32_t mylib_get_result(uintptr_t text, size_t text_len, uintptr_t out, size_t out_cap, uintptr_t out_info, uint8_t *err, size_t err_cap)',
          TABLE_SCOPE,
        ),
      )
      .call(text, textLen, out, outCap, outInfo, err, ERR_CAP) as number;

  it.each([
    // [case, text offset, text length, out offset, out capacity, out_info offset]
    ['out_info inside text', 0, 64, 128, 64, 16, /arguments 'out_info' and 'text' overlap/],
    ['out_info inside out', 0, 8, 64, 64, 80, /arguments 'out_info' and 'out' overlap/],
  ] as const)('%s: MYLIB_ERR_INVALID_ARGUMENT, nothing written', (_case, textAt, textLen, outAt, outCap, infoAt, message) => {
    withLibraryMemory(256, (base, bytes) => {
      for (let i = 0; i < 256; i++) bytes.setUint8(i, 0x61);
      const err = Buffer.alloc(ERR_CAP);
      const at = (offset: number) => base + BigInt(offset);
      expect(getResultAt(at(textAt), textLen, at(outAt), outCap, at(infoAt), err)).toBe(Status.INVALID_ARGUMENT);
      expect(errText(err)).toMatch(/^mylib_get_result: /);
      expect(errText(err)).toMatch(message);
      for (let i = 0; i < 256; i++) expect(bytes.getUint8(i)).toBe(0x61);
    });
  });

  it('out_info next to text and out (not inside) is accepted', () => {
    withLibraryMemory(256, (base, bytes) => {
      for (let i = 0; i < 64; i++) bytes.setUint8(i, 0x61);
      const err = Buffer.alloc(ERR_CAP);
      expect(getResultAt(base, 64, base + 80n, 128, base + 64n, err)).toBe(Status.OK);
      expect(Number(bytes.getBigUint64(64, true))).toBe('Rust says: '.length + 64);
    });
  });
});

describe('numeric edge cases in Rust', () => {
  it('the mean of finite values whose sum overflows is finite', () => {
    const memory = new Float64Array(LAYOUTS.MylibStats.size / 8);
    const values = new Float64Array([1.7e308, 1.7e308]);
    expect(lib.raw.mylib_stats(values, 2, memory, null, 0)).toBe(Status.OK);
    const out = readStats(memory);
    expect(out.mean).toBe(1.7e308);
    expect(out.variance).toBe(0);
  });

  it('a histogram range wider than DBL_MAX still spreads values over the bins', () => {
    const bins = new Uint32Array(3);
    const counted = new BigUint64Array(1);
    const values = new Float64Array([-1.7e308, 0, 1.7e308]);
    expect(lib.raw.mylib_histogram(values, 3, -1.7e308, 1.7e308, bins, 3, counted, null, 0)).toBe(Status.OK);
    expect([...bins]).toEqual([1, 1, 1]);
    expect(counted[0]).toBe(3n);
  });
});

describe('huge inputs cost bounded memory; failed allocations are statuses', () => {
  it('mylib_bytes_alloc(2^40) returns NULL instead of aborting', () => {
    expect(lib.raw.mylib_bytes_alloc(2 ** 40)).toBeNull();
    expect(lib.raw.mylib_bytes_alloc(Number.MAX_SAFE_INTEGER)).toBeNull();
  });

  it('a query of 1M distinct code points against a small list: mylib_closest, the index and levenshtein', () => {
    const query = Buffer.from(distinctCodePoints(1_000_000));
    const { packed, offsets } = packCandidates(['abc', '\u0080\u0081', '日本', '']);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const err = Buffer.alloc(ERR_CAP);
    const matches = new Uint32Array(2 * 4);
    const outLen = new BigUint64Array(1);
    const status = lib.raw.mylib_closest(query, query.length, packed, packed.length, offsets, 4, 0xffffffff, 0, matches, 4, outLen, null, null, err, ERR_CAP);
    expect(status, errText(err)).toBe(Status.OK);
    expect(outLen[0]).toBe(4n);
    // (index, distance) pairs: both 2-character candidates occur in the query in order.
    expect([...matches]).toEqual([1, 999_998, 2, 999_998, 0, 1_000_000, 3, 1_000_000]);

    const index = new BigUint64Array(1);
    expect(lib.raw.mylib_fuzzy_index_new(packed, packed.length, offsets, 4, index, err, ERR_CAP)).toBe(Status.OK);
    try {
      expect(lib.raw.mylib_fuzzy_index_closest(index[0] ?? null, query, query.length, 0xffffffff, 0, matches, 1, outLen, null, null, err, ERR_CAP)).toBe(
        Status.OK,
      );
      expect([matches[0], matches[1]]).toEqual([1, 999_998]);
    } finally {
      lib.raw.mylib_fuzzy_index_free(index[0] ?? null);
    }

    const distance = new BigUint64Array(1);
    const other = Buffer.from('日本');
    expect(lib.raw.mylib_levenshtein(query, query.length, other, other.length, distance, null, null, err, ERR_CAP)).toBe(Status.OK);
    expect(distance[0]).toBe(999_998n);
    // Before the fix the first call asked for ~125 GB and the process aborted. Generous bounds:
    // the mask tables of a 1M code point query take about 50 MB.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 2 ** 20);
  });
});

describe('the final progress call happens in every export with a callback', () => {
  const { packed, offsets } = packCandidates(['apple', 'apply', 'maple']);

  function run(outCap: number, viaIndex: boolean, answer = true): { status: number; calls: Array<[number, number]> } {
    const calls: Array<[number, number]> = [];
    const progress = (done: number | bigint, total: number | bigint) => {
      calls.push([Number(done), Number(total)]);
      return answer;
    };
    const query = Buffer.from('appel');
    const matches = new Uint32Array(8);
    const outLen = new BigUint64Array([77n]);
    const err = Buffer.alloc(ERR_CAP);
    if (!viaIndex) {
      const status = lib.raw.mylib_closest(
        query,
        query.length,
        packed,
        packed.length,
        offsets,
        3,
        0xffffffff,
        0,
        outCap ? matches : null,
        outCap,
        outLen,
        progress,
        null,
        err,
        ERR_CAP,
      );
      return { status, calls };
    }
    const index = new BigUint64Array(1);
    expect(lib.raw.mylib_fuzzy_index_new(packed, packed.length, offsets, 3, index, err, ERR_CAP)).toBe(Status.OK);
    try {
      const status = lib.raw.mylib_fuzzy_index_closest(
        index[0] ?? null,
        query,
        query.length,
        0xffffffff,
        0,
        outCap ? matches : null,
        outCap,
        outLen,
        progress,
        null,
        err,
        ERR_CAP,
      );
      return { status, calls };
    } finally {
      lib.raw.mylib_fuzzy_index_free(index[0] ?? null);
    }
  }

  it.each([
    ['mylib_closest', false],
    ['mylib_fuzzy_index_closest', true],
  ])('%s with out_cap 0 and 4: one final call (3, 3); false cancels', (_name, viaIndex) => {
    for (const outCap of [0, 4]) {
      expect(run(outCap, viaIndex)).toEqual({ status: Status.OK, calls: [[3, 3]] });
      expect(run(outCap, viaIndex, false)).toEqual({ status: Status.CANCELLED, calls: [[3, 3]] });
    }
  });

  it('mylib_levenshtein: one final call (done == total, text code points); false cancels, nothing written', () => {
    const a = Buffer.from('kitten');
    const b = Buffer.from('sitting');
    const err = Buffer.alloc(ERR_CAP);
    for (const answer of [true, false]) {
      const calls: Array<[number, number]> = [];
      const distance = new BigUint64Array([77n]);
      const progress = (done: number | bigint, total: number | bigint) => {
        calls.push([Number(done), Number(total)]);
        return answer;
      };
      const status = lib.raw.mylib_levenshtein(a, a.length, b, b.length, distance, progress, null, err, ERR_CAP);
      expect({ status, calls, distance: distance[0] }).toEqual(
        answer ? { status: Status.OK, calls: [[7, 7]], distance: 3n } : { status: Status.CANCELLED, calls: [[7, 7]], distance: 77n },
      );
    }
  });
});
