#!/usr/bin/env -S npx tsx
// A Node REPL with the library loaded: edit Rust, `.rebuild`, call again, without restarting.
//   npm run repl
//   npm run repl -- --release            .rebuild builds the release profile (default: debug, faster)
//   npm run repl -- --crate <dir>        build another copy of the crate (or MYLIB_CRATE_DIR)
//   npm run repl -- --target-dir <dir>   its CARGO_TARGET_DIR (or MYLIB_REPL_TARGET_DIR; default <crate>/target)
//   npm run repl -- --history <file>     history file (or MYLIB_REPL_HISTORY; default .repl_history)
// In scope: mylib (the current library: a Mylib instance), api (bindings/index.ts), unsafe
// (bindings/unsafe.ts, the package's mylib-rust/unsafe: add, debugPanic, rawFunctions), raw (the
// current library's raw functions), tables (bindings/raw.ts), FuzzyIndex, WordCounter,
// MylibError, ffi (bindings/ffi, the package's mylib-rust/ffi). Top-level await works. The REPL evaluates in the main realm (useGlobal) so
// typed arrays typed at the prompt pass the bindings' instanceof checks. Commands: .help [name], .rebuild, .load <path>.
// Foreign libraries (docs/repl.md, "A workbench for any shared library"): .open, .libs, .close,
// .symbols, .more, .declare, .struct, .callback, .typedef, .save, all on mylib-rust/ffi; `mem` reads
// memory behind pointers (bounded reads of bindings/ffi/memory.ts).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import repl from 'node:repl';
import { fileURLToPath } from 'node:url';
import { argv, chalk } from 'zx';
import * as ffi from '../bindings/ffi/index.ts';
import * as api from '../bindings/index.ts';
import * as tables from '../bindings/raw.ts';
import * as unsafe from '../bindings/unsafe.ts';
import { helpFor, helpList, readHelpSources } from './repl/help.ts';
import { FreshCopies, cargoBuild } from './repl/rebuild.ts';
import { declareNewExports } from './repl/new-exports.ts';
import { memoryHelpers } from './repl/memory.ts';
import { saveProblem, savedModule } from './repl/save.ts';
import { Workbench, WorkbenchError } from './repl/workbench.ts';
import { errorMessage } from './errors.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const crateDir = resolve(argv.crate ?? process.env.MYLIB_CRATE_DIR ?? root);
const targetDir = resolve(
  argv['target-dir'] ??
    process.env.MYLIB_REPL_TARGET_DIR ??
    (crateDir === resolve(root) ? (process.env.CARGO_TARGET_DIR ?? join(root, 'target')) : join(crateDir, 'target')),
);
const historyFile = resolve(argv.history ?? process.env.MYLIB_REPL_HISTORY ?? join(root, '.repl_history'));
/** @type {'debug' | 'release'} */
let profile = argv.release || process.env.MYLIB_REPL_PROFILE === 'release' ? 'release' : 'debug';
const cargo = process.env.CARGO ?? 'cargo';
const rustDir = join(crateDir, 'rustlib');

if (!existsSync(join(crateDir, 'Cargo.toml'))) {
  console.error(chalk.red(`repl: no Cargo.toml in ${crateDir} (--crate / MYLIB_CRATE_DIR must name the crate folder)`));
  process.exit(2);
}

const copies = new FreshCopies();
const print = (/** @type {string} */ text) => process.stdout.write(`${text}\n`);

/** The current library, or a clear message when none is loaded yet. */
function current() {
  return api.library();
}

/** @type {string | undefined} */
let loadedPath;
try {
  loadedPath = current().path;
  print(`mylib REPL: loaded ${loadedPath} (engine: ${current().engine})`);
} catch (error) {
  print(chalk.yellow(`mylib REPL: no library loaded yet:\n${errorMessage(error)}\nUse .rebuild (cargo build) or .load <path>.`));
}
print(`crate: ${crateDir} (target ${targetDir}, .rebuild profile ${profile}). Type .help for the functions.`);

const server = repl.start({ prompt: 'mylib> ', useGlobal: true, ignoreUndefined: true });
const define = (/** @type {string} */ name, /** @type {unknown} */ value) =>
  Object.defineProperty(server.context, name, { value, configurable: true, enumerable: true });
