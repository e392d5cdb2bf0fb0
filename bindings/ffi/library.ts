/**
 * `open()` and the foreign library it returns: any shared library, by path or platform name,
 * declared from C text and called through one engine (engine.ts). What crosses for each C type
 * is the calling convention of engine.ts; this module adds, around the engine's bound functions:
 *
 * - the argument count check and the closed-library check (a call after `close()` would jump
 *   into unmapped code: it throws instead);
 * - a record given as an object for a pointer-to-record parameter: encoded into a temporary
 *   buffer for the call, and, for a non-const pointer, the fields the callee wrote copied back
 *   into the same object after the call (an out-parameter);
 * - opt-in errno (errno.ts) around synchronous calls;
 * - AbortSignal for asynchronous calls (the native call cannot be stopped: it runs on and its
 *   result is dropped).
 * Functions with none of these needs call the engine's function after the two checks only.
 */
import process from 'node:process';
import { type BindOptions, type BoundFunction, ENGINE_ENV, type Engine, type EngineName, type NativeLibrary, engineChoice, resolveEngine } from './engine.ts';
import { registerBunEngine } from './engines/bun.ts';
import { registerDenoEngine } from './engines/deno.ts';
import { registerKoffiEngine } from './engines/koffi.ts';
import { registerNodeEngine } from './engines/node.ts';
import { type ErrnoAccess, errnoAccess } from './errno.ts';
import { hostPid, isIsolated, openIsolated } from './isolate.ts';
import {
  DeclarationError,
  type Declared,
  type NamedFunction,
  Scope,
  type Skipped,
  type SourceSpan,
  parseDeclarations,
  parseFunction,
  parseType,
} from './grammar.ts';
import { type Header, type HeaderOptions, readHeader } from './header.ts';
import { checkAddress } from './memory.ts';
import { type ResolvedLibrary, resolveLibrary } from './names.ts';
import { type ExportedSymbol, inspectObjectFile, objectFileProblem } from './object-file.ts';
import { decodeRecord, encodeRecord } from './record.ts';
import type { AsyncOptions, ForeignFunction } from './typed.ts';
import { type CType, type FunctionType, type RecordType, declaration, layoutOf, passing } from './types.ts';

// Named calls, not side-effect imports (see bindings/loader.ts): importing mylib-rust/ffi makes
// every engine selectable. Each engine loads its FFI on first use only.
registerKoffiEngine();
registerBunEngine();
registerDenoEngine();
registerNodeEngine();

/** Options of `open()`. */
export interface OpenOptions {
  /**
   * The FFI engine: `auto` (default: koffi on Node, bun:ffi on Bun, Deno.dlopen on Deno), or one
   * of ENGINES. The environment variable MYLIB_FFI_ENGINE sets it when this option is absent.
   */
  engine?: EngineName | 'auto';
  /**
   * Host the library in a child process of this runtime, with the same engine, and forward the
   * calls to it (isolate.ts): a fault in the library (SIGSEGV, abort(), exit()...) throws a
   * CrashedError (`code: 'CRASHED'`) instead of ending this process. Values cross by copy.
   */
  isolate?: boolean;
}

/** Options of `lib.func()`, `lib.funcAt()` and `lib.declare()`. */
export interface FuncOptions {
  /**
   * Capture errno (and GetLastError on Windows) right after each synchronous call: `fn.errno`,
   * `fn.lastError`. errno is set to 0 before the call. Such a function has no `.async`.
   */
  errno?: boolean;
  /**
   * The function calls the callbacks it receives from another thread (one it starts). Engines
   * that cannot run such callbacks refuse the declaration. The callbacks run on the event loop,
   * so the function must be called with `.async` (a synchronous call would block the loop they
   * need: it throws).
   */
  threadsafe?: boolean;
}

/** What `lib.declare()` returns: every function bound, every named type, every enum constant. */
export interface Declarations {
  functions: Record<string, ForeignFunction>;
  /** Typedef names, `struct tag`/`union tag`/`enum tag` (and the bare tag when no typedef has it). */
  types: Record<string, CType>;
  constants: Record<string, number>;
}

