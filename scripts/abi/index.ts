/**
 * The drift check as a module: Rust exports (rustlib/) vs the declaration tables
 * (bindings/raw.ts) vs the symbols of the built library. `npm run check:abi` is its CLI
 * (scripts/abi/main.mjs); test/abi.test.ts runs it on broken fixtures.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectObjectFile } from '../../bindings/ffi/object-file.ts';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { type CheckResult, type LibrarySymbols, checkAbi } from './check.ts';
import { readDeclarations } from './declarations.ts';
import { readRustApi } from './rust.ts';

export { type CheckResult, type LibrarySymbols, type Problem, type ProblemKind, checkAbi, structLayout } from './check.ts';
export { type DeclarationTables, readDeclarations, tablesFrom } from './declarations.ts';
export { type RustApi, parseRustSource, readRustApi, rustToC, tokenize } from './rust.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunOptions {
  /** Folder of the Rust sources (every .rs below it is read). Default: rustlib/. */
  rustDir?: string;
  /** Module exporting DECLARATIONS/STRUCTS/CALLBACKS/OPAQUES/TYPES. Default: bindings/raw.ts. */
  bindings?: string;
  /** The built library. Default: artifacts/<platform-tagged name>. `false` skips the binary. */
  library?: string | false;
  /** Paths in messages are relative to this folder. Default: the repository root. */
  base?: string;
}

export interface RunResult extends CheckResult {
  library: string | undefined;
  /** Where the symbols were read: `.dynsym`, `export table`, `export trie`, `symtab`. */
  symbolSource: string | undefined;
}

/** Reads all three sides and compares them. Throws (clear message) when an input is missing. */
export async function runCheck(options: RunOptions = {}): Promise<RunResult> {
  const base = options.base ?? ROOT;
  const rustDir = resolve(options.rustDir ?? join(ROOT, 'rustlib'));
  const bindings = resolve(options.bindings ?? join(ROOT, 'bindings', 'raw.ts'));
  if (!existsSync(rustDir)) throw new Error(`check:abi: Rust source folder not found: ${rustDir}`);
  if (!existsSync(bindings)) throw new Error(`check:abi: declaration module not found: ${bindings}`);
  const rust = readRustApi(rustDir, base);
  const tables = await readDeclarations(bindings, relative(base, bindings));
  let symbols: LibrarySymbols | undefined;
  const library = options.library === false ? undefined : resolve(options.library ?? join(ROOT, 'artifacts', libraryFileName(hostPlatform())));
  if (library !== undefined) {
    if (!existsSync(library))
      throw new Error(`check:abi: built library not found: ${library}\nRun \`npm run build\` first (or pass --no-binary to skip the symbol check).`);
    symbols = readLibrarySymbols(library);
    symbols.path = relative(base, library);
  }
  const pointerSize = ['ia32', 'arm', 'mips', 'mipsel', 'ppc'].includes(process.arch) ? 4 : 8;
  return { ...checkAbi({ rust, tables, symbols, pointerSize }), library, symbolSource: symbols?.source };
}

/** Every symbol the built library exports, from its own export table (bindings/ffi/object-file.ts). */
export function readLibrarySymbols(path: string): LibrarySymbols {
  const file = inspectObjectFile(path);
  return { path, source: file.exportSource, names: new Set(file.exports.map((s) => s.name)) };
}