// Getters: `.rebuild` and `.load` swap the library behind these names.
Object.defineProperty(server.context, 'mylib', { get: current, configurable: true, enumerable: true });
/** Exports added to the Rust code since start, declared after `.rebuild` (see repl/new-exports.ts). */
/** @type {Record<string, (...args: unknown[]) => unknown>} */
let newExports = {};
/** The library those were declared on (mylib-rust/ffi), closed when the next `.rebuild` replaces them. */
/** @type {import('../bindings/ffi/index.ts').ForeignLibrary | undefined} */
let newExportsLibrary;
Object.defineProperty(server.context, 'raw', {
  get: () => ({ ...unsafe.rawFunctions(current()), ...newExports }),
  configurable: true,
  enumerable: true,
});
define('api', api);
define('unsafe', unsafe);
define('tables', tables);
define('FuzzyIndex', api.FuzzyIndex);
define('WordCounter', api.WordCounter);
define('MylibError', api.MylibError);
define('ffi', ffi);

// The foreign-library workbench: its libraries are bound at the prompt by name (`m`, `c`).
const workbench = new Workbench({
  bind(name, value) {
    if (value === undefined) delete server.context[name];
    else Object.defineProperty(server.context, name, { value, configurable: true, enumerable: true, writable: false });
  },
  taken: (name) => name in server.context || ['mylib', 'raw', 'api', 'tables', 'mem', 'ffi'].includes(name),
  mylibPath: () => loadedPath,
});
define('mem', memoryHelpers(workbench.scope));

// History: one line per entry, appended as typed; loaded into the line editor on a terminal.
try {
  if (existsSync(historyFile) && server.terminal) {
    const lines = readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).slice(-1000);
    // REPLServer is a readline Interface; @types/node 20 does not declare its history array.
    /** @type {{ history: string[] }} */ (/** @type {unknown} */ (server)).history.push(...lines.reverse());
  }
} catch (error) {
  print(chalk.yellow(`repl: cannot read history ${historyFile}: ${errorMessage(error)}`));
}
server.on('line', (line) => {
  if (line.trim() === '') return;
  try {
    appendFileSync(historyFile, `${line}\n`);
  } catch {
    // History is a convenience; a read-only folder must not break the session.
  }
});

/**
 * Loads `path` as the new current library; the old one is unloaded once its async calls settle.
 * @param {string} path
 */
function swapTo(path) {
  const previous = loadedPath;
  api.load({ path }); // opens the new one first: on failure the old stays loaded
  loadedPath = path;
  return previous;
}

const COMMANDS = [
  'REPL commands: .rebuild [--release|--debug], .load <path>, .help [name], .exit (Ctrl+D).',
  'Any shared library: .open <path|name> [as <name>], .libs, .close <name>, .symbols <name|path|mylib> [filter] [--all], .more,',
  '  .declare <name> <C prototype>, .struct <C struct>, .callback <C prototype>, .typedef <name> <type>, .save <file.ts>;',
  '  <name>.<function>(...) or await <name>.<function>.async(...);',
  '  mem.cstring(ptr, maxLen), mem.hex(ptr, n), mem.bytes(ptr, n), mem.struct(ptr, type, count?), mem.read(ptr, type, count?).',
].join('\n');

/**
 * A workbench command: prints its result, or its error in red; never throws into the REPL.
 * @param {string} name
 * @param {string} help
 * @param {(args: string) => string} run
 */
function workbenchCommand(name, help, run) {
  server.defineCommand(name, {
    help,
    action(args) {
      try {
        print(run(args));
      } catch (error) {
        print(chalk.red(error instanceof WorkbenchError ? error.message : `.${name}: ${errorMessage(error)}`));
      }
      this.displayPrompt();
    },
  });
}

workbenchCommand('open', 'Open any shared library with mylib-rust/ffi (no ABI handshake): .open <path | m | c | z ...> [as <name>]', (args) =>
  workbench.open(args),
);
workbenchCommand('libs', 'List the open foreign libraries', () => workbench.libs());
workbenchCommand('close', 'Unload a foreign library: .close <name> (its functions refuse calls afterwards)', (args) => workbench.close(args));
workbenchCommand('symbols', "A library's exported functions and data from its symbol table: .symbols <name | path | mylib> [filter] [--all]", (args) =>
  workbench.symbols(args),
);
workbenchCommand('more', 'The next page of .symbols', () => workbench.more());
workbenchCommand(
  'declare',
  'Bind a C function: .declare <library> <C prototype>, e.g. .declare m double cos(double x); call m.cos(0) or m.cos.async(0)',
  (args) => workbench.declare(args),
);
workbenchCommand('struct', 'Declare C types (.struct struct tm { int tm_sec; ... }, .struct Point { double x, y; }) or an opaque type (.struct FILE)', (args) =>
  workbench.struct(args),
);
workbenchCommand('callback', 'Declare a callback type: .callback int CmpFn(const void *a, const void *b) (use it as CmpFn *), or a C typedef', (args) =>
  workbench.callback(args),
);
workbenchCommand('typedef', 'Name a type: .typedef time_t int64_t, or C: .typedef typedef unsigned long ino_t', (args) => workbench.typedef(args));
workbenchCommand('save', "Write the session's declarations as a TypeScript module: .save <file.ts>", (args) => {
  const file = args.trim();
  if (!file) throw new WorkbenchError('usage: .save <file.ts>');
  const problem = saveProblem(workbench);
  if (problem) throw new WorkbenchError(`.save: ${problem}`);
  const target = resolve(file);
  const declared = [...workbench.libraries.values()].reduce((n, l) => n + l.functions.size, 0);
  writeFileSync(target, savedModule(workbench, `Written by the mylib REPL's .save on ${new Date().toISOString().slice(0, 10)}`));
  return (
    `saved ${declared} declaration(s) from ${workbench.libraries.size} librar${workbench.libraries.size === 1 ? 'y' : 'ies'} to ${target}\n` +
    `  import { load } from '${target}'; using libs = load(); ...  (imports mylib-rust/ffi only: Node, Bun, Deno)`
  );
});

