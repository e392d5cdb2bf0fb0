/**
 * The raw layer: ONE declaration table of koffi prototypes, written to match rustlib/ffi.
 * Nothing here validates arguments; the typed layer (index.ts) does. Pointer arguments take
 * Buffers/TypedArrays (borrowed for the call) or null; raw pointers never leave this layer.
 */
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';

/**
 * `#[repr(C)]` structs, field by field in declaration order (C types). Registered with koffi
 * below; the drift check compares them with the Rust definitions (names, types, size, alignment).
 */
export const STRUCTS = {
  MylibStats: { count: 'uint64_t', mean: 'double', variance: 'double', min: 'double', max: 'double' },
  MylibMatch: { index: 'uint32_t', distance: 'uint32_t' },
  MylibTextOut: { len: 'size_t', ascii: 'uint32_t' },
} as const satisfies Record<string, Record<string, string>>;

/** Callback prototypes (Rust: `pub type Name = unsafe extern "C" fn(...)`), used as `Name *`. */
export const CALLBACKS = {
  MylibProgressFn: 'bool MylibProgressFn(uint64_t done, uint64_t total)',
} as const satisfies Record<string, string>;

/** Opaque handle types: Rust structs that C only sees behind a pointer (`Name *`). */
export const OPAQUES = ['MylibFuzzyIndex', 'MylibWordCounter'] as const satisfies readonly string[];

/** koffi TypeObjects of STRUCTS, CALLBACKS and OPAQUES by name (registered once per process). */
export const TYPES: Record<string, TypeObject> = {};
for (const name of OPAQUES as readonly string[]) TYPES[name] = koffi.opaque(name);
for (const [name, fields] of Object.entries(STRUCTS as Record<string, Record<string, string>>)) {
  TYPES[name] = koffi.struct(name, fields);
}
for (const prototype of Object.values(CALLBACKS as Record<string, string>)) {
  const type = koffi.proto(prototype);
  TYPES[koffi.type(type).name] = type;
}

/** The C prototype of every export, keyed by symbol. The drift check reads this table. */
export const DECLARATIONS = {
  mylib_abi_version: 'uint32_t mylib_abi_version()',
  mylib_add: 'int32_t mylib_add(int32_t a, int32_t b)',
  mylib_debug_panic: 'int32_t mylib_debug_panic(const uint8_t *message, size_t message_len, uint8_t *err, size_t err_cap)',
  mylib_bytes_alloc: 'uint8_t *mylib_bytes_alloc(size_t len)',
  mylib_bytes_free: 'void mylib_bytes_free(uint8_t *ptr, size_t len)',
  mylib_get_result:
    'int32_t mylib_get_result(const uint8_t *text, size_t text_len, uint8_t *out, size_t out_cap, MylibTextOut *out_info, uint8_t *err, size_t err_cap)',
  mylib_count_doubles_bytes:
    'int32_t mylib_count_doubles_bytes(const uint8_t *data, size_t data_len, uint64_t *out_count, uint8_t *err, size_t err_cap)',
  mylib_count_doubles_utf8:
    'int32_t mylib_count_doubles_utf8(const uint8_t *text, size_t text_len, uint64_t *out_count, uint8_t *err, size_t err_cap)',
  mylib_levenshtein:
    'int32_t mylib_levenshtein(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint64_t *out_distance, uint8_t *err, size_t err_cap)',
  mylib_closest:
    'int32_t mylib_closest(const uint8_t *query, size_t query_len, const uint8_t *packed, size_t packed_len, const uint32_t *offsets, size_t count, uint32_t max_distance, MylibMatch *out_matches, size_t out_cap, size_t *out_len, MylibProgressFn *progress, uint8_t *err, size_t err_cap)',
  mylib_fuzzy_index_new:
    'int32_t mylib_fuzzy_index_new(const uint8_t *packed, size_t packed_len, const uint32_t *offsets, size_t count, MylibFuzzyIndex **out_index, uint8_t *err, size_t err_cap)',
  mylib_fuzzy_index_free: 'void mylib_fuzzy_index_free(MylibFuzzyIndex *index)',
  mylib_fuzzy_index_closest:
    'int32_t mylib_fuzzy_index_closest(const MylibFuzzyIndex *index, const uint8_t *query, size_t query_len, uint32_t max_distance, MylibMatch *out_matches, size_t out_cap, size_t *out_len, MylibProgressFn *progress, uint8_t *err, size_t err_cap)',
  mylib_stats: 'int32_t mylib_stats(const double *values, size_t len, _Out_ MylibStats *out_stats, uint8_t *err, size_t err_cap)',
  mylib_histogram:
    'int32_t mylib_histogram(const double *values, size_t len, double min, double max, uint32_t *bins, size_t bin_count, uint64_t *out_counted, uint8_t *err, size_t err_cap)',
  mylib_word_counter_new: 'int32_t mylib_word_counter_new(bool lowercase, MylibWordCounter **out_counter, uint8_t *err, size_t err_cap)',
  mylib_word_counter_free: 'void mylib_word_counter_free(MylibWordCounter *counter)',
  mylib_word_counter_feed:
    'int32_t mylib_word_counter_feed(MylibWordCounter *counter, const uint8_t *chunk, size_t chunk_len, uint8_t *err, size_t err_cap)',
  mylib_word_counter_top:
    'int32_t mylib_word_counter_top(const MylibWordCounter *counter, size_t k, uint8_t **out_text, size_t *out_len, uint8_t *err, size_t err_cap)',
} as const;

