/**
 * Isolated libraries on Node through koffi, in the vitest process: `open(path, { isolate: true })`
 * of test/fixtures/ffi/crash.c. The three faults (NULL write, abort(), exit(3)) synchronously and
 * asynchronously, with the host's process gone after each; what crosses by copy (scalars, strings,
 * buffers in and back, records by value and through pointers, callbacks, pointer results); what is
 * refused (an address not in the host, errno, threadsafe); AbortSignal and close().
 * test/ffi/isolate-runtimes.test.ts runs the fault checks on Node 26, Bun, Deno and from dist/.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CrashedError, type ForeignLibrary, open } from '../../bindings/ffi/index.ts';
import { inheritedNodeFlags } from '../../bindings/ffi/isolate.ts';
import { crashLibrary } from '../fixtures/ffi/build.ts';

const opened: ForeignLibrary[] = [];
function isolated(): ForeignLibrary {
  const library = open(crashLibrary(), { engine: 'koffi', isolate: true });
  opened.push(library);
  return library;
}
const libc = open('c', { engine: 'koffi' });
const kill = libc.func('int kill(int pid, int sig)');
/** The process exists (a zombie does too: a crashed host must be reaped). */
const exists = (pid: number) => kill(pid, 0) === 0;
afterAll(() => {
  for (const library of opened) library.close();
  for (const library of opened) expect(library.hostPid).toBeUndefined();
  libc.close();
});

const FAULTS = [
  { prototype: 'int crash_null(int x)', name: 'crash_null', arg: 1, signal: 'SIGSEGV', exitCode: undefined, how: 'was killed by SIGSEGV' },
  { prototype: 'int crash_abort(int x)', name: 'crash_abort', arg: 1, signal: 'SIGABRT', exitCode: undefined, how: 'was killed by SIGABRT' },
  { prototype: 'int crash_exit(int code)', name: 'crash_exit', arg: 3, signal: undefined, exitCode: 3, how: 'exited with code 3' },
] as const;

describe('a fault in the callee', () => {
  const lib = isolated();
  const add = lib.func('int crash_add(int a, int b)');

  it.each(FAULTS)('$name: the sync call throws CRASHED, the host is gone, the next call works', (fault) => {
    const fn = lib.func(fault.prototype);
    expect(add(1, 2)).toBe(3);
    const pid = lib.hostPid as number;
    expect(exists(pid)).toBe(true);
    let error: unknown;
    try {
      fn(fault.arg);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(CrashedError);
    expect(error).toMatchObject({ code: 'CRASHED', functionName: fault.name, signal: fault.signal, exitCode: fault.exitCode });
    expect((error as Error).message).toBe(`${fault.name}: the isolated host of ${lib.path} ${fault.how} during the call; the next call starts a new host`);
    expect(exists(pid)).toBe(false);
    expect(lib.hostPid).toBeUndefined();
    expect(add(20, 22)).toBe(42);
    expect(lib.hostPid).not.toBe(pid);
  });

  it.each(FAULTS)('$name: the async call rejects with CRASHED, the next async call works', async (fault) => {
    const fn = lib.func(fault.prototype);
    expect(await add.async(1, 2)).toBe(3);
    const pid = lib.hostPid as number;
    await expect(fn.async(fault.arg)).rejects.toMatchObject({ code: 'CRASHED', functionName: fault.name, signal: fault.signal, exitCode: fault.exitCode });
    expect(exists(pid)).toBe(false);
    expect(await add.async(2, 3)).toBe(5);
  });

  it('a fault inside a callback the parent answered: CRASHED, and the callback had run', () => {
    const fn = lib.func('int32_t crash_in_callback(int32_t x, int32_t (*each)(int32_t))');
    const seen: number[] = [];
    expect(
      fn(5, (x: number) => {
        seen.push(x);
        return x + 1;
      }),
    ).toBe(6);
    expect(() =>
      fn(7, (x: number) => {
        seen.push(x);
        return 0;
      }),
    ).toThrow(expect.objectContaining({ code: 'CRASHED', signal: 'SIGSEGV' }));
    expect(seen).toEqual([5, 7]);
  });

  it('declarations made before the crash are bound again in the new host', () => {
    const { functions } = lib.declare('int crash_add(int a, int b); int crash_null(int x);');
    expect(() => functions.crash_null?.(1)).toThrow(CrashedError);
    expect(functions.crash_add?.(3, 4)).toBe(7);
    expect(add(5, 6)).toBe(11);
  });

  it('queued async calls run in a new host after the running one crashed', async () => {
    const crash = lib.func('int crash_null(int x)');
    const results = await Promise.allSettled([add.async(1, 1), crash.async(1), add.async(2, 2), add.async(3, 3)]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as CrashedError).code))).toEqual([2, 'CRASHED', 4, 6]);
  });
});

