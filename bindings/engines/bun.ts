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
 * - bun:ffi has no async call. callAsync runs the call on a Worker that dlopens the same file
 *   and receives the ADDRESSES of the main thread's buffers (memory is process-wide; the pending
 *   call keeps the arrays alive until it settles). A progress callback during an async call runs
 *   on the main thread: the worker's JSCallback posts a message and blocks in Atomics.wait on a
 *   SharedArrayBuffer until the main thread's message handler answers.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
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
// Async calls: a pool of workers, each with its own dlopen of the same file.

/** Workers per loaded library at most; further calls queue in order. */
const MAX_WORKERS = 4;
const WORKER_MARK = 'mylibBunFfiWorker';

interface WorkerSetup {
  path: string;
  /** Int32Array over it: [0] 0 = waiting, 1 = answered; [1] the progress callback's answer. */
  flag: SharedArrayBuffer;
}

type ToWorker = { type: 'call'; id: number; name: SymbolName; args: unknown[] } | { type: 'close' };
type FromWorker =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string }
  | { type: 'progress'; id: number; args: unknown[] }
  | { type: 'fatal'; message: string };

interface Job {
  id: number;
  name: SymbolName;
  /** Arguments as the worker sees them: addresses instead of arrays, `true` for a callback. */
  args: unknown[];
  /** The arrays whose addresses were passed: alive until the call settles. */
  keep: unknown[];
  callback: ((...args: unknown[]) => unknown) | null;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  flag: Int32Array;
  job: Job | undefined;
}

class WorkerPool {
  readonly #path: string;
  readonly #ffi: BunFfi;
  readonly #table: Record<string, Signature>;
  readonly #workers: PoolWorker[] = [];
  readonly #queue: Job[] = [];
  #next = 1;
  #closed = false;

  constructor(path: string, ffi: BunFfi, table: Record<string, Signature>) {
    this.#path = path;
    this.#ffi = ffi;
    this.#table = table;
  }

  call(name: SymbolName, args: readonly unknown[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error(`mylib: bun:ffi: ${name} was called after unload`));
    const signature = this.#table[name]!;
    const keep: unknown[] = [];
    let callback: Job['callback'] = null;
    const sent = args.map((arg, i) => {
      const kind = signature.params[i];
      if (kind === 'callback') {
        if (typeof arg !== 'function') return null;
        callback = arg as Job['callback'];
        return true;
      }
      if (kind === 'scalar') return arg;
      if (arg === null || arg === undefined) return null;
      if (typeof arg === 'bigint') return Number(arg);
      if (typeof arg === 'number') return arg;
      if (ArrayBuffer.isView(arg)) {
        keep.push(arg);
        // ptr() refuses empty views; the library accepts NULL for a zero length.
        return arg.byteLength === 0 ? null : this.#ffi.ptr(arg);
      }
      throw new TypeError(`mylib: bun:ffi: ${name} argument ${i} must be a TypedArray, an address or null`);
    });
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.#next++, name, args: sent, keep, callback, resolve, reject };
      const result = signature.result;
      if (result === 'handle') job.resolve = (value) => resolve(toPointer(value));
      if (result === 'string') job.resolve = (value) => resolve(String(value));
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#workers.find((candidate) => candidate.job === undefined);
      if (!slot && this.#workers.length < MAX_WORKERS) slot = this.#spawn();
      if (!slot) return;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ type: 'call', id: job.id, name: job.name, args: job.args } satisfies ToWorker);
    }
  }

  #spawn(): PoolWorker {
    const flag = new SharedArrayBuffer(8);
    const setup: WorkerSetup = { path: this.#path, flag };
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { [WORKER_MARK]: setup } });
    const slot: PoolWorker = { worker, flag: new Int32Array(flag), job: undefined };
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, message));
    worker.on('error', (error) => this.#fail(slot, error));
    worker.on('exit', () => this.#fail(slot, new Error('mylib: bun:ffi: the async worker exited')));
    this.#workers.push(slot);
    return slot;
  }

  #onMessage(slot: PoolWorker, message: FromWorker): void {
    const job = slot.job;
    switch (message.type) {
      case 'progress': {
        let answer = false;
        try {
          answer = job?.callback?.(...message.args) !== false;
        } catch {
          // A throwing callback cancels; the typed layer records its error itself.
          answer = false;
        }
        Atomics.store(slot.flag, 1, answer ? 1 : 0);
        Atomics.store(slot.flag, 0, 1);
        Atomics.notify(slot.flag, 0);
        return;
      }
      case 'fatal':
        this.#fail(slot, new Error(`mylib: bun:ffi: the async worker could not load ${this.#path}: ${message.message}`));
        return;
      case 'result':
      case 'error':
        if (!job || job.id !== message.id) return;
        slot.job = undefined;
        slot.worker.unref();
        if (message.type === 'result') job.resolve(message.value);
        else job.reject(new Error(message.message));
        this.#dispatch();
    }
  }

  /** A worker died: its call fails, the worker leaves the pool. */
  #fail(slot: PoolWorker, error: unknown): void {
    const index = this.#workers.indexOf(slot);
    if (index === -1) return;
    this.#workers.splice(index, 1);
    const job = slot.job;
    slot.job = undefined;
    job?.reject(error);
    if (!this.#closed) this.#dispatch();
  }

  /** Ends every worker; their own dlopen handles are closed first. Called when no call runs. */
  close(): void {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error(`mylib: bun:ffi: ${job.name} was cancelled by unload`));
    for (const slot of this.#workers.splice(0)) {
      slot.worker.postMessage({ type: 'close' } satisfies ToWorker);
      slot.worker.unref();
      slot.job?.reject(new Error(`mylib: bun:ffi: ${slot.job.name} was interrupted by unload`));
    }
  }
}