export type SymbolName = keyof typeof DECLARATIONS;

/**
 * An address inside library-owned memory (mylib_bytes_alloc), as a Number. Used only inside the
 * typed layer for its scratch block: koffi passes a Number to a pointer parameter without the
 * per-call work it does for a Buffer. User-space addresses on 64-bit hosts are below 2^53.
 */
export type Address = number;
/** Memory the library reads or writes during one call. */
export type Bytes = Uint8Array | Address | null;
/** A one-element out-param for a 64-bit unsigned value (size_t or uint64_t on 64-bit hosts). */
export type U64Out = BigUint64Array | Address;
/** A MylibTextOut out-param ({len: size_t, ascii: uint32_t}: 16 bytes on 64-bit hosts), read as two u64. */
export type TextOut = BigUint64Array | Address;

/** A native pointer as koffi 3 represents it. Never handed to users. */
export type Pointer = bigint;
/** A progress callback: return false to cancel. */
export type ProgressFn = (done: number | bigint, total: number | bigint) => boolean;
export interface StatsOut {
  count?: number | bigint;
  mean?: number;
  variance?: number;
  min?: number;
  max?: number;
}

/** A koffi function: synchronous call plus `.async` on a worker thread. */
type Native<Args extends unknown[], R> = ((...args: Args) => R) & {
  async(...args: [...Args, (error: unknown, result: R) => void]): void;
};

