#!/usr/bin/env -S npx tsx
// npm run test:package: installs the tarballs of dist/packages (npm run package) into
// throw-away projects outside the repository, the way a user would, and calls the library.
//   host     cargo and rustc hidden from PATH; `npm install <main tarball>` where every platform
//            tarball is offered through `overrides` (so mylib-rust-* never come from the
//            registry; koffi and @koromix/koffi-* do). Checks: npm picked exactly the host's
//            platform package and koffi's binary package; ESM and CommonJS scripts call
//            getResult/countDoubles/WordCounter (expected values from reference/); the library
//            came from the platform package.
//   repl     `npx mylib-rust repl` (the package's "bin") in the host project, driven through
//            stdin: mylib preloaded from the platform package, `.open m`, `.symbols m cos`,
//            `.declare m double cos(double x)`, `m.cos(0)` prints 1, `.rebuild` says it needs the
//            repository and cargo, `.save` writes a module on mylib-rust/ffi, `.exit` exits 0;
//            the command's usage and exit codes.
//   ffi      mylib-rust/ffi from the installed package: ffi-consumer.mjs (copied from this folder)
//            on every runtime x engine pair of scripts/runtimes/lib.mjs (Node 20 and Node 26 with
//            koffi, node:ffi, Bun with bun:ffi and koffi, Deno with Deno.dlopen and koffi): libm's
//            exports list cos as a function; cos() and .async; libc's div() returns a div_t. A
//            runtime missing from .cache/runtimes fails the check with the reason.
//   types    `tsc --noEmit --strict --module nodenext --moduleResolution nodenext consumer.ts`
//            on TypeScript 7 (the repository's) and 5.x (from the registry), with and without
//            `--types node` (the consumer uses mylib-rust, mylib-rust/unsafe and mylib-rust/ffi);
//            and an es2022 consumer (`lib: ["es2022"]`, `types: []`: no DOM, no Node types);
//            then declarations.cjs checks the installed .d.ts (no @internal, no
//            private or internal names, every public type nameable, no Node types needed).
//   negative the platform package removed: the error names it and the source-build command;
//            the install hook (cargo hidden) leaves the install working and says why.
//   source   (when cargo is present) the install hook, run by `npm rebuild`, builds the library
//            from the shipped Rust sources; the scripts then load that build.
//   arm64    (linux x64 with the cross tooling of scripts/cross/) `npm install --os=linux
//            --cpu=arm64 --libc=glibc`, then the scripts under qemu with an arm64 Node.
//   win32    (same) `npm install --os=win32 --cpu=x64`, then the scripts under wine.
//   selection every other packed target (musl, macOS): npm --os/--cpu/--libc installs exactly
//            its package and koffi's; nothing runs.
// Flags: --no-source (skip the source build), --no-emulation (skip qemu and wine), --keep.
// Prints one line per check and "N passed, N failed"; checks that cannot run here are listed
// as NOT RUN with the reason and never counted as passed.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { argv, chalk } from 'zx';
import { BUILD_FROM_SOURCE_ENV } from '../../bindings/loader.ts';
import { LIBRARY_PATH_ENV, hostPlatform, libraryFileName, platformTag } from '../../bindings/names.ts';
import { getResult as referenceGetResult, countDoubles as referenceCountDoubles } from '../../reference/text.ts';
import { WordCounter as ReferenceWordCounter } from '../../reference/words.ts';
import { arm64GnuRoot, foreignNode, has, paths as crossPaths, qemuArm64 } from '../cross/lib.mjs';
import { ENGINE_ENV } from '../../bindings/ffi/engine.ts';
import { PAIRS as RUNTIME_PAIRS, RUNTIMES, installed as runtimeInstalled, runtimeBinary, runtimeCommand } from '../runtimes/lib.mjs';
import {
  COUNT_INPUTS,
  CONSUMER_FILES,
  ES2022_CONSUMER,
  ES2022_TSCONFIG,
  FFI_CONSUMER,
  FFI_EXPECTED,
  GET_RESULT_INPUT,
  TYPES_CONSUMER,
  WORDS_INPUT,
} from './consumer.mjs';
import { BUILD_FROM_SOURCE_SCRIPT, PACKAGE_NAME, PLATFORM_TARGETS, packagesDir, platformPackageName, root, rootManifest, tarballManifest } from './lib.mjs';
import { errorMessage } from '../errors.mjs';

/** @import { PlatformInfo } from '../../bindings/names.ts' */
/** @import { Runner } from '../targets.ts' */
/** @import { Runtime } from '../runtimes/lib.mjs' */
/**
 * What a check script of consumer.mjs writes (or runCheck's `crashed` when it wrote nothing).
 * @typedef {{ crashed?: string, getResult?: unknown, countDoubles?: unknown, top?: unknown, path?: string, abi?: unknown, error?: { name?: string, message: string, platformPackage?: string } }} ConsumerResult
 */
/** @typedef {ReturnType<typeof run>} RunResult */
/** @typedef {(script: string, out: string) => RunResult} Launch */