describe('values cross by copy', () => {
  const lib = isolated();
  const { functions: f } = lib.declare(`
    typedef struct { int32_t x; int32_t y; } crash_point;
    size_t crash_upper(char *text);
    int64_t crash_sum(int32_t n, int32_t (*each)(int32_t));
    void crash_swap(crash_point *p);
    crash_point crash_point_make(int32_t x, int32_t y);
    const char *crash_greeting(void);
    int32_t crash_read(const int32_t *p);
  `);

  it('a buffer for a non-const pointer is copied in and back', () => {
    const text = new TextEncoder().encode('hello, host\0');
    expect(f.crash_upper?.(text)).toBe(11);
    expect(new TextDecoder().decode(text.subarray(0, 11))).toBe('HELLO, HOST');
    // A view into a larger buffer: only its bytes go and come back.
    const big = new Uint8Array(16).fill(0x61);
    big[8] = 0;
    expect(f.crash_upper?.(big.subarray(4))).toBe(4);
    expect([...big.subarray(0, 9)].map((c) => String.fromCharCode(c)).join('')).toBe('aaaaAAAA\0');
  });

  it('a buffer for a const pointer is copied in only; a record object for a pointer is an out-parameter', () => {
    expect(f.crash_read?.(new Int32Array([1234]))).toBe(1234);
    const point = { x: 1, y: 2 };
    f.crash_swap?.(point);
    expect(point).toEqual({ x: 2, y: 1 });
  });

  it('records by value, strings, callbacks (sync and async), the callback error rethrown', async () => {
    expect(f.crash_point_make?.(7, 8)).toEqual({ x: 7, y: 8 });
    expect(f.crash_greeting?.()).toBe('hello from the host');
    expect(f.crash_sum?.(5, (i: number) => i * 10)).toBe(100);
    expect(await f.crash_sum?.async(4, (i: number) => i)).toBe(6);
    const boom = new Error('boom');
    expect(() =>
      f.crash_sum?.(3, () => {
        throw boom;
      }),
    ).toThrow(boom);
    // A callback that calls the isolated library again (nested in the host).
    const make = f.crash_point_make as (x: number, y: number) => { x: number };
    expect(f.crash_sum?.(3, (i: number) => make(i, 0).x)).toBe(3);
  });

  it('an address that is not in the host is refused, naming the function and the argument', () => {
    const local = new Int32Array([5]);
    const address = libc.func('void *memchr(const void *s, int c, size_t n)')(local, 5, 4) as bigint;
    expect(() => f.crash_read?.(address)).toThrow(
      /^crash_read: argument 1 \('p'\) is the address 0x[0-9a-f]+, which is not in the isolated host's memory: a pointer into the calling process cannot cross/,
    );
    expect(f.crash_point_make?.(1, 1)).toEqual({ x: 1, y: 1 });
  });

  it('what cannot cross is refused: errno, threadsafe callbacks, a class instance', () => {
    expect(() => lib.func('int crash_add(int a, int b)', { errno: true })).toThrow(/\{ errno: true \} is not available on an isolated library/);
    expect(() => lib.func('int64_t crash_sum(int32_t n, int32_t (*each)(int32_t))', { threadsafe: true })).toThrow(
      /threadsafe\) are not available on an isolated library/,
    );
    expect(() => f.crash_point_make?.(new Date() as never, 1)).toThrow(/a Date object cannot cross to an isolated library/);
  });

  it('a missing symbol is an Error when declared; address() is the host', () => {
    expect(() => lib.func('int crash_nothing(int x)')).toThrow(/crash_nothing/);
    expect(typeof lib.address('crash_add')).toBe('bigint');
  });
});

describe('async options, close', () => {
  it('an aborted signal rejects with its reason; close() kills the host and fails what waits', async () => {
    const lib = isolated();
    const add = lib.func('int crash_add(int a, int b)');
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(add.async(1, 2, { signal: controller.signal })).rejects.toThrow('stop');
    expect(await add.async(1, 2)).toBe(3);
    const pid = lib.hostPid as number;
    const running = add.async(3, 4);
    const queued = add.async(5, 6);
    lib.close();
    await expect(queued).rejects.toThrow(`crash_add: library ${lib.path} was closed before the call ran`);
    await running.catch(() => undefined);
    expect(exists(pid)).toBe(false);
    expect(() => add(1, 2)).toThrow(/is closed/);
    lib.close();
  });

  it('the option is checked; a library that does not load fails in open()', () => {
    expect(() => open(crashLibrary(), { isolate: 'yes' as never })).toThrow("open: option 'isolate' must be a boolean, got string");
    expect(() => open('/nonexistent/libnothing.so', { isolate: true })).toThrow(/^open: /);
  });

  it('the host keeps loaders and feature flags, not inspectors or evals', () => {
    expect(inheritedNodeFlags(['--inspect=9229', '--import', 'tsx', '--experimental-ffi', '-e', 'x', '--conditions=dev', '--no-warnings'])).toEqual([
      '--import',
      'tsx',
      '--experimental-ffi',
      '--conditions=dev',
      '--no-warnings',
    ]);
  });
});
