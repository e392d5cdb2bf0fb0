import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mylib from '../bindings/index.ts';
import { LibraryLoadError, MylibError, open } from '../bindings/index.ts';
import { ARTIFACTS_DIR, candidatePaths } from '../bindings/loader.ts';
import { debugPanic, rawFunctions } from '../bindings/unsafe.ts';
import { ABI_VERSION, LIBRARY_PATH_ENV } from '../bindings/names.ts';
import { compileFixtureLibrary } from './helpers.ts';

const call =
  (fn: (...args: never[]) => unknown, ...args: unknown[]) =>
  () =>
    (fn as (...a: unknown[]) => unknown)(...args);

describe('wrong arguments throw TypeError naming the function and argument', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['getResult(42)', call(mylib.getResult, 42), /^getResult: argument 'text' must be a string, got number$/],
    ['getResult(null)', call(mylib.getResult, null), /^getResult: argument 'text' must be a string, got null$/],
    ['getResult(Buffer)', call(mylib.getResult, Buffer.from('x')), /getResult: argument 'text' must be a string, got an instance of Buffer/],
    ['getResult()', call(mylib.getResult), /^getResult: expected 1 argument\(s\) \(text\), got 0$/],
    ['getResult(a, b)', call(mylib.getResult, 'a', 'b'), /^getResult: expected 1 argument\(s\) \(text\), got 2$/],
    ['countDoubles(1)', call(mylib.countDoubles, 1), /^countDoubles: argument 'input' must be a string or a Uint8Array, got number$/],
    ['countDoubles([1,1])', call(mylib.countDoubles, [1, 1]), /countDoubles: argument 'input' .* got an array/],
    ['countDoubles(Float64Array)', call(mylib.countDoubles, new Float64Array(2)), /got an instance of Float64Array/],
    ['countDoubles()', call(mylib.countDoubles), /^countDoubles: expected 1 argument\(s\) \(input\), got 0$/],
  ];
  it.each(cases)('%s', (_name, run, message) => {
    expect(run).toThrow(TypeError);
    expect(run).toThrow(message);
  });
});

describe('errors reported by Rust', () => {
  it('a Rust panic becomes a MylibError with the panic message, and the library keeps working', () => {
    let caught: unknown;
    try {
      debugPanic('deliberate panic ✓');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MylibError);
    expect(caught).toBeInstanceOf(Error);
    expect((caught as MylibError).code).toBe('MYLIB_ERR_PANIC');
    expect((caught as MylibError).message).toMatch(/^mylib_debug_panic: Rust panicked: deliberate panic ✓ \(at rustlib\/ffi\/meta\.rs:\d+\)$/);
    expect(mylib.getResult('still alive')).toBe('Rust says: still alive');
  });

  it('raw calls with invalid UTF-8 or NULL pointers get a status and a message, not a crash', () => {
    const raw = rawFunctions();
    const err = Buffer.alloc(256);
    const out = new BigUint64Array(2);
    const readErr = () => err.toString('utf8', 0, err.indexOf(0));
    expect(raw.mylib_count_doubles_utf8(Buffer.from([0x61, 0xff]), 2, out, err, 256)).toBe(3);
    expect(readErr()).toMatch(/^mylib_count_doubles_utf8: argument 'text' is not valid UTF-8/);
    expect(raw.mylib_count_doubles_bytes(null, 5, out, err, 256)).toBe(1);
    expect(readErr()).toBe("mylib_count_doubles_bytes: argument 'data' is NULL but its length is 5");
    expect(raw.mylib_get_result(Buffer.from('x'), -1, Buffer.alloc(8), 8, out, err, 256)).toBe(2);
    expect(readErr()).toMatch(/length of 'text' is too large/);
    // A too-small buffer reports the size needed and leaves out untouched.
    const small = Buffer.alloc(4, 0xee);
    expect(raw.mylib_get_result(Buffer.from('abc'), 3, small, 4, out, null, 0)).toBe(4);
    expect(out[0]).toBe(14n);
    expect([...small]).toEqual([0xee, 0xee, 0xee, 0xee]);
    // On success the MylibTextOut says whether the result is ASCII.
    const big = Buffer.alloc(64);
    expect(raw.mylib_get_result(Buffer.from('abc'), 3, big, 64, out, null, 0)).toBe(0);
    expect([out[0], out[1]! & 0xffffffffn]).toEqual([14n, 1n]);
    const accented = Buffer.from('é');
    expect(raw.mylib_get_result(accented, accented.length, big, 64, out, null, 0)).toBe(0);
    expect([out[0], out[1]! & 0xffffffffn]).toEqual([13n, 0n]);
  });

  it('out-params are written only on success', () => {
    const raw = rawFunctions();
    const out = new BigUint64Array([123n]);
    expect(raw.mylib_count_doubles_utf8(Buffer.from([0xc3]), 1, out, null, 0)).toBe(3);
    expect(out[0]).toBe(123n);
  });
});

