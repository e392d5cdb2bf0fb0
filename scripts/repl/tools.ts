/**
 * The repository's part of the REPL (bindings/repl/): what reads the Rust sources with the drift
 * check's readers (scripts/abi), which the package does not ship. The formatting of `.help` is
 * product code (bindings/repl/help.ts); reading the sources it shows is tooling, here. bindings/repl/repository.ts
 * imports this module by path when the REPL runs from the repository's sources; from an
 * installed package `.help` lists the declaration table and `.rebuild` says it needs the
 * repository.
 */
import { readFileSync } from 'node:fs';
import { type HelpData, helpFor, helpList } from '../../bindings/repl/help.ts';
import type { RepositoryTools } from '../../bindings/repl/repository.ts';
import { readRustApi } from '../abi/rust.ts';
import { readTypedMethods } from '../abi/typed-api.ts';
import { declareNewExports } from './new-exports.ts';

/** What `.help` shows, read now: the typed methods of `typedPath` and the doc comments of the Rust sources in `rustDir`. */
export function readHelpSources(typedPath: string, declarations: Readonly<Record<string, string>>, rustDir: string): HelpData {
  const docs = new Map(readRustApi(rustDir).functions.map((f) => [f.symbol, f.doc]));
  return { methods: readTypedMethods(readFileSync(typedPath, 'utf8')), declarations, docs };
}

export const tools: RepositoryTools = {
  help(name, { typedPath, declarations, rustDir }) {
    const sources = readHelpSources(typedPath, declarations, rustDir);
    return name ? helpFor(name, sources) : helpList(sources);
  },
  declareNewExports,
};