const say = (/** @type {string} */ message) => console.log(chalk.cyan('test:package: ') + message);
/** The TypeScript 5 the types check installs beside the repository's TypeScript 7, and Node's types for `--types node`. */
const TS5_RANGE = '5';
const NODE_TYPES_RANGE = '20';
const isWindows = process.platform === 'win32';
const started = performance.now();
const { version } = rootManifest();

// ---------------------------------------------------------------- the tarballs
const mainTarball = join(packagesDir, `${PACKAGE_NAME}-${version}.tgz`);
if (!existsSync(mainTarball)) {
  console.error(chalk.red(`test:package: ${mainTarball} not found. Run \`npm run package\` first.`));
  process.exit(1);
}
/** name -> absolute tarball path, for every platform package that was packed. */
/** @type {Map<string, string>} */
const platformTarballs = new Map();
for (const p of PLATFORM_TARGETS) {
  const file = join(packagesDir, `${p.name}-${version}.tgz`);
  if (existsSync(file)) platformTarballs.set(p.name, file);
}
const mainManifest = tarballManifest(mainTarball);
const offered = Object.keys(mainManifest.optionalDependencies ?? {});
const unoffered = offered.filter((name) => !platformTarballs.has(name));
if (unoffered.length) {
  console.error(
    chalk.red(`test:package: the main package lists ${unoffered.join(', ')} but dist/packages has no tarball for it. Run \`npm run package\` again.`),
  );
  process.exit(1);
}

// ---------------------------------------------------------------- checks and results
/** @type {Array<{ group: string, name: string, status: 'passed' | 'failed' | 'not run', detail: string }>} */
const results = [];
/**
 * @param {string} group
 * @param {string} name
 * @param {string | null | undefined} problem
 */
function record(group, name, problem) {
  const status = problem ? 'failed' : 'passed';
  results.push({ group, name, status, detail: problem ?? '' });
  console.log(`  ${status === 'passed' ? chalk.green('PASS') : chalk.red('FAIL')} [${group}] ${name}${problem ? `: ${problem}` : ''}`);
}
/**
 * @param {string} group
 * @param {string} reason
 */
function notRun(group, reason) {
  results.push({ group, name: '(all)', status: 'not run', detail: reason });
  console.log(`  ${chalk.yellow('NOT RUN')} [${group}] ${reason}`);
}
/** @type {(group: string, name: string, fn: () => string | null | undefined) => void} */
const check = (group, name, fn) => {
  let problem;
  try {
    problem = fn() || undefined;
  } catch (error) {
    problem = `threw ${errorMessage(error)}`;
  }
  record(group, name, problem);
};
/** @type {(actual: unknown, expected: unknown, what: string) => string | null} */
const same = (actual, expected, what) =>
  JSON.stringify(actual) === JSON.stringify(expected) ? null : `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;

// ---------------------------------------------------------------- a PATH without cargo and rustc
const work = mkdtempSync(join(tmpdir(), 'mylib-package-test-'));
const RUST_TOOL = /^(cargo|rustc|rustup|rustdoc|rust-gdb|rust-lldb|cargo-[^.]*|rls)(\.exe|\.cmd)?$/i;
const pathKey = Object.keys(process.env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';

/**
 * The environment with every folder holding a Rust tool removed from PATH. A folder that also
 * holds other programs (Debian's /usr/bin has node and rustc) is replaced by a folder of links
 * to everything in it except the Rust tools.
 */
function withoutRust() {
  const dirs = [];
  let shims = 0;
  for (const dir of (process.env[pathKey] ?? '').split(delimiter).filter(Boolean)) {
    let entries;
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    if (!entries.some((e) => RUST_TOOL.test(e))) {
      dirs.push(dir);
      continue;
    }
    const keep = entries.filter((e) => !RUST_TOOL.test(e));
    if (isWindows) {
      if (keep.some((e) => /^(node|npm)(\.exe|\.cmd)?$/i.test(e)))
        throw new Error(`test:package: ${dir} holds both node/npm and cargo; cannot hide cargo on Windows`);
      continue;
    }
    const shim = join(work, `path-${shims++}`);
    mkdirSync(shim);
    for (const entry of keep) symlinkSync(join(dir, entry), join(shim, entry));
    dirs.push(shim);
  }
  const env = { ...process.env, [pathKey]: dirs.join(delimiter) };
  for (const k of ['CARGO', 'RUSTC', 'RUSTUP_TOOLCHAIN', 'CARGO_TARGET_DIR', BUILD_FROM_SOURCE_ENV, LIBRARY_PATH_ENV]) delete env[k];
  return env;
}
const baseEnv = { ...process.env };
for (const k of [BUILD_FROM_SOURCE_ENV, LIBRARY_PATH_ENV]) delete baseEnv[k];
const noRust = withoutRust();
/** @type {(command: string, env: NodeJS.ProcessEnv) => boolean} */
const found = (command, env) => !spawnSync(command, ['--version'], { env, encoding: 'utf8', shell: false }).error;
const cargoHere = found('cargo', baseEnv);

// ---------------------------------------------------------------- helpers
/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, timeout?: number, toFile?: boolean, input?: string }} options
 */
function run(command, args, { cwd, env, timeout = 300_000, toFile = false, input }) {
  const shell = isWindows && (command === 'npm' || command === 'npx');
  if (!toFile) {
    const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout, shell, input });
    return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
  }
  // A Windows node under wine fails with EBADF on a pipe: its output goes to a file.
  const log = join(cwd, `output-${process.pid}.log`);
  const fd = openSync(log, 'w');
  try {
    const r = spawnSync(command, args, { cwd, env, timeout, shell, stdio: ['ignore', fd, fd] });
    return { status: r.status, out: readFileSync(log, 'utf8'), error: r.error };
  } finally {
    closeSync(fd);
  }
}
const tail = (/** @type {string} */ text, n = 12) => text.trim().split('\n').slice(-n).join('\n');

/**
 * A consumer project: package.json with every platform tarball as an override, and the check scripts.
 * @param {string} name
 * @param {Record<string, unknown>} [fields] more package.json fields
 */
function makeProject(name, fields = {}) {
  const dir = join(work, name);
  mkdirSync(dir);
  const overrides = Object.fromEntries([...platformTarballs].map(([pkg, file]) => [pkg, `file:${file}`]));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true, ...fields, overrides }, null, 2)}\n`);
  for (const [file, text] of Object.entries(CONSUMER_FILES)) writeFileSync(join(dir, file), text);
  return dir;
}

