/**
 * The deterministic loader: a fixed list of candidate files, tried in order, the first that
 * loads AND reports our ABI version wins. On failure ONE error lists every path and why it
 * failed (koffi's own message omits the path) and names the platform package that should have
 * been installed.
 *
 * Order: `open({ path })` or MYLIB_LIBRARY_PATH (either one is exclusive); else the file beside
 * the package (`<package root>/artifacts/`: `npm run build` in a checkout, or a source build of
 * an installed package); then the platform package `mylib-rust-<platform tag>` that npm picked
 * among the main package's optionalDependencies by its os/cpu/libc fields.
 *
 * Each file is checked before dlopen (bindings/ffi/object-file.ts: format, machine, and that the
 * file holds every byte its headers declare), so a truncated or foreign file is one failed
 * attempt in the error, not a SIGBUS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MylibTable, openTable } from './_table.ts';
import { ENGINE_ENV, type Engine, type EngineName, engineChoice, resolveEngine } from './ffi/engine.ts';
import { registerBunEngine } from './ffi/engines/bun.ts';
import { registerDenoEngine } from './ffi/engines/deno.ts';
import { registerKoffiEngine } from './ffi/engines/koffi.ts';
import { registerNodeEngine } from './ffi/engines/node.ts';
import { describe } from './_checks.ts';
import { objectFileProblem } from './ffi/object-file.ts';
import { LIBRARY_PATH_ENV, LIB_NAME, type PlatformInfo, hostPlatform, libraryFileName, platformTag } from './names.ts';

/** The npm name of the main package. Platform packages are `<PACKAGE_NAME>-<platform tag>`. */
export const PACKAGE_NAME = 'mylib-rust';
/** `1`: build from source at install time even when a platform package exists; `0`: never. */
export const BUILD_FROM_SOURCE_ENV = 'MYLIB_BUILD_FROM_SOURCE';
/** The source-build script, at the root of the published main package. */
export const BUILD_FROM_SOURCE_SCRIPT = 'build-from-source.mjs';

// Named calls, not side-effect imports: a side-effect import would survive into the published
// .d.ts files with its .ts extension, which consumers cannot resolve.
registerKoffiEngine();
registerBunEngine();
registerDenoEngine();
registerNodeEngine();

const HERE = fileURLToPath(new URL('.', import.meta.url));
/**
 * The package root: `bindings/*.ts` sit one level below it in a checkout, the compiled
 * `dist/bindings/*.js` two levels below it in the published package.
 */
export const PACKAGE_ROOT = resolve(HERE, /[\\/]dist[\\/]bindings[\\/]?$/.test(HERE) ? '../..' : '..');
/** The folder beside the package that `npm run build` (or a source build) puts the library in. */
export const ARTIFACTS_DIR = join(PACKAGE_ROOT, 'artifacts') + sep;

/** `mylib-rust-linux-x64-gnu`: the optional dependency holding the library for `info`. */
export function platformPackageName(info: PlatformInfo = hostPlatform()): string {
  return `${PACKAGE_NAME}-${platformTag(info)}`;
}

export interface LoadOptions {
  /** Load exactly this file (any .so/.dylib/.dll path); nothing else is tried. */
  path?: string;
  /**
   * The FFI engine: `auto` (default: the runtime's own FFI on Bun and Deno, koffi on Node), or
   * one of ENGINES. The environment variable MYLIB_FFI_ENGINE sets it when this option is absent.
   */
  engine?: EngineName | 'auto';
}

const LOAD_OPTION_KEYS: ReadonlySet<string> = new Set(['path', 'engine']);

/**
 * `fn`'s options argument as LoadOptions: a string is `{ path }`; a plain object may only hold
 * known keys of the right type. Anything else is a TypeError naming `fn` (a mistyped key must not
 * silently load the default library).
 */
export function loadOptionsArgument(fn: string, value: unknown): LoadOptions {
  if (value === undefined) return {};
  if (typeof value === 'string') return { path: checkPath(fn, `argument 'options' (a path)`, value) };
  // Plain objects only (of any realm): a URL, Buffer or class instance has no own `path` and would be `{}`.
  const proto: unknown = value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (proto === undefined || (proto !== null && Object.getPrototypeOf(proto) !== null)) {
    throw new TypeError(`${fn}: argument 'options' must be a path string or a plain object, got ${describe(value)}`);
  }
  for (const key of Object.keys(value as object)) {
    if (!LOAD_OPTION_KEYS.has(key)) {
      throw new TypeError(`${fn}: argument 'options' has an unknown key '${key}' (known: ${[...LOAD_OPTION_KEYS].join(', ')})`);
    }
  }
  const { path, engine } = value as { path?: unknown; engine?: unknown };
  const options: LoadOptions = {};
  if (path !== undefined) options.path = checkPath(fn, `option 'path'`, path);
  if (engine !== undefined) options.engine = engineChoice(engine, `${fn}: option 'engine'`);
  return options;
}

