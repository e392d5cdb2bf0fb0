/**
 * The node:ffi engine (Node >= 26.1, experimental): opt-in with `open({ engine: 'node:ffi' })` or
 * MYLIB_FFI_ENGINE=node:ffi. node:ffi is required on first use, so importing this module on an
 * older Node costs nothing and fails nothing; choosing the engine there throws a clear Error.
 *
 * What node:ffi does not do the way the engine convention (bindings/engine.ts) says, and how this
 * engine bridges it (all measured on Node 26.10):
 * - `uint64`/`size_t` arguments must be BigInts, `bool` arguments numbers, and integer
 *   parameters refuse -0: converted here.
 * - pointer arguments take a TypedArray, ArrayBuffer, Buffer, BigInt or null, not a Number: an
 *   Address (Number) becomes a BigInt. A NULL pointer result comes back as 0n: returned as null.
 * - a callback must return exactly its declared type (`bool` is a number) and must not throw
 *   (either aborts the process): the JS function is wrapped, its exception is caught, the call
 *   sees 0 (cancel) and the exception is rethrown once the call has returned.
 * - one signature per symbol per DynamicLibrary: the address forms reuse the table's functions
 *   (a pointer parameter takes a BigInt address), no second declaration is needed.
 * - no async call: callAsync runs the call on a worker thread (the pool of _pool.ts).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { type Engine, type EngineLibrary, type OpenedLibrary, currentRuntime, registerEngine } from '../engine.ts';
import {
  ADDRESS_FORMS,
  type AddressFunctions,
  CALLBACKS,
  DECLARATIONS,
  OPAQUES,
  type ParsedParam,
  type Pointer,
  type RawFunctions,
  type SymbolName,
  isStringResult,
  parsePrototype,
} from '../raw.ts';
import { type PoolCall, WorkerPool } from './_pool.ts';

// ---------------------------------------------------------------------------------------------
// The part of node:ffi this engine uses (local: @types/node 20 has no node:ffi).

/** A node:ffi signature: type names such as `i32`, `u64`, `pointer`, `bool`, `void`. */
interface FfiSignature {
  arguments: string[];
  return: string;
}
type FfiFunction = (...args: unknown[]) => unknown;
interface FfiLibrary {
  getFunction(name: string, signature: FfiSignature): FfiFunction;
  /** Returns the C function pointer of a new callback; it runs on this thread only. */
  registerCallback(signature: FfiSignature, callback: (...args: unknown[]) => unknown): bigint;
  unregisterCallback(pointer: bigint): void;
  close(): void;
}
interface NodeFfi {
  DynamicLibrary: new (path: string) => FfiLibrary;
  /** The address of a buffer's first byte (byteOffset included); 0n when it is empty. */
  getRawPointer(source: ArrayBufferView | ArrayBuffer): bigint;
  /** `copy = false`: a view of native memory, no copy. */
  toArrayBuffer(pointer: bigint, length: number, copy?: boolean): ArrayBuffer;
  /** The NUL-terminated UTF-8 string at `pointer`. */
  toString(pointer: bigint): string;
}

/** The first Node with node:ffi. */
const MINIMUM = [26, 1] as const;
let nodeFfi: NodeFfi | undefined;

