// bindings/unsafe.ts: the module-level `add` binds the default library on first use and forwards
// with fixed parameters; a wrong call, an unloaded library or a new default still take the checks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { library, load, unload } from '../bindings/index.ts';
import { add } from '../bindings/unsafe.ts';

const loose = add as (...args: unknown[]) => number;

describe('unsafe add', () => {
  it('adds, and reports a wrong count or a non-int32 as the checked method does', () => {
    expect(add(2, 3)).toBe(5);
    expect(add(0x7fffffff, 1)).toBe(-0x80000000);
    expect(() => loose(1, 2, 3)).toThrow(/^add: expected 2 argument\(s\) \(a, b\), got 3$/);
    expect(() => loose(1)).toThrow(/^add: expected 2 argument\(s\) \(a, b\), got 1$/);
    expect(() => loose()).toThrow(/^add: expected 2 argument\(s\) \(a, b\), got 0$/);
    expect(() => loose(undefined, 1)).toThrow(/^add: argument 'a' must be a number, got undefined$/);
    expect(() => add(1.5, 1)).toThrow(/^add: argument 'a' must be a 32-bit integer, got 1.5$/);
    expect(add(2, 3)).toBe(5);
  });

  it('follows unload() and load() of the default library after binding it', () => {
    expect(add(1, 1)).toBe(2);
    const first = library();
    unload();
    expect(() => add(1, 1)).toThrow(/after unload\(\)/);
    const second = load();
    expect(second).not.toBe(first);
    expect(add(20, 22)).toBe(42);
    expect(library()).toBe(second);
  });

  it('has no `arguments` object or apply on its path', () => {
    const source = readFileSync(join(import.meta.dirname, '..', 'bindings', 'unsafe.ts'), 'utf8');
    const body = source.slice(source.indexOf('export function add('), source.indexOf('export function debugPanic('));
    const code = body
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\/\*\*|\*)/.test(line))
      .join('\n');
    expect(code).not.toMatch(/\barguments\b/);
    expect(code).not.toMatch(/(?<!Reflect)\.apply\(/);
  });
});
