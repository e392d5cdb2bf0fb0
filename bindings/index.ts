/**
 * mylib-rust: the typed public API. camelCase functions with real TypeScript types; no raw
 * pointers leak out. Strings cross as UTF-8 bytes plus a length, so U+0000 is ordinary data.
 * Lone surrogates in JS strings are replaced by U+FFFD (as TextEncoder does) before Rust sees
 * them.
 *
 * The module-level functions use a default library, loaded on first use. `open()` gives an
 * independent instance (an explicit path, the REPL's hot reload).
 */
import { setDefaultLibraryProvider } from './_context.ts';
import { type Mylib, createMylib } from './library.ts';
import type { AsyncClosestOptions, ClosestOptions, LevenshteinOptions, Match, Stats } from './types.ts';
import { checkArgumentCount } from './errors.ts';
import { type LoadOptions, loadLibrary, loadOptionsArgument } from './loader.ts';

export { MylibError } from './errors.ts';
export type { StatusName } from './raw.ts';
export { FuzzyIndex, WordCounter } from './handles.ts';
export { Mylib } from './library.ts';
export type { AsyncClosestOptions, ClosestOptions, HandleOptions, LevenshteinOptions, Match, Stats, WordCount } from './types.ts';
export { LibraryLoadError, type LoadOptions } from './loader.ts';
export { ABI_VERSION, LIB_NAME } from './names.ts';
export type { EngineName } from './engine.ts';
export { MAX_ASYNC_CALLS } from './limits.ts';

/**
 * Loads the native library and returns an independent instance. `options` is LoadOptions or a
 * path string (`open(p)` is `open({ path: p })`); unknown keys or wrong types throw a TypeError.
 * The file is checked before it is loaded (see bindings/object-file.ts): a truncated or foreign
 * file is a LibraryLoadError, not a crash.
 */
export function open(options?: LoadOptions | string): Mylib {
  checkArgumentCount('open', 'options?', arguments.length, 0, 1);
  return createMylib(loadLibrary(loadOptionsArgument('open', options)));
}

let defaultLibrary: Mylib | undefined;

/** The instance behind the module-level functions and handles, loaded on first use. */
export function library(): Mylib {
  defaultLibrary ??= open();
  return defaultLibrary;
}
setDefaultLibraryProvider(library);

/** (Re)loads the default library, unloading the previous one. */
export function load(options: LoadOptions = {}): Mylib {
  const next = open(options);
  defaultLibrary?.unload();
  defaultLibrary = next;
  return next;
}

/** Unloads the default library; later module-level calls throw until load() is called. */
export function unload(): void {
  defaultLibrary?.unload();
}

/** The library's own name for a status code: `'MYLIB_ERR_PANIC'` for 6, `'MYLIB_ERR_UNKNOWN'` for no status. */
export function statusName(status: number): string {
  const lib = library();
  return lib.statusName.apply(lib, arguments as unknown as [number]);
}

/** Returns `"Rust says: " + text`. */
export function getResult(text: string): string {
  const lib = library();
  return arguments.length === 1 ? lib.getResult(text) : lib.getResult.apply(lib, arguments as unknown as [string]);
}

/**
 * Counts adjacent pairs of equal characters: `"aabbb"` -> 3. Strings count Unicode code
 * points; a Buffer/Uint8Array counts bytes, read in place.
 */
export function countDoubles(input: string | Uint8Array): number {
  const lib = library();
  return arguments.length === 1 ? lib.countDoubles(input) : lib.countDoubles.apply(lib, arguments as unknown as [string]);
}

/** countDoubles off the main thread. */
export function countDoublesAsync(input: string | Uint8Array): Promise<number> {
  return library().countDoublesAsync.apply(defaultLibrary, arguments as unknown as [string]);
}

/** Edit distance in Unicode code points. */
export function levenshtein(a: string, b: string): number {
  return library().levenshtein.apply(defaultLibrary, arguments as unknown as [string, string]);
}

/** levenshtein() off the main thread; `options.signal` cancels (O(len(a) * len(b) / 64) time). */
export function levenshteinAsync(a: string, b: string, options?: LevenshteinOptions): Promise<number> {
  return library().levenshteinAsync.apply(defaultLibrary, arguments as unknown as [string, string]);
}

/** Scores `query` against all candidates in one native call; best first (distance, then index). */
export function closest(query: string, candidates: readonly string[], options?: ClosestOptions): Match[] {
  return library().closest.apply(defaultLibrary, arguments as unknown as [string, string[]]);
}

/** closest() off the main thread; `options.signal` cancels. */
export function closestAsync(query: string, candidates: readonly string[], options?: AsyncClosestOptions): Promise<Match[]> {
  return library().closestAsync.apply(defaultLibrary, arguments as unknown as [string, string[]]);
}

/** Count, mean, population variance, min, max of the non-NaN values. */
export function stats(values: Float64Array): Stats {
  return library().stats.apply(defaultLibrary, arguments as unknown as [Float64Array]);
}

/** stats() off the main thread. */
export function statsAsync(values: Float64Array): Promise<Stats> {
  return library().statsAsync.apply(defaultLibrary, arguments as unknown as [Float64Array]);
}

/** Counts values into the bins of `bins` over [min, max]; returns `bins`. */
export function histogram(values: Float64Array, bins: Uint32Array, range?: { min?: number; max?: number }): Uint32Array {
  return library().histogram.apply(defaultLibrary, arguments as unknown as [Float64Array, Uint32Array]);
}
