/** The bun:ffi engine off Bun: importable, registered, and refused with a clear error. */
import { describe, expect, it } from 'vitest';
import { defaultEngine, resolveEngine } from '../../bindings/ffi/engine.ts';
import { bunEngine, registerBunEngine } from '../../bindings/ffi/engines/bun.ts';

describe.runIf((globalThis as { Bun?: unknown }).Bun === undefined)('bun:ffi engine on Node', () => {
  registerBunEngine();

  it('is registered, and auto prefers it on Bun only', () => {
    expect(defaultEngine('bun')).toBe('bun:ffi');
    expect(defaultEngine('node')).toBe('koffi');
  });

  it('refuses to load without Bun, by name', () => {
    expect(() => resolveEngine('bun:ffi')).toThrow(/^engine bun:ffi needs Bun$/);
    expect(() => bunEngine.open('libm.so.6')).toThrow(/^engine bun:ffi needs Bun$/);
  });
});
