// bindings/repl/help.ts: `.help` formats what the repository's tooling read (typed methods, the
// declaration table, Rust doc comments); it reads nothing itself, so the package can hold it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type HelpData, helpFor, helpList } from '../../bindings/repl/help.ts';

const data: HelpData = {
  methods: [
    {
      label: 'mylib.getResult',
      name: 'getResult',
      className: 'Mylib',
      signature: 'mylib.getResult(text: string): string',
      jsdoc: 'Returns it.',
      symbols: ['mylib_get_result'],
    },
    { label: 'mylib.add', name: 'add', className: 'Mylib', signature: 'mylib.add(a: number): number', jsdoc: 'Adds.\nTwo lines.', symbols: [] },
  ],
  declarations: { mylib_get_result: 'int32_t mylib_get_result(const uint8_t *text)', mylib_gone: 'void mylib_gone(void)' },
  docs: new Map([['mylib_get_result', 'Writes "Rust says: " + text.\n\nMore.']]),
};

describe('.help formatting', () => {
  it('lists each method and export with the first doc line', () => {
    const list = helpList(data);
    expect(list).toContain('  mylib.getResult(text: string): string\n      Writes "Rust says: " + text.  [mylib_get_result]');
    expect(list).toContain('  mylib.add(a: number): number\n      Adds.');
    expect(list).toContain('  void mylib_gone(void)\n      (not exported by the Rust sources)');
  });

  it.each([
    ['getResult', ['mylib.getResult(text: string): string', '  // Returns it.', 'int32_t mylib_get_result(const uint8_t *text)', '  /// More.']],
    ['get_result', ['int32_t mylib_get_result(const uint8_t *text)']],
    ['nothing', [".help: no function named 'nothing'. Type .help for the list."]],
    ['get', ['Did you mean: getResult, mylib_get_result?']],
  ])('.help %s', (name, expected) => {
    const text = helpFor(name, data);
    for (const part of expected) expect(text).toContain(part);
  });

  it('imports nothing from scripts/ (it ships in the package)', () => {
    const source = readFileSync(new URL('../../bindings/repl/help.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/from '[^']*scripts\//);
    expect(source).not.toMatch(/^import /m);
  });
});
