/**
 * The FFI engines the typed API can run on, and how one is chosen. An engine loads the library,
 * declares every function of the declaration table (bindings/raw.ts) and presents them in one
 * calling convention (see RawFunctions), plus what the typed layer needs beyond a synchronous
 * call: an async call off the main thread, a view of library-owned memory, unload.
 */
import type { AddressFunctions, Pointer, RawFunctions, SymbolName } from './raw.ts';

/** Every engine, by the name `open({ engine })` and MYLIB_FFI_ENGINE take. */
export const ENGINES = ['koffi', 'node:ffi', 'bun:ffi', 'deno'] as const;
export type EngineName = (typeof ENGINES)[number];
/** `open({ engine })` or this variable chooses the engine (default: `auto`). */
export const ENGINE_ENV = 'MYLIB_FFI_ENGINE';

/**
 * One library loaded through one engine. Every engine presents the table's functions with the
 * same calling convention, derived from each parameter's C type (bindings/raw.ts):
 *
 * - integers and `double`: a Number (`uint64_t` may also be a BigInt); `bool`: a boolean;
 * - data pointers (`uint8_t *`, `double *`, `uint32_t *`, `uint64_t *`, `size_t *`, struct
 *   pointers, `T **`): a TypedArray or Buffer (its bytes from `byteOffset`, borrowed for the
 *   call), `null`, an Address (a Number inside library-owned memory), or for `uint8_t *` a
 *   Pointer the library returned;
 * - opaque handle pointers (`MylibFuzzyIndex *`): a Pointer (BigInt) or `null`;
 * - callback pointers (`MylibProgressFn *`): a JS function or `null`; the engine makes the C
 *   callback, valid for the call, and for async calls runs the JS function on the main thread
 *   while the native thread waits for its answer;
 * - results: Numbers, `void` as undefined, pointers as a BigInt Pointer or `null` for NULL.
 */
export interface EngineLibrary {
  readonly engine: EngineName;
  /** Every export of the table, called synchronously. */
  readonly raw: RawFunctions;
  /** The address forms (bindings/raw.ts ADDRESS_FORMS). */
  readonly addressed: AddressFunctions;
  /** Runs `name` off the main thread; resolves with its return value. Callbacks run on the main thread. */
  callAsync(name: SymbolName, args: readonly unknown[]): Promise<unknown>;
  /** `length` bytes of native memory at `pointer`, without copying; valid while the memory is. */
  view(pointer: Pointer, length: number): ArrayBuffer;
  unload(): void;
}

/** A library opened by an engine, before the ABI handshake has accepted it. */
export interface OpenedLibrary {
  /** Calls `mylib_abi_version` (declared alone, so an old library fails here, not on a missing symbol). */
  abiVersion(): number;
  /** Declares the whole table. Throws naming a missing symbol. */
  declare(): EngineLibrary;
  unload(): void;
}

export interface Engine {
  readonly name: EngineName;
  /** dlopen. Throws an Error whose message is the reason. */
  open(path: string): OpenedLibrary;
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

/** Registers an engine implementation (bindings/engines/*.ts do this when imported). */
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
  return load();
}
