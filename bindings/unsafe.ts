/**
 * `mylib-rust/unsafe`: the raw layer, for benchmarks, experiments and tests; not the typed API.
 *
 * - `rawFunctions(lib)`: every export of the declaration table, called through the FFI engine with
 *   no argument checks. Pointers are BigInts, out-params are TypedArrays the caller sizes
 *   (LAYOUTS), errors are statuses (Status) plus a message in a caller buffer. A wrong length,
 *   a freed handle or a too-small buffer corrupts memory or crashes the process.
 * - `add`: one call across the boundary and nothing else (what the benchmarks measure).
 * - `debugPanic`: a Rust function that panics; shows that a panic comes back as a MylibError.
 *
 * Every type the raw functions use is exported here, so a caller can name them. Nothing here is
 * needed to use the library: `mylib-rust` is the API.
 */
import { contextOf } from './_context.ts';
import { checkArgumentCount, checkInt32, checkString } from './_checks.ts';
import { ERR_CAP, check } from './errors.ts';
import { library } from './index.ts';
import type { Mylib } from './library.ts';
import type { RawFunctions } from './raw.ts';

export {
  CALLBACKS,
  CONSTANTS,
  DECLARATIONS,
  LAYOUTS,
  OPAQUES,
  STATUS_NAMES,
  STRUCTS,
  Status,
  type Address,
  type Bytes,
  type Layout,
  type Pointer,
  type ProgressFn,
  type RawFunction,
  type RawFunctions,
  type StatusName,
  type StructOut,
  type SymbolName,
  type U64Out,
} from './raw.ts';

/** The probes and raw functions of one library instance. */
export interface UnsafeAccess {
  /** The library instance this object reaches into. */
  readonly library: Mylib;
  /**
   * The raw functions of the engine in use, typed from the declaration table. After
   * `library.unload()` they throw instead of calling into the unmapped file.
   */
  readonly raw: RawFunctions;
  /** Returns `a + b` (32-bit, wrapping): one call across the boundary, for measuring. */
  add(a: number, b: number): number;
  /** Calls a Rust function that panics with `message`: the panic comes back as a MylibError (MYLIB_ERR_PANIC). */
  debugPanic(message: string): never;
}

/** The probes and raw functions of `lib` (default: the module's default library, see library()). */
export function unsafeAccess(lib: Mylib = library()): UnsafeAccess {
  checkArgumentCount('unsafeAccess', 'library?', arguments.length, 0, 1);
  const context = contextOf('unsafeAccess', lib);
  return {
    library: lib,
    get raw() {
      return context.raw;
    },
    add(a: number, b: number): number {
      checkArgumentCount('add', 'a, b', arguments.length, 2);
      checkInt32('add', 'a', a);
      checkInt32('add', 'b', b);
      return context.raw.mylib_add(a, b);
    },
    debugPanic(message: string): never {
      checkArgumentCount('debugPanic', 'message', arguments.length, 1);
      checkString('debugPanic', 'message', message);
      const [bytes, length] = context.encode(message);
      check(context.raw.mylib_debug_panic(bytes, length, context.sync.err, ERR_CAP), context.sync.err);
      throw new Error('debugPanic: the library returned without panicking');
    },
  };
}

/** The raw functions of `lib` (default: the default library); same as `unsafeAccess(lib).raw`. */
export function rawFunctions(lib: Mylib = library()): RawFunctions {
  checkArgumentCount('rawFunctions', 'library?', arguments.length, 0, 1);
  return contextOf('rawFunctions', lib).raw;
}

/** unsafeAccess() of the default library, kept while library() returns the same instance. */
let cached: UnsafeAccess | undefined;
function defaultAccess(): UnsafeAccess {
  const lib = library();
  if (cached?.library !== lib) cached = unsafeAccess(lib);
  return cached;
}

/**
 * The raw functions of the default library `add` last called into, while that instance is
 * loaded: its unload() clears them (load() unloads the previous default), so the hot path tests
 * only that they are there. A property of a const object, not a module `let`: Bun's JIT read the
 * lets more slowly.
 */
const addBinding: { raw: RawFunctions | undefined } = { raw: undefined };

/** `a + b` (32-bit, wrapping) on the default library: one call across the boundary, for measuring. */
export function add(a: number, b: number): number;
export function add(a: number, b: number, ...excess: unknown[]): number {
  // Hot path: a bound, loaded instance, two int32s and no more arguments; only `excess.length`
  // is read, so engines need not allocate the rest array. Anything else takes the checked
  // method, which reports what is wrong.
  const raw = addBinding.raw;
  if (raw !== undefined && excess.length === 0 && (a | 0) === a && (b | 0) === b) return raw.mylib_add(a, b);
  return addCold(a, b, excess.length);
}

/**
 * The checked call, then binds library() while loaded. It gets the arguments as far as fixed
 * parameters tell: `excess` more as placeholders, or trailing undefined ones dropped (reported as
 * missing), so it reports a wrong count.
 */
function addCold(a: number, b: number, excess: number): number {
  const access = defaultAccess();
  const given = excess > 0 ? [a, b, ...Array(excess)] : b !== undefined ? [a, b] : a !== undefined ? [a] : [];
  const sum = Reflect.apply(access.add, access, given) as number;
  const lib = access.library;
  if (addBinding.raw === undefined && lib.loaded) {
    const context = contextOf('add', lib);
    addBinding.raw = context.raw;
    context.onUnload(() => {
      addBinding.raw = undefined;
    });
  }
  return sum;
}

/** Calls a Rust function in the default library that panics with `message`; throws the MylibError. */
export function debugPanic(message: string): never;
export function debugPanic(message: string, ...excess: unknown[]): never {
  const access = defaultAccess();
  const given = excess.length > 0 ? [message, ...Array(excess.length)] : message !== undefined ? [message] : [];
  return Reflect.apply(access.debugPanic, access, given) as never;
}