function checkPath(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${fn}: ${name} must be a string, got ${describe(value)}`);
  if (value === '') throw new TypeError(`${fn}: ${name} must be a non-empty string`);
  return value;
}

/** @internal */
export interface Candidate {
  path: string;
  /** Where the candidate came from: `option`, `env MYLIB_LIBRARY_PATH`, `artifacts`, `package <name>`. */
  source: string;
  /** Set when there is no file to try, with the reason (a platform package that is not installed). */
  unresolved?: string;
}

/** @internal A library the loader accepted (Mylib is built over one; see createMylib). */
export type LoadedLibrary = MylibTable;

export class LibraryLoadError extends Error {
  readonly attempts: ReadonlyArray<{ path: string; source: string; reason: string }>;
  /** The platform package that should provide the library here (`mylib-rust-linux-x64-gnu`). */
  readonly platformPackage: string;
  constructor(attempts: LibraryLoadError['attempts'], explicit = false) {
    const tag = platformTag(hostPlatform());
    const platformPackage = platformPackageName();
    const lines = attempts.map((a) => `  - ${a.path} (${a.source}): ${a.reason}`);
    const advice = explicit ? `Check the path, or unset ${LIBRARY_PATH_ENV} to use the default search.` : remedies(platformPackage);
    super(`${LIB_NAME}: could not load the native library for ${tag}. Tried:\n${lines.join('\n')}\n${advice}`);
    this.name = 'LibraryLoadError';
    this.attempts = attempts;
    this.platformPackage = platformPackage;
  }
}

/** What to do when the default search failed; reads package.json only on this failure path. */
function remedies(platformPackage: string): string {
  const script = join(PACKAGE_ROOT, BUILD_FROM_SOURCE_SCRIPT);
  // A checkout of the repository holds the TypeScript sources; the published package does not.
  if (!existsSync(script) || existsSync(join(PACKAGE_ROOT, 'bindings', 'loader.ts'))) {
    // A checkout of the repository: the library is built, not installed.
    return `Build it with \`npm run build\` (needs cargo), or set ${LIBRARY_PATH_ENV} to a library file.`;
  }
  let version = '';
  try {
    version = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '';
  } catch {
    // The hint below is still right without the version.
  }
  const spec = version ? `${platformPackage}@${version}` : platformPackage;
  return [
    `The platform package ${platformPackage} should have been installed with ${PACKAGE_NAME} (npm installs the optionalDependency matching os, cpu and libc).`,
    `Fix: reinstall without --omit=optional / --no-optional, or run \`npm install ${spec}\`.`,
    `No package for this platform? Build from source (needs cargo; npm may have skipped the install script, see allowScripts): \`node "${script}"\`.`,
    `Or set ${LIBRARY_PATH_ENV} to a library file.`,
  ].join('\n');
}

/**
 * @internal The files the loader tries, in order. An explicit path or the env override is
 * exclusive. Not public API: LibraryLoadError.attempts lists what was tried and why it failed.
 */
export function candidatePaths(options: LoadOptions = {}, env: NodeJS.ProcessEnv = process.env): Candidate[] {
  if (options.path !== undefined) return [{ path: resolve(options.path), source: 'option' }];
  const fromEnv = env[LIBRARY_PATH_ENV];
  if (fromEnv) return [{ path: resolve(fromEnv), source: `env ${LIBRARY_PATH_ENV}` }];
  const platform = hostPlatform();
  const fileName = libraryFileName(platform);
  return [{ path: resolve(ARTIFACTS_DIR, fileName), source: 'artifacts' }, platformPackageCandidate(platformPackageName(platform), fileName)];
}

/** Resolves `<name>/package.json` the way Node resolves the main package's own dependencies. */
function platformPackageCandidate(name: string, fileName: string): Candidate {
  const source = `package ${name}`;
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve(`${name}/package.json`);
  } catch {
    return { path: `${name}/${fileName}`, source, unresolved: `not installed (${name} is not resolvable from ${PACKAGE_ROOT})` };
  }
  return { path: join(dirname(manifest), fileName), source };
}

/** @internal Loads, checks the ABI version, then binds every function (bindings/_table.ts). */
export function loadLibrary(options: LoadOptions = {}): LoadedLibrary {
  const attempts: Array<{ path: string; source: string; reason: string }> = [];
  const choice = options.engine ?? engineChoice(process.env[ENGINE_ENV], `mylib: ${ENGINE_ENV}`);
  const engine = resolveEngine(choice);
  const candidates = candidatePaths(options);
  for (const { path, source, unresolved } of candidates) {
    if (unresolved !== undefined) {
      attempts.push({ path, source, reason: unresolved });
      continue;
    }
    const result = tryLoad(path, engine);
    if ('reason' in result) attempts.push({ path, source, reason: result.reason });
    else return result;
  }
  // One candidate means an explicit path (option or env): the default-search remedies do not apply.
  throw new LibraryLoadError(attempts, candidates.length === 1);
}

function tryLoad(path: string, engine: Engine): LoadedLibrary | { reason: string } {
  if (!isAbsolute(path) || !existsSync(path)) return { reason: 'file not found' };
  // dlopen maps a truncated file past its end and dies with SIGBUS: check the headers first.
  const problem = objectFileProblem(path);
  if (problem !== undefined) return { reason: problem };
  try {
    return openTable(engine, path);
  } catch (error) {
    return { reason: (error as Error).message };
  }
}
