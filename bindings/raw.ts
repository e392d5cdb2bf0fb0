/**
 * The raw layer: ONE declaration table, written to match rustlib/ffi. Everything else is derived
 * from it: the TypeScript types of the raw functions (below, at the type level), each engine's
 * declarations (bindings/engines/), struct layouts, and the address forms. The drift check
 * (npm run check:abi) ties the table to the Rust source and the built library's symbols.
 *
 * Nothing here validates arguments; the typed layer does. Pointer arguments take TypedArrays
 * (borrowed for the call), null, or addresses in library-owned memory; raw pointers never leave
 * bindings/.
 */

import { type NamedFunction, Scope, parseDeclarations, parseFunction, parseType } from './ffi/grammar.ts';
import type { ArgsOf, HeadOf, SplitParams, Trim, Unconst } from './ffi/typed.ts';
import { type RecordType, type ScalarType as CScalar, declaration, formatType, layoutOf, scalar } from './ffi/types.ts';

/**
 * `#[repr(C)]` structs, field by field in declaration order (C types). Each engine declares them;
 * the drift check compares them with the Rust definitions (names, types, size, alignment).
 */
export const STRUCTS = {
  MylibStats: { count: 'uint64_t', mean: 'double', variance: 'double', min: 'double', max: 'double' },
  MylibMatch: { index: 'uint32_t', distance: 'uint32_t' },
  MylibTextOut: { len: 'size_t', ascii: 'uint32_t' },
} as const satisfies Record<string, Record<string, string>>;

/** Callback prototypes (Rust: `pub type Name = unsafe extern "C" fn(...)`), used as `Name *`. */
export const CALLBACKS = {
  MylibProgressFn: 'bool MylibProgressFn(uint64_t done, uint64_t total, void *user_data)',
} as const satisfies Record<string, string>;

/** Opaque handle types: Rust structs that C only sees behind a pointer (`Name *`). */
export const OPAQUES = ['MylibFuzzyIndex', 'MylibWordCounter'] as const satisfies readonly string[];

/** The C prototype of every export, keyed by symbol. The drift check reads this table. */
export const DECLARATIONS = {
  mylib_abi_version: 'uint32_t mylib_abi_version()',
  mylib_status_name: 'const char *mylib_status_name(int32_t status)',
  mylib_add: 'int32_t mylib_add(int32_t a, int32_t b)',
  mylib_debug_panic: 'int32_t mylib_debug_panic(const uint8_t *message, size_t message_len, uint8_t *err, size_t err_cap)',
  mylib_bytes_alloc: 'uint8_t *mylib_bytes_alloc(size_t len)',
  mylib_bytes_free: 'void mylib_bytes_free(uint8_t *ptr, size_t len)',
  mylib_get_result:
    'int32_t mylib_get_result(const uint8_t *text, size_t text_len, uint8_t *out, size_t out_cap, MylibTextOut *out_info, uint8_t *err, size_t err_cap)',
  mylib_count_doubles_bytes: 'int32_t mylib_count_doubles_bytes(const uint8_t *data, size_t data_len, uint64_t *out_count, uint8_t *err, size_t err_cap)',
  mylib_count_doubles_utf8: 'int32_t mylib_count_doubles_utf8(const uint8_t *text, size_t text_len, uint64_t *out_count, uint8_t *err, size_t err_cap)',
  mylib_levenshtein:
    'int32_t mylib_levenshtein(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint64_t *out_distance, MylibProgressFn *progress, void *user_data, uint8_t *err, size_t err_cap)',
  mylib_closest:
    'int32_t mylib_closest(const uint8_t *query, size_t query_len, const uint8_t *packed, size_t packed_len, const uint32_t *offsets, size_t count, uint32_t max_distance, uint32_t threads, MylibMatch *out_matches, size_t out_cap, size_t *out_len, MylibProgressFn *progress, void *user_data, uint8_t *err, size_t err_cap)',
  mylib_fuzzy_index_new:
    'int32_t mylib_fuzzy_index_new(const uint8_t *packed, size_t packed_len, const uint32_t *offsets, size_t count, MylibFuzzyIndex **out_index, uint8_t *err, size_t err_cap)',
  mylib_fuzzy_index_free: 'void mylib_fuzzy_index_free(MylibFuzzyIndex *index)',
  mylib_fuzzy_index_closest:
    'int32_t mylib_fuzzy_index_closest(const MylibFuzzyIndex *index, const uint8_t *query, size_t query_len, uint32_t max_distance, uint32_t threads, MylibMatch *out_matches, size_t out_cap, size_t *out_len, MylibProgressFn *progress, void *user_data, uint8_t *err, size_t err_cap)',
  mylib_stats: 'int32_t mylib_stats(const double *values, size_t len, MylibStats *out_stats, uint8_t *err, size_t err_cap)',
  mylib_histogram:
    'int32_t mylib_histogram(const double *values, size_t len, double min, double max, uint32_t *bins, size_t bin_count, uint64_t *out_counted, uint8_t *err, size_t err_cap)',
  mylib_word_counter_new: 'int32_t mylib_word_counter_new(bool lowercase, MylibWordCounter **out_counter, uint8_t *err, size_t err_cap)',
  mylib_word_counter_free: 'void mylib_word_counter_free(MylibWordCounter *counter)',
  mylib_word_counter_feed: 'int32_t mylib_word_counter_feed(MylibWordCounter *counter, const uint8_t *chunk, size_t chunk_len, uint8_t *err, size_t err_cap)',
  mylib_word_counter_top:
    'int32_t mylib_word_counter_top(const MylibWordCounter *counter, size_t k, uint8_t **out_text, size_t *out_len, uint8_t *err, size_t err_cap)',
} as const;

