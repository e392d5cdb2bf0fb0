/**
 * The FFI engines of mylib-rust/ffi and how one is chosen. An engine opens a shared library and
 * binds C functions described by the type vocabulary (types.ts) in ONE calling convention, the
 * same on every engine (`passing()` in types.ts says what crosses for each C type):
 *
 * - `number`: a Number; `wide` (64-bit, pointer-sized): a Number or BigInt in, a Number out when
 *   it is a safe integer, else a BigInt; `bool`: a boolean;
 * - `string` (`const char *`): a JS string in, encoded as NUL-terminated UTF-8 for the call; out,
 *   a JS string copied from the C string, or null for NULL;
 * - `pointer`: an ArrayBuffer or ArrayBufferView (its bytes from byteOffset, borrowed for the
 *   call; an empty one is passed as NULL), null, or an address as a BigInt or a Number; results
 *   are a BigInt address, or null for NULL;
 * - `handle` (pointer to an opaque record): a BigInt or null, in and out;
 * - `callback`: a JS function (a C callback valid during the call), null, or a BigInt address;
 * - `record` (struct/union by value): a plain object with one property per field (nested records
 *   are objects, arrays are Arrays of their elements), in and out.
 *
 * What an engine cannot do (a record by value on an FFI without structs, a callback from a
 * foreign thread) is refused when the function is bound, with an Error naming the function, the
 * engine and the construct, never at call time.
 */
import { exitSafe } from './engines/_exit.ts';
import type { FunctionType } from './types.ts';

/** Every engine, by the name `open({ engine })` and MYLIB_FFI_ENGINE take. */
export const ENGINES = ['koffi', 'node:ffi', 'bun:ffi', 'deno'] as const;
export type EngineName = (typeof ENGINES)[number];
/** `open({ engine })` or this variable chooses the engine (default: `auto`). */
export const ENGINE_ENV = 'MYLIB_FFI_ENGINE';

/** A function bound by an engine. */
export interface BoundFunction {
  /** The synchronous call, in the calling convention above. */
  readonly call: (...args: unknown[]) => unknown;
  /**
   * The same call off the main thread; resolves with its result. Callbacks passed to it run on
   * the main thread while the native thread waits for their answer. Arguments are read when the
   * call is made: buffers passed must stay alive and unchanged until it settles (the engine keeps
   * them reachable).
   */
  callAsync(args: readonly unknown[]): Promise<unknown>;
}

/** Per-function binding options. */
export interface BindOptions {
  /**
   * The C callbacks this function receives may be called from another thread than the caller's
   * (an engine that cannot do that refuses the binding).
   */
  foreignThreadCallbacks?: boolean;
}

/** One library opened by one engine. */
export interface NativeLibrary {
  readonly engine: EngineName;
  readonly path: string;
  /** Binds the exported function `type.name`. Throws an Error naming a missing symbol. */
  bind(type: FunctionType & { name: string }, options?: BindOptions): BoundFunction;
  /** Binds a C function at `address` (a function pointer the library returned or exports). */
  bindAddress(address: bigint, type: FunctionType, options?: BindOptions): BoundFunction;
  /** The address of exported symbol `name` (function or data). Throws when it is missing. */
  symbol(name: string): bigint;
  /** dlclose. Bound functions must not be called afterwards (the caller guards that). */
  close(): void;
}

/** An FFI engine. */
export interface Engine {
  readonly name: EngineName;
  /** dlopen. Throws an Error whose message is the reason. */
  open(path: string): NativeLibrary;
  /**
   * `length` bytes of native memory at `address`, without copying: valid while that memory is.
   * The caller bounds `length`; reading memory that is not mapped kills the process.
   */
  view(address: bigint, length: number): ArrayBuffer;
  /** The address of a view's first byte (valid while the view's buffer is alive and not detached). */
  addressOf(view: ArrayBufferView): bigint;
}

/** The JavaScript runtime this process runs on. */
export function currentRuntime(): 'node' | 'bun' | 'deno' {
  const global = globalThis as { Bun?: unknown; Deno?: unknown };
  if (global.Bun !== undefined) return 'bun';
  if (global.Deno !== undefined) return 'deno';
  return 'node';
}

/** Engines implemented in these bindings. */
const IMPLEMENTED: Partial<Record<EngineName, () => Engine>> = {};

/** Registers an engine implementation (engines/*.ts do this when imported). */
export function registerEngine(name: EngineName, load: () => Engine): void {
  IMPLEMENTED[name] = load;
}

/** The engine `auto` stands for on this runtime. */
export function defaultEngine(runtime = currentRuntime()): EngineName {
  const native: Record<typeof runtime, EngineName> = { bun: 'bun:ffi', deno: 'deno', node: 'koffi' };
  const preferred = native[runtime];
  return IMPLEMENTED[preferred] ? preferred : 'koffi';
}

/** Reads an engine choice (option or environment); a TypeError names `where` and the known names. */
export function engineChoice(value: unknown, where: string): EngineName | 'auto' {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (typeof value === 'string' && (ENGINES as readonly string[]).includes(value)) return value as EngineName;
  throw new TypeError(`${where} must be one of auto, ${ENGINES.join(', ')}; got ${JSON.stringify(value)}`);
}

/** The engine to use, or an Error naming the engine and why it cannot run here. */
export function resolveEngine(choice: EngineName | 'auto'): Engine {
  const name = choice === 'auto' ? defaultEngine() : choice;
  const load = IMPLEMENTED[name];
  if (!load) throw new Error(`mylib: engine '${name}' is not available in these bindings (available: ${Object.keys(IMPLEMENTED).join(', ')})`);
  const engine = load();
  const known = EXIT_SAFE.get(engine);
  if (known !== undefined) return known;
  const safe = exitSafe(engine);
  EXIT_SAFE.set(engine, safe);
  return safe;
}

/** Each engine as resolveEngine gives it: its async calls do not hold the process at exit (engines/_exit.ts). */
const EXIT_SAFE = new WeakMap<Engine, Engine>();
