/**
 * mylib-rust: the typed public API. camelCase functions with real TypeScript types; no raw
 * pointers leak out. Strings cross as UTF-8 bytes plus a length, so U+0000 is ordinary data.
 * Lone surrogates in JS strings are replaced by U+FFFD (as TextEncoder does) before Rust sees
 * them.
 *
 * The module-level functions (functions.generated.ts, generated from the methods of Mylib) use a default
 * library, loaded on first use. `open()` gives an independent instance (an explicit path, the
 * REPL's hot reload). This module only re-exports.
 */
export { library, load, open, unload } from './default-library.ts';
export * from './functions.generated.ts';
export { MylibError } from './errors.ts';
export type { StatusName } from './raw.ts';
export { FuzzyIndex, WordCounter } from './handles.ts';
export { Mylib } from './library.ts';
export type { AbortSignalLike, AsyncClosestOptions, ClosestOptions, HandleOptions, LevenshteinOptions, Match, Stats, WordCount } from './types.ts';
export { LibraryLoadError, type LoadOptions } from './loader.ts';
export { ABI_VERSION, LIB_NAME } from './names.ts';
export type { EngineName } from './ffi/engine.ts';
export { MAX_ASYNC_CALLS } from './limits.ts';