/**
 * @param {string} dir
 * @param {NodeJS.ProcessEnv} env
 * @param {string[]} [extra] more npm install arguments
 */
function npmInstall(dir, env, extra = []) {
  say(`npm install ${PACKAGE_NAME} in ${dir}${extra.length ? ` (${extra.join(' ')})` : ''}...`);
  const t = performance.now();
  const r = run('npm', ['install', mainTarball, '--foreground-scripts', '--no-audit', '--no-fund', ...extra], { cwd: dir, env });
  say(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s (exit ${r.status})`);
  return r;
}

const installed = (/** @type {string} */ dir) =>
  existsSync(join(dir, 'node_modules'))
    ? readdirSync(join(dir, 'node_modules'))
        .filter((n) => n.startsWith(`${PACKAGE_NAME}-`))
        .sort()
    : [];
const koffiPackages = (/** @type {string} */ dir) =>
  existsSync(join(dir, 'node_modules', '@koromix')) ? readdirSync(join(dir, 'node_modules', '@koromix')).sort() : [];
/** @param {string} dir */
function nativeFiles(dir) {
  /** @type {string[]} */
  const out = [];
  const walk = (/** @type {string} */ d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.node')) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/** The expected output of the check scripts, from the pure-TypeScript references. */
function expectedResults() {
  const counter = new ReferenceWordCounter({ lowercase: true });
  for (const chunk of WORDS_INPUT) counter.feed(chunk);
  return {
    getResult: referenceGetResult(GET_RESULT_INPUT),
    countDoubles: [referenceCountDoubles(COUNT_INPUTS[0]), referenceCountDoubles(Buffer.from(COUNT_INPUTS[1]))],
    top: counter.top(3),
  };
}
const expected = expectedResults();

/**
 * Runs check.mjs / check.cjs with `launch(script, out)`; returns the parsed result or { error }.
 * @param {string} dir
 * @param {string} script
 * @param {Launch} launch
 * @returns {ConsumerResult}
 */
function runCheck(dir, script, launch) {
  const out = join(dir, `${script}.json`);
  rmSync(out, { force: true });
  const r = launch(script, out);
  if (!existsSync(out)) return { crashed: `no result written (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}): ${tail(r.out)}` };
  return JSON.parse(readFileSync(out, 'utf8'));
}

/**
 * Problem with a successful result, or null. `libraryDir` is where the library must come from.
 * @param {ConsumerResult} result
 * @param {string} libraryDir
 */
function judge(result, libraryDir) {
  if (result.crashed) return result.crashed;
  if (result.error) return `${result.error.name}: ${result.error.message}`;
  const problems = [
    same(result.getResult, expected.getResult, 'getResult'),
    same(result.countDoubles, expected.countDoubles, 'countDoubles'),
    same(result.top, expected.top, 'WordCounter.top(3)'),
  ].filter(Boolean);
  const normalized = (/** @type {string} */ p) => {
    const unixish = p.replace(/^Z:/i, '').replaceAll('\\', '/');
    return isWindows ? unixish.toLowerCase() : unixish;
  };
  if (!normalized(result.path ?? '').startsWith(normalized(libraryDir))) problems.push(`loaded ${result.path}, expected a file under ${libraryDir}`);
  return problems.join('; ') || null;
}

/**
 * The negative result: the error must name the platform package and the source-build command.
 * @param {ConsumerResult} result
 * @param {string} packageName
 * @param {string} [besidePackage] the library path beside the main package, which the message must list
 */
function judgeMissing(result, packageName, besidePackage) {
  if (result.crashed) return result.crashed;
  if (!result.error) return `loaded ${result.path} although ${packageName} was removed`;
  const { message, name, platformPackage } = result.error;
  const problems = [];
  if (name !== 'LibraryLoadError') problems.push(`error is ${name}, expected LibraryLoadError`);
  if (platformPackage !== packageName) problems.push(`error.platformPackage is ${platformPackage}, expected ${packageName}`);
  if (!message.includes(`The platform package ${packageName} should have been installed`))
    problems.push(`the message does not name ${packageName}: ${message}`);
  if (!message.includes(`package ${packageName}): not installed`)) problems.push('the message does not list the platform package as a place tried');
  if (!message.includes(BUILD_FROM_SOURCE_SCRIPT)) problems.push('the message does not give the source-build command');
  // The place beside the package: node_modules/mylib-rust/artifacts/, found from dist/bindings/.
  if (besidePackage && !message.replaceAll('\\', '/').includes(`${besidePackage.replaceAll('\\', '/')} (artifacts): file not found`)) {
    problems.push(`the message does not list ${besidePackage} (artifacts) as a place tried`);
  }
  return problems.join('; ') || null;
}

/**
 * Problems of one run of ffi-consumer.mjs (its `FFI-CONSUMER {json}` line) on `pair`, or null.
 * @param {RunResult} r
 * @param {{ id: string, runtime: Runtime, engine: string }} pair
 */
function judgeFfi(r, pair) {
  const line = r.out.split('\n').find((l) => l.startsWith('FFI-CONSUMER '));
  if (!line) return `no FFI-CONSUMER line (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}): ${tail(r.out)}`;
  /** @type {{ runtime?: string, engine?: string, libm?: string, cosKind?: unknown, cos?: number[], cosAsync?: unknown, divType?: unknown, div?: unknown, error?: { name?: string, message: string, stack?: string } }} */
  const seen = JSON.parse(line.slice('FFI-CONSUMER '.length));
  if (seen.error) return `${seen.error.name}: ${seen.error.message}${seen.error.stack ? ` (${seen.error.stack.split('\n')[1]?.trim()})` : ''}`;
  const runtime = pair.runtime.startsWith('node') ? 'node' : pair.runtime;
  const cos = seen.cos ?? [];
  const problems = [
    r.status === 0 ? null : `exit ${r.status}: ${tail(r.out, 4)}`,
    same(seen.runtime, runtime, 'currentRuntime()'),
    same(seen.engine, pair.engine, 'the engine'),
    same(seen.cosKind, 'function', `libm's (${seen.libm}) export cos: kind`),
    same(cos.slice(0, 2), FFI_EXPECTED.cos, 'cos(0), cos(pi)'),
    Math.abs((cos[2] ?? Number.NaN) - FFI_EXPECTED.cosThird) <= 1e-12 ? null : `cos(pi / 3): expected ${FFI_EXPECTED.cosThird}, got ${cos[2]}`,
    same(seen.cosAsync, FFI_EXPECTED.cosAsync, 'await cos.async(pi)'),
    same(seen.divType, 'struct', 'the kind of div_t'),
    same(seen.div, FFI_EXPECTED.div, 'div(17, 5), div(-17, 5), div(2147483647, -1)'),
  ].filter(Boolean);
  return problems.join('; ') || null;
}

