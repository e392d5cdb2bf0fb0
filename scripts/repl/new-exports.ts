/**
 * Exports the crate has that the declaration table does not: a function added to the Rust code
 * while the REPL runs (repository only: the REPL reaches this through tools.ts). After `.rebuild` they are declared from their Rust signatures (the drift
 * check's reader and Rust -> C mapping) through mylib-rust/ffi, `open(path).func(prototype)`, on
 * the freshly loaded file, so `raw.<name>(...)` calls them at once; the typed layer needs the
 * table entry (bindings/raw.ts) and a restart. The prototypes may use the table's types
 * (`MylibTextOut *`, `MylibProgressFn *`): the library's scope starts with them.
 */
import { join } from 'node:path';
import { open } from '../../bindings/ffi/index.ts';
import { declaration } from '../../bindings/ffi/types.ts';
import { DECLARATIONS, TABLE_SCOPE } from '../../bindings/raw.ts';
import type { NewExport, NewExports } from '../../bindings/repl/repository.ts';
import { type NamedTypes, readRustApi, rustToC } from '../abi/rust.ts';

/** Declares on `libraryPath` every extern "C" export of `crateDir`'s Rust sources missing from DECLARATIONS. */
export function declareNewExports(crateDir: string, libraryPath: string): NewExports {
  const rust = readRustApi(join(crateDir, 'rustlib'));
  const named: NamedTypes = {
    structs: new Map(rust.structs.map((s) => [s.name, s])),
    callbacks: new Map(rust.callbacks.map((c) => [c.name, c])),
  };
  const missing = rust.functions.filter((f) => f.isExternC && !(f.symbol in DECLARATIONS));
  if (missing.length === 0) return { exports: [], library: undefined };
  const library = open(libraryPath);
  for (const [k, v] of TABLE_SCOPE.typedefs) library.scope.typedefs.set(k, v);
  for (const [k, v] of TABLE_SCOPE.tags) library.scope.tags.set(k, v);
  const exports = missing.map((f): NewExport => {
    let prototype: string | undefined;
    try {
      const result = f.result === '()' ? 'void' : declaration(rustToC(f.resultTokens, named), '');
      const params = f.params.map((p) => declaration(rustToC(p.tokens, named), p.name));
      prototype = `${result} ${f.symbol}(${params.join(', ')})`;
      return { symbol: f.symbol, prototype, fn: library.func(prototype) as unknown as (...args: unknown[]) => unknown };
    } catch (error) {
      return { symbol: f.symbol, ...(prototype ? { prototype } : {}), problem: error instanceof Error ? error.message : String(error) };
    }
  });
  return { exports, library };
}