/** What `lib.include()` returns. */
export interface Included {
  /** The header's functions the library exports, bound. */
  functions: Record<string, ForeignFunction>;
  /** The header's typedefs, `struct tag`/`union tag`/`enum tag` (and the bare tag when no typedef has it). */
  types: Record<string, CType>;
  /** Enumerators and `#define` constants (integers as numbers, string literals as strings). */
  constants: Record<string, number | string>;
  /** `extern` variables: their types (`lib.address(name)` is where they are). */
  variables: Record<string, CType>;
  /** What the header has that was not read, or not bound, with the reason. */
  skipped: Skipped[];
  /** Functions the header declares that the library does not export (not bound). */
  unexported: Array<SourceSpan & { name: string; reason: string }>;
  /** The whole reading: every declaration with its place and doc comment (what `mylib-rust bind` writes out). */
  header: Header;
}

const FUNC_OPTION_KEYS = new Set(['errno', 'threadsafe']);
const OPEN_OPTION_KEYS = new Set(['engine', 'isolate']);

function plainOptions<T extends object>(fn: string, value: unknown, keys: ReadonlySet<string>): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(`${fn}: argument 'options' must be an object, got ${value === null ? 'null' : typeof value}`);
  for (const key of Object.keys(value)) {
    if (!keys.has(key)) throw new TypeError(`${fn}: argument 'options' has an unknown key '${key}' (known: ${[...keys].join(', ')})`);
  }
  return value as T;
}

