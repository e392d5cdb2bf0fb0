#!/usr/bin/env -S npx tsx
// The ABI drift check: every exported extern "C" fn in rustlib/ vs the declaration tables in
// bindings/raw.ts vs the symbols of the built library. One line per problem; exit 1 if any.
//   npm run check:abi
//   npm run check:abi -- --lib path/to/lib.so   check another built library
//   npm run check:abi -- --no-binary            skip the built-library symbol check
//   npm run check:abi -- --rust dir --bindings module.ts   (fixtures)
import { argv, chalk } from 'zx';
import { runCheck } from './index.ts';
import { staleDerivedFiles } from '../gen.ts';
import { errorMessage } from '../errors.mjs';

const started = performance.now();
let result;
try {
  result = await runCheck({
    rustDir: argv.rust,
    bindings: argv.bindings,
    library: argv.binary === false ? false : argv.lib,
  });
} catch (error) {
  console.error(chalk.red(errorMessage(error)));
  process.exit(2);
}
const { counts } = result;
// The committed header and its JSON twin, when checking the repository's own sources.
const ownSources = argv.rust === undefined && argv.bindings === undefined;
const problems = [...result.problems, ...(ownSources ? staleDerivedFiles().map((message) => ({ kind: 'generated-stale', message })) : [])];
for (const problem of problems) console.error(problem.message);
const binary =
  result.library === undefined ? 'binary not checked' : `${counts.symbols} symbol(s) read from the library's export table (${result.symbolSource})`;
const summary =
  `check:abi: ${counts.exports} Rust export(s), ${counts.declarations} declaration(s), ${counts.structs} struct(s), ` +
  `${counts.callbacks} callback(s), ${counts.opaques} opaque type(s), ${counts.statuses} status(es), ${counts.constants} constant(s), ${ownSources ? 'generated files checked, ' : ''}${binary} (${Math.round(performance.now() - started)} ms)`;
if (problems.length > 0) {
  console.error(chalk.red(`${summary}: ${problems.length} problem(s)`));
  process.exit(1);
}
console.log(chalk.green(`${summary}: no drift`));
