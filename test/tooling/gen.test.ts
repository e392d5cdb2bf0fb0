// `npm run gen` (scripts/gen.ts): the module-level functions and the package README's function
// table derived from the methods of Mylib, and the text-out shape derived from the table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../../bindings/index.ts';
import { Mylib } from '../../bindings/library.ts';
import { ADDRESS_FORMS, DECLARATIONS, type TextOutSymbol } from '../../bindings/raw.ts';
import { ROOT, staleFiles } from '../../scripts/abi/header.ts';
import { FUNCTIONS_MODULE, functionsTable, generateFunctionsModule, moduleFunctions, readTypedMethods } from '../../scripts/abi/typed-api.ts';
import { derivedFiles, staleDerivedFiles } from '../../scripts/gen.ts';

const librarySource = readFileSync(join(ROOT, 'bindings/library.ts'), 'utf8');

describe('module-level functions', () => {
  it('are fresh (else: run `npm run gen` and commit)', () => {
    expect(staleDerivedFiles()).toEqual([]);
  });

  it('exist for every public method of Mylib but unload(), with its arity', () => {
    const methods = moduleFunctions(librarySource).map((m) => m.name);
    expect(methods).toContain('getResult');
    expect(methods).toContain('levenshteinAsync');
    expect(methods).not.toContain('unload');
    const prototype = Mylib.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const publicMethods = Object.getOwnPropertyNames(Mylib.prototype).filter(
      (name) => name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(Mylib.prototype, name)?.value === 'function',
    );
    expect(publicMethods.filter((name) => name !== 'unload').sort()).toEqual([...methods].sort());
    const exported = api as unknown as Record<string, unknown>;
    for (const name of methods) {
      expect(typeof exported[name], name).toBe('function');
      expect((exported[name] as (...args: unknown[]) => unknown).length, name).toBe(prototype[name]!.length);
    }
  });

  it('pass the arguments on as given, so the argument-count check sees the call', () => {
    expect(api.getResult('x')).toBe('Rust says: x');
    expect(() => (api.getResult as (...args: unknown[]) => string)('x', 'y')).toThrow(/^getResult: expected 1 argument\(s\) \(text\), got 2$/);
    expect(() => (api.closest as (...args: unknown[]) => unknown)('a', ['b'], {}, 4, 5)).toThrow(
      /^closest: expected 2 to 3 argument\(s\) \(query, candidates, options\?\), got 5$/,
    );
    expect(() => (api.levenshtein as (...args: unknown[]) => number)('a')).toThrow(/^levenshtein: expected 2 argument\(s\) \(a, b\), got 1$/);
    expect(() => (api.getResult as (...args: unknown[]) => string)()).toThrow(/^getResult: expected 1 argument\(s\) \(text\), got 0$/);
    expect(() => api.levenshtein(undefined as unknown as string, 'b')).toThrow(/^levenshtein: argument 'a' must be a string, got undefined$/);
    expect(api.closest('abc', ['abd', 'x'])).toEqual(api.library().closest('abc', ['abd', 'x']));
  });

  it('forward with fixed parameters: no `arguments` object, no apply on the common path', () => {
    const generated = derivedFiles().find((file) => file.path === FUNCTIONS_MODULE)!.text;
    const code = generated
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\/\*\*|\*)/.test(line))
      .join('\n');
    expect(code).not.toMatch(/\barguments\b/);
    expect(code).not.toMatch(/(?<!Reflect)\.apply\(/);
    for (const method of moduleFunctions(librarySource)) {
      expect(code).toMatch(new RegExp(`excess\\.length === 0[^?]*\\? lib\\.${method.name}\\(`));
    }
  });

  it('refuse a method whose types the generator cannot import', () => {
    const source = [
      "import type { Match } from './types.ts';",
      'export class Mylib {',
      '  /** Finds. */',
      '  find(query: string, where: Elsewhere): Match {',
      '    return undefined as unknown as Match;',
      '  }',
      '}',
    ].join('\n');
    expect(() => generateFunctionsModule(source)).toThrow(/Mylib#find uses the type Elsewhere, which library\.ts neither imports nor has as a global/);
    const untyped = source.replace('where: Elsewhere', '{ where }: { where: string }');
    expect(() => generateFunctionsModule(untyped)).toThrow(/Mylib#find: cannot forward the parameter/);
  });

  it('keep signatures and docs as written, and the README table lists each', () => {
    const generated = derivedFiles().find((file) => file.path === FUNCTIONS_MODULE)!.text;
    for (const method of moduleFunctions(librarySource)) {
      expect(generated).toContain(`export function ${method.name}(${method.params}): ${method.returns};`);
      expect(functionsTable(librarySource)).toContain(`| \`${method.name}(`);
    }
    expect(generated).toContain('/** Returns `"Rust says: " + text`. */');
  });

  it('a stale functions module is reported with the line', () => {
    const files = derivedFiles().map((file) => (file.path === FUNCTIONS_MODULE ? { ...file, text: file.text.replace('getResult', 'getResults') } : file));
    const problems = staleFiles(ROOT, files);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^bindings\/functions\.generated\.ts is stale \(line \d+: .*run `npm run gen` and commit it$/);
  });

  it('reads multi-line signatures and async methods', () => {
    const source = [
      'export class Mylib {',
      '  /** Waits. */',
      '  async wait(',
      '    ms: number,',
      '    options?: { signal?: AbortSignal },',
      '  ): Promise<void> {',
      '  }',
      '}',
    ].join('\n');
    const [method] = readTypedMethods(source);
    expect(method).toMatchObject({ name: 'wait', params: 'ms: number, options?: { signal?: AbortSignal }', returns: 'Promise<void>', isAsync: true });
  });
});

describe('the text-out shape (TextOutSymbol, ADDRESS_FORMS)', () => {
  it('is recognized from the prototypes, at run time and in the types', () => {
    expect(ADDRESS_FORMS).toContain('mylib_get_result');
    for (const name of ['mylib_count_doubles_utf8', 'mylib_levenshtein', 'mylib_closest', 'mylib_word_counter_top'] as const) {
      expect(ADDRESS_FORMS).not.toContain(name);
      expect(DECLARATIONS[name]).toBeDefined();
    }
    expectTypeOf<'mylib_get_result'>().toExtend<TextOutSymbol>();
    expectTypeOf<'mylib_count_doubles_utf8'>().not.toExtend<TextOutSymbol>();
    expectTypeOf<'mylib_levenshtein'>().not.toExtend<TextOutSymbol>();
    expectTypeOf<'mylib_word_counter_top'>().not.toExtend<TextOutSymbol>();
  });
});