export type SymbolName = keyof typeof DECLARATIONS;

/** Numeric constants of the C API, generated from the Rust `pub const`s (`npm run gen`); the drift check compares them too. */
export { CONSTANTS } from './abi.generated.ts';

/** Status codes, as numbered in rustlib/ffi/status.rs (`Status`; the drift check compares both). */
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

/** `MYLIB_OK`, `MYLIB_ERR_NULL_ARGUMENT`, ...: the C names of the statuses. */
export type StatusName = 'MYLIB_OK' | `MYLIB_ERR_${Exclude<keyof typeof Status, 'OK'>}`;

export const STATUS_NAMES = Object.fromEntries(Object.entries(Status).map(([name, code]) => [code, `MYLIB_${code === 0 ? '' : 'ERR_'}${name}`])) as Record<
  number,
  StatusName
>;

// ---------------------------------------------------------------------------------------------
// Types derived from the table. A parameter's C type decides what the typed layer passes:

/** An address inside library-owned memory (mylib_bytes_alloc), as a Number (below 2^53 on 64-bit hosts). */
export type Address = number;
/** A native pointer the library returned (a handle, library-owned memory). Never handed to users. */
export type Pointer = bigint;
/** `uint8_t *`: memory the library reads or writes during one call, or library-owned memory. */
export type Bytes = Uint8Array | Address | Pointer | null;
/** `uint64_t *` / `size_t *` / `T **`: a one-element out-param for a 64-bit value or a pointer. */
export type U64Out = BigUint64Array | Address;
/** A `#[repr(C)]` struct out-param: caller memory of the struct's size (see LAYOUTS). */
export type StructOut = Uint8Array | Float64Array | BigUint64Array | Uint32Array | Address;
/** A progress callback: return false to cancel. The third argument (`user_data`) is what was passed next to it: null from JS. */
export type ProgressFn = (done: number | bigint, total: number | bigint, userData?: unknown) => boolean;

type BaseOf<P extends string> = Trim<Unconst<P> extends `${infer Base}*${string}` ? Base : never>;
type Opaque = (typeof OPAQUES)[number];

/** The TypeScript type passed for one C parameter declaration (`const uint8_t *text`). */
type ParamType<P extends string> = P extends `${string}**${string}`
  ? U64Out
  : P extends `${string}*${string}`
    ? PointeeType<BaseOf<P>>
    : ScalarType<Unconst<P> extends `${infer T} ${string}` ? T : P>;
