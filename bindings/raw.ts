/**
 * The raw layer: ONE declaration table of koffi prototypes, written to match rustlib/ffi.
 * Nothing here validates arguments; the typed layer (index.ts) does. Pointer arguments take
 * Buffers/TypedArrays (borrowed for the call) or null; raw pointers never leave this layer.
 */
import type { LibraryHandle } from 'koffi';

/** The C prototype of every export, keyed by symbol. The drift check reads this table. */
export const DECLARATIONS = {
  mylib_abi_version: 'uint32_t mylib_abi_version()',
  mylib_debug_panic: 'int32_t mylib_debug_panic(const uint8_t *message, size_t message_len, uint8_t *err, size_t err_cap)',
  mylib_bytes_alloc: 'uint8_t *mylib_bytes_alloc(size_t len)',
  mylib_bytes_free: 'void mylib_bytes_free(uint8_t *ptr, size_t len)',
  mylib_get_result:
    'int32_t mylib_get_result(const uint8_t *text, size_t text_len, uint8_t *out, size_t out_cap, size_t *out_len, uint8_t *err, size_t err_cap)',
  mylib_count_doubles_bytes:
    'int32_t mylib_count_doubles_bytes(const uint8_t *data, size_t data_len, uint64_t *out_count, uint8_t *err, size_t err_cap)',
  mylib_count_doubles_utf8:
    'int32_t mylib_count_doubles_utf8(const uint8_t *text, size_t text_len, uint64_t *out_count, uint8_t *err, size_t err_cap)',
} as const;

export type SymbolName = keyof typeof DECLARATIONS;

/** Memory the library reads or writes during one call. */
export type Bytes = Uint8Array | null;
/** A one-element out-param for a 64-bit unsigned value (size_t or uint64_t on 64-bit hosts). */
export type U64Out = BigUint64Array;

/** A koffi function: synchronous call plus `.async` on a worker thread. */
type Native<Args extends unknown[], R> = ((...args: Args) => R) & {
  async(...args: [...Args, (error: unknown, result: R) => void]): void;
};

/** Hand-typed TypeScript view of DECLARATIONS (the drift check ties both to the Rust code). */
export interface RawFunctions {
  mylib_abi_version: Native<[], number>;
  mylib_debug_panic: Native<[message: Bytes, messageLen: number, err: Bytes, errCap: number], number>;
  /** Returns a library-owned pointer (BigInt); free it with mylib_bytes_free. */
  mylib_bytes_alloc: Native<[len: number], bigint | null>;
  mylib_bytes_free: Native<[ptr: bigint | null, len: number], void>;
  mylib_get_result: Native<
    [text: Bytes, textLen: number, out: Bytes, outCap: number, outLen: U64Out, err: Bytes, errCap: number],
    number
  >;
  mylib_count_doubles_bytes: Native<[data: Bytes, dataLen: number, outCount: U64Out, err: Bytes, errCap: number], number>;
  mylib_count_doubles_utf8: Native<[text: Bytes, textLen: number, outCount: U64Out, err: Bytes, errCap: number], number>;
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
} as const;

export const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Status).map(([name, code]) => [code, `MYLIB_${code === 0 ? '' : 'ERR_'}${name}`]),
);

/** Declares every function of the table on `lib`. Throws if a symbol is missing. */
export function declareAll(lib: LibraryHandle): RawFunctions {
  const functions: Record<string, unknown> = {};
  for (const [name, prototype] of Object.entries(DECLARATIONS)) {
    functions[name] = lib.func(prototype);
  }
  return functions as unknown as RawFunctions;
}
