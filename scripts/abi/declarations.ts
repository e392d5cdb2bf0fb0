/**
 * Reads the TypeScript side's declaration tables by importing the module (bindings/raw.ts, or a
 * fixture with the same exports), not by reading its text: what is checked is what the engines get.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface DeclarationTables {
  /** Where the tables came from, for messages. */
  source: string;
  DECLARATIONS: Readonly<Record<string, string>>;
  STRUCTS: Readonly<Record<string, Readonly<Record<string, string>>>>;
  CALLBACKS: Readonly<Record<string, string>>;
  OPAQUES: readonly string[];
  /** The status table (`OK: 0, NULL_ARGUMENT: 1, ...`), compared with the Rust `enum Status`; undefined when absent. */
  Status: Readonly<Record<string, number>> | undefined;
  /** Numeric constants (`MYLIB_ERR_MAX_LEN: 1023`), each compared with the Rust `const` of that name. */
  CONSTANTS: Readonly<Record<string, number>>;
}

/** Normalises a module namespace (missing optional tables are empty; DECLARATIONS is required). */
export function tablesFrom(module: Record<string, unknown>, source: string): DeclarationTables {
  const declarations = module.DECLARATIONS;
  if (typeof declarations !== 'object' || declarations === null) {
    throw new Error(`${source}: exports no DECLARATIONS table (symbol -> C prototype)`);
  }
  const object = <T>(name: string, fallback: T): T => {
    const value = module[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'object' || value === null) throw new Error(`${source}: ${name} must be an object, got ${typeof value}`);
    return value as T;
  };
  return {
    source,
    DECLARATIONS: declarations as Record<string, string>,
    STRUCTS: object('STRUCTS', {}),
    CALLBACKS: object('CALLBACKS', {}),
    OPAQUES: object<readonly string[]>('OPAQUES', []),
    Status: object<Record<string, number> | undefined>('Status', undefined),
    CONSTANTS: object('CONSTANTS', {}),
  };
}

/** Imports a declaration module (.ts works when running under tsx or vitest). */
export async function readDeclarations(modulePath: string, source = modulePath): Promise<DeclarationTables> {
  const module = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>;
  return tablesFrom(module, source);
}