type PointeeType<Base extends string> = Base extends 'uint8_t'
  ? Bytes
  : Base extends 'void'
    ? Bytes
    : Base extends 'double'
      ? Float64Array | null
      : Base extends 'uint32_t' | 'MylibMatch'
        ? Uint32Array | null
        : Base extends 'uint64_t' | 'size_t' | 'MylibTextOut'
          ? U64Out
          : Base extends keyof typeof STRUCTS
            ? StructOut
            : Base extends keyof typeof CALLBACKS
              ? ProgressFn | null
              : Base extends Opaque
                ? Pointer | null
                : never;
type ScalarType<T extends string> = T extends 'bool'
  ? boolean
  : T extends 'uint64_t' | 'int64_t'
    ? number | bigint
    : T extends 'int32_t' | 'uint32_t' | 'size_t' | 'double' | 'float'
      ? number
      : never;
type ResultType<Head extends string> = Head extends `${string}char *${string}`
  ? string
  : Head extends `${string}*${string}`
    ? Pointer | null
    : Head extends `void ${string}`
      ? void
      : number;

type MapParams<T> = T extends [infer Head extends string, ...infer Rest] ? [ParamType<Head>, ...MapParams<Rest>] : [];
type AsNumbers<T> = T extends [unknown, ...infer Rest] ? [number, ...AsNumbers<Rest>] : [];
type ParamsOf<P extends string> = MapParams<SplitParams<ArgsOf<P>>>;

/** A raw function as every engine presents it: a synchronous call with the table's C types. */
export type RawFunction<P extends string> = (...args: ParamsOf<P>) => ResultType<HeadOf<P>>;

/** Every export of DECLARATIONS, typed from its prototype (nothing typed twice). */
export type RawFunctions = { [K in SymbolName]: RawFunction<(typeof DECLARATIONS)[K]> };

// ---------------------------------------------------------------------------------------------
// The table read by the grammar of mylib-rust/ffi: one Scope with the table's types, and the
// parsed prototype of every export. Engines bind these; the header and the drift check read them.

/** The table's tables, as the drift check also reads them from fixtures. */
export interface TypeTables {
  STRUCTS: Readonly<Record<string, Readonly<Record<string, string>>>>;
  CALLBACKS: Readonly<Record<string, string>>;
  OPAQUES: readonly string[];
}

/**
 * A Scope holding the table's opaque types, callback types and structs (in that order, so that a
 * struct field may point to either). `report` receives each entry that cannot be read (default:
 * throw); the scope keeps the others.
 */
export function tableScope(
  tables: TypeTables = { STRUCTS, CALLBACKS, OPAQUES },
  report: (subject: string, error: Error) => void = (subject, error) => {
    throw new Error(`mylib: ${subject}: ${error.message}`);
  },
): Scope {
  const scope = new Scope();
  for (const name of tables.OPAQUES) {
    try {
      parseDeclarations(`typedef struct ${name} ${name};`, scope);
    } catch (error) {
      report(`OPAQUES ${name}`, error as Error);
    }
  }
  for (const [name, prototype] of Object.entries(tables.CALLBACKS)) {
    try {
      parseDeclarations(`typedef ${prototype};`, scope);
    } catch (error) {
      report(`CALLBACKS.${name}`, error as Error);
    }
  }
  for (const [name, fields] of Object.entries(tables.STRUCTS)) {
    const record: RecordType = { kind: 'struct', name, typedefName: name, fields: undefined };
    try {
      record.fields = Object.entries(fields).map(([field, type]) => ({ name: field, type: parseType(type, scope) }));
      scope.tags.set(`struct ${name}`, record);
      scope.typedefs.set(name, record);
    } catch (error) {
      report(`STRUCTS.${name}`, error as Error);
    }
  }
  return scope;
}

/** The table's types. */
export const TABLE_SCOPE: Scope = tableScope();

