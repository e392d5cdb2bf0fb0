/**
 * The repository's part of the REPL (bindings/repl/): what reads the Rust sources with the drift
 * check's readers (scripts/abi), which the package does not ship. bindings/repl/repository.ts
 * imports this module by path when the REPL runs from the repository's sources; from an
 * installed package `.help` lists the declaration table and `.rebuild` says it needs the
 * repository.
 */
import type { RepositoryTools } from '../../bindings/repl/repository.ts';
import { helpFor, helpList, readHelpSources } from './help.ts';
import { declareNewExports } from './new-exports.ts';

export const tools: RepositoryTools = {
  help(name, { typedPath, declarations, rustDir }) {
    const sources = readHelpSources(typedPath, declarations, rustDir);
    return name ? helpFor(name, sources) : helpList(sources);
  },
  declareNewExports,
};