function checkText(fn: string, argument: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${fn}: argument '${argument}' must be a string, got ${value === null ? 'null' : typeof value}`);
  return value;
}

/**
 * Opens a shared library: a path (`./libfoo.so`, `/usr/lib/libz.so.1`), a file name the dynamic
 * loader searches for (`libz.so.1`), or a platform name (`m`, `c`, `z`, `sqlite3`: libm.so.6 on
 * glibc, libSystem on macOS, ucrtbase.dll on Windows...). The file is checked before dlopen (a
 * truncated or foreign file is an Error, not a crash).
 */
export function open(pathOrName: string, options?: OpenOptions): ForeignLibrary {
  checkText('open', 'pathOrName', pathOrName);
  if (pathOrName === '') throw new TypeError("open: argument 'pathOrName' is empty");
  const { engine: engineOption, isolate } = plainOptions<OpenOptions>('open', options, OPEN_OPTION_KEYS);
  if (isolate !== undefined && typeof isolate !== 'boolean') throw new TypeError(`open: option 'isolate' must be a boolean, got ${typeof isolate}`);
  const choice = engineOption !== undefined ? engineChoice(engineOption, "open: option 'engine'") : engineChoice(process.env[ENGINE_ENV], ENGINE_ENV);
  const engine = resolveEngine(choice);
  let resolved: ResolvedLibrary;
  try {
    resolved = resolveLibrary(pathOrName);
  } catch (error) {
    throw new Error(`open: ${pathOrName}: ${(error as Error).message}`);
  }
  if (resolved.file !== undefined) {
    const problem = objectFileProblem(resolved.file);
    if (problem) throw new Error(`open: ${resolved.file}: ${problem}`);
  }
  let native: NativeLibrary;
  try {
    native = isolate ? openIsolated(engine, resolved.file ?? resolved.load) : engine.open(resolved.load);
  } catch (error) {
    const tried = resolved.file === undefined && resolved.tried.length > 0 ? ` (looked in: ${resolved.tried.join(', ')})` : '';
    throw new Error(`open: cannot load ${resolved.load} with engine ${engine.name}: ${(error as Error).message}${tried}`, { cause: error });
  }
  return new ForeignLibrary(native, engine, resolved);
}

/**
 * Files a declared type, constant or variable under its names (`struct tag`, and the bare tag
 * when no typedef has it); `variables` only where the result has them (`include`).
 */
function collect(
  item: Exclude<Declared, { kind: 'function' }>,
  into: { types: Record<string, CType>; constants: Record<string, number | string>; variables?: Record<string, CType> },
): void {
  switch (item.kind) {
    case 'typedef':
      into.types[item.name] = item.type;
      break;
    case 'record':
      into.types[`${item.type.kind} ${item.name}`] = item.type;
      into.types[item.name] ??= item.type;
      break;
    case 'enum':
      into.types[`enum ${item.name}`] = item.type;
      break;
    case 'constant':
    case 'string':
      into.constants[item.name] = item.value;
      break;
    case 'variable':
      if (into.variables) into.variables[item.name] = item.type;
      break;
  }
}

/** Shared by a library and its functions: a call after close() must be refused. */
interface LibraryState {
  closed: boolean;
  readonly path: string;
}

/** A shared library opened by `open()`. */
export class ForeignLibrary {
  /** The file (or loader name) that was opened. */
  readonly path: string;
  /** A short name: `m` for libm.so.6, `foo` for ./libfoo.so. */
  readonly name: string;
  /** The engine calls go through. */
  readonly engine: EngineName;
  /** The names declared so far (`declare`), which `func` and `funcAt` prototypes may use. */
  readonly scope = new Scope();
  readonly #native: NativeLibrary;
  readonly #engine: Engine;
  readonly #file: string | undefined;
  readonly #state: LibraryState;
  #symbols: ExportedSymbol[] | undefined;

  /** @internal Made by open(). */
  constructor(native: NativeLibrary, engine: Engine, resolved: ResolvedLibrary) {
    this.#native = native;
    this.#engine = engine;
    this.path = resolved.load;
    this.name = resolved.name;
    this.engine = engine.name;
    this.#file = resolved.file;
    this.#state = { closed: false, path: resolved.load };
  }

  /** Opened with `{ isolate: true }`: calls run in a child process (isolate.ts). */
  get isolated(): boolean {
    return isIsolated(this.#native);
  }

  /**
   * The process id of the isolated host running now; undefined when the library is not isolated,
   * or when no host runs (after a crash, until the next call; after close()).
   */
  get hostPid(): number | undefined {
    return hostPid(this.#native);
  }

  get closed(): boolean {
    return this.#state.closed;
  }

  #open(fn: string): void {
    if (this.#state.closed) throw new Error(`${fn}: library ${this.path} is closed`);
  }

  /**
   * The library's exports, read from its file (no dlopen, no nm): name, kind (`function`, `data`,
   * `other`), and for ELF the symbol version. Read once and cached.
   */
  symbols(): ExportedSymbol[] {
    if (this.#symbols) return this.#symbols.slice();
    if (this.#file === undefined) throw new Error(`symbols: ${this.path} has no file on disk to read (it is in the dynamic loader's cache)`);
    this.#symbols = inspectObjectFile(this.#file).exports;
    return this.#symbols.slice();
  }

  /**
   * Declares the exported function of prototype `prototype` (`'double cos(double x)'`), read with
   * the names declared so far. Its TypeScript type is derived from the literal text.
   */
  func<const P extends string>(prototype: P, options?: FuncOptions): ForeignFunction<P> {
    this.#open('func');
    checkText('func', 'prototype', prototype);
    const opts = plainOptions<FuncOptions>('func', options, FUNC_OPTION_KEYS);
    const type = parseFunction(prototype, this.scope);
    return this.#bind(type, opts, () => this.#native.bind(type, bindOptions(opts))) as ForeignFunction<P>;
  }

  /**
   * Calls through a function pointer: `address` (a BigInt a call returned, or `address(symbol)`)
   * is a C function of prototype `prototype` (`'int op(int a, int b)'`; the name is a label), or of
   * a function type declared before (`'binary_op'`, `'binary_op *'`).
   */
  funcAt<const P extends string>(address: bigint | number, prototype: P, options?: FuncOptions): ForeignFunction<P> {
    const at = checkAddress(address, 'funcAt', 'address');
    this.#open('funcAt');
    checkText('funcAt', 'prototype', prototype);
    if (at === 0n) throw new TypeError("funcAt: argument 'address' is NULL");
    const opts = plainOptions<FuncOptions>('funcAt', options, FUNC_OPTION_KEYS);
    const type = this.#functionType(prototype);
    return this.#bind(type, opts, () => this.#native.bindAddress(at, type, bindOptions(opts))) as ForeignFunction<P>;
  }

  #functionType(text: string): NamedFunction {
    let first: unknown;
    try {
      return parseFunction(text, this.scope);
    } catch (error) {
      first = error;
    }
    let type: CType;
    try {
      type = parseType(text, this.scope);
    } catch {
      throw first;
    }
    if (type.kind === 'pointer' && type.to.kind === 'function') type = type.to;
    if (type.kind !== 'function') throw new TypeError(`funcAt: '${text}' is not a function type (write a prototype: 'int op(int a, int b)')`);
    return { ...type, name: type.name ?? 'function pointer' };
  }

  /**
   * Declares many things at once, as a header does: structs, unions, enums (their enumerators
   * become constants), typedefs (callback types included) and function prototypes. Every function
   * is bound now (a missing symbol is an Error naming it). The names stay declared for later
   * `func`, `funcAt` and `declare` calls.
   */
  declare(text: string, options?: FuncOptions): Declarations {
    this.#open('declare');
    checkText('declare', 'text', text);
    const opts = plainOptions<FuncOptions>('declare', options, FUNC_OPTION_KEYS);
    // Read into a child scope first: a text that fails half way declares nothing.
    const local = new Scope(this.scope);
    const declared = parseDeclarations(text, local);
    // Null-prototype objects: a C name like `__proto__` is an ordinary key.
    const result: Declarations = { functions: Object.create(null), types: Object.create(null), constants: Object.create(null) };
    for (const item of declared) {
      switch (item.kind) {
        case 'function': {
          const type = item.type;
          result.functions[item.name] = this.#bind(type, opts, () => this.#native.bind(type, bindOptions(opts)));
          break;
        }
        default:
          collect(item, result);
      }
    }
    mergeScope(this.scope, local);
    return result;
  }

  /**
   * Declares what a C header declares and the library exports: `header` is a path
   * (`/usr/include/zlib.h`) or C text (anything with a newline or a `;`). The header is
   * preprocessed by the C compiler when there is one (`cc -E`, with `options.include` as `-I`
   * and `options.define` as `-D`), else its raw text is read (the common subset). Everything not
   * read is in `skipped` with the reason (variadic functions, inline functions, attributes,
   * macros...); every function the library does not export is in `unexported`. The names stay
   * declared for later `func`, `funcAt`, `declare` and `include` calls.
   */
  include(header: string, options?: HeaderOptions & FuncOptions): Included {
    this.#open('include');
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options)))
      throw new TypeError(
        `include: argument 'options' must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`,
      );
    const { errno, threadsafe, ...headerOptions } = (options ?? {}) as HeaderOptions & FuncOptions;
    const opts = plainOptions<FuncOptions>(
      'include',
      { ...(errno !== undefined && { errno }), ...(threadsafe !== undefined && { threadsafe }) },
      FUNC_OPTION_KEYS,
    );
    const read = readHeader(header, options === undefined ? undefined : headerOptions, this.scope, 'include');
    let exported: Map<string, ExportedSymbol['kind']> | undefined;
    try {
      exported = new Map(this.symbols().map((s) => [s.name, s.kind]));
    } catch {
      // No symbol table: each function is tried, and a bind error says it is missing.
    }
    const result: Included = {
      functions: Object.create(null),
      types: Object.create(null),
      constants: Object.create(null),
      variables: Object.create(null),
      skipped: [...read.skipped],
      unexported: [],
      header: read,
    };
    for (const { item, at } of read.declarations) {
      switch (item.kind) {
        case 'function': {
          const kind = exported?.get(item.name);
          if (exported && (kind === undefined || kind === 'data')) {
            const reason =
              kind === undefined ? `${this.path} exports no symbol '${item.name}'` : `'${item.name}' is a ${kind} symbol of ${this.path}, not a function`;
            result.unexported.push({ ...at, name: item.name, reason });
            break;
          }
          const type = item.type;
          try {
            result.functions[item.name] = this.#bind(type, opts, () => this.#native.bind(type, bindOptions(opts)));
          } catch (error) {
            if (exported) throw error;
            result.unexported.push({ ...at, name: item.name, reason: (error as Error).message });
          }
          break;
        }
        default:
          collect(item, result);
      }
    }
    mergeScope(this.scope, read.scope);
    return result;
  }

  /** The address of an exported symbol (a data symbol such as `environ`, or a function). */
  address(symbol: string): bigint {
    this.#open('address');
    checkText('address', 'symbol', symbol);
    return this.#native.symbol(symbol);
  }

  /** dlclose. Idempotent. Functions declared from this library throw when called afterwards. */
  close(): void {
    if (this.#state.closed) return;
    this.#state.closed = true;
    this.#native.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #bind(type: NamedFunction, options: FuncOptions, bind: () => BoundFunction): ForeignFunction {
    let errno: ErrnoAccess | undefined;
    if (options.errno && this.isolated)
      throw new Error(`${type.name}: { errno: true } is not available on an isolated library (errno lives in the host process)`);
    if (options.errno) errno = errnoAccess(this.#engine);
    let bound: BoundFunction;
    try {
      bound = bind();
    } catch (error) {
      if (error instanceof DeclarationError) throw error;
      throw new Error(`${type.name}: ${(error as Error).message} (engine ${this.engine}, library ${this.path})`, { cause: error });
    }
    return foreignFunction(type, bound, this.#state, { errno, threadsafe: options.threadsafe === true });
  }
}

function bindOptions(options: FuncOptions): BindOptions {
  return options.threadsafe ? { foreignThreadCallbacks: true } : {};
}

/** Copies what a child scope declared into its parent (after the whole text was read). */
function mergeScope(into: Scope, from: Scope): void {
  for (const [k, v] of from.typedefs) into.typedefs.set(k, v);
  for (const [k, v] of from.tags) into.tags.set(k, v);
  for (const [k, v] of from.functions) into.functions.set(k, v);
  for (const [k, v] of from.variables) into.variables.set(k, v);
  for (const [k, v] of from.constants) into.constants.set(k, v);
}

/** A pointer-to-record parameter: objects given for it are encoded for the call. */
interface RecordParam {
  index: number;
  record: RecordType;
  /** The callee may write through it: copy the fields back after the call. */
  writes: boolean;
  size: number;
}

function recordParams(type: FunctionType): RecordParam[] {
  const out: RecordParam[] = [];
  type.params.forEach((param, index) => {
    const crossing = passing(param.type, 'param');
    if (crossing.as !== 'pointer') return;
    const target = crossing.to;
    if ((target.kind !== 'struct' && target.kind !== 'union') || target.fields === undefined) return;
    const constTarget = param.type.kind === 'pointer' && param.type.constTarget;
    out.push({ index, record: target, writes: !constTarget, size: layoutOf(target).size });
  });
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function isAsyncOptions(value: unknown): value is AsyncOptions {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length <= 1 && (keys.length === 0 || keys[0] === 'signal');
}

/** Arguments with records encoded, and what to do after the call. */
function prepare(name: string, params: readonly RecordParam[], args: unknown[]): (() => void) | undefined {
  let after: Array<() => void> | undefined;
  for (const param of params) {
    const value = args[param.index];
    if (!isPlainObject(value)) continue;
    const bytes = new Uint8Array(Math.max(1, param.size));
    const view = new DataView(bytes.buffer);
    encodeRecord(param.record, value, view, 0, `${name}: argument ${param.index + 1}`);
    args[param.index] = bytes;
    if (param.writes) {
      after ??= [];
      after.push(() => Object.assign(value, decodeRecord(param.record, view, 0)));
    }
  }
  return (
    after &&
    (() => {
      for (const step of after) step();
    })
  );
}

/** The callable a library hands out for one bound function. */
function foreignFunction(
  type: NamedFunction,
  bound: BoundFunction,
  state: LibraryState,
  extra: { errno: ErrnoAccess | undefined; threadsafe: boolean },
): ForeignFunction {
  const { name } = type;
  const arity = type.params.length;
  const records = recordParams(type);
  const call = bound.call;
  const { errno, threadsafe } = extra;
  let lastErrno: number | undefined;
  let lastError: number | undefined;
  const closedError = () => new Error(`${name}: library ${state.path} is closed`);
  const arityError = (count: number) =>
    new TypeError(`${name}: expected ${arity} argument${arity === 1 ? '' : 's'}, got ${count} (${declaration(type, name)})`);

  let fn: (...args: unknown[]) => unknown;
  if (threadsafe) {
    fn = () => {
      throw new Error(
        `${name}: declared with { threadsafe: true }: its callbacks run on the event loop, which a synchronous call would block; call ${name}.async(...)`,
      );
    };
  } else if (records.length === 0 && errno === undefined) {
    // The fast path: the engine's own function after two checks.
    fn = function (this: unknown, ...args: unknown[]) {
      if (state.closed) throw closedError();
      if (args.length !== arity) throw arityError(args.length);
      return call(...args);
    };
    if (arity <= 3) fn = fastPath(arity, call, state, closedError, arityError);
  } else {
    fn = (...args: unknown[]) => {
      if (state.closed) throw closedError();
      if (args.length !== arity) throw arityError(args.length);
      const after = records.length === 0 ? undefined : prepare(name, records, args);
      if (errno) errno.reset();
      const result = call(...args);
      if (errno) {
        lastErrno = errno.errno();
        lastError = errno.lastError();
      }
      after?.();
      return result;
    };
  }

  const callAsync = (...given: unknown[]): Promise<unknown> => {
    let options: AsyncOptions | undefined;
    const args = given.slice();
    if (args.length === arity + 1 && isAsyncOptions(args[arity])) options = args.pop() as AsyncOptions;
    if (errno) {
      throw new Error(
        `${name}.async: errno is captured on the calling thread, and an asynchronous call runs on another one; declare it without { errno } to call it asynchronously`,
      );
    }
    if (state.closed) return Promise.reject(closedError());
    if (args.length !== arity) return Promise.reject(arityError(args.length));
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) return Promise.reject(new TypeError(`${name}.async: option 'signal' must be an AbortSignal`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    let after: (() => void) | undefined;
    try {
      after = records.length === 0 ? undefined : prepare(name, records, args);
    } catch (error) {
      return Promise.reject(error);
    }
    const pending = bound.callAsync(args).then((result) => {
      after?.();
      return result;
    });
    if (!signal) return pending;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  };

  Object.defineProperties(fn, {
    name: { value: name, configurable: true },
    async: { value: callAsync, enumerable: true },
    errno: { get: () => lastErrno, enumerable: true },
    lastError: { get: () => lastError, enumerable: true },
    declaration: { value: declaration(type, name), enumerable: true },
    type: { value: type },
  });
  return fn as unknown as ForeignFunction;
}

/** Fixed-arity wrappers (no rest parameter, no spread): the per-call cost of the checks only. */
function fastPath(
  arity: number,
  call: (...args: unknown[]) => unknown,
  state: LibraryState,
  closedError: () => Error,
  arityError: (count: number) => Error,
): (...args: unknown[]) => unknown {
  switch (arity) {
    case 0:
      return function () {
        if (state.closed) throw closedError();
        if (arguments.length !== 0) throw arityError(arguments.length);
        return call();
      };
    case 1:
      return function (a: unknown) {
        if (state.closed) throw closedError();
        if (arguments.length !== 1) throw arityError(arguments.length);
        return call(a);
      } as (...args: unknown[]) => unknown;
    case 2:
      return function (a: unknown, b: unknown) {
        if (state.closed) throw closedError();
        if (arguments.length !== 2) throw arityError(arguments.length);
        return call(a, b);
      } as (...args: unknown[]) => unknown;
    default:
      return function (a: unknown, b: unknown, c: unknown) {
        if (state.closed) throw closedError();
        if (arguments.length !== 3) throw arityError(arguments.length);
        return call(a, b, c);
      } as (...args: unknown[]) => unknown;
  }
}
