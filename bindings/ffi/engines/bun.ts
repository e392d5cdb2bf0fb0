/**
 * The bun:ffi engine: Bun's own FFI, the default on Bun. Every declaration is derived from the
 * table (bindings/raw.ts, parsePrototype); nothing is typed twice. bun:ffi is loaded on first
 * use and only on Bun: importing this module elsewhere registers a thunk that throws.
 *
 * Conventions at the boundary (engine.ts, EngineLibrary):
 * - Data pointers are declared `ptr`. bun:ffi itself accepts a TypedArray/Buffer (from its
 *   byteOffset), null, a Number address, and a BigInt address for them.
 * - Opaque handles arrive as BigInt Pointers and are converted to Numbers here; pointer results
 *   come back from bun:ffi as Numbers (or null) and leave here as BigInt Pointers.
 * - `uint64_t`/`size_t` results use bun:ffi's `u64_fast` (a Number below 2^53).
 * - Callback parameters are declared `ptr`: the JS function becomes a JSCallback for the call
 *   and is closed when the call returns (`FFIType.function` refuses NULL).
 * - bun:ffi has no async call. callAsync runs the call on a Worker of the pool (_pool.ts) that
 *   dlopens the same file and receives the ADDRESSES of the main thread's buffers (memory is
 *   process-wide; the pending call keeps the arrays alive until it settles). A progress callback
 *   during an async call runs on the main thread: the worker's JSCallback posts a message and
 *   blocks in Atomics.wait on a SharedArrayBuffer until the main thread's message handler answers.
 */
import { createRequire } from 'node:module';
import { type Engine, type EngineLibrary, type OpenedLibrary, registerEngine } from '../engine.ts';
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
// The parts of bun:ffi used here (@types/bun is not a dependency).

type FFITypeId = number;
interface BunSymbolDefinition {
  args: FFITypeId[];
  returns: FFITypeId;
}
interface BunLibrary {
  symbols: Record<string, (...args: unknown[]) => unknown>;
  close(): void;
}
interface BunJSCallback {
  readonly ptr: number | null;
  close(): void;
}
interface BunFfi {
  dlopen(path: string, symbols: Record<string, BunSymbolDefinition>): BunLibrary;
  FFIType: Record<string, FFITypeId>;
  ptr(view: ArrayBufferView | ArrayBufferLike, byteOffset?: number): number;
  toArrayBuffer(pointer: number, byteOffset: number, byteLength: number): ArrayBuffer;
  JSCallback: new (fn: (...args: never[]) => unknown, definition: BunSymbolDefinition) => BunJSCallback;
}

let bunFfi: BunFfi | undefined;

/** bun:ffi, or an Error when this process does not run on Bun. */
function loadBunFfi(): BunFfi {
  if (bunFfi) return bunFfi;
  if ((globalThis as { Bun?: unknown }).Bun === undefined) throw new Error('engine bun:ffi needs Bun');
  bunFfi = createRequire(import.meta.url)('bun:ffi') as BunFfi;
  return bunFfi;
}

// ---------------------------------------------------------------------------------------------
// Declarations derived from the table.

/** What crosses the boundary for one parameter or result. */
type Kind = 'scalar' | 'data' | 'handle' | 'callback' | 'u64' | 'string';

interface Signature {
  definition: BunSymbolDefinition;
  params: Kind[];
  result: Kind;
  /** For each callback parameter: its JSCallback definition. */
  callbacks: Array<BunSymbolDefinition | undefined>;
}

const SCALARS: Record<string, string> = {
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
  bool: 'bool',
  void: 'void',
};
const WIDE = new Set(['int64_t', 'uint64_t', 'size_t', 'uintptr_t']);

function scalarType(ffi: BunFfi, base: string, where: string): FFITypeId {
  const name = SCALARS[base];
  if (name === undefined) throw new Error(`mylib: bun:ffi has no type for C type '${base}' in ${where}`);
  return ffi.FFIType[name]!;
}

function paramKind(param: ParsedParam): Kind {
  if (param.pointers === 0) return 'scalar';
  if (param.pointers === 1 && param.base in CALLBACKS) return 'callback';
  if (param.pointers === 1 && (OPAQUES as readonly string[]).includes(param.base)) return 'handle';
  return 'data';
}