/** The worker side: dlopen the same file, run calls, forward progress to the main thread. */
function runWorker(setup: WorkerSetup): void {
  const port = parentPort!;
  const post = (message: FromWorker) => port.postMessage(message);
  let library: BunLibrary;
  let table: Record<string, Signature>;
  let ffi: BunFfi;
  try {
    ffi = loadBunFfi();
    table = signatures(ffi);
    library = ffi.dlopen(setup.path, definitions(table));
  } catch (error) {
    post({ type: 'fatal', message: (error as Error).message });
    return;
  }
  const flag = new Int32Array(setup.flag);
  port.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      library.close();
      port.close();
      return;
    }
    const { id, name, args } = message;
    const signature = table[name]!;
    const made: BunJSCallback[] = [];
    try {
      for (let i = 0; i < args.length; i++) {
        if (signature.params[i] !== 'callback' || args[i] !== true) continue;
        // Runs on this worker's thread, inside the native call: ask the main thread and wait.
        const callback = new ffi.JSCallback((...values: never[]) => {
          Atomics.store(flag, 0, 0);
          post({ type: 'progress', id, args: values });
          Atomics.wait(flag, 0, 0);
          return Atomics.load(flag, 1) === 1;
        }, signature.callbacks[i]!);
        made.push(callback);
        args[i] = callback.ptr;
      }
      post({ type: 'result', id, value: library.symbols[name]!(...args) });
    } catch (error) {
      post({ type: 'error', id, message: (error as Error).message });
    } finally {
      for (const callback of made) callback.close();
    }
  });
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
  const pool = new WorkerPool(path, ffi, table);
  return {
    engine: 'bun:ffi',
    raw: raw as RawFunctions,
    addressed: addressed as AddressFunctions,
    callAsync: (name, args) => pool.call(name, args),
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

const setup = isMainThread ? undefined : (workerData as Record<string, WorkerSetup | undefined> | null)?.[WORKER_MARK];
if (setup !== undefined) runWorker(setup);
