/**
 * Where the REPL runs from: the repository's sources (`npm run repl`, under tsx) or a package
 * (`npx mylib-rust repl`, compiled to dist/). Two commands need the repository: `.rebuild` (cargo
 * builds the crate) and the parts that read the Rust sources (`.help`'s doc comments, the exports
 * added since start). Their readers are the drift check's (scripts/abi), tooling that is not in
 * the package: scripts/repl/tools.ts implements `RepositoryTools`, and is imported here, by path,
 * only when the REPL runs from the repository's sources. The package holds no import of scripts/.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ForeignLibrary } from '../ffi/index.ts';

/** An export found in the crate's Rust sources that the declaration table does not have. */
export interface NewExport {
  symbol: string;
  /** The C prototype derived from the Rust signature, when it could be. */
  prototype?: string;
  /** Why it could not be declared. */
  problem?: string;
  fn?: (...args: unknown[]) => unknown;
}

export interface NewExports {
  exports: NewExport[];
  /** The library the exports were declared on (close it when the next `.rebuild` replaces them); undefined when nothing is new. */
  library: ForeignLibrary | undefined;
}

/** What `.help` reads in the repository. */
export interface HelpSources {
  /** bindings/library.ts (the typed classes, read for their signatures). */
  typedPath: string;
  /** bindings/raw.ts DECLARATIONS: symbol -> prototype. */
  declarations: Readonly<Record<string, string>>;
  /** The crate's Rust sources (rustlib/), read for the doc comments. */
  rustDir: string;
}

/** The repository's tooling the REPL uses (scripts/repl/tools.ts). */
export interface RepositoryTools {
  /** `.help` (no name: the list) from the typed sources and the Rust doc comments; throws when they cannot be read. */
  help(name: string | undefined, sources: HelpSources): string;
  /** Declares on `libraryPath` every extern "C" export of `crateDir`'s Rust sources missing from the table. */
  declareNewExports(crateDir: string, libraryPath: string): NewExports;
}

export type Origin =
  | { kind: 'repository'; root: string; tools: RepositoryTools }
  | {
      kind: 'package';
      /** The package's folder (the one holding package.json). */
      root: string;
    };

const HERE = fileURLToPath(import.meta.url);
/** bindings/repl/repository.ts in the sources, dist/bindings/repl/repository.js in the package. */
const FROM_SOURCES = HERE.endsWith('.ts');
const TOOLS = ['scripts', 'repl', 'tools.ts'] as const;

/** Where this REPL runs from; the repository's tools are loaded when it is the repository. */
export async function origin(): Promise<Origin> {
  const root = resolve(dirname(HERE), ...(FROM_SOURCES ? ['..', '..'] : ['..', '..', '..']));
  const tools = join(root, ...TOOLS);
  if (!FROM_SOURCES || !existsSync(tools)) return { kind: 'package', root };
  const loaded = (await import(pathToFileURL(tools).href)) as { tools: RepositoryTools };
  return { kind: 'repository', root, tools: loaded.tools };
}

/** What a command that needs the repository prints from a package. */
export function needsRepository(what: string, root: string): string {
  return `${what} needs the repository checkout and cargo: this REPL runs from the package at ${root}. Clone the repository and run \`npm run repl\` there.`;
}
