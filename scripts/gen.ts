#!/usr/bin/env -S npx tsx
/**
 * Writes every file derived from the declaration table, the Rust docs and the typed API:
 *   include/mylib.h, include/mylib.abi.json   from bindings/raw.ts and rustlib/ffi docs
 *   bindings/abi.generated.ts                CONSTANTS and ABI_VERSION, from the pub consts in rustlib/ffi
 *   bindings/functions.generated.ts           the module-level functions, from Mylib's methods
 *   npm/README.md (function table)            from Mylib's methods and their JSDoc
 * All are committed; `npm run check:abi` fails while one is stale.
 *
 *   npm run gen              write them
 *   npm run gen -- --check   exit 1 (and name the first differing line) when one is stale
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, generate, staleFiles } from './abi/header.ts';
import { generateTypedFiles } from './abi/typed-api.ts';

/** Every derived file, as the sources under `root` generate it. */
export function derivedFiles(root = ROOT): Array<{ path: string; text: string }> {
  return [...generate(), ...generateTypedFiles(root)];
}

/** One message per derived file that is missing or stale; empty when all are fresh. */
export function staleDerivedFiles(root = ROOT): string[] {
  return staleFiles(root, derivedFiles(root));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = derivedFiles();
  if (process.argv.includes('--check')) {
    const problems = staleFiles(ROOT, files);
    for (const problem of problems) console.error(`gen: ${problem}`);
    if (problems.length > 0) process.exit(1);
    console.log(`gen: ${files.map((f) => f.path).join(', ')} are up to date`);
  } else {
    for (const { path, text } of files) {
      mkdirSync(dirname(join(ROOT, path)), { recursive: true });
      writeFileSync(join(ROOT, path), text);
      console.log(`gen: wrote ${path} (${text.split('\n').length} lines)`);
    }
  }
}
