/**
 * errno (and GetLastError on Windows) for functions declared with `{ errno: true }`: set to 0
 * before each synchronous call and read right after it, on the calling thread, through the same
 * engine as the call. The C library's own accessor gives the calling thread's errno location:
 * `__errno_location` (glibc, musl), `__error` (macOS, the BSDs), `_errno` (Windows' C runtime).
 * The location of the main thread's errno does not change, so it is looked up once per engine and
 * read through a 4-byte view of it.
 *
 * Asynchronous calls run on another thread, whose errno the main thread cannot see: functions
 * with `{ errno: true }` refuse `.async` (see library.ts).
 */
import process from 'node:process';
import type { Engine, NativeLibrary } from './engine.ts';
import { resolveLibrary } from './names.ts';
import { type FunctionType, pointer, scalar } from './types.ts';

/** What a function with `{ errno: true }` does around each synchronous call. */
export interface ErrnoAccess {
  /** Sets errno (and the Windows last error) to 0. */
  reset(): void;
  /** errno now. */
  errno(): number;
  /** GetLastError() now (Windows), else undefined. */
  lastError(): number | undefined;
}

const INT = scalar('int32_t');
const UINT = scalar('uint32_t');

function fn(name: string, result: FunctionType['result'], params: FunctionType['params'] = []): FunctionType & { name: string } {
  return { kind: 'function', name, result, params };
}

/** The C library and its errno accessor's name on this platform. */
function accessor(platform: string): { library: string; symbol: string } {
  if (platform === 'win32') return { library: resolveLibrary('c', platform).load, symbol: '_errno' };
  if (platform === 'darwin' || platform.endsWith('bsd')) return { library: resolveLibrary('c', platform).load, symbol: '__error' };
  return { library: resolveLibrary('c', platform).load, symbol: '__errno_location' };
}

const cache = new WeakMap<Engine, ErrnoAccess>();
/** Libraries opened for errno: kept open for the life of the process (libc is never unloaded anyway). */
const kept: NativeLibrary[] = [];

/** errno access through `engine` (opens the C library once per engine). */
export function errnoAccess(engine: Engine, platform: string = process.platform): ErrnoAccess {
  const known = cache.get(engine);
  if (known) return known;
  const { library, symbol } = accessor(platform);
  let libc: NativeLibrary;
  try {
    libc = engine.open(library);
  } catch (error) {
    throw new Error(`errno: cannot open the C library ${library} with engine ${engine.name}: ${(error as Error).message}`);
  }
  kept.push(libc);
  const location = libc.bind(fn(symbol, pointer(INT as NonNullable<typeof INT>)));
  const address = location.call() as bigint | null;
  if (typeof address !== 'bigint' || address === 0n) throw new Error(`errno: ${symbol}() of ${library} returned ${String(address)} (engine ${engine.name})`);
  const cell = new Int32Array(engine.view(address, 4));
  let lastError: ErrnoAccess['lastError'] = () => undefined;
  let resetLast = (): void => {};
  if (platform === 'win32') {
    const kernel32 = engine.open('kernel32.dll');
    kept.push(kernel32);
    const get = kernel32.bind(fn('GetLastError', UINT as NonNullable<typeof UINT>)).call;
    const set = kernel32.bind(fn('SetLastError', { kind: 'void' }, [{ name: 'code', type: UINT as NonNullable<typeof UINT> }])).call;
    lastError = () => get() as number;
    resetLast = () => void set(0);
  }
  const access: ErrnoAccess = {
    reset() {
      cell[0] = 0;
      resetLast();
    },
    errno: () => cell[0] as number,
    lastError,
  };
  cache.set(engine, access);
  return access;
}