function signatureOf(ffi: BunFfi, prototype: string): Signature {
  const parsed = parsePrototype(prototype);
  const { FFIType } = ffi;
  const params = parsed.params.map(paramKind);
  const args = parsed.params.map((param) => (param.pointers > 0 ? FFIType.ptr! : scalarType(ffi, param.base, prototype)));
  const callbacks = parsed.params.map((param, i) => {
    if (params[i] !== 'callback') return undefined;
    const callback = parsePrototype(CALLBACKS[param.base as keyof typeof CALLBACKS]);
    return {
      args: callback.params.map((p) => (p.pointers > 0 ? FFIType.ptr! : scalarType(ffi, p.base, callback.name))),
      returns: callback.result.pointers > 0 ? FFIType.ptr! : scalarType(ffi, callback.result.base, callback.name),
    };
  });
  const { result: head } = parsed;
  let returns: FFITypeId;
  let result: Kind = 'scalar';
  if (isStringResult(head)) {
    // A CString (a String subclass); presented as a plain string.
    returns = FFIType.cstring!;
    result = 'string';
  } else if (head.pointers > 0) {
    returns = FFIType.ptr!;
    result = 'handle';
  } else if (WIDE.has(head.base)) {
    // `_fast`: a Number when the value fits in 2^53, as the neutral convention asks.
    returns = head.base === 'int64_t' ? FFIType.i64_fast! : FFIType.u64_fast!;
    result = 'u64';
  } else {
    returns = scalarType(ffi, head.base, prototype);
  }
  return { definition: { args, returns }, params, result, callbacks };
}

/** Every symbol of the table as bun:ffi definitions. */
function signatures(ffi: BunFfi): Record<string, Signature> {
  const table: Record<string, Signature> = {};
  for (const [name, prototype] of Object.entries(DECLARATIONS)) table[name] = signatureOf(ffi, prototype);
  return table;
}

function definitions(table: Record<string, Signature>): Record<string, BunSymbolDefinition> {
  return Object.fromEntries(Object.entries(table).map(([name, signature]) => [name, signature.definition]));
}

const toPointer = (value: unknown): Pointer | null => (value === null || value === 0 ? null : BigInt(value as number));
const toAddress = (value: unknown): unknown => (typeof value === 'bigint' ? Number(value) : value);

/**
 * `symbol` in the neutral convention. Functions whose parameters and result need no conversion
 * are bun:ffi's own function (nothing between the caller and the native call).
 */