describe('loading', () => {
  it('a missing library gives one error listing each path tried and why', () => {
    const missing = join(tmpdir(), 'no-such-dir', 'mylib.so');
    expect(() => open({ path: missing })).toThrow(LibraryLoadError);
    expect(() => open({ path: missing })).toThrow(`${missing} (option): file not found`);
  });

  it('a file that is not a library: the error names the path and the reason', () => {
    const garbage = join(tmpdir(), `mylib-garbage-${process.pid}.so`);
    writeFileSync(garbage, 'not an ELF file');
    let message = '';
    try {
      open({ path: garbage });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(garbage);
    // The header check (bindings/ffi/object-file.ts) rejects it before dlopen on every platform.
    expect(message).toMatch(/: not an? (ELF|Mach-O|PE) shared library \(starts with 6e6f7420\)/);
  });

  it('the default search looks in artifacts/ under the platform-tagged name, and the env override replaces it', () => {
    const [candidate] = candidatePaths({}, {});
    expect(candidate?.path.startsWith(ARTIFACTS_DIR)).toBe(true);
    expect(candidate?.path).toMatch(/mylib\.(linux|darwin|win32)-[a-z0-9]+(-gnu|-musl)?\.(so|dylib|dll)$/);
    expect(candidatePaths({}, { [LIBRARY_PATH_ENV]: '/x/lib.so' })).toEqual([{ path: '/x/lib.so', source: `env ${LIBRARY_PATH_ENV}` }]);
  });

  it('refuses a library whose ABI version differs, naming both versions', () => {
    const source = join(tmpdir(), `abi-mismatch-${process.pid}.rs`);
    writeFileSync(source, '#[unsafe(no_mangle)]\npub extern "C" fn mylib_abi_version() -> u32 { 999 }\n');
    const path = compileFixtureLibrary(source, 'abi_mismatch');
    expect(() => open({ path })).toThrow(
      new RegExp(`ABI version mismatch: the library has ABI version 999, these bindings were written for ABI version ${ABI_VERSION}`),
    );
  });

  it('a library missing a declared symbol is refused with the symbol name', () => {
    const source = join(tmpdir(), `missing-symbol-${process.pid}.rs`);
    writeFileSync(source, `#[unsafe(no_mangle)]\npub extern "C" fn mylib_abi_version() -> u32 { ${ABI_VERSION} }\n`);
    const path = compileFixtureLibrary(source, 'missing_symbol');
    expect(() => open({ path })).toThrow(/Cannot find function 'mylib_\w+'/);
  });
});

describe('unload', () => {
  it('every call after unload() throws a clear error; unload is idempotent', () => {
    const library = open();
    expect(library.getResult('x')).toBe('Rust says: x');
    library.unload();
    library.unload();
    expect(library.loaded).toBe(false);
    expect(() => library.getResult('x')).toThrow(/getResult was called after unload\(\)/);
    expect(() => library.countDoubles(Buffer.from('aa'))).toThrow(/after unload\(\)/);
    expect(() => rawFunctions(library).mylib_abi_version()).toThrow(/after unload\(\)/);
  });

  it('`using` unloads at the end of the block', () => {
    let escaped: mylib.Mylib;
    {
      using library = open();
      escaped = library;
      expect(library.countDoubles('aa')).toBe(1);
    }
    expect(() => escaped.countDoubles('aa')).toThrow(/after unload\(\)/);
  });

  it('the module-level functions refuse calls after unload() until load()', () => {
    mylib.unload();
    expect(() => mylib.getResult('x')).toThrow(/after unload\(\)/);
    mylib.load();
    expect(mylib.getResult('x')).toBe('Rust says: x');
  });
});
