/**
 * The deterministic loader: a fixed list of candidate files, tried in order, the first that
 * loads AND reports our ABI version wins. On failure ONE error lists every path and why it
 * failed (koffi's own message omits the path).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi, { type LibraryHandle } from 'koffi';
import { ABI_VERSION, LIBRARY_PATH_ENV, LIB_NAME, hostPlatform, libraryFileName, platformTag } from './names.ts';
import { type RawFunctions, declareAll } from './raw.ts';

/** The folder `npm run build` copies the platform-tagged library into. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

export interface LoadOptions {
  /** Load exactly this file (any .so/.dylib/.dll path); nothing else is tried. */
  path?: string;
}

export interface Candidate {
  path: string;
  /** Where the candidate came from: `option`, `env`, `artifacts`. */
  source: string;
}

export interface LoadedLibrary {
  path: string;
  handle: LibraryHandle;
  raw: RawFunctions;
}

export class LibraryLoadError extends Error {
  readonly attempts: ReadonlyArray<{ path: string; source: string; reason: string }>;
  constructor(attempts: LibraryLoadError['attempts']) {
    const tag = platformTag(hostPlatform());
    const lines = attempts.map((a) => `  - ${a.path} (${a.source}): ${a.reason}`);
    super(
      `${LIB_NAME}: could not load the native library for ${tag}. Tried:\n${lines.join('\n')}\n` +
        `Build it with \`npm run build\` (needs cargo), or set ${LIBRARY_PATH_ENV} to a library file.`,
    );
    this.name = 'LibraryLoadError';
    this.attempts = attempts;
  }
}

/** The files the loader tries, in order. An explicit path or the env override is exclusive. */
export function candidatePaths(options: LoadOptions = {}, env: NodeJS.ProcessEnv = process.env): Candidate[] {
  if (options.path !== undefined) return [{ path: resolve(options.path), source: 'option' }];
  const fromEnv = env[LIBRARY_PATH_ENV];
  if (fromEnv) return [{ path: resolve(fromEnv), source: `env ${LIBRARY_PATH_ENV}` }];
  return [{ path: resolve(ARTIFACTS_DIR, libraryFileName(hostPlatform())), source: 'artifacts' }];
}

/** Loads, checks the ABI version, then declares every function. */
export function loadLibrary(options: LoadOptions = {}): LoadedLibrary {
  const attempts: Array<{ path: string; source: string; reason: string }> = [];
  for (const { path, source } of candidatePaths(options)) {
    const result = tryLoad(path);
    if ('reason' in result) attempts.push({ path, source, reason: result.reason });
    else return result;
  }
  throw new LibraryLoadError(attempts);
}

function tryLoad(path: string): LoadedLibrary | { reason: string } {
  if (!isAbsolute(path) || !existsSync(path)) return { reason: 'file not found' };
  let handle: LibraryHandle;
  try {
    handle = koffi.load(path);
  } catch (error) {
    return { reason: (error as Error).message };
  }
  try {
    const abiVersion = (handle.func('uint32_t mylib_abi_version()') as () => number)();
    if (abiVersion !== ABI_VERSION) {
      handle.unload();
      return {
        reason: `ABI version mismatch: the library has ABI version ${abiVersion}, these bindings were written for ABI version ${ABI_VERSION}`,
      };
    }
    return { path, handle, raw: declareAll(handle) };
  } catch (error) {
    handle.unload();
    return { reason: (error as Error).message };
  }
}
