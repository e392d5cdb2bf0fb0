/**
 * Exports the crate has that the declaration table does not: a function added to the Rust code
 * while the REPL runs. After `.rebuild` they are declared from their Rust signatures (the drift
 * check's reader and Rust -> C mapping) on the freshly loaded file, so `raw.<name>(...)` calls
 * them at once; the typed layer needs the table entry (bindings/raw.ts) and a restart.
 */
import { join } from 'node:path';
import type koffiModule from 'koffi';
import { DECLARATIONS } from '../../bindings/raw.ts';
import { type NamedTypes, readRustApi, rustToC } from '../abi/rust.ts';
import { formatC } from '../abi/types.ts';

export interface NewExport {
  symbol: string;
  /** The C prototype derived from the Rust signature, when it could be. */
  prototype?: string;
  /** Why it could not be declared. */
  problem?: string;
  fn?: (...args: unknown[]) => unknown;
}

/** Declares on `libraryPath` every extern "C" export of `crateDir`'s Rust sources missing from DECLARATIONS. */
export function declareNewExports(koffi: typeof koffiModule, crateDir: string, libraryPath: string): NewExport[] {
  const rust = readRustApi(join(crateDir, 'rustlib'));
  const named: NamedTypes = {
    structs: new Map(rust.structs.map((s) => [s.name, s])),
    callbacks: new Map(rust.callbacks.map((c) => [c.name, c])),
  };
  const missing = rust.functions.filter((f) => f.isExternC && !(f.symbol in DECLARATIONS));
  if (missing.length === 0) return [];
  const handle = koffi.load(libraryPath);
  return missing.map((f): NewExport => {
    try {
      const result = f.result === '()' ? 'void' : formatC(rustToC(f.resultTokens, named));
      const params = f.params.map((p) => `${formatC(rustToC(p.tokens, named))} ${p.name}`);
      const prototype = `${result} ${f.symbol}(${params.join(', ')})`;
      return { symbol: f.symbol, prototype, fn: handle.func(prototype) as (...args: unknown[]) => unknown };
    } catch (error) {
      return { symbol: f.symbol, problem: error instanceof Error ? error.message : String(error) };
    }
  });
}
