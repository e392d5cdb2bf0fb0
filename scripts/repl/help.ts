/**
 * `.help` for the REPL run from the repository (through tools.ts): the typed API's signatures
 * (read from bindings/library.ts by scripts/abi/typed-api.ts) and the C exports (bindings/raw.ts
 * DECLARATIONS), each with the first line of the Rust doc comment of the export it calls, read
 * from the Rust sources at the time `.help` runs (so edits show).
 */
import { readFileSync } from 'node:fs';
import { type RustApi, readRustApi } from '../abi/rust.ts';
import { readTypedMethods } from '../abi/typed-api.ts';

export interface HelpSources {
  /** bindings/library.ts (typed classes). */
  typedSource: string;
  /** DECLARATIONS: symbol -> koffi prototype. */
  declarations: Readonly<Record<string, string>>;
  /** Folder of the Rust sources. */
  rustDir: string;
}

const firstLine = (doc: string) => doc.split('\n').find((l) => l.trim() !== '') ?? '(no doc comment)';

function rustDocs(rustDir: string): Map<string, string> {
  const api: RustApi = readRustApi(rustDir);
  return new Map(api.functions.map((f) => [f.symbol, f.doc]));
}

/** The `.help` listing: every typed function and every C export, one doc line each. */
export function helpList(sources: HelpSources): string {
  const docs = rustDocs(sources.rustDir);
  const out: string[] = ['Typed API (`mylib` is the current library; classes take {library} or use it):'];
  for (const method of readTypedMethods(sources.typedSource)) {
    out.push(`  ${method.signature}`);
    const symbol = method.symbols[0];
    const doc = symbol ? docs.get(symbol) : undefined;
    out.push(`      ${doc ? firstLine(doc) : firstLine(method.jsdoc)}${method.symbols.length ? `  [${method.symbols.join(', ')}]` : ''}`);
  }
  out.push('', 'C exports (`raw.<name>(...)`; prototypes from bindings/raw.ts):');
  for (const [symbol, prototype] of Object.entries(sources.declarations)) {
    out.push(`  ${prototype}`, `      ${firstLine(docs.get(symbol) ?? '(not exported by the Rust sources)')}`);
  }
  out.push('', '`.help <name>` (e.g. .help getResult, .help mylib_stats) shows the whole doc.');
  return out.join('\n');
}

/** `.help name`: a typed method (getResult, FuzzyIndex#closest) or a C export (with or without `mylib_`). */
export function helpFor(name: string, sources: HelpSources): string {
  const docs = rustDocs(sources.rustDir);
  const methods = readTypedMethods(sources.typedSource).filter(
    (m) => m.name === name || m.label === name || `${m.className}.${m.name}` === name || (name === m.className && m.name === 'constructor'),
  );
  const symbols = new Set<string>();
  const out: string[] = [];
  for (const method of methods) {
    out.push(method.signature);
    if (method.jsdoc) out.push(indent(method.jsdoc, '  // '));
    for (const s of method.symbols) symbols.add(s);
    out.push('');
  }
  for (const candidate of [name, `mylib_${name}`]) if (candidate in sources.declarations || docs.has(candidate)) symbols.add(candidate);
  for (const symbol of symbols) {
    out.push(sources.declarations[symbol] ?? `${symbol} (no declaration in bindings/raw.ts)`);
    out.push(indent(docs.get(symbol) ?? '(not exported by the Rust sources)', '  /// '), '');
  }
  if (out.length === 0) {
    const known = [...readTypedMethods(sources.typedSource).map((m) => m.name), ...Object.keys(sources.declarations)];
    const near = known.filter((k) => k.toLowerCase().includes(name.toLowerCase())).slice(0, 5);
    return `.help: no function named '${name}'.${near.length ? ` Did you mean: ${near.join(', ')}?` : ''} Type .help for the list.`;
  }
  return out.join('\n').trimEnd();
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => `${prefix}${l}`.trimEnd())
    .join('\n');
}

export function readHelpSources(typedPath: string, declarations: Readonly<Record<string, string>>, rustDir: string): HelpSources {
  return { typedSource: readFileSync(typedPath, 'utf8'), declarations, rustDir };
}