server.defineCommand('help', {
  help: 'List the functions (signature + first line of the Rust doc); .help <name> shows the whole doc',
  action(name) {
    try {
      const sources = readHelpSources(join(root, 'bindings', 'library.ts'), tables.DECLARATIONS, rustDir);
      const foreign = name.trim() ? workbench.helpFor(name.trim()) : undefined;
      if (foreign) print(foreign);
      else if (name.trim()) print(helpFor(name.trim(), sources));
      else {
        const list = workbench.helpList();
        print(`${helpList(sources)}${list ? `\n\n${list}` : ''}\n${COMMANDS}`);
      }
    } catch (error) {
      print(chalk.red(`.help: ${errorMessage(error)}`));
      const list = workbench.helpList();
      if (list) print(list);
    }
    this.displayPrompt();
  },
});

server.defineCommand('rebuild', {
  help: 'cargo build the crate, load the new library from a fresh file name, swap it in (old one kept if the build fails)',
  async action(options) {
    if (/--release/.test(options)) profile = 'release';
    if (/--debug/.test(options)) profile = 'debug';
    print(`rebuild: cargo build (${profile}) in ${crateDir} ...`);
    const result = await cargoBuild({ crateDir, targetDir, profile, cargo }, copies, (chunk) => process.stdout.write(chunk));
    if (!result.ok) {
      print(chalk.red(`rebuild: FAILED after ${result.seconds.toFixed(1)} s; still using ${loadedPath ?? 'no library'}`));
    } else {
      try {
        const previous = swapTo(result.path);
        print(
          chalk.green(
            `rebuild: built in ${result.seconds.toFixed(1)} s, loaded ${result.path}${previous ? ` (previous: ${previous}; unloaded once its pending async calls settle)` : ''}`,
          ),
        );
        newExports = {};
        newExportsLibrary?.close();
        const fresh = declareNewExports(crateDir, loadedPath ?? result.path);
        newExportsLibrary = fresh.library;
        for (const added of fresh.exports) {
          if (added.fn) {
            newExports[added.symbol] = added.fn;
            print(
              chalk.green(
                `rebuild: ${added.symbol} is new (not in bindings/raw.ts DECLARATIONS): call it as raw.${added.symbol}(...), declared as ${added.prototype}; add it to the table for the typed layer`,
              ),
            );
          } else {
            print(chalk.yellow(`rebuild: ${added.symbol} is new but could not be declared (${added.problem}); add it to bindings/raw.ts and restart the REPL`));
          }
        }
      } catch (error) {
        print(chalk.red(`rebuild: built, but loading failed; still using ${loadedPath ?? 'no library'}:\n${errorMessage(error)}`));
      }
    }
    this.displayPrompt();
  },
});

server.defineCommand('load', {
  help: 'Load any .so/.dylib/.dll by path (copied to a fresh name first) and make it `mylib`',
  action(path) {
    const target = resolve(path.trim());
    try {
      if (!path.trim()) throw new Error('usage: .load <path to a .so/.dylib/.dll>');
      if (!existsSync(target)) throw new Error(`file not found: ${target}`);
      const previous = swapTo(copies.next(target));
      print(chalk.green(`load: loaded ${target} as ${loadedPath}${previous ? ` (previous: ${previous}; unloaded once its pending async calls settle)` : ''}`));
    } catch (error) {
      print(chalk.red(`load: ${errorMessage(error)}; still using ${loadedPath ?? 'no library'}`));
    }
    this.displayPrompt();
  },
});

server.on('exit', () => {
  try {
    workbench.dispose();
    newExportsLibrary?.close();
    api.unload();
  } finally {
    copies.dispose();
  }
  process.exit(0);
});
