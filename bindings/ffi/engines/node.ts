/**
 * The node:ffi engine (Node >= 26.1, experimental): opt-in with `open({ engine: 'node:ffi' })` or
 * MYLIB_FFI_ENGINE=node:ffi. node:ffi is required on first use, so importing this module on an
 * older Node costs nothing and fails nothing; choosing the engine there throws a clear Error.
 *
 * One mapping from the vocabulary to node:ffi's type names (`codeOf`), used for functions,
 * callbacks and the pool's worker definitions alike: scalars by size, sign and kind (`i32`,
 * `u64`, `f64`, `bool`), pointers `pointer`, a `const char *` parameter `string`, a small integer
 * record by value the unsigned integer of its size (_lowering.ts).
 *
 * What node:ffi does not do the way the convention (engine.ts) says, and how this engine bridges
 * it (measured on Node 26.10):
 * - 64-bit arguments must be BigInts, `bool` arguments numbers, and integer parameters refuse -0:
 *   converted here. 64-bit results are BigInts: a Number when safe. `bool` results are numbers.
 * - pointer arguments take a TypedArray, ArrayBuffer, Buffer, BigInt or null, not a Number: a
 *   Number address becomes a BigInt. A NULL pointer result is 0n: returned as null.
 * - a callback must return exactly its declared type and must not throw (either aborts the
 *   process): the JS function is wrapped, its exception is caught, the C caller sees 0 and the
 *   call rethrows the exception once it has returned. A callback runs only on the thread that
 *   registered it: `foreignThreadCallbacks` is refused.
 * - one signature per symbol per DynamicLibrary: a second signature for the same symbol gets its
 *   own DynamicLibrary of the same file.
 * - functions are bound by exported name only. `bindAddress` finds the name with the C library's
 *   `dladdr` and checks that this name resolves to that very address; a function pointer that is
 *   not an exported symbol (a static function, an IFUNC's implementation, a JIT'ed stub) is
 *   refused with an Error naming node:ffi.
 * - no async call: callAsync runs the call on a worker thread (the pool of _pool.ts) that opens
 *   the same file and binds the same definition.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { type Convert, type LoweredRecord, argumentName, type CallState, converting, lowered, refusal, same, wideResult, withCallbacks } from '../_lowering.ts';
import { type BindOptions, type BoundFunction, type Engine, type NativeLibrary, currentRuntime, registerEngine } from '../engine.ts';
import { type FunctionType, type Passing, type ScalarType, passing } from '../types.ts';
import type { NodeWorkerData } from './_node-worker.ts';
import { type PoolAddresses, type PoolFunction, WorkerPool, preparePoolCall, workerModule } from './_pool.ts';

// ---------------------------------------------------------------------------------------------
// The part of node:ffi this engine uses (local: @types/node 20 has no node:ffi).

/** A node:ffi type name (`i32`, `u64`, `pointer`, ...). */
type Code = string;
/** A node:ffi signature. In 26.10 the keys are `arguments`/`return` (others are ignored). */
interface FfiSignature {
  arguments: Code[];
  return: Code;
}
type FfiFunction = (...args: unknown[]) => unknown;
export interface FfiLibrary {
  getFunction(name: string, signature: FfiSignature): FfiFunction;
  getSymbol(name: string): bigint;
  /** Returns the C function pointer of a new callback; it runs on this thread only. */
  registerCallback(signature: FfiSignature, callback: (...args: unknown[]) => unknown): bigint;
  unregisterCallback(pointer: bigint): void;
  close(): void;
}
export interface NodeFfi {
  DynamicLibrary: new (path: string | null) => FfiLibrary;
  /** The address of a buffer's first byte (byteOffset included); 0n when it is empty. */
  getRawPointer(source: ArrayBufferView | ArrayBuffer): bigint;
  /** `copy = false`: a view of native memory, no copy. */
  toArrayBuffer(pointer: bigint, length: number, copy?: boolean): ArrayBuffer;
  /** The NUL-terminated UTF-8 string at `pointer`; null for 0n. */
  toString(pointer: bigint): string | null;
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
// THE mapping from the vocabulary to node:ffi types, and the conversions each type needs.

function scalarCode(type: ScalarType): Code {
  if (type.name === 'bool') return 'bool';
  if (type.float) return type.size === 4 ? 'f32' : 'f64';
  return `${type.signed ? 'i' : 'u'}${type.size * 8}`;
}

/** The node:ffi type of what crosses as `p`; `fnParam`: a bound function's parameter. */
function codeOf(p: Passing, fnParam: boolean, record?: LoweredRecord): Code {
  switch (p.as) {
    case 'void':
      return 'void';
    case 'number':
    case 'wide':
      return scalarCode(p.scalar);
    case 'bool':
      return 'bool';
    case 'string':
      // node:ffi copies a JS string to NUL-terminated UTF-8 for the call.
      return fnParam ? 'string' : 'pointer';
    case 'pointer':
    case 'handle':
    case 'callback':
      return 'pointer';
    case 'record':
      return scalarCode((record as LoweredRecord).scalar);
  }
}

const toBigInt: Convert = (value) => (typeof value === 'number' ? BigInt(value) : value);
const toBool: Convert = (value) => (value ? 1 : 0);
/** node:ffi refuses -0 as an integer ("must be an int32"). */
const toInt: Convert = (value) => (value === 0 ? 0 : value);
const nullPointer: Convert = (value) => (value === 0n ? null : value);
const isTrue: Convert = (value) => value !== 0;

/** A JS value as exactly the node:ffi type `code` (what a callback must return). */
function exactly(code: Code): Convert {
  switch (code) {
    case 'void':
      return () => undefined;
    case 'bool':
      return toBool;
    case 'i8':
      return (value) => (Number(value) << 24) >> 24;
    case 'u8':
      return (value) => Number(value) & 0xff;
    case 'i16':
      return (value) => (Number(value) << 16) >> 16;
    case 'u16':
      return (value) => Number(value) & 0xffff;
    case 'i32':
      return (value) => Number(value) | 0;
    case 'u32':
      return (value) => Number(value) >>> 0;
    case 'f32':
    case 'f64':
      return Number;
    case 'i64':
    case 'u64':
    case 'pointer': {
      const signed = code === 'i64';
      return (value) => {
        const big = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
        return signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
      };
    }
    default:
      throw new Error(`mylib: node:ffi engine: no conversion to '${code}'`);
  }
}

// ---------------------------------------------------------------------------------------------
// Callbacks: one plan per callback type, for the sync registerCallback and the worker's alike.

interface CallbackPlan {
  signature: FfiSignature;
  /** The JS function as the callback's body; a throw is kept in `state`, the C caller sees 0. */
  body(fn: (...args: unknown[]) => unknown, state: CallState): (...raw: unknown[]) => unknown;
}

function callbackPlan(ffi: NodeFfi, owner: FunctionType, index: number, fn: FunctionType): CallbackPlan {
  const where = `the callback ${argumentName(owner, index)}`;
  const records = fn.params.map((param, i) => {
    const p = passing(param.type, 'param');
    return p.as === 'record' ? lowered(owner, 'node:ffi', p.record, `${where}'s parameter ${i}`) : undefined;
  });
  const fromNative = fn.params.map((param, i): Convert => {
    const p = passing(param.type, 'param');
    switch (p.as) {
      case 'bool':
        return isTrue;
      case 'wide':
        return wideResult;
      case 'string':
        return (value) => ffi.toString(value as bigint);
      case 'pointer':
      case 'handle':
      case 'callback':
        return nullPointer;
      case 'record':
        return (value) => records[i]!.decode(value as number | bigint);
      default:
        return same;
    }
  });
  const result = passing(fn.result, 'result');
  if (result.as === 'string') {
    throw refusal(owner, 'node:ffi', `${where} returns const char *`, 'a string made by a JS callback would not outlive it');
  }
  const record = result.as === 'record' ? lowered(owner, 'node:ffi', result.record, `${where}'s result`) : undefined;
  const signature: FfiSignature = {
    arguments: fn.params.map((param, i) => codeOf(passing(param.type, 'param'), false, records[i])),
    return: codeOf(result, false, record),
  };
  const exact = exactly(signature.return);
  const toNative: Convert = record ? (value) => exact(record.encode(value, `${where}'s result`)) : exact;
  const zero = exact(0);
  return {
    signature,
    body:
      (js, state) =>
      (...raw) => {
        if (state.thrown) return zero;
        try {
          return toNative(js(...raw.map((value, i) => fromNative[i]!(value))));
        } catch (error) {
          state.thrown = { error };
          return zero;
        }
      },
  };
}

// ---------------------------------------------------------------------------------------------
// Functions.

interface ParamPlan {
  passing: Passing;
  sync: Convert;
  callback?: CallbackPlan;
}

interface FunctionPlan {
  signature: FfiSignature;
  params: ParamPlan[];
  result: Convert;
}

function planOf(ffi: NodeFfi, type: FunctionType, options: BindOptions): FunctionPlan {
  const records: Array<LoweredRecord | undefined> = [];
  const params = type.params.map((param, index): ParamPlan => {
    const where = argumentName(type, index);
    const p = passing(param.type, 'param');
    switch (p.as) {
      case 'number':
        return { passing: p, sync: p.scalar.float ? same : toInt };
      case 'wide':
        return { passing: p, sync: toBigInt };
      case 'bool':
        return { passing: p, sync: toBool };
      case 'string':
        return {
          passing: p,
          sync: (value) => {
            if (typeof value === 'string' && value.includes('\0')) {
              throw new TypeError(`${where} must not contain U+0000 (a C string ends at its first NUL)`);
            }
            return toBigInt(value);
          },
        };
      case 'pointer':
      case 'handle':
        return { passing: p, sync: toBigInt };
      case 'callback':
        if (options.foreignThreadCallbacks) {
          throw refusal(type, 'node:ffi', `callbacks from foreign threads (${where})`, 'node:ffi runs a callback only on the thread that registered it');
        }
        return { passing: p, sync: toBigInt, callback: callbackPlan(ffi, type, index, p.fn) };
      case 'record': {
        const record = lowered(type, 'node:ffi', p.record, `parameter ${index}`);
        records[index] = record;
        return { passing: p, sync: (value) => record.encode(value, where) };
      }
      default:
        return { passing: p, sync: same };
    }
  });
  const r = passing(type.result, 'result');
  const record = r.as === 'record' ? lowered(type, 'node:ffi', r.record, 'the result') : undefined;
  const result: Convert =
    r.as === 'string'
      ? (value) => ffi.toString(value as bigint)
      : r.as === 'pointer' || r.as === 'handle' || r.as === 'callback'
        ? nullPointer
        : r.as === 'bool'
          ? isTrue
          : r.as === 'wide'
            ? wideResult
            : record
              ? (value) => record.decode(value as bigint)
              : same;
  // A string result is read by this engine: node:ffi sees a pointer.
  const returns = r.as === 'string' ? 'pointer' : codeOf(r, false, record);
  return { signature: { arguments: params.map((param, i) => codeOf(param.passing, true, records[i])), return: returns }, params, result };
}

/** The synchronous function: node:ffi's, with the conversions its parameters and result need. */
function syncCall(library: FfiLibrary, native: FfiFunction, plan: FunctionPlan): FfiFunction {
  const call = converting(
    native,
    plan.params.map((param) => param.sync),
    plan.result,
  );
  const callbacks = plan.params.flatMap((param, index) => (param.callback ? [{ index, body: param.callback.body, signature: param.callback.signature }] : []));
  return withCallbacks(call, callbacks, (callback, body) => {
    const pointer = library.registerCallback(callback.signature, body);
    return { pointer, release: () => library.unregisterCallback(pointer) };
  }) as FfiFunction;
}

// ---------------------------------------------------------------------------------------------
// Async calls: node:ffi has none, so they run on the worker pool (_pool.ts). Buffers cross as raw
// addresses; the pool keeps the caller's arguments alive until the call settles.

/** What a worker (_node-worker.ts) binds. */
export interface WorkerDefinition {
  /** The file whose export `name` is (this library's path, or dladdr's file for bindAddress). */
  file: string;
  name: string;
  signature: FfiSignature;
  /** The signature of each callback parameter, by index. */
  callbacks: Record<number, FfiSignature>;
}

/** Workers per library: async calls beyond this wait in order (the typed layer admits 128). */
const POOL_SIZE = Math.max(1, Math.min(4, availableParallelism()));

function workerPool(path: string): WorkerPool {
  const unloaded = (name: string) => new Error(`mylib: ${name}: the library was unloaded`);
  return new WorkerPool({
    size: POOL_SIZE,
    worker: workerModule('_node-worker', import.meta.url),
    data: { path } satisfies NodeWorkerData,
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

const encoder = new TextEncoder();

/** A pointer argument for a worker: a BigInt address (the buffer kept alive in `keep`). */
function addressFor(ffi: NodeFfi, value: unknown, keep: unknown[], where: string): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string') return addressFor(ffi, encoder.encode(`${value}\0`), keep, where);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    keep.push(value);
    // Reading .buffer moves a small on-heap TypedArray's bytes off the V8 heap, where GC never
    // moves them (getRawPointer's address also stayed put across GC on 26.10).
    if (ArrayBuffer.isView(value)) void value.buffer;
    return value.byteLength === 0 ? 0n : ffi.getRawPointer(value);
  }
  throw new TypeError(`mylib: node:ffi: ${where} must be an ArrayBuffer, a TypedArray, an address or null`);
}

// ---------------------------------------------------------------------------------------------

/** `dladdr` of the C library, through node:ffi (Linux, macOS); undefined where there is none. */
let dladdr: ((address: bigint, info: BigUint64Array) => unknown) | null | undefined;

function findDladdr(ffi: NodeFfi): typeof dladdr {
  if (dladdr !== undefined) return dladdr;
  dladdr = null;
  if (process.platform !== 'win32') {
    try {
      dladdr = new ffi.DynamicLibrary(null).getFunction('dladdr', { arguments: ['pointer', 'pointer'], return: 'i32' });
    } catch {
      dladdr = null;
    }
  }
  return dladdr;
}

export interface Opened {
  library: FfiLibrary;
  /** The signature (JSON) bound per name on this DynamicLibrary. */
  bound: Map<string, string>;
}

class NodeLibrary implements NativeLibrary {
  readonly engine = 'node:ffi' as const;
  readonly path: string;
  readonly #ffi: NodeFfi;
  /** Per file: the DynamicLibrary objects opened (the first of this.path is the main one). */
  readonly #files = new Map<string, Opened[]>();
  readonly #main: FfiLibrary;
  #pool: WorkerPool | undefined;
  #closed = false;

  constructor(ffi: NodeFfi, path: string) {
    this.#ffi = ffi;
    this.path = path;
    this.#main = this.#open(path).library;
  }

  bind(type: FunctionType & { name: string }, options: BindOptions = {}): BoundFunction {
    return this.#bound(type, this.path, type.name, options);
  }

  /**
   * The address form of a function for bindings/_table.ts (AddressFormHook): the function itself,
   * because a `pointer` parameter gets the Number address as a BigInt, as a `uintptr_t` one would (no faster on Node 26.10), and a second signature for the symbol would need a second DynamicLibrary.
   */
  bindAddressForm(type: FunctionType & { name: string }): BoundFunction {
    return this.bind(type);
  }

  bindAddress(address: bigint, type: FunctionType, options: BindOptions = {}): BoundFunction {
    const { file, name } = this.#exportAt(address, type);
    return this.#bound(type, file, name, options);
  }

  symbol(name: string): bigint {
    this.#check();
    try {
      return this.#main.getSymbol(name);
    } catch (error) {
      throw new Error(`mylib: node:ffi: symbol ${name} not found in ${this.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool?.close();
    for (const entries of this.#files.values()) for (const entry of entries) entry.library.close();
    this.#files.clear();
  }

  #check(): void {
    if (this.#closed) throw new Error(`mylib: node:ffi: ${this.path} is closed`);
  }

  #open(file: string): Opened {
    const entry: Opened = { library: new this.#ffi.DynamicLibrary(file), bound: new Map() };
    const entries = this.#files.get(file) ?? [];
    entries.push(entry);
    this.#files.set(file, entries);
    return entry;
  }

  /** node:ffi's function `name` of `file` with `signature`, on a DynamicLibrary where it is free. */
  #resolve(file: string, name: string, signature: FfiSignature): { library: FfiLibrary; native: FfiFunction } {
    const key = JSON.stringify(signature);
    const entry = this.#files.get(file)?.find((candidate) => (candidate.bound.get(name) ?? key) === key) ?? this.#open(file);
    const native = entry.library.getFunction(name, signature);
    entry.bound.set(name, key);
    return { library: entry.library, native };
  }

  /** The exported function at `address`: its file and name (see the header), or a refusal. */
  #exportAt(address: bigint, type: FunctionType): { file: string; name: string } {
    this.#check();
    const ffi = this.#ffi;
    const what = `a call through a function pointer (bindAddress, 0x${address.toString(16)})`;
    const lookup = findDladdr(ffi);
    if (!lookup) throw refusal(type, 'node:ffi', what, 'node:ffi binds functions by exported name only, and this platform has no dladdr to find the name');
    const info = new BigUint64Array(4); // Dl_info: fname, fbase, sname, saddr.
    const found = address !== 0n && lookup(address, info) !== 0 && info[2] !== 0n && info[3] === address;
    const file = found ? ffi.toString(info[0]!) : null;
    const name = found ? ffi.toString(info[2]!) : null;
    if (file && name) {
      const entry = this.#files.get(file)?.[0] ?? this.#open(file);
      try {
        if (entry.library.getSymbol(name) === address) return { file, name };
      } catch {
        // Not resolvable by that name: refused below.
      }
    }
    throw refusal(
      type,
      'node:ffi',
      what,
      'node:ffi binds functions by exported name only, and that address is not an exported symbol of a loaded library (a static function, an IFUNC implementation or generated code); use koffi, bun:ffi or deno for it',
    );
  }

  #bound(type: FunctionType, file: string, name: string, options: BindOptions): BoundFunction {
    this.#check();
    const ffi = this.#ffi;
    const plan = planOf(ffi, type, options);
    let resolved: { library: FfiLibrary; native: FfiFunction };
    try {
      resolved = this.#resolve(file, name, plan.signature);
    } catch (error) {
      throw new Error(`mylib: node:ffi cannot bind ${name}: ${(error as Error).message}`, { cause: error });
    }
    const definition: WorkerDefinition = {
      file,
      name,
      signature: plan.signature,
      callbacks: Object.fromEntries(plan.params.flatMap((param, index) => (param.callback ? [[index, param.callback.signature]] : []))),
    };
    let fn: PoolFunction | undefined;
    const label = type.name ?? name;
    const addresses: PoolAddresses = { address: (value, keep, where) => addressFor(ffi, value, keep, where), nullPointer: 0n, error: (error) => error };
    return {
      call: syncCall(resolved.library, resolved.native, plan),
      callAsync: (args) => {
        if (this.#closed) return Promise.reject(new Error(`mylib: ${label}: the library was unloaded`));
        this.#pool ??= workerPool(this.path);
        const pool = this.#pool;
        fn ??= pool.define(definition);
        const poolFunction = fn;
        return pool.call(label, () => preparePoolCall(type, plan, poolFunction, args, addresses));
      },
    };
  }
}

export const nodeFfiEngine: Engine = {
  name: 'node:ffi',
  open: (path) => new NodeLibrary(loadNodeFfi(), path),
  view: (address, length) => loadNodeFfi().toArrayBuffer(address, length, false),
  addressOf: (view) => {
    // Moves a small on-heap TypedArray's bytes off the V8 heap first (see addressFor).
    void view.buffer;
    return loadNodeFfi().getRawPointer(view);
  },
};

/** Makes the engine selectable (called by the loader). */
export function registerNodeEngine(): void {
  registerEngine('node:ffi', () => {
    loadNodeFfi();
    return nodeFfiEngine;
  });
}
