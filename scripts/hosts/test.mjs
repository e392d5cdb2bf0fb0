#!/usr/bin/env -S npx tsx
// npm run test:hosts: the library from hosts other than JavaScript, against the built library
// (run `npm run build` first).
//   1. include/mylib.h and include/mylib.abi.json are fresh (npm run gen)
//   2. every export of the table links from C through its header prototype (a generated program)
//      and examples/c/all_exports.c calls them (those it does not call are listed)
//   3. it builds with `cc -std=c11 -Wall -Wextra -Werror -pedantic` and runs (under valgrind
//      --leak-check=full when valgrind is installed)
//   4. it builds as C++ with `c++ -Wall -Wextra -Werror` (the extern "C" guards) and runs
//   5. examples/python: `python3 -m unittest` (the ctypes client, standard library only)
// Flags: --lib <path> another built library; --no-valgrind. Exit 1 when a step fails.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $, argv, chalk } from 'zx';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { DECLARATIONS } from '../../bindings/raw.ts';
import { REGENERATE, staleFiles } from '../abi/header.ts';
import { errorMessage } from '../errors.mjs';

/** @import { Options } from 'zx' */

const root = fileURLToPath(new URL('../..', import.meta.url));
const library = resolve(argv.lib ?? join(root, 'artifacts', libraryFileName(hostPlatform())));
const out = join(root, '.cache', 'hosts');
const source = join(root, 'examples', 'c', 'all_exports.c');
const include = join(root, 'include');
const useValgrind = argv.valgrind !== false && (await $({ nothrow: true, quiet: true })`valgrind --version`).exitCode === 0;

/** @type {Array<{ name: string, ok: boolean }>} */
const results = [];
/**
 * @param {string} name
 * @param {() => string | Promise<string>} body returns the detail printed after "passed"
 */
async function step(name, body) {
  const started = performance.now();
  process.stdout.write(chalk.dim(`hosts: ${name}... `));
  let detail;
  let ok = true;
  try {
    detail = await body();
  } catch (error) {
    ok = false;
    detail = errorMessage(error);
  }
  const ms = Math.round(performance.now() - started);
  console.log(ok ? chalk.green(`passed (${ms} ms)${detail ? `: ${detail}` : ''}`) : chalk.red(`FAILED\n${detail}`));
  results.push({ name, ok });
}

/**
 * Runs a command; throws its output when it fails.
 * @param {string} command
 * @param {string[]} args
 * @param {Partial<Options>} [options]
 */
async function run(command, args, options = {}) {
  const result = await $({ nothrow: true, quiet: true, ...options })`${command} ${args}`;
  if (result.exitCode !== 0) throw new Error(`${[command, ...args].join(' ')} exited ${result.exitCode}\n${result.stdout}${result.stderr}`.trim());
  return `${result.stdout}${result.stderr}`.trim();
}

/** The last line a program printed (its summary). */
const lastLine = (/** @type {string} */ text) => text.split('\n').filter(Boolean).pop() ?? '';

if (!existsSync(library)) {
  console.error(chalk.red(`hosts: built library not found: ${library}\nRun \`npm run build\` first.`));
  process.exit(1);
}
mkdirSync(out, { recursive: true });
// -l needs lib<name>.so; linking the tagged file by path and an rpath to its folder works as is.
const link = [library, `-Wl,-rpath,${dirname(library)}`];

await step('header and ABI JSON are fresh', () => {
  const problems = staleFiles();
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return `include/mylib.h, include/mylib.abi.json (regenerate: ${REGENERATE})`;
});

await step('every export links from C through its header prototype (generated program)', async () => {
  const names = Object.keys(DECLARATIONS);
  // `T (*const name_fn)(params) = name;` per export: the header's type, resolved by the linker.
  const pointers = Object.entries(DECLARATIONS).map(
    ([name, prototype]) => `  ${prototype.replace(`${name}(`, `(*const ${name}_fn)(`).replace(/\(\)$/, '(void)')} = ${name};`,
  );
  const program = [
    '#include <stdio.h>',
    '#include "mylib.h"',
    'int main(void) {',
    ...pointers,
    '  typedef void (*any_fn)(void);',
    `  const any_fn linked[] = {${names.map((name) => `(any_fn)${name}_fn`).join(', ')}};`,
    '  size_t count = 0;',
    '  for (size_t i = 0; i < sizeof linked / sizeof linked[0]; i++) count += linked[i] != NULL;',
    '  printf("%zu exports linked\\n", count);',
    `  return count == ${names.length} ? 0 : 1;`,
    '}',
    '',
  ].join('\n');
  mkdirSync(out, { recursive: true });
  const file = join(out, 'link_all.c');
  writeFileSync(file, program);
  const binary = join(out, 'link_all');
  await run('cc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-pedantic', `-I${include}`, file, ...link, '-o', binary]);
  return lastLine(await run(binary, []));
});

await step('the C example program (examples/c/all_exports.c) exercises the exports', () => {
  const text = readFileSync(source, 'utf8');
  const names = Object.keys(DECLARATIONS);
  const missing = names.filter((name) => !new RegExp(`\\b${name}\\(`).test(text));
  // An export added since the example was written is linked (step above) but has no C call of
  // its own yet: reported, not failed, so that adding an export needs no C code.
  if (missing.length > 0)
    console.log(chalk.yellow(`\nhosts: examples/c/all_exports.c does not call ${missing.join(', ')} (linked above, not exercised from C)`));
  return `${names.length - missing.length} of ${names.length} exports called`;
});

await step(`C11 build (cc -std=c11 -Wall -Wextra -Werror -pedantic) and run${useValgrind ? ' under valgrind' : ''}`, async () => {
  const binary = join(out, 'all_exports');
  await run('cc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-pedantic', '-g', `-I${include}`, source, ...link, '-lm', '-o', binary]);
  const output = useValgrind ? await run('valgrind', ['--leak-check=full', '--error-exitcode=1', '-q', binary]) : await run(binary, []);
  return `${lastLine(output)}${useValgrind ? ', valgrind clean' : ''}`;
});

await step('C++ build (c++ -Wall -Wextra -Werror) and run', async () => {
  const binary = join(out, 'all_exports_cpp');
  await run('c++', ['-Wall', '-Wextra', '-Werror', `-I${include}`, '-x', 'c++', source, '-x', 'none', ...link, '-o', binary]);
  return lastLine(await run(binary, []));
});

await step('Python ctypes client (python3 -m unittest)', async () => {
  const output = await run('python3', ['-m', 'unittest', '-v'], {
    cwd: join(root, 'examples', 'python'),
    env: { ...process.env, MYLIB_LIBRARY_PATH: library, PYTHONDONTWRITEBYTECODE: '1' },
  });
  return output.split('\n').filter((line) => /^Ran \d+ tests?/.test(line))[0] ?? lastLine(output);
});

const failed = results.filter((r) => !r.ok);
console.log(
  failed.length === 0
    ? chalk.green(`hosts: ${results.length} of ${results.length} step(s) passed`)
    : chalk.red(`hosts: ${failed.length} of ${results.length} step(s) FAILED: ${failed.map((r) => r.name).join('; ')}`),
);
process.exit(failed.length === 0 ? 0 : 1);
