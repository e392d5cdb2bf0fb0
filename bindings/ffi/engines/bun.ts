/**
 * The bun:ffi engine: Bun's own FFI, the default on Bun. bun:ffi is loaded on first use and only
 * on Bun: importing this module elsewhere registers a thunk that throws.
 *
 * One mapping from the vocabulary to bun:ffi's type names (`codeOf`), used for functions,
 * callbacks and the pool's worker definitions alike:
 * - scalars by size, sign and kind (`i32`, `u64`, `f64`, `bool`); 64-bit results as `i64_fast` /
 *   `u64_fast` (a Number when it is a safe integer, else a BigInt: the convention itself);
 * - every pointer `ptr` (callback parameters too: `FFIType.function` refuses NULL); a `const
 *   char *` result `cstring`;
 * - a small integer record by value: the unsigned integer of its size (_lowering.ts).
 *
 * bun:ffi itself accepts a TypedArray, an ArrayBuffer, null, a Number or a BigInt address for a
 * `ptr` parameter, and Numbers or BigInts for 64-bit ones, so a function whose parameters and
 * result need no conversion is bun:ffi's own function, nothing in between. What is converted:
 * strings (UTF-8 + NUL), JS functions (a JSCallback made for the call, closed when it returns;
 * with `foreignThreadCallbacks`, a threadsafe JSCallback, void callbacks only, whose JS function
 * runs later on the JS thread, after the C caller has moved on),
 * records (lowered), and pointer results (a Number or null from bun, a BigInt or null out).
 * An empty TypedArray passes as a non-NULL pointer to zero bytes (bun's own behaviour, kept for
 * speed), not NULL.
 *
 * Libraries are opened with the platform's own loader called through bun:ffi (dlopen/dlsym from
 * libc, LoadLibraryW/GetProcAddress from kernel32), because bun's `dlopen` needs the symbols up
 * front: `open` reports the loader's reason, `symbol` works for data as well as functions, and
 * every function (`bind` and `bindAddress` alike) is a `CFunction` at its address.
 *
 * bun:ffi has no async call. callAsync runs the call on a Worker of the pool (_pool.ts) that
 * dlopens the same file, binds the same definition, and receives the ADDRESSES of the main
 * thread's buffers (memory is process-wide; the pending call keeps them alive until it settles).
 * A callback during an async call runs on the main thread: the worker's JSCallback posts a
 * message and blocks in Atomics.wait until the main thread's message handler answers.
 */
import { createRequire } from 'node:module';
import { type BindOptions, type BoundFunction, type Engine, type NativeLibrary, registerEngine } from '../engine.ts';
import {
  type Convert,
  type LoweredRecord,
  argumentName,
  type CallState,
  converting,
  lowered,
  refusal,
  same,
  stringArgument,
  wideResult,
  withCallbacks,
} from '../_lowering.ts';
import { type FunctionType, type Passing, type ScalarType, passing } from '../types.ts';
import type { BunWorkerData } from './_bun-worker.ts';
import { type PoolAddresses, type PoolFunction, WorkerPool, preparePoolCall, workerModule } from './_pool.ts';

// ---------------------------------------------------------------------------------------------
// The parts of bun:ffi used here (@types/bun is not a dependency).