// ---------------------------------------------------------------- repl
/** What is typed at the prompt of `npx mylib-rust repl`, one line each, in this order. */
const REPL_INPUT = [
  `mylib.getResult(${JSON.stringify(GET_RESULT_INPUT)})`,
  '.open m',
  '.symbols m cos',
  '.declare m double cos(double x)',
  'm.cos(0)',
  '.rebuild',
  '.save native.ts',
  '.exit',
];

/**
 * `npx mylib-rust <args>` in `dir` (cargo hidden, no colors, the history in `dir`); after `--`, npx leaves
 * `--help` to the command.
 * @param {string} dir
 * @param {string[]} args
 * @param {string} [input] stdin
 */
const npxMylib = (dir, args, input) =>
  run('npx', ['--no', '--', PACKAGE_NAME, ...args], {
    cwd: dir,
    env: { ...noRust, NO_COLOR: '1', FORCE_COLOR: '0', MYLIB_REPL_HISTORY: join(dir, 'repl_history') },
    timeout: 120_000,
    input: input ?? '',
  });

/**
 * The [repl] group: the REPL of the installed package, driven through stdin like a user at the
 * prompt; `libraryDir` is where mylib must be loaded from.
 * @param {string} dir
 * @param {string} libraryDir
 */
function replChecks(dir, libraryDir) {
  const session = npxMylib(dir, ['repl'], `${REPL_INPUT.join('\n')}\n`);
  /** The output of the line typed at `index` of REPL_INPUT: from its prompt to the next one. */
  const answers = session.out.split('mylib> ');
  const answer = (/** @type {string} */ line) => answers[REPL_INPUT.indexOf(line) + 1] ?? '';
  const transcript = () => tail(session.out, 20);
  check('repl', 'npx mylib-rust repl: the session ends with exit code 0 at .exit', () =>
    session.status === 0 && answers.length === REPL_INPUT.length + 1 ? null : `exit ${session.status}, ${answers.length - 1} prompts: ${transcript()}`,
  );
  check('repl', `mylib is preloaded from ${hostPackage}`, () => {
    const loaded = /mylib REPL: loaded (\S+) \(engine: koffi\)/.exec(session.out)?.[1] ?? '';
    if (!realpathOr(loaded).startsWith(libraryDir)) return `loaded ${loaded || 'nothing'}, expected a file under ${libraryDir}: ${transcript()}`;
    return same(answer(REPL_INPUT[0] ?? '').trim(), `'${expected.getResult}'`, 'mylib.getResult at the prompt');
  });
  check('repl', '.open m opens libm', () => (/opened \S+ as `m`/.test(answer('.open m')) ? null : answer('.open m') || transcript()));
  check('repl', '.symbols m cos lists cos as a function', () =>
    /^ {2}function {2}cos(@@?\S+)?( |$)/m.test(answer('.symbols m cos')) ? null : answer('.symbols m cos') || transcript(),
  );
  check('repl', '.declare m double cos(double x)', () =>
    answer('.declare m double cos(double x)').includes('declared m.cos: double cos(double x)')
      ? null
      : answer('.declare m double cos(double x)') || transcript(),
  );
  check('repl', 'm.cos(0) prints 1', () => same(answer('m.cos(0)').trim(), '1', 'm.cos(0)'));
  check('repl', '.rebuild says it needs the repository checkout and cargo', () =>
    answer('.rebuild').includes('.rebuild needs the repository checkout and cargo') ? null : answer('.rebuild') || transcript(),
  );
  check('repl', '.save writes a module that imports mylib-rust/ffi only', () => {
    const file = join(dir, 'native.ts');
    if (!existsSync(file)) return `${file} was not written: ${answer('.save native.ts') || transcript()}`;
    const text = readFileSync(file, 'utf8');
    const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    return (
      same(imports, [`${PACKAGE_NAME}/ffi`], 'the imports of the saved module') ??
      (text.includes("lib.func('double cos(double x)')") ? null : 'cos is not in it')
    );
  });
  check('repl', 'the history is written where MYLIB_REPL_HISTORY says', () => {
    const history = join(dir, 'repl_history');
    return existsSync(history) && readFileSync(history, 'utf8').includes('.declare m double cos(double x)\n') ? null : `${history} lacks the session`;
  });
  for (const [args, status, text] of /** @type {Array<[string[], number, string]>} */ ([
    [['--help'], 0, 'Usage: mylib-rust <command>'],
    [['repl', '--help'], 0, 'Usage: mylib-rust repl'],
    [['nope'], 2, "mylib-rust: unknown command 'nope'"],
    [['repl', '--crate', '.'], 2, '.rebuild needs the repository checkout and cargo'],
  ])) {
    check('repl', `npx mylib-rust ${args.join(' ')}: exit ${status}`, () => {
      const r = npxMylib(dir, args);
      return r.status === status && r.out.includes(text) ? null : `exit ${r.status}: ${tail(r.out, 6)}`;
    });
  }
}

