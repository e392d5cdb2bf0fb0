/**
 * The default library behind the module-level functions and handles: open() makes an
 * independent instance, library() the shared one, loaded on first use.
 */
import { setDefaultLibraryProvider } from './_context.ts';
import { checkArgumentCount } from './_checks.ts';
import { type Mylib, createMylib } from './library.ts';
import { type LoadOptions, loadLibrary, loadOptionsArgument } from './loader.ts';

/**
 * Loads the native library and returns an independent instance. `options` is LoadOptions or a
 * path string (`open(p)` is `open({ path: p })`); unknown keys or wrong types throw a TypeError.
 * The file is checked before it is loaded (see bindings/ffi/object-file.ts): a truncated or foreign
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
