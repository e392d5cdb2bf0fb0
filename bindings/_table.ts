/**
 * Internal: the declaration table of bindings/raw.ts bound through any engine (bindings/ffi/):
 * the ONE adapter between the FFI core and the typed layer. It checks the ABI version, binds
 * every export (raw.ts FUNCTIONS, the table read by the grammar) with NativeLibrary.bind and the
 * address forms, and presents them as the typed layer uses them (MylibTable). Not public API.
 *
 * Nothing here runs per call: `raw.<name>` IS the engine's bound `call`, so the adapter costs
 * nothing on a call.
 */
import type { BoundFunction, Engine, EngineName, NativeLibrary } from './ffi/engine.ts';
import type { NamedFunction } from './ffi/grammar.ts';
import { ABI_VERSION } from './names.ts';
import { ADDRESS_FORMS, type AddressFunctions, FUNCTIONS, type Pointer, type RawFunctions, type SymbolName, addressForm } from './raw.ts';

/** One library as the typed layer uses it, whatever the engine. */
export interface MylibTable {
  readonly engine: EngineName;
  readonly path: string;
  /** Every export of DECLARATIONS, called synchronously (the engine's own functions). */
  readonly raw: RawFunctions;
  /** The address forms (raw.ts ADDRESS_FORMS): every pointer parameter takes an address as a Number. */
  readonly addressed: AddressFunctions;
  /** Runs `name` off the main thread; resolves with its return value. Callbacks run on the main thread. */
  callAsync(name: SymbolName, args: readonly unknown[]): Promise<unknown>;
  /** `length` bytes of native memory at `pointer`, without copying; valid while the memory is. */
  view(pointer: Pointer, length: number): ArrayBuffer;
  /** dlclose. The typed layer stops calling first (library.ts swaps in functions that throw). */
  unload(): void;
}

/**
 * An engine's own address form of a function (optional on NativeLibrary): a bound function whose
 * pointer parameters take addresses as Numbers, faster than its plain form for such calls. Without
 * it the adapter binds the `uintptr_t` form (every pointer parameter declared `uintptr_t`), which
 * is what koffi converts fastest (measured ~130 ns less per 7-argument call than a pointer).
 */
export interface AddressFormHook {
  bindAddressForm(type: NamedFunction): BoundFunction;
}

/**
 * Opens `path` with `engine`, checks its ABI version, then binds the table. `mylib_abi_version`
 * is bound alone first, so an older library fails on its version, not on a missing symbol.
 * Throws an Error whose message is the reason (it becomes one line of LibraryLoadError).
 */
export function openTable(engine: Engine, path: string): MylibTable {
  let library: NativeLibrary;
  try {
    library = engine.open(path);
  } catch (error) {
    throw new Error(`${engine.name}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const abiVersion = library.bind(FUNCTIONS.mylib_abi_version).call() as number;
    if (abiVersion !== ABI_VERSION) {
      throw new Error(`ABI version mismatch: the library has ABI version ${abiVersion}, these bindings were written for ABI version ${ABI_VERSION}`);
    }
    return bindTable(engine, library);
  } catch (error) {
    library.close();
    throw error;
  }
}

function bindTable(engine: Engine, library: NativeLibrary): MylibTable {
  const bound = {} as Record<SymbolName, BoundFunction>;
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(FUNCTIONS) as SymbolName[]) {
    bound[name] = library.bind(FUNCTIONS[name]);
    raw[name] = bound[name].call;
  }
  const hook = (library as Partial<AddressFormHook>).bindAddressForm;
  const addressed: Record<string, unknown> = {};
  for (const name of ADDRESS_FORMS) {
    const type = FUNCTIONS[name];
    addressed[name] = (hook ? hook.call(library, type) : library.bind(addressForm(type))).call;
  }
  return {
    engine: library.engine,
    path: library.path,
    raw: raw as RawFunctions,
    addressed: addressed as AddressFunctions,
    callAsync: (name, args) => bound[name].callAsync(args),
    view: (pointer, length) => engine.view(pointer, length),
    unload: () => library.close(),
  };
}