function present(ffi: BunFfi, symbol: (...args: unknown[]) => unknown, signature: Signature): (...args: unknown[]) => unknown {
  const { params, result, callbacks } = signature;
  const convertsArgs = params.some((kind) => kind === 'handle' || kind === 'callback');
  const convertsResult = result === 'handle' || result === 'string';
  if (!convertsArgs && !convertsResult) return symbol;
  const wrapResult = result === 'handle' ? toPointer : result === 'string' ? String : (value: unknown) => value;
  if (!convertsArgs) return (...args: unknown[]) => wrapResult(symbol(...args));
  return (...args: unknown[]) => {
    const made: BunJSCallback[] = [];
    try {
      for (let i = 0; i < params.length; i++) {
        const kind = params[i];
        if (kind === 'handle') args[i] = toAddress(args[i]);
        else if (kind === 'callback' && typeof args[i] === 'function') {
          const callback = new ffi.JSCallback(args[i] as (...a: never[]) => unknown, callbacks[i]!);
          made.push(callback);
          args[i] = callback.ptr;
        }
      }
      return wrapResult(symbol(...args));
    } finally {
      // The library calls progress only during the call: the callback dies with it.
      for (const callback of made) callback.close();
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Async calls: the worker pool of _pool.ts, each worker with its own dlopen of the same file.

/** Workers per loaded library at most; further calls queue in order. */
const MAX_WORKERS = 4;

/** The worker's bun:ffi part (plain JavaScript, see WorkerLibrary in _pool.ts): data is WorkerData. */
const WORKER_LIBRARY = `(data) => {
  const ffi = require('bun:ffi');
  const library = ffi.dlopen(data.path, data.definitions);
  return {
    call: (name, args) => library.symbols[name](...args),
    callback(name, index, answer) {
      const callback = new ffi.JSCallback((...values) => answer(...values) === 1, data.callbacks[name][index]);
      return { pointer: callback.ptr, close: () => callback.close() };
    },
    close: () => library.close(),
  };
}`;

interface WorkerData {
  path: string;
  definitions: Record<string, BunSymbolDefinition>;
  /** Per symbol, each parameter's JSCallback definition (callback parameters only). */
  callbacks: Record<string, Array<BunSymbolDefinition | undefined>>;
}

function workerPool(path: string, table: Record<string, Signature>): WorkerPool {
  const data: WorkerData = {
    path,
    definitions: definitions(table),
    callbacks: Object.fromEntries(Object.entries(table).map(([name, signature]) => [name, signature.callbacks])),
  };
  return new WorkerPool({
    size: MAX_WORKERS,
    workerLibrary: WORKER_LIBRARY,
    data,
    messages: {
      unloaded: (name) => new Error(`mylib: bun:ffi: ${name} was called after unload`),
      cancelled: (name) => new Error(`mylib: bun:ffi: ${name} was cancelled by unload`),
      interrupted: (name) => new Error(`mylib: bun:ffi: ${name} was interrupted by unload`),
      exited: () => new Error('mylib: bun:ffi: the async worker exited'),
      loadFailed: (error) => new Error(`mylib: bun:ffi: the async worker could not load ${path}: ${(error as Error).message}`),
    },
  });
}

/**
 * One async call for the pool: arrays become their addresses (kept alive by the pool), handles
 * Numbers. A progress callback's answer is false (cancel) when it returns false or throws; the
 * typed layer records the exception itself.
 */
function poolCall(ffi: BunFfi, name: SymbolName, signature: Signature, args: readonly unknown[]): PoolCall {
  const keep: unknown[] = [];
  const callbacks: number[] = [];
  const functions = new Map<number, (...values: unknown[]) => unknown>();
  const sent = args.map((arg, i) => {
    const kind = signature.params[i];
    if (kind === 'callback') {
      if (typeof arg === 'function') {
        callbacks.push(i);
        functions.set(i, arg as (...values: unknown[]) => unknown);
      }
      return null;
    }
    if (kind === 'scalar') return arg;
    if (arg === null || arg === undefined) return null;
    if (typeof arg === 'bigint') return Number(arg);
    if (typeof arg === 'number') return arg;
    if (ArrayBuffer.isView(arg)) {
      keep.push(arg);
      // ptr() refuses empty views; the library accepts NULL for a zero length.
      return arg.byteLength === 0 ? null : ffi.ptr(arg);
    }
    throw new TypeError(`mylib: bun:ffi: ${name} argument ${i} must be a TypedArray, an address or null`);
  });
  const { result } = signature;
  return {
    args: sent,
    callbacks,
    keep,
    // A throw answers 0 too (_pool.ts).
    progress: (index, values) => (functions.get(index)!(...values) !== false ? 1 : 0),
    result: result === 'handle' ? toPointer : result === 'string' ? String : undefined,
    // The worker's message, as an Error made on this thread.
    error: (error) => new Error((error as Error).message),
  };
}

// ---------------------------------------------------------------------------------------------

function declare(path: string, ffi: BunFfi): EngineLibrary {
  const table = signatures(ffi);
  // Throws `Symbol "name" not found in "path"` for a missing export.
  const library = ffi.dlopen(path, definitions(table));
  const raw: Record<string, unknown> = {};
  for (const [name, signature] of Object.entries(table)) raw[name] = present(ffi, library.symbols[name]!, signature);
  // The address forms are the table's own functions: a `ptr` parameter takes a Number address
  // as it is, and converts it faster than a `u64` one (addressPrototype's `uintptr_t`): 25 vs
  // 32-36 ns for mylib_get_result's 7 arguments, measured on Bun 1.4.4.
  const addressed: Record<string, unknown> = {};
  for (const name of ADDRESS_FORMS) addressed[name] = raw[name];
  const pool = workerPool(path, table);
  return {
    engine: 'bun:ffi',
    raw: raw as RawFunctions,
    addressed: addressed as AddressFunctions,
    callAsync: (name, args) => pool.call(name, () => poolCall(ffi, name, table[name]!, args)),
    view: (pointer, length) => ffi.toArrayBuffer(Number(pointer), 0, length),
    unload: () => {
      pool.close();
      library.close();
    },
  };
}

export const bunEngine: Engine = {
  name: 'bun:ffi',
  open(path: string): OpenedLibrary {
    const ffi = loadBunFfi();
    const version = parsePrototype(DECLARATIONS.mylib_abi_version);
    // Only the handshake symbol: an old library fails on its version, not on a missing symbol.
    const handshake = ffi.dlopen(path, {
      mylib_abi_version: { args: [], returns: scalarType(ffi, version.result.base, DECLARATIONS.mylib_abi_version) },
    });
    let open = true;
    const close = () => {
      if (open) handshake.close();
      open = false;
    };
    return {
      abiVersion: () => handshake.symbols.mylib_abi_version!() as number,
      declare: () => {
        const library = declare(path, ffi);
        // The full declaration holds its own dlopen reference: the handshake's is no longer needed.
        close();
        return library;
      },
      unload: close,
    };
  },
};

/** Makes the engine selectable (called by the loader). */
export function registerBunEngine(): void {
  registerEngine('bun:ffi', () => {
    loadBunFfi();
    return bunEngine;
  });
}
