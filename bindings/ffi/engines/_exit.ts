/**
 * Internal: `process.exit` while async native calls are in flight. Not public API.
 *
 * An async call runs on a native thread (koffi's worker, a pool Worker, Deno's nonblocking thread)
 * that may sit in the C function for seconds or wait for a callback the main thread will never
 * answer once it is exiting. The runtime's normal exit waits for those threads or tears down state
 * they still use: it hangs (koffi waiting for a callback's answer), waits for the call (17 s on a
 * 20 s call), aborts (node:ffi, "Callbacks cannot throw an exception") or crashes (Deno + koffi).
 *
 * So while at least one async call is in flight, a process 'exit' listener is installed. When the
 * process exits, it runs the 'exit' listeners registered after it (those before it have run), then
 * ends the process at once through the C library's `_exit` with the exit code (process.exitCode
 * when a listener set it): native threads are abandoned, not awaited. No call in flight, no
 * listener: the runtime exits as it always does. `_exit` is bound through the engine of the call,
 * before the first async call starts (the exit path must not open libraries).
 */
import process from 'node:process';
import type { BoundFunction, Engine, NativeLibrary } from '../engine.ts';
import { resolveLibrary } from '../names.ts';
import { scalar } from '../types.ts';

let inFlight = 0;
/** `_exit` bound through the first engine that made an async call; undefined until then. */
let hardExit: ((code: number) => void) | undefined;
/** Why `_exit` could not be bound (the process then exits the runtime's way). */
let unavailable: string | undefined;

function bindExit(engine: Engine): void {
  if (hardExit !== undefined || unavailable !== undefined) return;
  try {
    const libc = engine.open(resolveLibrary('c').load);
    const int = scalar('int32_t');
    if (int === undefined) throw new Error('no int32_t');
    const fn = libc.bind({ kind: 'function', name: '_exit', result: { kind: 'void' }, params: [{ name: 'status', type: int }] }).call;
    hardExit = (code) => void fn(code);
  } catch (error) {
    unavailable = (error as Error).message;
  }
}

function onExit(code: number): void {
  if (inFlight === 0 || hardExit === undefined) return;
  // emit() runs the listeners after this one once it returns; _exit comes first, so run them here.
  const listeners = process.rawListeners('exit');
  for (const listener of listeners.slice(listeners.indexOf(onExit) + 1)) {
    try {
      (listener as (code: number) => void).call(process, code);
    } catch (error) {
      console.error(error);
    }
  }
  const requested = process.exitCode === undefined || process.exitCode === null ? code : Number(process.exitCode);
  hardExit(Number.isInteger(requested) ? requested : code);
}

function begin(engine: Engine): void {
  bindExit(engine);
  if (inFlight++ === 0) process.on('exit', onExit);
}

function end(): void {
  if (--inFlight === 0) process.off('exit', onExit);
}

function tracked(bound: BoundFunction, engine: Engine): BoundFunction {
  return {
    call: bound.call,
    callAsync(args) {
      begin(engine);
      let pending: Promise<unknown>;
      try {
        pending = bound.callAsync(args);
      } catch (error) {
        end();
        throw error;
      }
      return pending.finally(end);
    },
  };
}

/** `engine` whose bound functions' async calls hard-exit the process when it exits during them. */
export function exitSafe(engine: Engine): Engine {
  const open = (path: string): NativeLibrary => {
    const library = engine.open(path);
    return {
      engine: library.engine,
      path: library.path,
      bind: (type, options) => tracked(library.bind(type, options), engine),
      bindAddress: (address, type, options) => tracked(library.bindAddress(address, type, options), engine),
      symbol: (name) => library.symbol(name),
      close: () => library.close(),
    };
  };
  return { name: engine.name, open, view: (address, length) => engine.view(address, length), addressOf: (view) => engine.addressOf(view) };
}

/** For tests: async calls in flight now, and why `_exit` is not bound (undefined when it is or no call was made). */
export function exitState(): { inFlight: number; unavailable: string | undefined } {
  return { inFlight, unavailable };
}
