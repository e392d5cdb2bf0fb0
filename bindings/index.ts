/**
 * mylib-rust: the typed public API. camelCase functions with real TypeScript types; no raw
 * pointers leak out. Strings cross as UTF-8 bytes plus a length, so U+0000 is ordinary data.
 * Lone surrogates in JS strings are replaced by U+FFFD (as TextEncoder does) before Rust sees
 * them.
 *
 * The module-level functions use a default library, loaded on first use. `open()` gives an
 * independent instance (for an explicit path, or for the REPL's hot reload).
 */
import { MylibError, checkArgumentCount, checkString, describe } from './errors.ts';
import { type LoadOptions, type LoadedLibrary, loadLibrary } from './loader.ts';
import { type RawFunctions, Status } from './raw.ts';

export { MylibError } from './errors.ts';
export { LibraryLoadError, type LoadOptions, candidatePaths } from './loader.ts';
export { ABI_VERSION, LIB_NAME } from './names.ts';

const ERR_CAP = 1024;
/** Scratch buffers at most this large are kept between calls; larger inputs get one-off buffers. */
const MAX_KEPT_SCRATCH = 4 << 20;

/** A growable byte buffer reused across synchronous calls (JS runs them one at a time). */
class Scratch {
  #buffer: Buffer;
  constructor(initial: number) {
    this.#buffer = Buffer.allocUnsafe(initial);
  }
  /** A buffer of at least `size` bytes; kept for reuse when it is not too large. */
  get(size: number): Buffer {
    if (size <= this.#buffer.length) return this.#buffer;
    const grown = Buffer.allocUnsafe(Math.max(size, this.#buffer.length * 2));
    if (grown.length <= MAX_KEPT_SCRATCH) this.#buffer = grown;
    return grown;
  }
}

/** Functions that throw instead of calling into an unloaded library (which would crash). */
function unloadedFunctions(path: string): RawFunctions {
  return new Proxy({} as RawFunctions, {
    get(_target, name) {
      return () => {
        throw new Error(`mylib: ${String(name)} was called after unload() of ${path}; load the library again with open()`);
      };
    },
  });
}

/** One loaded copy of the native library with the typed API bound to it. */
export class Mylib {
  /** The file this instance loaded. */
  readonly path: string;
  #library: LoadedLibrary | undefined;
  #raw: RawFunctions;
  readonly #err = Buffer.alloc(ERR_CAP);
  readonly #u64 = new BigUint64Array(1);
  readonly #input = new Scratch(4096);
  readonly #output = new Scratch(4096);

  constructor(library: LoadedLibrary) {
    this.path = library.path;
    this.#library = library;
    this.#raw = library.raw;
  }

  /** The raw koffi functions (for benchmarks and experiments). Throws after unload(). */
  get raw(): RawFunctions {
    return this.#raw;
  }

  get loaded(): boolean {
    return this.#library !== undefined;
  }

  /** Returns `"Rust says: " + text`. */
  getResult(text: string): string {
    checkArgumentCount('getResult', 'text', arguments.length, 1);
    checkString('getResult', 'text', text);
    const [input, inputLen] = this.#encode(text);
    let output = this.#output.get(inputLen + 64);
    let status = this.#raw.mylib_get_result(input, inputLen, output, output.length, this.#u64, this.#err, ERR_CAP);
    if (status === Status.BUFFER_TOO_SMALL) {
      output = this.#output.get(Number(this.#u64[0]));
      status = this.#raw.mylib_get_result(input, inputLen, output, output.length, this.#u64, this.#err, ERR_CAP);
    }
    this.#check(status);
    return output.toString('utf8', 0, Number(this.#u64[0]));
  }

  /**
   * Counts adjacent pairs of equal characters: `"aabbb"` -> 3. For a string, characters are
   * Unicode code points; for a Buffer/Uint8Array, bytes (read in place, no copy).
   */
  countDoubles(input: string | Uint8Array): number {
    checkArgumentCount('countDoubles', 'input', arguments.length, 1);
    let status: number;
    if (typeof input === 'string') {
      const [bytes, length] = this.#encode(input);
      status = this.#raw.mylib_count_doubles_utf8(bytes, length, this.#u64, this.#err, ERR_CAP);
    } else if (input instanceof Uint8Array) {
      status = this.#raw.mylib_count_doubles_bytes(input, input.length, this.#u64, this.#err, ERR_CAP);
    } else {
      throw new TypeError(`countDoubles: argument 'input' must be a string or a Uint8Array, got ${describe(input)}`);
    }
    this.#check(status);
    return Number(this.#u64[0]);
  }

  /** Calls a Rust function that panics with `message`: the panic comes back as a MylibError. */
  debugPanic(message: string): never {
    checkArgumentCount('debugPanic', 'message', arguments.length, 1);
    checkString('debugPanic', 'message', message);
    const [bytes, length] = this.#encode(message);
    this.#check(this.#raw.mylib_debug_panic(bytes, length, this.#err, ERR_CAP));
    throw new Error('debugPanic: the library returned without panicking');
  }

  /** Unloads the library. Idempotent; every later call throws instead of crashing. */
  unload(): void {
    const library = this.#library;
    if (!library) return;
    this.#library = undefined;
    this.#raw = unloadedFunctions(library.path);
    library.handle.unload();
  }

  [Symbol.dispose](): void {
    this.unload();
  }

  /** UTF-8 encodes `text` into the input scratch buffer. Returns the buffer and byte length. */
  #encode(text: string): [Buffer, number] {
    // Each UTF-16 unit becomes at most 3 UTF-8 bytes.
    const buffer = this.#input.get(text.length * 3);
    return [buffer, buffer.write(text)];
  }

  #check(status: number): void {
    if (status === Status.OK) return;
    const end = this.#err.indexOf(0);
    const message = this.#err.toString('utf8', 0, end === -1 ? ERR_CAP : end);
    throw new MylibError(status, message || `mylib call failed with status ${status}`);
  }
}

/** Loads the native library (see LoadOptions) and returns an independent instance. */
export function open(options: LoadOptions = {}): Mylib {
  return new Mylib(loadLibrary(options));
}

let defaultLibrary: Mylib | undefined;

/** The instance behind the module-level functions, loaded on first use. */
export function library(): Mylib {
  defaultLibrary ??= open();
  return defaultLibrary;
}

/** (Re)loads the default library, unloading the previous one. */
export function load(options: LoadOptions = {}): Mylib {
  const next = open(options);
  defaultLibrary?.unload();
  defaultLibrary = next;
  return next;
}

/** Returns `"Rust says: " + text`. */
export function getResult(text: string): string {
  checkArgumentCount('getResult', 'text', arguments.length, 1);
  return library().getResult(text);
}

/**
 * Counts adjacent pairs of equal characters: `"aabbb"` -> 3. Strings count Unicode code
 * points; a Buffer/Uint8Array counts bytes, read in place.
 */
export function countDoubles(input: string | Uint8Array): number {
  checkArgumentCount('countDoubles', 'input', arguments.length, 1);
  return library().countDoubles(input);
}

/** Unloads the default library; later module-level calls throw until load() is called. */
export function unload(): void {
  defaultLibrary?.unload();
}
