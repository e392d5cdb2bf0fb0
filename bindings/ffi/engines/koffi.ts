/**
 * The koffi engine: the default on Node, and usable wherever koffi's native module loads (Node,
 * Bun, Deno). koffi is loaded on first use, so other engines never load it.
 */
import { createRequire } from 'node:module';
import type { LibraryHandle } from 'koffi';
import { type Engine, type EngineLibrary, type OpenedLibrary, registerEngine } from '../engine.ts';
import {
  ADDRESS_FORMS,
  type AddressFunctions,
  CALLBACKS,
  DECLARATIONS,
  LAYOUTS,
  OPAQUES,
  type Pointer,
  type RawFunctions,
  STRUCTS,
  type SymbolName,
  addressPrototype,
} from '../raw.ts';

type Koffi = typeof import('koffi');
type KoffiFunction = ((...args: unknown[]) => unknown) & { async(...args: unknown[]): void };

let koffiModule: Koffi | undefined;

/** koffi, with the table's opaque, struct and callback types registered (once per process). */
export function loadKoffi(): Koffi {
  if (koffiModule) return koffiModule;
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  for (const name of OPAQUES) koffi.opaque(name);
  for (const [name, fields] of Object.entries(STRUCTS)) {
    const type = koffi.struct(name, fields as Record<string, string>);
    const layout = LAYOUTS[name as keyof typeof LAYOUTS];
    if (koffi.sizeof(type) !== layout.size || koffi.alignof(type) !== layout.alignment) {
      throw new Error(
        `mylib: koffi lays out ${name} in ${koffi.sizeof(type)} bytes (alignment ${koffi.alignof(type)}), the table in ${layout.size} (${layout.alignment})`,
      );
    }
  }
  for (const prototype of Object.values(CALLBACKS)) koffi.proto(prototype);
  koffiModule = koffi;
  return koffi;
}

function declare(handle: LibraryHandle, koffi: Koffi): EngineLibrary {
  const functions: Record<string, KoffiFunction> = {};
  for (const [name, prototype] of Object.entries(DECLARATIONS)) functions[name] = handle.func(prototype) as KoffiFunction;
  const addressed: Record<string, unknown> = {};
  for (const name of ADDRESS_FORMS) addressed[name] = handle.func(addressPrototype(DECLARATIONS[name]));
  return {
    engine: 'koffi',
    raw: functions as unknown as RawFunctions,
    addressed: addressed as AddressFunctions,
    callAsync: (name: SymbolName, args: readonly unknown[]) =>
      new Promise((resolve, reject) => {
        functions[name]!.async(...args, (error: unknown, result: unknown) => (error ? reject(error) : resolve(result)));
      }),
    view: (pointer: Pointer, length: number) => koffi.view(pointer as unknown as object, length) as ArrayBuffer,
    unload: () => handle.unload(),
  };
}

export const koffiEngine: Engine = {
  name: 'koffi',
  open(path: string): OpenedLibrary {
    const koffi = loadKoffi();
    const handle = koffi.load(path);
    return {
      abiVersion: () => (handle.func(DECLARATIONS.mylib_abi_version) as () => number)(),
      declare: () => declare(handle, koffi),
      unload: () => handle.unload(),
    };
  },
};

/** Makes the engine selectable (called by the loader). */
export function registerKoffiEngine(): void {
  registerEngine('koffi', () => koffiEngine);
}