/** node:ffi, or an Error saying why this runtime cannot provide it. */
function loadNodeFfi(): NodeFfi {
  if (nodeFfi) return nodeFfi;
  const runtime = currentRuntime();
  const version = process.versions.node ?? 'unknown';
  const here = runtime === 'node' ? `Node ${version}` : `${runtime === 'bun' ? 'Bun' : 'Deno'} (Node compatibility ${version})`;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const needs = `mylib: engine node:ffi needs Node >= ${MINIMUM.join('.')} (this is ${here})`;
  if (runtime !== 'node' || major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1])) throw new Error(needs);
  try {
    nodeFfi = createRequire(import.meta.url)('node:ffi') as NodeFfi;
  } catch (error) {
    // Node >= 26.1 without the module: built without libffi, or started with --no-experimental-ffi.
    throw new Error(`${needs.replace(/ \(this is .*\)$/, '')} with node:ffi enabled; ${here} cannot load it: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return nodeFfi;
}

// ---------------------------------------------------------------------------------------------
// Types and conversions, derived from the declaration table.

/** C scalar types -> node:ffi type names (64-bit hosts: `size_t` is `u64`, as LAYOUTS assumes). */
const SCALARS: Record<string, string> = {
  void: 'void',
  bool: 'bool',
  int8_t: 'i8',
  uint8_t: 'u8',
  int16_t: 'i16',
  uint16_t: 'u16',
  int32_t: 'i32',
  uint32_t: 'u32',
  int64_t: 'i64',
  uint64_t: 'u64',
  size_t: 'u64',
  uintptr_t: 'u64',
  float: 'f32',
  double: 'f64',
};

/** How one parameter crosses: by node:ffi as is, or converted first. */
type ParamKind = 'as-is' | 'int' | 'bigint' | 'bool' | 'pointer' | 'callback';

function ffiType(param: ParsedParam, where: string): string {
  if (param.pointers > 0) return 'pointer';
  const type = SCALARS[param.base];
  if (type === undefined) throw new Error(`mylib: node:ffi engine has no type for '${param.base}' in ${where}`);
  return type;
}

function kindOf(param: ParsedParam, where: string): ParamKind {
  if (param.pointers === 1 && param.base in CALLBACKS) return 'callback';
  if (param.pointers > 0) return (OPAQUES as readonly string[]).includes(param.base) && param.pointers === 1 ? 'as-is' : 'pointer';
  const type = ffiType(param, where);
  if (type === 'u64' || type === 'i64') return 'bigint';
  if (/^[iu](8|16|32)$/.test(type)) return 'int';
  return type === 'bool' ? 'bool' : 'as-is';
}

/** A callback prototype: its node:ffi signature and how a JS result becomes the declared type. */
interface CallbackType {
  signature: FfiSignature;
  /** The value the C caller sees for a JS result (and 0 when the JS function threw). */
  toNative(value: unknown): unknown;
}

function callbackType(base: string): CallbackType {
  const prototype = CALLBACKS[base as keyof typeof CALLBACKS];
  const parsed = parsePrototype(prototype);
  const signature = { arguments: parsed.params.map((p) => ffiType(p, prototype)), return: ffiType(parsed.result, prototype) };
  const result = signature.return;
  // Async callbacks answer through an Int32 slot (see WorkerPool): only these result types fit.
  if (!['bool', 'void', 'i8', 'u8', 'i16', 'u16', 'i32'].includes(result)) {
    throw new Error(`mylib: node:ffi engine cannot return '${parsed.result.base}' from callback ${base}`);
  }
  const toNative = result === 'bool' ? (value: unknown) => (value ? 1 : 0) : result === 'void' ? () => undefined : (value: unknown) => Number(value) | 0;
  return { signature, toNative };
}

/** One function of the table, as node:ffi declares it and as the engine converts its arguments. */
interface Declaration {
  name: SymbolName;
  signature: FfiSignature;
  kinds: ParamKind[];
  /** The callback type of each `callback` parameter, by index. */
  callbacks: Map<number, CallbackType>;
  pointerResult: boolean;
  boolResult: boolean;
  /** A `const char *` result, read as a string. */
  stringResult: boolean;
}

function declarationOf(name: SymbolName): Declaration {
  const prototype = DECLARATIONS[name];
  const parsed = parsePrototype(prototype);
  const callbacks = new Map<number, CallbackType>();
  parsed.params.forEach((param, index) => {
    if (kindOf(param, prototype) === 'callback') callbacks.set(index, callbackType(param.base));
  });
  return {
    name,
    signature: { arguments: parsed.params.map((p) => ffiType(p, prototype)), return: ffiType(parsed.result, prototype) },
    kinds: parsed.params.map((p) => kindOf(p, prototype)),
    callbacks,
    pointerResult: parsed.result.pointers > 0,
    boolResult: parsed.result.pointers === 0 && parsed.result.base === 'bool',
    stringResult: isStringResult(parsed.result),
  };
}

const toBigInt = (value: unknown) => (typeof value === 'number' ? BigInt(value) : value);
const toBool = (value: unknown) => (value ? 1 : 0);
/** node:ffi refuses -0 as an integer ("must be an int32"); the typed layer's checks accept it. */
const toInt = (value: unknown) => (value === 0 ? 0 : value);

/** The synchronous function: node:ffi's, with the conversions its parameters and result need. */
function wrap(library: FfiLibrary, native: FfiFunction, declaration: Declaration, ffi: NodeFfi): FfiFunction {
  // A pointer parameter gets a BigInt for an Address; TypedArrays, BigInts and null pass as is.
  const converters = declaration.kinds.map((kind) =>
    kind === 'bigint' || kind === 'pointer' ? toBigInt : kind === 'bool' ? toBool : kind === 'int' ? toInt : same,
  );
  const { pointerResult, boolResult, stringResult } = declaration;
  const result = stringResult
    ? (value: unknown) => ffi.toString(value as bigint)
    : pointerResult
      ? nullPointer
      : boolResult
        ? (value: unknown) => value !== 0
        : same;
  const call = converting(native, converters, result);
  if (declaration.callbacks.size === 0) return call;
  const withoutCallbacks = call;
  // A JS function becomes a C callback for this call only; a throw inside it would abort the
  // process, so it is caught, the C caller sees 0 (bool: cancel) and the call rethrows it.
  return (...args: unknown[]) => {
    const registered: bigint[] = [];
    let thrown: { error: unknown } | undefined;
    try {
      for (const [index, type] of declaration.callbacks) {
        const fn = args[index];
        if (typeof fn !== 'function') continue;
        const pointer = library.registerCallback(type.signature, (...values: unknown[]) => {
          if (thrown) return type.toNative(0);
          try {
            return type.toNative((fn as (...a: unknown[]) => unknown)(...values));
          } catch (error) {
            thrown = { error };
            return type.toNative(0);
          }
        });
        registered.push(pointer);
        args[index] = pointer;
      }
      const result = withoutCallbacks(...args);
      if (thrown) throw thrown.error;
      return result;
    } finally {
      for (const pointer of registered) library.unregisterCallback(pointer);
    }
  };
}

function nullPointer(value: unknown): unknown {
  return value === 0n ? null : value;
}

type Convert = (value: unknown) => unknown;
const same: Convert = (value) => value;

/**
 * `native` with its arguments and result converted. Fixed-arity closures up to 9 parameters: a
 * rest-parameter wrapper cost ~100 ns more per 7-argument call (Node 26.10); `same` is inlined.
 */
function converting(native: FfiFunction, converters: Convert[], result: Convert): FfiFunction {
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
      return (...args: unknown[]) => r(native(...args.map((value, index) => converters[index]!(value))));
  }
}

// ---------------------------------------------------------------------------------------------
// Async calls: node:ffi has none, so they run on the worker pool (_pool.ts). Buffers cross as raw
// addresses; the pool keeps the caller's arguments alive until the call settles.

/** The worker's node:ffi part (plain JavaScript, see WorkerLibrary in _pool.ts): data is WorkerData. */
const WORKER_LIBRARY = `(data) => {
  const ffi = require('node:ffi');
  const library = new ffi.DynamicLibrary(data.path);
  const functions = new Map();
  return {
    call(name, args) {
      let fn = functions.get(name);
      if (fn === undefined) functions.set(name, (fn = library.getFunction(name, data.signatures[name])));
      return fn(...args);
    },
    callback(name, index, answer) {
      const pointer = library.registerCallback(data.callbacks[name][index], answer);
      return { pointer, close: () => library.unregisterCallback(pointer) };
    },
    close: () => library.close(),
  };
}`;

interface WorkerData {
  path: string;
  signatures: Record<string, FfiSignature>;
  /** The signature of each callback parameter, by symbol and index. */
  callbacks: Record<string, Record<number, FfiSignature>>;
}

/** Workers per library: async calls beyond this wait in order (the typed layer admits 128). */
const POOL_SIZE = Math.max(1, Math.min(4, availableParallelism()));

function workerPool(path: string, declarations: Map<SymbolName, Declaration>): WorkerPool {
  const data: WorkerData = { path, signatures: {}, callbacks: {} };
  for (const [name, declaration] of declarations) {
    data.signatures[name] = declaration.signature;
    data.callbacks[name] = Object.fromEntries([...declaration.callbacks].map(([index, type]) => [index, type.signature]));
  }
  const unloaded = (name: string) => new Error(`mylib: ${name}: the library was unloaded`);
  return new WorkerPool({
    size: POOL_SIZE,
    workerLibrary: WORKER_LIBRARY,
    data,
    // Each worker's require('node:ffi') would print the ExperimentalWarning again; the main
    // thread's own load already printed it once.
    execArgv: ['--disable-warning=ExperimentalWarning'],
    messages: {
      unloaded,
      cancelled: unloaded,
      exited: (code) => new Error(`mylib: node:ffi worker exited with code ${code}`),
      loadFailed: (error) => error,
    },
  });
}

/**
 * One async call for the pool: arguments converted as the synchronous wrappers do, TypedArrays
 * as their addresses. A callback that throws answers 0 (cancel), later ones are not called, and
 * the call rejects with the exception instead of settling with the worker's answer.
 */
function poolCall(declaration: Declaration, callerArgs: readonly unknown[], ffi: NodeFfi): PoolCall {
  const callbacks: number[] = [];
  const functions = new Map<number, (...values: unknown[]) => unknown>();
  const args = declaration.kinds.map((kind, index) => {
    const value = callerArgs[index];
    switch (kind) {
      case 'pointer':
        if (value === null || value === undefined) return 0n;
        if (typeof value === 'bigint') return value;
        if (typeof value === 'number') return BigInt(value);
        // Reading .buffer moves a small on-heap TypedArray's bytes off the V8 heap, where GC
        // never moves them (getRawPointer's address also stayed put across GC on 26.10).
        void (value as ArrayBufferView).buffer;
        return ffi.getRawPointer(value as ArrayBufferView);
      case 'callback':
        if (typeof value === 'function') {
          callbacks.push(index);
          functions.set(index, value as (...values: unknown[]) => unknown);
        }
        return 0n;
      case 'bigint':
        return toBigInt(value);
      case 'bool':
        return toBool(value);
      case 'int':
        return toInt(value);
      default:
        return value === null ? 0n : value;
    }
  });
  let thrown: { error: unknown } | undefined;
  return {
    args,
    callbacks,
    keep: callerArgs,
    progress: (index, values) => {
      if (thrown) return 0;
      try {
        return declaration.callbacks.get(index)!.toNative(functions.get(index)!(...values)) as number;
      } catch (error) {
        thrown = { error };
        return 0;
      }
    },
    result: (value) => {
      if (thrown) throw thrown.error;
      if (declaration.stringResult) return ffi.toString(value as bigint);
      if (declaration.pointerResult) return nullPointer(value);
      return declaration.boolResult ? value !== 0 : value;
    },
    error: (error) => (thrown ? thrown.error : error),
  };
}

// ---------------------------------------------------------------------------------------------

function declare(path: string, library: FfiLibrary, ffi: NodeFfi): EngineLibrary {
  const declarations = new Map<SymbolName, Declaration>();
  const functions: Record<string, FfiFunction> = {};
  for (const name of Object.keys(DECLARATIONS) as SymbolName[]) {
    const declaration = declarationOf(name);
    let native: FfiFunction;
    try {
      native = library.getFunction(name, declaration.signature);
    } catch (error) {
      throw new Error(`mylib: node:ffi cannot declare ${name}: ${(error as Error).message}`, { cause: error });
    }
    declarations.set(name, declaration);
    functions[name] = wrap(library, native, declaration, ffi);
  }
  // An address form is the same function: its pointer parameters already take Number addresses
  // (a second handle declaring the `uintptr_t` form measured no faster on Node 26.10).
  const addressed: Record<string, FfiFunction> = {};
  for (const name of ADDRESS_FORMS) addressed[name] = functions[name]!;
  const pool = workerPool(path, declarations);
  return {
    engine: 'node:ffi',
    raw: functions as unknown as RawFunctions,
    addressed: addressed as unknown as AddressFunctions,
    callAsync: (name, args) => pool.call(name, () => poolCall(declarations.get(name)!, args, ffi)),
    view: (pointer: Pointer, length: number) => ffi.toArrayBuffer(pointer, length, false),
    unload: () => {
      pool.close();
      library.close();
    },
  };
}

export const nodeFfiEngine: Engine = {
  name: 'node:ffi',
  open(path: string): OpenedLibrary {
    const ffi = loadNodeFfi();
    const library = new ffi.DynamicLibrary(path);
    return {
      abiVersion: () => {
        const { signature } = declarationOf('mylib_abi_version');
        return library.getFunction('mylib_abi_version', signature)() as number;
      },
      declare: () => declare(path, library, ffi),
      unload: () => library.close(),
    };
  },
};

/** Makes the engine selectable (called by the loader). */
export function registerNodeEngine(): void {
  registerEngine('node:ffi', () => {
    loadNodeFfi();
    return nodeFfiEngine;
  });
}
