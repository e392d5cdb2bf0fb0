/**
 * The in-flight count of bindings/ffi/engines/_exit.ts on a stand-in engine: every async call,
 * resolved, rejected or thrown synchronously, leaves it, and the 'exit' listener exists only
 * while a call is in flight. (The exit itself runs in child processes: exit.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { BoundFunction, Engine } from '../../bindings/ffi/engine.ts';
import { exitSafe, exitState } from '../../bindings/ffi/engines/_exit.ts';

const VOID = { kind: 'function', name: 'f', result: { kind: 'void' }, params: [] } as const;

/** An engine whose `f` does what `callAsync` says; the C library does not open (no _exit here). */
function standIn(callAsync: BoundFunction['callAsync']): Engine {
  return {
    name: 'koffi',
    open(path) {
      if (path !== 'fixture.so') throw new Error(`no ${path} here`);
      return {
        engine: 'koffi',
        path,
        bind: () => ({ call: () => undefined, callAsync }),
        bindAddress: () => ({ call: () => undefined, callAsync }),
        symbol: () => 0n,
        close() {},
      };
    },
    view: () => new ArrayBuffer(0),
    addressOf: () => 0n,
  };
}

describe('exit tracking of async calls', () => {
  it('counts a call while it runs, with the exit listener, and forgets it however it ends', async () => {
    const listeners = process.listenerCount('exit');
    let finish: (value: unknown) => void = () => {};
    const running = exitSafe(standIn(() => new Promise((resolve) => (finish = resolve))))
      .open('fixture.so')
      .bind(VOID);
    const pending = running.callAsync([]);
    expect(exitState().inFlight).toBe(1);
    expect(process.listenerCount('exit')).toBe(listeners + 1);
    finish(1);
    await pending;

    const failing = exitSafe(standIn(() => Promise.reject(new Error('failed'))))
      .open('fixture.so')
      .bind(VOID);
    await expect(failing.callAsync([])).rejects.toThrow('failed');
    const throwing = exitSafe(
      standIn(() => {
        throw new TypeError('f: bad argument');
      }),
    )
      .open('fixture.so')
      .bind(VOID);
    expect(() => throwing.callAsync([])).toThrow('f: bad argument');

    expect(exitState().inFlight).toBe(0);
    expect(process.listenerCount('exit')).toBe(listeners);
    // The stand-in has no C library: _exit is reported unavailable, with the reason.
    expect(exitState().unavailable).toMatch(/^no .+ here$/);
  });
});
