/**
 * `mylib-rust repl` (`npx mylib-rust repl` from an installed package, `npm run repl` in the
 * repository): a Node REPL with the library loaded, and a workbench for any shared library.
 *
 * In scope: mylib (the current library: a Mylib instance), api (bindings/index.ts), unsafe
 * (bindings/unsafe.ts, the package's mylib-rust/unsafe: add, debugPanic, rawFunctions), raw (the
 * current library's raw functions), tables (bindings/raw.ts), FuzzyIndex, WordCounter,
 * MylibError, ffi (bindings/ffi, the package's mylib-rust/ffi). Top-level await works. The REPL
 * evaluates in the main realm (useGlobal) so typed arrays typed at the prompt pass the bindings'
 * instanceof checks. Commands: .help [name], .rebuild, .load <path>.
 * Foreign libraries (docs/repl.md, "A workbench for any shared library"): .open, .libs, .close,
 * .symbols, .more, .declare, .struct, .callback, .typedef, .save, all on mylib-rust/ffi; `mem` reads
 * memory behind pointers (bounded reads of bindings/ffi/memory.ts).
 *
 * From the repository's sources, `.rebuild` runs cargo on the crate and `.help` shows the Rust doc
 * comments (scripts/repl/tools.ts, loaded by repository.ts); from a package both say what they
 * need instead.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import repl from 'node:repl';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../commands.ts';
import * as ffi from '../ffi/index.ts';
import * as api from '../index.ts';
import * as tables from '../raw.ts';
import * as unsafe from '../unsafe.ts';
import { memoryHelpers } from './memory.ts';
import { type BuildConfig, FreshCopies, cargoBuild } from './rebuild.ts';
import { type Origin, needsRepository, origin } from './repository.ts';
import { saveProblem, savedModule } from './save.ts';
import { Workbench, WorkbenchError } from './workbench.ts';

export const USAGE = `Usage: mylib-rust repl [library ...] [options]

A Node REPL with mylib loaded (mylib, raw, api, ffi, mem) and a workbench for any shared library:
.open, .symbols, .declare, .struct, .callback, .typedef, .save. Type .help at the prompt.

  library              a library to open at start, as .open does: a path, or a platform name (m, c, z)
  --history <file>     the history file (or MYLIB_REPL_HISTORY; default ~/.mylib-rust_repl_history,
                       .repl_history in the repository checkout)
  -h, --help           this help

For .rebuild, in the repository checkout only (npm run repl -- <options>):
  --release            .rebuild builds the release profile (default: debug, faster)
  --crate <dir>        build another copy of the crate (or MYLIB_CRATE_DIR)
  --target-dir <dir>   its CARGO_TARGET_DIR (or MYLIB_REPL_TARGET_DIR; default <crate>/target)
`;

const OPTIONS = {
  release: { type: 'boolean' },
  crate: { type: 'string' },
  'target-dir': { type: 'string' },
  history: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
const REPOSITORY_OPTIONS = ['release', 'crate', 'target-dir'] as const;
const parse = (args: string[]) => parseArgs({ args, options: OPTIONS, allowPositionals: true });

/** How the session runs: where from, the crate `.rebuild` builds (repository only), the history file, the libraries to open. */
interface Session {
  where: Origin;
  build: BuildConfig | undefined;
  historyFile: string;
  libraries: string[];
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Colors on a terminal, unless NO_COLOR; FORCE_COLOR decides when set. */
const COLOR =
  process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '' ? process.env.FORCE_COLOR !== '0' : !!process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (COLOR ? `\x1b[${code}m${text}\x1b[39m` : text);
const red = paint(31);
const green = paint(32);
const yellow = paint(33);

/** `mylib-rust repl [library ...] [options]`: starts the REPL (undefined: it runs until `.exit`), or the exit code of a usage error. */
export async function main(args: string[], io: CommandIo): Promise<number | undefined> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.err(`mylib-rust repl: ${message(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const where = await origin();
  const history = values.history ?? process.env.MYLIB_REPL_HISTORY;
  if (where.kind === 'package') {
    const given = REPOSITORY_OPTIONS.find((name) => values[name] !== undefined);
    if (given) {
      io.err(`mylib-rust repl: --${given} is an option of .rebuild, and ${needsRepository('.rebuild', where.root)}\n`);
      return 2;
    }
    startRepl({ where, build: undefined, historyFile: resolve(history ?? join(homedir(), '.mylib-rust_repl_history')), libraries: positionals });
    return undefined;
  }
  const root = where.root;
  const crateDir = resolve(values.crate ?? process.env.MYLIB_CRATE_DIR ?? root);
  if (!existsSync(join(crateDir, 'Cargo.toml'))) {
    io.err(red(`mylib-rust repl: no Cargo.toml in ${crateDir} (--crate / MYLIB_CRATE_DIR must name the crate folder)\n`));
    return 2;
  }
  const targetDir = resolve(
    values['target-dir'] ??
      process.env.MYLIB_REPL_TARGET_DIR ??
      (crateDir === resolve(root) ? (process.env.CARGO_TARGET_DIR ?? join(root, 'target')) : join(crateDir, 'target')),
  );
  const profile = values.release || process.env.MYLIB_REPL_PROFILE === 'release' ? 'release' : 'debug';
  startRepl({
    where,
    build: { crateDir, targetDir, profile, cargo: process.env.CARGO ?? 'cargo' },
    historyFile: resolve(history ?? join(root, '.repl_history')),
    libraries: positionals,
  });
  return undefined;
}

const COMMANDS = [
  'REPL commands: .rebuild [--release|--debug], .load <path>, .help [name], .exit (Ctrl+D).',
  'Any shared library: .open <path|name> [as <name>] [--direct], .libs, .close <name>, .symbols <name|path|mylib> [filter] [--all], .more,',
  '  .declare <name> <C prototype>, .struct <C struct>, .callback <C prototype>, .typedef <name> <type>, .save <file.ts>;',
  '  <name>.<function>(...) or await <name>.<function>.async(...);',
  '  mem.cstring(ptr, maxLen), mem.hex(ptr, n), mem.bytes(ptr, n), mem.struct(ptr, type, count?), mem.read(ptr, type, count?).',
].join('\n');

const PACKAGE_HELP_NOTE =
  "Signatures with the Rust doc comments: .help in the repository checkout (npm run repl); from the package, the typed API's types are in dist/bindings/library.d.ts.";

/** The typed API's method names (`mylib.<name>(...)`), from the class itself: the package holds no sources to read signatures from. */
function typedMethods(): string[] {
  const proto = api.Mylib.prototype as unknown as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto).filter(
    (name) => name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function',
  );
}

/** `.help` from a package: the typed API's methods and the C exports of the declaration table (the doc comments are in the repository's Rust sources). */
function packageHelp(name: string): string {
  const declarations: Readonly<Record<string, string>> = tables.DECLARATIONS;
  if (name) {
    const method = name.replace(/^mylib\./, '');
    if (typedMethods().includes(method)) return `mylib.${method}(...): a method of the typed API (Mylib#${method}).\n${PACKAGE_HELP_NOTE}`;
    const symbol = [name, `mylib_${name}`].find((s) => Object.hasOwn(declarations, s));
    if (symbol) return `${declarations[symbol]}\n  raw.${symbol}(...)\n${PACKAGE_HELP_NOTE}`;
    return `.help: no function named '${name}' (typed API: ${typedMethods().join(', ')}). Type .help for the list.`;
  }
  return [
    `Typed API (\`mylib\` is the current library): ${typedMethods()
      .map((m) => `mylib.${m}()`)
      .join(', ')}`,
    '',
    "C exports (`raw.<name>(...)`; prototypes from the package's declaration table):",
    ...Object.values(declarations).map((prototype) => `  ${prototype}`),
    '',
    PACKAGE_HELP_NOTE,
  ].join('\n');
}

function startRepl(session: Session): void {
  const { where, build, historyFile } = session;
  let profile = build?.profile ?? 'debug';
  const copies = new FreshCopies();
  const print = (text: string) => process.stdout.write(`${text}\n`);

  /** The current library, or a clear message when none is loaded yet. */
  const current = () => api.library();

  let loadedPath: string | undefined;
  try {
    loadedPath = current().path;
    print(`mylib REPL: loaded ${loadedPath} (engine: ${current().engine})`);
  } catch (error) {
    print(yellow(`mylib REPL: no library loaded yet:\n${message(error)}\nUse ${build ? '.rebuild (cargo build) or ' : ''}.load <path>.`));
  }
  if (build) print(`crate: ${build.crateDir} (target ${build.targetDir}, .rebuild profile ${profile}). Type .help for the functions.`);
  else print(`package: ${where.root} (.rebuild needs the repository checkout and cargo). Type .help for the functions.`);

  // The prompt is set once the libraries named on the command line are open (their lines come first).
  const server = repl.start({ prompt: '', useGlobal: true, ignoreUndefined: true });
  const define = (name: string, value: unknown) => Object.defineProperty(server.context, name, { value, configurable: true, enumerable: true });
  // Getters: `.rebuild` and `.load` swap the library behind these names.
  Object.defineProperty(server.context, 'mylib', { get: current, configurable: true, enumerable: true });
  /** Exports added to the Rust code since start, declared after `.rebuild` (repository only: scripts/repl/new-exports.ts). */
  let newExports: Record<string, (...args: unknown[]) => unknown> = {};
  /** The library those were declared on (mylib-rust/ffi), closed when the next `.rebuild` replaces them. */
  let newExportsLibrary: ffi.ForeignLibrary | undefined;
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
      (server as unknown as { history: string[] }).history.push(...lines.reverse());
    }
  } catch (error) {
    print(yellow(`repl: cannot read history ${historyFile}: ${message(error)}`));
  }
  server.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      appendFileSync(historyFile, `${line}\n`);
    } catch {
      // History is a convenience; a read-only folder must not break the session.
    }
  });

  /** Loads `path` as the new current library; the old one is unloaded once its async calls settle. */
  function swapTo(path: string): string | undefined {
    const previous = loadedPath;
    api.load({ path }); // opens the new one first: on failure the old stays loaded
    loadedPath = path;
    return previous;
  }

  /** Runs a workbench command: prints its result, or its error in red; never throws into the REPL. */
  function runCommand(name: string, run: (args: string) => string, args: string): void {
    try {
      print(run(args));
    } catch (error) {
      print(red(error instanceof WorkbenchError ? error.message : `.${name}: ${message(error)}`));
    }
  }

  function workbenchCommand(name: string, help: string, run: (args: string) => string): void {
    server.defineCommand(name, {
      help,
      action(args) {
        runCommand(name, run, args);
        this.displayPrompt();
      },
    });
  }

  const openLibrary = (args: string) => workbench.open(args);
  workbenchCommand(
    'open',
    'Open any shared library with mylib-rust/ffi (no ABI handshake): .open <path | m | c | z ...> [as <name>] [--direct] (isolated in a child process unless --direct)',
    openLibrary,
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
  workbenchCommand(
    'struct',
    'Declare C types (.struct struct tm { int tm_sec; ... }, .struct Point { double x, y; }) or an opaque type (.struct FILE)',
    (args) => workbench.struct(args),
  );
  workbenchCommand('callback', 'Declare a callback type: .callback int CmpFn(const void *a, const void *b) (use it as CmpFn *), or a C typedef', (args) =>
    workbench.callback(args),
  );
  workbenchCommand('include', 'Declare what a C header declares and a library exports: .include [<library>] <header.h> [-I dir] [-D X=1]', (args) =>
    workbench.include(args),
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
    action(typed) {
      const name = typed.trim();
      try {
        const foreign = name ? workbench.helpFor(name) : undefined;
        const mylibHelp = () =>
          where.kind === 'repository' && build
            ? where.tools.help(name || undefined, {
                typedPath: join(where.root, 'bindings', 'library.ts'),
                declarations: tables.DECLARATIONS,
                rustDir: join(build.crateDir, 'rustlib'),
              })
            : packageHelp(name);
        if (foreign) print(foreign);
        else if (name) print(mylibHelp());
        else {
          const list = workbench.helpList();
          print(`${mylibHelp()}${list ? `\n\n${list}` : ''}\n${COMMANDS}`);
        }
      } catch (error) {
        print(red(`.help: ${message(error)}`));
        const list = workbench.helpList();
        if (list) print(list);
      }
      this.displayPrompt();
    },
  });

  server.defineCommand('rebuild', {
    help: 'cargo build the crate, load the new library from a fresh file name, swap it in (old one kept if the build fails); repository checkout only',
    async action(options) {
      if (where.kind === 'package' || !build) {
        print(yellow(`rebuild: ${needsRepository('.rebuild', where.root)} (.load <path> loads another build of the library)`));
        this.displayPrompt();
        return;
      }
      if (/--release/.test(options)) profile = 'release';
      if (/--debug/.test(options)) profile = 'debug';
      print(`rebuild: cargo build (${profile}) in ${build.crateDir} ...`);
      const result = await cargoBuild({ ...build, profile }, copies, (chunk) => process.stdout.write(chunk));
      if (!result.ok) {
        print(red(`rebuild: FAILED after ${result.seconds.toFixed(1)} s; still using ${loadedPath ?? 'no library'}`));
      } else {
        try {
          const previous = swapTo(result.path);
          print(
            green(
              `rebuild: built in ${result.seconds.toFixed(1)} s, loaded ${result.path}${previous ? ` (previous: ${previous}; unloaded once its pending async calls settle)` : ''}`,
            ),
          );
          newExports = {};
          newExportsLibrary?.close();
          const fresh = where.tools.declareNewExports(build.crateDir, loadedPath ?? result.path);
          newExportsLibrary = fresh.library;
          for (const added of fresh.exports) {
            if (added.fn) {
              newExports[added.symbol] = added.fn;
              print(
                green(
                  `rebuild: ${added.symbol} is new (not in bindings/raw.ts DECLARATIONS): call it as raw.${added.symbol}(...), declared as ${added.prototype}; add it to the table for the typed layer`,
                ),
              );
            } else {
              print(yellow(`rebuild: ${added.symbol} is new but could not be declared (${added.problem}); add it to bindings/raw.ts and restart the REPL`));
            }
          }
        } catch (error) {
          print(red(`rebuild: built, but loading failed; still using ${loadedPath ?? 'no library'}:\n${message(error)}`));
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
        print(green(`load: loaded ${target} as ${loadedPath}${previous ? ` (previous: ${previous}; unloaded once its pending async calls settle)` : ''}`));
      } catch (error) {
        print(red(`load: ${message(error)}; still using ${loadedPath ?? 'no library'}`));
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

  for (const library of session.libraries) runCommand('open', openLibrary, library);
  server.setPrompt('mylib> ');
  server.displayPrompt();
}
