/**
 * `.help` of the REPL from the repository's sources: the typed API's signatures and the C exports
 * (bindings/raw.ts DECLARATIONS), each with the first line of the Rust doc comment of the export
 * it calls. This module only formats: the repository's tooling (scripts/repl/tools.ts) reads the
 * methods from bindings/library.ts and the doc comments from the Rust sources each time `.help`
 * runs (so edits show), and passes them here.
 */

/** A public method of the typed API as read from its source (scripts/abi/typed-api.ts's TypedMethod). */
export interface HelpMethod {
  /** `mylib.getResult`, `new FuzzyIndex`, `FuzzyIndex#closest`. */
  label: string;
  name: string;
  className: string;
  signature: string;
  jsdoc: string;
  /** The C exports its body calls. */
  symbols: string[];
}

export interface HelpData {
  /** The typed API's public methods. */
  methods: readonly HelpMethod[];
  /** DECLARATIONS: symbol -> prototype. */
  declarations: Readonly<Record<string, string>>;
  /** Export symbol -> its Rust doc comment. */
  docs: ReadonlyMap<string, string>;
}

const firstLine = (doc: string) => doc.split('\n').find((l) => l.trim() !== '') ?? '(no doc comment)';

/** The `.help` listing: every typed function and every C export, one doc line each. */
export function helpList(sources: HelpData): string {
  const docs = sources.docs;
  const out: string[] = ['Typed API (`mylib` is the current library; classes take {library} or use it):'];
  for (const method of sources.methods) {
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
export function helpFor(name: string, sources: HelpData): string {
  const docs = sources.docs;
  const methods = sources.methods.filter(
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
    const known = [...sources.methods.map((m) => m.name), ...Object.keys(sources.declarations)];
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