/** Hand-typed TypeScript view of DECLARATIONS (the drift check ties both to the Rust code). */
export interface RawFunctions {
  mylib_abi_version: Native<[], number>;
  mylib_add: Native<[a: number, b: number], number>;
  mylib_debug_panic: Native<[message: Bytes, messageLen: number, err: Bytes, errCap: number], number>;
  /** Returns a library-owned pointer (BigInt); free it with mylib_bytes_free. */
  mylib_bytes_alloc: Native<[len: number], bigint | null>;
  mylib_bytes_free: Native<[ptr: bigint | null, len: number], void>;
  mylib_get_result: Native<
    [text: Bytes, textLen: number, out: Bytes, outCap: number, outInfo: TextOut, err: Bytes, errCap: number],
    number
  >;
  mylib_count_doubles_bytes: Native<[data: Bytes, dataLen: number, outCount: U64Out, err: Bytes, errCap: number], number>;
  mylib_count_doubles_utf8: Native<[text: Bytes, textLen: number, outCount: U64Out, err: Bytes, errCap: number], number>;
  mylib_levenshtein: Native<
    [a: Bytes, aLen: number, b: Bytes, bLen: number, outDistance: U64Out, err: Bytes, errCap: number],
    number
  >;
  mylib_closest: Native<
    [
      query: Bytes,
      queryLen: number,
      packed: Bytes,
      packedLen: number,
      offsets: Uint32Array | null,
      count: number,
      maxDistance: number,
      outMatches: Uint32Array | null,
      outCap: number,
      outLen: U64Out,
      progress: ProgressFn | null,
      err: Bytes,
      errCap: number,
    ],
    number
  >;
  mylib_fuzzy_index_new: Native<
    [packed: Bytes, packedLen: number, offsets: Uint32Array | null, count: number, outIndex: U64Out, err: Bytes, errCap: number],
    number
  >;
  mylib_fuzzy_index_free: Native<[index: Pointer | null], void>;
  mylib_fuzzy_index_closest: Native<
    [
      index: Pointer | null,
      query: Bytes,
      queryLen: number,
      maxDistance: number,
      outMatches: Uint32Array | null,
      outCap: number,
      outLen: U64Out,
      progress: ProgressFn | null,
      err: Bytes,
      errCap: number,
    ],
    number
  >;
  mylib_stats: Native<[values: Float64Array | null, len: number, outStats: StatsOut, err: Bytes, errCap: number], number>;
  mylib_histogram: Native<
    [
      values: Float64Array | null,
      len: number,
      min: number,
      max: number,
      bins: Uint32Array | null,
      binCount: number,
      outCounted: U64Out,
      err: Bytes,
      errCap: number,
    ],
    number
  >;
  mylib_word_counter_new: Native<[lowercase: boolean, outCounter: U64Out, err: Bytes, errCap: number], number>;
  mylib_word_counter_free: Native<[counter: Pointer | null], void>;
  mylib_word_counter_feed: Native<[counter: Pointer | null, chunk: Bytes, chunkLen: number, err: Bytes, errCap: number], number>;
  mylib_word_counter_top: Native<
    [counter: Pointer | null, k: number, outText: U64Out, outLen: U64Out, err: Bytes, errCap: number],
    number
  >;
}

/** Status codes, as numbered in rustlib/ffi/mod.rs (`Status`). */
export const Status = {
  OK: 0,
  NULL_ARGUMENT: 1,
  INVALID_ARGUMENT: 2,
  INVALID_UTF8: 3,
  BUFFER_TOO_SMALL: 4,
  CANCELLED: 5,
  PANIC: 6,
  OUT_OF_MEMORY: 7,
} as const;

export const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Status).map(([name, code]) => [code, `MYLIB_${code === 0 ? '' : 'ERR_'}${name}`]),
);

/**
 * Functions the typed layer also calls with addresses in its library-owned scratch block.
 * Their address form is DERIVED from DECLARATIONS (every pointer parameter becomes
 * `uintptr_t`), so there is still one hand-typed table: koffi converts a Number for a
 * `uintptr_t` faster than for a typed pointer (measured ~130 ns less per 7-argument call).
 */
export const ADDRESS_FORMS = ['mylib_get_result'] as const;

export type AddressFunctions = {
  [K in (typeof ADDRESS_FORMS)[number]]: (...args: number[]) => number;
};

/** `int32_t f(const uint8_t *a, size_t n)` -> `int32_t f(uintptr_t a, size_t n)`. */
export function addressPrototype(prototype: string): string {
  const open = prototype.indexOf('(');
  const close = prototype.lastIndexOf(')');
  const parameters = prototype
    .slice(open + 1, close)
    .split(',')
    .map((parameter) => {
      const star = parameter.lastIndexOf('*');
      return star === -1 ? parameter.trim() : `uintptr_t ${parameter.slice(star + 1).trim()}`;
    });
  return `${prototype.slice(0, open)}(${parameters.join(', ')})`;
}

/** Declares the address forms of ADDRESS_FORMS on `lib`. */
export function declareAddressForms(lib: LibraryHandle): AddressFunctions {
  const functions: Record<string, unknown> = {};
  for (const name of ADDRESS_FORMS) functions[name] = lib.func(addressPrototype(DECLARATIONS[name]));
  return functions as AddressFunctions;
}

/** Declares every function of the table on `lib`. Throws if a symbol is missing. */
export function declareAll(lib: LibraryHandle): RawFunctions {
  const functions: Record<string, unknown> = {};
  for (const [name, prototype] of Object.entries(DECLARATIONS)) {
    functions[name] = lib.func(prototype);
  }
  return functions as unknown as RawFunctions;
}
