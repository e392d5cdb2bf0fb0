/**
 * Internal: the declaration table of bindings/raw.ts bound through any engine (bindings/ffi/):
 * the ONE adapter between the FFI core and the typed layer. It reads the table with the grammar,
 * checks the ABI version, binds every export with NativeLibrary.bind and the address forms, and
 * presents them as the typed layer uses them (MylibTable). Not public API.
 *
 * Nothing here runs per call: `raw.<name>` IS the engine's bound `call`, so the adapter costs
 * nothing on a call.
 */
import type { BoundFunction, Engine, EngineName, NativeLibrary } from './ffi/engine.ts';
import { type NamedFunction, Scope, parseDeclarations, parseFunction } from './ffi/grammar.ts';
import { type FunctionType, formatType, layoutOf, scalar } from './ffi/types.ts';
import { ABI_VERSION } from './names.ts';
import { ADDRESS_FORMS, type AddressFunctions, CALLBACKS, DECLARATIONS, OPAQUES, type Pointer, type RawFunctions, STRUCTS, type SymbolName } from './raw.ts';

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

let tableScope: Scope | undefined;

/** The types of raw.ts (STRUCTS, CALLBACKS, OPAQUES) as C declarations read by the grammar, once. */
export function declarationScope(): Scope {
  if (tableScope) return tableScope;
  const scope = new Scope();
  const text = [
    ...OPAQUES.map((name) => `typedef struct ${name} ${name};`),
    ...Object.entries(STRUCTS).map(
      ([name, fields]) =>
        `typedef struct ${name} { ${Object.entries(fields)
          .map(([field, type]) => `${type} ${field};`)
          .join(' ')} } ${name};`,
    ),
    ...Object.values(CALLBACKS).map((prototype) => `typedef ${prototype};`),
  ].join('\n');
  parseDeclarations(text, scope);
  tableScope = scope;
  return scope;
}

/** Size, alignment and field offsets (with each field's C type) of a struct of raw.ts STRUCTS. */
export interface Layout {
  size: number;
  alignment: number;
  members: Record<string, { offset: number; type: string }>;
}

/** The layout of every struct in STRUCTS on this host, by the C rules (types.ts layoutOf). */
export const LAYOUTS: Readonly<Record<keyof typeof STRUCTS, Layout>> = Object.fromEntries(
  Object.keys(STRUCTS).map((name) => {
    const layout = layoutOf(declarationScope().type(name)!);
    const members = Object.fromEntries(layout.fields.map((f) => [f.name, { offset: f.offset, type: formatType(f.type) }]));
    return [name, { size: layout.size, alignment: layout.alignment, members }];
  }),
) as Record<keyof typeof STRUCTS, Layout>;

const functionTypes = new Map<SymbolName, NamedFunction>();

/** The function type of export `name`, read from DECLARATIONS. */
export function functionType(name: SymbolName): NamedFunction {
  let type = functionTypes.get(name);
  if (!type) {
    type = parseFunction(DECLARATIONS[name], declarationScope());
    functionTypes.set(name, type);
  }
  return type;
}

const UINTPTR = scalar('uintptr_t')!;

/** `type` with every pointer parameter declared `uintptr_t` (raw.ts addressPrototype, on the vocabulary). */
export function uintptrForm<T extends FunctionType>(type: T): T {
  return { ...type, params: type.params.map((p) => (p.type.kind === 'pointer' ? { name: p.name, type: UINTPTR } : p)) };
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
    const abiVersion = library.bind(functionType('mylib_abi_version')).call() as number;
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
  for (const name of Object.keys(DECLARATIONS) as SymbolName[]) {
    bound[name] = library.bind(functionType(name));
    raw[name] = bound[name].call;
  }
  const hook = (library as Partial<AddressFormHook>).bindAddressForm;
  const addressed: Record<string, unknown> = {};
  for (const name of ADDRESS_FORMS) {
    const type = functionType(name);
    addressed[name] = (hook ? hook.call(library, type) : library.bind(uintptrForm(type))).call;
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