/** The parsed prototype of every export. */
export const FUNCTIONS: Readonly<Record<SymbolName, NamedFunction>> = Object.fromEntries(
  Object.entries(DECLARATIONS).map(([name, prototype]) => [name, parseFunction(prototype, TABLE_SCOPE)]),
) as Record<SymbolName, NamedFunction>;

export interface Layout {
  size: number;
  alignment: number;
  members: Record<string, { offset: number; type: string }>;
}

/** Size, alignment and field offsets of every struct in STRUCTS (the host's C rules, types.ts). */
export const LAYOUTS: Readonly<Record<keyof typeof STRUCTS, Layout>> = Object.fromEntries(
  Object.keys(STRUCTS).map((name) => {
    const layout = layoutOf(TABLE_SCOPE.type(name) as RecordType);
    const members = Object.fromEntries(layout.fields.map((f) => [f.name, { offset: f.offset, type: formatType(f.type) }]));
    return [name, { size: layout.size, alignment: layout.alignment, members }];
  }),
) as Record<keyof typeof STRUCTS, Layout>;

// ---------------------------------------------------------------------------------------------

/**
 * The text-out shape: one UTF-8 input, the result written into the caller's buffer `out` with its
 * length in `*out_info` (Rust: `text_out` in rustlib/ffi). Exports of this shape need no code of
 * their own in the typed layer beyond `Mylib#textOut`.
 */
const TEXT_OUT_PARAMS = ['const uint8_t *', 'size_t', 'uint8_t *out', 'size_t out_cap', 'MylibTextOut *out_info', 'uint8_t *err', 'size_t err_cap'];

/** The text-out shape, read from the parsed prototype: one text and its length, then the fixed tail. */
function isTextOut(fn: NamedFunction): boolean {
  if (formatType(fn.result) !== 'int32_t' || fn.params.length !== TEXT_OUT_PARAMS.length) return false;
  return fn.params.every((p, i) => declaration(p.type, i < 2 ? '' : (p.name ?? '')) === TEXT_OUT_PARAMS[i]);
}
type IsTextOut<P extends string> =
  P extends `int32_t ${string}(const uint8_t *${infer Text}, size_t ${infer Length}, uint8_t *out, size_t out_cap, MylibTextOut *out_info, uint8_t *err, size_t err_cap)`
    ? `${Text}${Length}` extends `${string},${string}` | `${string} ${string}`
      ? false
      : true
    : false;

/** The exports of the text-out shape, derived from their prototypes (as isTextOut does at run time). */
export type TextOutSymbol = { [K in SymbolName]: IsTextOut<(typeof DECLARATIONS)[K]> extends true ? K : never }[SymbolName];

/**
 * Functions the typed layer also calls with addresses in its library-owned scratch block: the
 * text-out exports. Their address form is DERIVED from DECLARATIONS (every pointer parameter
 * becomes `uintptr_t`): koffi converts a Number for a `uintptr_t` faster than for a typed pointer
 * (measured ~130 ns less per 7-argument call).
 */
export const ADDRESS_FORMS = (Object.keys(DECLARATIONS) as SymbolName[]).filter((name) => isTextOut(FUNCTIONS[name])) as TextOutSymbol[];

export type AddressFunctions = {
  [K in TextOutSymbol]: (...args: AsNumbers<ParamsOf<(typeof DECLARATIONS)[K]>>) => number;
};

/** The address form of a function: every pointer parameter becomes `uintptr_t`. */
export function addressForm(fn: NamedFunction): NamedFunction {
  const address = scalar('uintptr_t') as CScalar;
  return { ...fn, params: fn.params.map((p) => (p.type.kind === 'pointer' ? { name: p.name, type: address } : p)) };
}

/** `int32_t f(const uint8_t *a, size_t n)` -> `int32_t f(uintptr_t a, size_t n)`. */
export function addressPrototype(prototype: string): string {
  const fn = addressForm(parseFunction(prototype, TABLE_SCOPE));
  return declaration(fn, fn.name);
}