/** The real path of `path`, or `path` when it does not exist. */
function realpathOr(/** @type {string} */ path) {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

// ---------------------------------------------------------------- host
const hostTag = platformTag(hostPlatform());
const hostPackage = platformPackageName();
console.log(chalk.bold(`\n[host] ${hostTag}: install with cargo and rustc hidden`));
check('host', 'cargo and rustc are not on the PATH the install and scripts get', () =>
  found('cargo', noRust) || found('rustc', noRust) ? `still found: ${['cargo', 'rustc'].filter((c) => found(c, noRust)).join(', ')}` : null,
);
const host = makeProject('host');
/** @type {(dir: string, env: NodeJS.ProcessEnv) => Launch} */
const nodeHere = (dir, env) => (script, out) => run(process.execPath, [script, out], { cwd: dir, env });
if (!platformTarballs.has(hostPackage)) {
  record('host', `a platform package for ${hostTag} exists`, `no ${hostPackage}-${version}.tgz in dist/packages (build it, then npm run package)`);
} else {
  const install = npmInstall(host, noRust);
  check('host', `npm install ${PACKAGE_NAME} (${offered.length} platform tarballs offered) succeeds`, () => (install.status === 0 ? null : tail(install.out)));
  check('host', `npm picked exactly ${hostPackage}`, () => same(installed(host), [hostPackage], 'installed platform packages'));
  const koffiWanted = `koffi-${process.platform}-${process.arch}`;
  check('host', `koffi's binary package @koromix/${koffiWanted} came with it`, () => {
    if (!koffiPackages(host).includes(koffiWanted)) return `@koromix has ${koffiPackages(host).join(', ') || 'nothing'}`;
    return nativeFiles(join(host, 'node_modules', '@koromix', koffiWanted)).length ? null : 'it holds no .node binary';
  });
  check('host', 'mylib-rust-* came from the local tarballs, not the registry', () => {
    const lock = JSON.parse(readFileSync(join(host, 'package-lock.json'), 'utf8'));
    const bad = Object.entries(lock.packages)
      .filter(([key]) => (key.split('node_modules/').pop() ?? '').startsWith(PACKAGE_NAME))
      .filter(([, v]) => !String(v.resolved).startsWith('file:'));
    const others = Object.keys(lock.packages).filter((k) => k && !/node_modules\/(mylib-rust[^/]*|koffi|@koromix\/koffi-[^/]+)$/.test(k));
    return (
      [
        bad.length ? `resolved elsewhere: ${bad.map(([k, v]) => `${k} ${v.resolved}`).join(', ')}` : '',
        others.length ? `unexpected packages: ${others.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ') || null
    );
  });
  check('host', 'the install hook found the prebuilt library and built nothing', () =>
    /building the native library|cargo' was not found/.test(install.out) ? tail(install.out) : null,
  );
  const libraryDir = join(realpathSync(host), 'node_modules', hostPackage) + sep;
  for (const script of ['check.mjs', 'check.cjs']) {
    check('host', `${script === 'check.mjs' ? 'ESM import' : 'CommonJS require'}: getResult, countDoubles, WordCounter from ${hostPackage}`, () =>
      judge(runCheck(host, script, nodeHere(host, noRust)), libraryDir),
    );
  }

  console.log(chalk.bold('\n[repl] npx mylib-rust repl in the installed project'));
  replChecks(host, libraryDir);

  // ---------------------------------------------------------------- negative
  console.log(chalk.bold(`\n[negative] ${hostPackage} removed`));
  rmSync(join(host, 'node_modules', hostPackage), { recursive: true, force: true });
  for (const script of ['check.mjs', 'check.cjs']) {
    check('negative', `${script}: the error names ${hostPackage} and the source-build command`, () =>
      judgeMissing(
        runCheck(host, script, nodeHere(host, noRust)),
        hostPackage,
        join(realpathSync(host), 'node_modules', PACKAGE_NAME, 'artifacts', libraryFileName(hostPlatform())),
      ),
    );
  }
  const hook = run('npm', ['rebuild', PACKAGE_NAME, '--foreground-scripts'], { cwd: host, env: noRust });
  check('negative', 'the install hook without cargo: install still succeeds and says how to build', () => {
    if (hook.status !== 0) return `npm rebuild exited ${hook.status}: ${tail(hook.out)}`;
    return hook.out.includes("'cargo' was not found") && hook.out.includes(BUILD_FROM_SOURCE_SCRIPT) ? null : `unexpected output: ${tail(hook.out)}`;
  });

  // ---------------------------------------------------------------- source build
  console.log(chalk.bold('\n[source] the install hook builds from the shipped Rust sources'));
  if (argv.source === false) notRun('source', '--no-source given');
  else if (!cargoHere) notRun('source', 'cargo is not installed on this machine');
  else {
    say('npm rebuild mylib-rust (cargo visible: the install hook runs cargo build --release)...');
    const t = performance.now();
    const build = run('npm', ['rebuild', PACKAGE_NAME, '--foreground-scripts'], { cwd: host, env: baseEnv, timeout: 900_000 });
    say(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s (exit ${build.status})`);
    check('source', 'npm rebuild ran the install hook and cargo built the library', () =>
      build.status === 0 && build.out.includes('built ') ? null : tail(build.out),
    );
    const built = join(realpathSync(host), 'node_modules', PACKAGE_NAME, 'artifacts') + sep;
    for (const script of ['check.mjs', 'check.cjs']) {
      check('source', `${script}: calls work with the source build (cargo hidden again at run time)`, () =>
        judge(runCheck(host, script, nodeHere(host, noRust)), built),
      );
    }
  }
}

// ---------------------------------------------------------------- ffi
// mylib-rust/ffi from the installed package: ffi-consumer.mjs (a module of this folder, copied
// into the project) on every runtime x engine pair of scripts/runtimes/lib.mjs: Node 20 (the node
// running this script) and Node 26 from .cache/runtimes with koffi (and node:ffi on Node 26), Bun
// and Deno with their own FFI and with koffi. A runtime missing from .cache/runtimes is a FAILED
// check with the reason, never a pass.
console.log(chalk.bold('\n[ffi] mylib-rust/ffi from the installed package on Node, Bun and Deno'));
{
  const dir = makeProject('ffi', { type: 'module' });
  copyFileSync(join(root, 'scripts', 'package', FFI_CONSUMER), join(dir, FFI_CONSUMER));
  const install = npmInstall(dir, noRust);
  check('ffi', `npm install ${PACKAGE_NAME} succeeds`, () => (install.status === 0 ? null : tail(install.out)));
  if (install.status === 0) {
    for (const pair of /** @type {Array<{ id: string, runtime: Runtime, engine: string }>} */ (RUNTIME_PAIRS)) {
      const label = pair.runtime === 'node20' ? `Node ${process.versions.node}` : `${RUNTIMES[pair.runtime].label} ${RUNTIMES[pair.runtime].version}`;
      check('ffi', `${pair.id} (${label}): libm's exports list cos; cos() and div() from the installed package`, () => {
        if (pair.runtime !== 'node20' && !runtimeInstalled(pair.runtime))
          return `${label} is missing: ${runtimeBinary(pair.runtime)} not found (npm run setup:runtimes)`;
        const { bin, args } = runtimeCommand(pair.runtime, FFI_CONSUMER);
        // Node: the plain .mjs, without the repository's tsx; Bun and Deno: lib.mjs's flags.
        const argv = pair.runtime.startsWith('node') ? [FFI_CONSUMER] : args;
        const r = run(bin, argv, { cwd: dir, env: { ...noRust, [ENGINE_ENV]: pair.engine, NODE_NO_WARNINGS: '1' }, timeout: 120_000 });
        return judgeFfi(r, pair);
      });
    }
  }
}

// ---------------------------------------------------------------- types
// The shipped declarations in a consumer, with the exact command a user runs, on the repository's
// TypeScript (7) and on TypeScript 5.x from the registry, with and without Node's types; then the
// declarations themselves (scripts/package/declarations.cjs, with TypeScript 5's compiler API).
console.log(chalk.bold(`\n[types] tsc --strict --module nodenext on the installed .d.ts (TypeScript ${TS5_RANGE} and 7)`));
{
  const dir = makeProject('types', { type: 'module' });
  writeFileSync(join(dir, 'consumer.ts'), TYPES_CONSUMER);
  writeFileSync(join(dir, 'es2022-consumer.ts'), ES2022_CONSUMER);
  writeFileSync(join(dir, 'tsconfig.es2022.json'), ES2022_TSCONFIG);
  copyFileSync(join(root, 'scripts', 'package', 'declarations.cjs'), join(dir, 'declarations.cjs'));
  const install = npmInstall(dir, noRust, [`typescript@${TS5_RANGE}`, `@types/node@${NODE_TYPES_RANGE}`, '--ignore-scripts']);
  check('types', `npm install ${PACKAGE_NAME} typescript@${TS5_RANGE} @types/node@${NODE_TYPES_RANGE} succeeds`, () =>
    install.status === 0 ? null : tail(install.out),
  );
  if (install.status === 0) {
    const compilers = [
      { label: "TypeScript 7 (the repository's)", tsc: join(root, 'node_modules', 'typescript', 'bin', 'tsc') },
      { label: `TypeScript ${TS5_RANGE} (registry)`, tsc: join(dir, 'node_modules', 'typescript', 'bin', 'tsc') },
    ];
    for (const { label, tsc } of compilers) {
      const version = run(process.execPath, [tsc, '--version'], { cwd: dir, env: noRust }).out.trim();
      for (const types of [[], ['--types', 'node']]) {
        const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', ...types, 'consumer.ts'];
        check('types', `${label}, ${version}: tsc ${args.join(' ')}`, () => {
          const r = run(process.execPath, [tsc, ...args], { cwd: dir, env: noRust });
          return r.status === 0 ? null : tail(r.out, 20);
        });
      }
      // Only the ECMAScript library: no DOM, no Node types (lib es2022, types []).
      check('types', `${label}, ${version}: tsc -p tsconfig.es2022.json (lib es2022, no DOM or Node types)`, () => {
        const r = run(process.execPath, [tsc, '-p', 'tsconfig.es2022.json'], { cwd: dir, env: noRust });
        return r.status === 0 ? null : tail(r.out, 20);
      });
    }
    check('types', 'the shipped declarations: no @internal, no private names, every public type nameable, no Node types needed', () => {
      const r = run(process.execPath, ['declarations.cjs'], { cwd: dir, env: noRust });
      return r.status === 0 ? null : tail(r.out, 30);
    });
  }
}

// ---------------------------------------------------------------- emulated platforms
/** @type {Array<{ group: string, npm: string[], platform: PlatformInfo, koffi: string, runner: Runner, needs: () => Promise<string[]>, launch: (dir: string) => Launch }>} */
const emulated = [
  {
    group: 'arm64 (qemu)',
    npm: ['--os=linux', '--cpu=arm64', '--libc=glibc'],
    platform: { platform: 'linux', arch: 'arm64', libc: 'gnu' },
    koffi: 'koffi-linux-arm64',
    runner: 'qemu-aarch64',
    needs: async () => [
      ...((await has(qemuArm64)) ? [] : [`${qemuArm64} (apt qemu-user-static)`]),
      ...(existsSync(join(arm64GnuRoot, 'lib', 'libstdc++.so.6')) ? [] : [`${arm64GnuRoot} with libstdc++ (apt libc6-arm64-cross libstdc++6-arm64-cross)`]),
    ],
    launch: (dir) => (script, out) =>
      run(qemuArm64, ['-L', arm64GnuRoot, foreignNode('qemu-aarch64'), script, out], { cwd: dir, env: noRust, timeout: 300_000 }),
  },
  {
    group: 'win32 (wine)',
    npm: ['--os=win32', '--cpu=x64'],
    platform: { platform: 'win32', arch: 'x64' },
    koffi: 'koffi-win32-x64',
    runner: 'wine',
    needs: async () => ((await has('wine')) ? [] : ['wine (apt wine wine64)']),
    launch: (dir) => (script, out) => {
      const env = { ...noRust, WINEPREFIX: crossPaths.wine, WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1' };
      return run('wine', [foreignNode('wine'), script, `Z:${out.replaceAll('/', '\\')}`], { cwd: dir, env, timeout: 300_000, toFile: true });
    },
  },
];
for (const e of emulated) {
  const name = platformPackageName(e.platform);
  console.log(chalk.bold(`\n[${e.group}] npm install ${e.npm.join(' ')}`));
  if (argv.emulation === false) {
    notRun(e.group, '--no-emulation given');
    continue;
  }
  if (!(process.platform === 'linux' && process.arch === 'x64')) {
    notRun(e.group, `emulation is set up for linux x64 hosts only (this is ${hostTag})`);
    continue;
  }
  const missing = [...(await e.needs()), ...(existsSync(foreignNode(e.runner)) ? [] : [`${foreignNode(e.runner)} (npm run setup:cross)`])];
  if (!platformTarballs.has(name)) missing.push(`${name}-${version}.tgz (npm run build:cross, then npm run package)`);
  if (missing.length) {
    notRun(e.group, `missing ${missing.join(', ')}`);
    continue;
  }
  const dir = makeProject(e.runner);
  // Install scripts would run on this host, not on the emulated platform: skipped here.
  const install = npmInstall(dir, noRust, [...e.npm, '--ignore-scripts']);
  check(e.group, 'npm install succeeds', () => (install.status === 0 ? null : tail(install.out)));
  check(e.group, `npm picked exactly ${name}`, () => same(installed(dir), [name], 'installed platform packages'));
  check(e.group, `koffi's @koromix/${e.koffi} came with it`, () =>
    koffiPackages(dir).includes(e.koffi) && nativeFiles(join(dir, 'node_modules', '@koromix', e.koffi)).length
      ? null
      : `@koromix has ${koffiPackages(dir).join(', ') || 'nothing'}`,
  );
  const libraryDir = join(realpathSync(dir), 'node_modules', name) + sep;
  for (const script of ['check.mjs', 'check.cjs']) {
    check(e.group, `${script} under ${e.runner}`, () => judge(runCheck(dir, script, e.launch(dir)), libraryDir));
  }
  rmSync(join(dir, 'node_modules', name), { recursive: true, force: true });
  check(e.group, `${name} removed: the error names it`, () => judgeMissing(runCheck(dir, 'check.mjs', e.launch(dir)), name));
}

// ---------------------------------------------------------------- selection only
// The other targets cannot run here (no musl Node, no macOS): check at least that npm's
// os/cpu/libc selection installs exactly their package and koffi's matching binary package.
const exercised = new Set([hostPackage, ...emulated.map((e) => platformPackageName(e.platform))]);
const selectionOnly = PLATFORM_TARGETS.filter((p) => !exercised.has(p.name) && platformTarballs.has(p.name));
if (selectionOnly.length) console.log(chalk.bold(`\n[selection] npm picks the package for targets that cannot run here`));
for (const p of selectionOnly) {
  const dir = makeProject(`select-${p.tag}`);
  const flags = [`--os=${p.os[0]}`, `--cpu=${p.cpu[0]}`, ...(p.libc ? [`--libc=${p.libc[0]}`] : [])];
  const install = npmInstall(dir, noRust, [...flags, '--ignore-scripts']);
  const koffi = `koffi-${p.os[0]}-${p.cpu[0]}`;
  check('selection', `${flags.join(' ')}: exactly ${p.name} and @koromix/${koffi}`, () => {
    if (install.status !== 0) return tail(install.out);
    return (
      [
        same(installed(dir), [p.name], 'installed platform packages'),
        koffiPackages(dir).includes(koffi) ? null : `@koromix has ${koffiPackages(dir).join(', ')}`,
      ]
        .filter(Boolean)
        .join('; ') || null
    );
  });
}
for (const p of PLATFORM_TARGETS.filter((x) => !platformTarballs.has(x.name))) notRun('selection', `${p.name}: no tarball (artifacts/${p.fileName} missing)`);

// ---------------------------------------------------------------- summary
const passed = results.filter((r) => r.status === 'passed').length;
const failed = results.filter((r) => r.status === 'failed');
const skipped = results.filter((r) => r.status === 'not run');
console.log(chalk.bold('\nsummary'));
for (const r of failed) console.log(chalk.red(`  FAILED [${r.group}] ${r.name}: ${r.detail}`));
for (const r of skipped) console.log(chalk.yellow(`  NOT RUN [${r.group}] ${r.detail}`));
say(`${((performance.now() - started) / 1000).toFixed(1)} s; packages from ${packagesDir}`);
if (argv.keep || failed.length) say(`the projects are kept in ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log(`${passed} passed, ${failed.length} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
process.exit(failed.length ? 1 : 0);
