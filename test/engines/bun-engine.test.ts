/** The bun:ffi engine off Bun: importable, registered, and refused with a clear error. */
import { describe, expect, it } from 'vitest';
import { defaultEngine, resolveEngine } from '../../bindings/engine.ts';
import '../../bindings/engines/bun.ts';
import { open } from '../../bindings/index.ts';

describe.runIf((globalThis as { Bun?: unknown }).Bun === undefined)('bun:ffi engine on Node', () => {
  it('is registered, and auto prefers it on Bun only', () => {
    expect(defaultEngine('bun')).toBe('bun:ffi');
    expect(defaultEngine('node')).toBe('koffi');
  });

  it('refuses to load without Bun, by name', () => {
    expect(() => resolveEngine('bun:ffi')).toThrow(/^engine bun:ffi needs Bun$/);
    expect(() => open({ engine: 'bun:ffi' })).toThrow(/engine bun:ffi needs Bun/);
  });
});