/** A bun:ffi type name (`i32`, `ptr`, ...): plain strings, so definitions clone into workers. */
type Code = string;
export interface BunDefinition {
  args: Code[];
  returns: Code;
  threadsafe?: boolean;
}
export type NativeFunction = ((...args: unknown[]) => unknown) & { close?(): void };
interface BunJSCallback {
  readonly ptr: number | null;
  close(): void;
}
export interface BunFfi {
  dlopen(path: string, symbols: Record<string, BunDefinition>): { symbols: Record<string, NativeFunction>; close(): void };
  CFunction(definition: BunDefinition & { ptr: number | bigint }): NativeFunction;
  ptr(view: ArrayBufferView | ArrayBufferLike, byteOffset?: number): number;
  toArrayBuffer(pointer: number, byteOffset: number, byteLength: number): ArrayBuffer;
  CString: new (pointer: number, byteOffset?: number, byteLength?: number) => string;
  JSCallback: new (fn: (...args: never[]) => unknown, definition: BunDefinition) => BunJSCallback;
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
// THE mapping from the vocabulary to bun:ffi types.

function scalarCode(type: ScalarType, result: boolean): Code {
  if (type.name === 'bool') return 'bool';
  if (type.float) return type.size === 4 ? 'f32' : 'f64';
  const code = `${type.signed ? 'i' : 'u'}${type.size * 8}`;
  return result && type.size === 8 ? `${code}_fast` : code;
}

/**
 * The bun:ffi type of what crosses as `p`. `fnResult`: a bound function's result (64-bit
 * integers `_fast`, `const char *` as `cstring`); callbacks' parameters and results take the
 * plain types and are converted here.
 */
function codeOf(p: Passing, fnResult: boolean, record?: LoweredRecord): Code {
  switch (p.as) {
    case 'void':
      return 'void';
    case 'number':
    case 'wide':
      return scalarCode(p.scalar, fnResult);
    case 'bool':
      return 'bool';
    case 'string':
      return fnResult ? 'cstring' : 'ptr';
    case 'pointer':
    case 'handle':
    case 'callback':
      return 'ptr';
    case 'record':
      return scalarCode((record as LoweredRecord).scalar, false);
  }
}

const toPointer: Convert = (value) => (value === null || value === 0 || value === undefined ? null : BigInt(value as number));
const cstringResult: Convert = (value) => (value === null || typeof value === 'string' ? value : String(value));

// ---------------------------------------------------------------------------------------------
// Callbacks: one plan per callback type, for the sync JSCallback and the async worker's alike.

interface CallbackPlan {
  definition: BunDefinition;
  /** The JS function as the callback's body; a throw is kept in `state`, the C caller sees 0. */
  body(fn: (...args: unknown[]) => unknown, state: CallState): (...raw: unknown[]) => unknown;
  /** The body's value as the worker's answer (a Number or a BigInt). */
  answer(raw: unknown): number | bigint;
}

function callbackPlan(ffi: BunFfi, owner: FunctionType, index: number, fn: FunctionType, options: BindOptions): CallbackPlan {
  const where = `the callback ${argumentName(owner, index)}`;
  const fromNative = fn.params.map((param, i): Convert => {
    const p = passing(param.type, 'param');
    switch (p.as) {
      case 'wide':
        return wideResult;
      case 'string':
        return (value) => (value === null || value === 0 ? null : new ffi.CString(value as number).toString());
      case 'pointer':
      case 'handle':
      case 'callback':
        return toPointer;
      case 'record': {
        const record = lowered(owner, 'bun:ffi', p.record, `${where}'s parameter ${i}`);
        return (value) => record.decode(value as number | bigint);
      }
      default:
        return same;
    }
  });
  const result = passing(fn.result, 'result');
  if (result.as === 'string') {
    throw refusal(owner, 'bun:ffi', `${where} returns const char *`, 'a string made by a JS callback would not outlive it');
  }
  const record = result.as === 'record' ? lowered(owner, 'bun:ffi', result.record, `${where}'s result`) : undefined;
  const definition: BunDefinition = {
    args: fn.params.map((param, i) => {
      const p = passing(param.type, 'param');
      return codeOf(p, false, p.as === 'record' ? lowered(owner, 'bun:ffi', p.record, `${where}'s parameter ${i}`) : undefined);
    }),
    returns: codeOf(result, false, record),
  };
  if (options.foreignThreadCallbacks) {
    // Measured on Bun 1.4.4: a threadsafe JSCallback queues the JS function to the event loop and
    // returns 0 to its C caller at once, even on the JS thread itself.
    if (result.as !== 'void') {
      throw refusal(
        owner,
        'bun:ffi',
        `callbacks from foreign threads (${where}) returning a value`,
        "bun:ffi's threadsafe JSCallback answers 0 at once and runs the JS function later on the JS thread; only void callbacks can be called from other threads",
      );
    }
    definition.threadsafe = true;
  }
  const toNative: Convert =
    result.as === 'void'
      ? () => undefined
      : result.as === 'bool'
        ? Boolean
        : result.as === 'record'
          ? (value) => (record as LoweredRecord).encode(value, `${where}'s result`)
          : result.as === 'pointer' || result.as === 'handle' || result.as === 'callback'
            ? (value) => value ?? null
            : (value) => value;
  const zero = result.as === 'void' ? undefined : result.as === 'bool' ? false : result.as === 'pointer' || result.as === 'handle' ? null : 0;
  const convertsArgs = fromNative.some((convert) => convert !== same);
  return {
    definition,
    body:
      (js, state) =>
      (...raw) => {
        if (state.thrown) return zero;
        try {
          return toNative(js(...(convertsArgs ? raw.map((value, i) => fromNative[i]!(value)) : raw)));
        } catch (error) {
          state.thrown = { error };
          return zero;
        }
      },
    answer: (raw) => (typeof raw === 'bigint' ? raw : raw === true ? 1 : typeof raw === 'number' ? raw : 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Functions.

interface ParamPlan {
  passing: Passing;
  /** The value bun:ffi gets in a sync call. */
  sync: Convert;
  callback?: CallbackPlan;
  record?: LoweredRecord;
}

interface FunctionPlan {
  definition: BunDefinition;
  params: ParamPlan[];
  result: Convert;
}

function planOf(ffi: BunFfi, type: FunctionType, options: BindOptions): FunctionPlan {
  const params = type.params.map((param, index): ParamPlan => {
    const where = argumentName(type, index);
    const p = passing(param.type, 'param');
    switch (p.as) {
      case 'string':
        return { passing: p, sync: (value) => stringArgument(value, where) };
      case 'callback':
        return { passing: p, sync: same, callback: callbackPlan(ffi, type, index, p.fn, options) };
      case 'record': {
        const record = lowered(type, 'bun:ffi', p.record, `parameter ${index}`);
        return { passing: p, sync: (value) => record.encode(value, where), record };
      }
      default:
        return { passing: p, sync: same };
    }
  });
  const r = passing(type.result, 'result');
  const record = r.as === 'record' ? lowered(type, 'bun:ffi', r.record, 'the result') : undefined;
  const result: Convert =
    r.as === 'string'
      ? cstringResult
      : r.as === 'pointer' || r.as === 'handle' || r.as === 'callback'
        ? toPointer
        : record
          ? (value) => record.decode(value as number | bigint)
          : same;
  return {
    definition: { args: params.map((param) => codeOf(param.passing, false, param.record)), returns: codeOf(r, true, record) },
    params,
    result,
  };
}

/** The synchronous call: bun:ffi's own function when nothing converts (see the header). */
function syncCall(ffi: BunFfi, native: NativeFunction, plan: FunctionPlan): (...args: unknown[]) => unknown {
  const call = converting(
    native,
    plan.params.map((param) => param.sync),
    plan.result,
  );
  const callbacks = plan.params.flatMap((param, index) =>
    param.callback ? [{ index, body: param.callback.body, definition: param.callback.definition }] : [],
  );
  return withCallbacks(call, callbacks, (callback, body) => {
    const native = new ffi.JSCallback(body as (...a: never[]) => unknown, callback.definition);
    // A callback is valid for the call only: it dies with it.
    return { pointer: native.ptr, release: () => native.close() };
  });
}

// ---------------------------------------------------------------------------------------------
// Async calls: the worker pool of _pool.ts, each worker with its own dlopen of the same file.

/** Workers per loaded library at most; further calls queue in order. */
const MAX_WORKERS = 4;

/** What a worker (_bun-worker.ts) binds: the definition, by exported name or by address. */
export interface WorkerDefinition extends BunDefinition {
  name?: string;
  address?: number;
  /** The JSCallback definition of each callback parameter, by index. */
  callbacks: Record<number, BunDefinition>;
}

function workerPool(path: string): WorkerPool {
  return new WorkerPool({
    size: MAX_WORKERS,
    worker: workerModule('_bun-worker', import.meta.url),
    data: { path } satisfies BunWorkerData,
    messages: {
      unloaded: (name) => new Error(`mylib: bun:ffi: ${name} was called after unload`),
      cancelled: (name) => new Error(`mylib: bun:ffi: ${name} was cancelled by unload`),
      interrupted: (name) => new Error(`mylib: bun:ffi: ${name} was interrupted by unload`),
      exited: () => new Error('mylib: bun:ffi: the async worker exited'),
      loadFailed: (error) => new Error(`mylib: bun:ffi: the async worker could not load ${path}: ${(error as Error).message}`),
    },
  });
}

/** A pointer argument for a worker: an address (the buffer kept alive in `keep`), or null. */
function addressFor(ffi: BunFfi, value: unknown, keep: unknown[], where: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint' || typeof value === 'number') return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    keep.push(value);
    // ptr() refuses empty memory: NULL, as the convention says for an empty buffer.
    return value.byteLength === 0 ? null : ffi.ptr(value);
  }
  throw new TypeError(`mylib: bun:ffi: ${where} must be an ArrayBuffer, a TypedArray, an address or null`);
}

// ---------------------------------------------------------------------------------------------
// The platform loader, called through bun:ffi.

interface Loader {
  /** A handle, or throws the loader's reason. */
  open(path: string): bigint;
  /** The address of `name` in `handle`, or 0n. */
  find(handle: bigint, name: string): bigint;
  close(handle: bigint): void;
}

let loader: Loader | undefined;

const cString = (text: string) => new TextEncoder().encode(`${text}\0`);

function platformLoader(ffi: BunFfi): Loader {
  if (loader) return loader;
  if (process.platform === 'win32') {
    const k = ffi.dlopen('kernel32.dll', {
      LoadLibraryW: { args: ['ptr'], returns: 'ptr' },
      GetProcAddress: { args: ['ptr', 'ptr'], returns: 'ptr' },
      FreeLibrary: { args: ['ptr'], returns: 'i32' },
      GetLastError: { args: [], returns: 'u32' },
    }).symbols;
    loader = {
      open(path) {
        const wide = new Uint16Array(path.length + 1);
        for (let i = 0; i < path.length; i++) wide[i] = path.charCodeAt(i);
        const handle = k.LoadLibraryW!(wide);
        if (handle === null || handle === 0) throw new Error(`LoadLibraryW failed with Windows error ${k.GetLastError!()}`);
        return BigInt(handle as number);
      },
      find: (handle, name) => BigInt((k.GetProcAddress!(handle, cString(name)) as number | null) ?? 0),
      close: (handle) => void k.FreeLibrary!(handle),
    };
    return loader;
  }
  // glibc >= 2.34 and macOS have dlopen in libc; older glibc in libdl.
  const candidates = process.platform === 'darwin' ? ['libSystem.B.dylib'] : ['libc.so.6', 'libdl.so.2', 'libc.so'];
  const definitions: Record<string, BunDefinition> = {
    dlopen: { args: ['ptr', 'i32'], returns: 'ptr' },
    dlsym: { args: ['ptr', 'ptr'], returns: 'ptr' },
    dlclose: { args: ['ptr'], returns: 'i32' },
    dlerror: { args: [], returns: 'cstring' },
  };
  const problems: string[] = [];
  for (const candidate of candidates) {
    let dl: Record<string, NativeFunction>;
    try {
      dl = ffi.dlopen(candidate, definitions).symbols;
    } catch (error) {
      problems.push(`${candidate}: ${(error as Error).message}`);
      continue;
    }
    // RTLD_NOW: undefined symbols fail here, with the loader's message. RTLD_LOCAL: 0 on Linux, 4 on macOS.
    const flags = 2 | (process.platform === 'darwin' ? 4 : 0);
    loader = {
      open(path) {
        const handle = dl.dlopen!(cString(path), flags);
        if (handle === null || handle === 0) throw new Error(String(dl.dlerror!() ?? `dlopen failed for ${path}`));
        return BigInt(handle as number);
      },
      find: (handle, name) => BigInt((dl.dlsym!(handle, cString(name)) as number | null) ?? 0),
      close: (handle) => void dl.dlclose!(handle),
    };
    return loader;
  }
  throw new Error(`mylib: bun:ffi: no dlopen found (${problems.join('; ')})`);
}

// ---------------------------------------------------------------------------------------------

class BunLibrary implements NativeLibrary {
  readonly engine = 'bun:ffi' as const;
  readonly path: string;
  readonly #ffi: BunFfi;
  readonly #loader: Loader;
  #handle: bigint;
  #pool: WorkerPool | undefined;
  readonly #natives: NativeFunction[] = [];

  constructor(ffi: BunFfi, path: string) {
    this.#ffi = ffi;
    this.#loader = platformLoader(ffi);
    this.path = path;
    this.#handle = this.#loader.open(path);
  }

  bind(type: FunctionType & { name: string }, options: BindOptions = {}): BoundFunction {
    // The type first: what bun:ffi cannot do is refused whether or not the symbol exists.
    const plan = planOf(this.#ffi, type, options);
    const address = this.#find(type.name);
    if (address === 0n) throw new Error(`Symbol "${type.name}" not found in "${this.path}"`);
    return this.#bound(type, plan, address, type.name);
  }

  /**
   * The address form of a function for bindings/_table.ts (AddressFormHook): the function itself,
   * because a `ptr` parameter takes a Number address as it is, 7-10 ns cheaper per call than `uintptr_t` declared as u64 (Bun 1.4.4).
   */
  bindAddressForm(type: FunctionType & { name: string }): BoundFunction {
    return this.bind(type);
  }

  bindAddress(address: bigint, type: FunctionType, options: BindOptions = {}): BoundFunction {
    const plan = planOf(this.#ffi, type, options);
    if (address === 0n) throw new TypeError(`mylib: bun:ffi cannot bind ${type.name ?? 'a function'} at address 0 (NULL)`);
    this.#check();
    return this.#bound(type, plan, address, undefined);
  }

  symbol(name: string): bigint {
    const address = this.#find(name);
    if (address === 0n) throw new Error(`Symbol "${name}" not found in "${this.path}"`);
    return address;
  }

  close(): void {
    if (this.#handle === 0n) return;
    this.#pool?.close();
    for (const native of this.#natives) native.close?.();
    this.#natives.length = 0;
    this.#loader.close(this.#handle);
    this.#handle = 0n;
  }

  #check(): void {
    if (this.#handle === 0n) throw new Error(`mylib: bun:ffi: ${this.path} is closed`);
  }

  #find(name: string): bigint {
    this.#check();
    return this.#loader.find(this.#handle, name);
  }

  #bound(type: FunctionType, plan: FunctionPlan, address: bigint, name: string | undefined): BoundFunction {
    const ffi = this.#ffi;
    const native = ffi.CFunction({ ...plan.definition, ptr: Number(address) });
    this.#natives.push(native);
    const definition: WorkerDefinition = {
      ...plan.definition,
      ...(name === undefined ? { address: Number(address) } : { name }),
      callbacks: Object.fromEntries(plan.params.flatMap((param, index) => (param.callback ? [[index, param.callback.definition]] : []))),
    };
    let fn: PoolFunction | undefined;
    const label = type.name ?? `function at 0x${address.toString(16)}`;
    const addresses: PoolAddresses = {
      address: (value, keep, where) => addressFor(ffi, value, keep, where),
      nullPointer: null,
      // The worker's message, as an Error made on this thread.
      error: (error) => new Error((error as Error).message),
    };
    return {
      call: syncCall(ffi, native, plan),
      callAsync: (args) => {
        if (this.#handle === 0n) return Promise.reject(new Error(`mylib: bun:ffi: ${label} was called after unload`));
        this.#pool ??= workerPool(this.path);
        const pool = this.#pool;
        fn ??= pool.define(definition);
        const poolFunction = fn;
        return pool.call(label, () => preparePoolCall(type, plan, poolFunction, args, addresses));
      },
    };
  }
}

export const bunEngine: Engine = {
  name: 'bun:ffi',
  open: (path) => new BunLibrary(loadBunFfi(), path),
  view: (address, length) => loadBunFfi().toArrayBuffer(Number(address), 0, length),
  addressOf: (view) => (view.byteLength === 0 ? 0n : BigInt(loadBunFfi().ptr(view))),
};

/** Makes the engine selectable (called by the loader). */
export function registerBunEngine(): void {
  registerEngine('bun:ffi', () => {
    loadBunFfi();
    return bunEngine;
  });
}
