import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as realTables from '../bindings/raw.ts';
import { hostPlatform, libraryFileName } from '../bindings/names.ts';
import {
  type LibrarySymbols,
  ROOT,
  checkAbi,
  parseRustSource,
  readDeclarations,
  readLibrarySymbols,
  readRustApi,
  runCheck,
  tablesFrom,
} from '../scripts/abi/index.ts';
import { parseFunction } from '../bindings/ffi/grammar.ts';
import { formatType } from '../bindings/ffi/types.ts';
import { inspectObjectFile } from '../bindings/ffi/object-file.ts';
import { compileFixtureLibrary } from './helpers.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'abi');
const BASE = join(FIXTURES, 'base');
const LIBRARY = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));

/**
 * Every broken fixture folder: its own raw.ts (a small module overriding base/raw.ts) and/or a
 * patch.json of exact text replacements on base/ffi.rs (each old text occurs once), plus the
 * expected lines. A patched ffi.rs is written under .cache/abi-fixtures/<name>/.
 */
const CASES = readdirSync(FIXTURES).filter((name) => name !== 'base');
const MATERIALIZED = join(ROOT, '.cache', 'abi-fixtures');

let fixtureSymbols: LibrarySymbols;

beforeAll(async () => {
  // The fixtures' "built library": base/ffi.rs compiled by rustc, symbols read from its ELF file.
  const path = compileFixtureLibrary(join(BASE, 'ffi.rs'), 'fixabi');
  fixtureSymbols = readLibrarySymbols(path);
  fixtureSymbols.path = 'fixture.so';
});

/** The folder holding a fixture's Rust source: base/, or base/ffi.rs with its patch.json applied. */
function rustFolder(name: string): string {
  const patchFile = join(FIXTURES, name, 'patch.json');
  if (!existsSync(patchFile)) return BASE;
  const patch = JSON.parse(readFileSync(patchFile, 'utf8')) as { 'ffi.rs': Array<[string, string]> };
  let text = readFileSync(join(BASE, 'ffi.rs'), 'utf8');
  for (const [from, to] of patch['ffi.rs']) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`${name}/patch.json: the text to replace occurs ${count} times, expected once: ${JSON.stringify(from.slice(0, 80))}`);
    text = text.replace(from, () => to);
  }
  const folder = join(MATERIALIZED, name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'ffi.rs'), text);
  return folder;
}

async function checkFixture(name: string): Promise<string[]> {
  const rustDir = name === 'base' ? BASE : rustFolder(name);
  const own = join(FIXTURES, name, 'raw.ts');
  const tables = await readDeclarations(existsSync(own) ? own : join(BASE, 'raw.ts'), 'raw.ts');
  const result = checkAbi({ rust: readRustApi(rustDir, ROOT), tables, symbols: fixtureSymbols });
  const messages = result.problems.map((p) => p.message);
  if (rustDir === BASE) return messages;
  // Messages name the patched copy; report it under the fixture's own folder.
  const shown = relative(ROOT, rustDir);
  return messages.map((message) => message.replaceAll(`${shown}/`, `test/fixtures/abi/${name}/`));
}

describe('fixtures', () => {
  it('the base fixture has no drift (and its library exports exactly its six functions)', async () => {
    expect(await checkFixture('base')).toEqual([]);
    expect([...fixtureSymbols.names].sort()).toEqual(['fix_get_result', 'fix_handle_free', 'fix_handle_new', 'fix_handle_scan', 'fix_stats', 'fix_version']);
    const counts = checkAbi({ rust: readRustApi(BASE, ROOT), tables: await readDeclarations(join(BASE, 'raw.ts'), 'raw.ts'), symbols: fixtureSymbols }).counts;
    expect(counts).toMatchObject({ exports: 6, declarations: 6, structs: 1, callbacks: 1, opaques: 1, statuses: 3, constants: 1 });
  });

  it('covers every kind of drift the issue lists', () => {
    for (const kind of [
      'param-type',
      'return-type',
      'param-missing',
      'param-extra',
      'export-undeclared',
      'declaration-unexported',
      'symbol-missing',
      'struct-field-type',
      'struct-field-order',
      'struct-size',
      'callback-param',
      'status-number',
      'status-missing',
      'constant',
    ]) {
      expect(CASES).toContain(kind);
    }
  });

  it.each(CASES)('%s: caught, with exactly the expected lines', async (name) => {
    const folder = join(FIXTURES, name);
    const expected = readFileSync(join(folder, 'expected.txt'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(expected.length).toBeGreaterThan(0);
    expect(await checkFixture(name)).toEqual(expected);
  });
});

describe('the real library', () => {
  it('rustlib/, bindings/raw.ts and the built library agree', async () => {
    expect(existsSync(LIBRARY), `${LIBRARY} is missing: run \`npm run build\` first`).toBe(true);
    const result = await runCheck();
    expect(result.problems.map((p) => p.message)).toEqual([]);
    expect(result.symbolSource).toBe(process.platform === 'win32' ? 'export table' : process.platform === 'darwin' ? 'export trie' : '.dynsym');
    expect(result.counts.exports).toBeGreaterThanOrEqual(7);
    expect(result.counts.exports).toBe(result.counts.declarations);
    expect(result.counts.symbols).toBe(result.counts.exports);
  });

  it('a changed parameter type in the real table gives the precise line', async () => {
    const rust = readRustApi(join(ROOT, 'rustlib'), ROOT);
    const tables = tablesFrom({ ...realTables }, 'bindings/raw.ts');
    const prototype = tables.DECLARATIONS.mylib_get_result as string;
    expect(prototype).toContain('size_t text_len');
    const broken = tablesFrom(
      { ...realTables, DECLARATIONS: { ...tables.DECLARATIONS, mylib_get_result: prototype.replace('size_t text_len', 'uint32_t text_len') } },
      'bindings/raw.ts',
    );
    expect(checkAbi({ rust, tables: broken }).problems.map((p) => p.message)).toEqual([
      "mylib_get_result: parameter 2 'text_len': Rust usize -> size_t, declared uint32_t",
    ]);
  });

  it('the real Status table, CONSTANTS and error docs are checked against Rust', () => {
    const rust = readRustApi(join(ROOT, 'rustlib'), ROOT);
    const tables = tablesFrom({ ...realTables }, 'bindings/raw.ts');
    const broken = tablesFrom(
      { ...realTables, Status: { ...realTables.Status, PANIC: 9 }, CONSTANTS: { ...realTables.CONSTANTS, MYLIB_ERR_MAX_LEN: 4095 } },
      'bindings/raw.ts',
    );
    const messages = checkAbi({ rust, tables: broken }).problems.map((p) => p.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^Status\.PANIC: Rust Panic = 6 \(rustlib\/ffi\/status\.rs:\d+\), table 9$/);
    expect(messages[1]).toMatch(/^MYLIB_ERR_MAX_LEN: Rust 1023 \(rustlib\/ffi\/boundary\.rs:\d+\), CONSTANTS 4095$/);
    const undocumented = {
      ...rust,
      functions: rust.functions.map((f) => (f.symbol === 'mylib_levenshtein' ? { ...f, doc: f.doc.replace('Errors:', 'Fails with:') } : f)),
    };
    expect(checkAbi({ rust: undocumented, tables }).problems.map((p) => p.kind)).toEqual(['doc-errors']);
  });

  it('the ELF reader lists the same symbols as `nm -D --defined-only`', () => {
    const nm = spawnSync('nm', ['-D', '--defined-only', LIBRARY], { encoding: 'utf8' });
    expect(nm.error, 'nm (binutils) is needed for this cross-check').toBeUndefined();
    const fromNm = nm.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((parts) => parts.length === 3 && /[TDBRVWi]/.test(parts[1] as string))
      .map((parts) => (parts[2] as string).replace(/@.*$/, ''))
      .sort();
    const ours = inspectObjectFile(LIBRARY)
      .exports.map((s) => s.name)
      .sort();
    expect(ours).toEqual(fromNm);
    expect(ours).toContain('mylib_get_result');
  });

  it('rejects a file that is not a library, naming it', () => {
    expect(() => readLibrarySymbols(join(ROOT, 'package.json'))).toThrow(/package\.json: not an object file this reader knows .* starts with 7b0a2020/);
  });
});

describe('parsers', () => {
  it('reads multi-line, attributed, documented exports and skips strings, comments and test modules', () => {
    const api = readRustApi(BASE, ROOT);
    expect(api.functions.map((f) => f.symbol)).toEqual(['fix_version', 'fix_get_result', 'fix_stats', 'fix_handle_new', 'fix_handle_free', 'fix_handle_scan']);
    const getResult = api.functions.find((f) => f.symbol === 'fix_get_result');
    expect(getResult?.params.map((p) => `${p.name}: ${p.rust}`)).toEqual([
      'text: *const u8',
      'text_len: usize',
      'out: *mut u8',
      'out_cap: usize',
      'out_len: *mut usize',
    ]);
    expect(getResult?.doc).toBe('Writes `"fix: " + text` into `out`.\n\n# Safety\nEach pointer must be valid for its stated length.');
    expect(api.functions.find((f) => f.symbol === 'fix_handle_scan')?.params.map((p) => p.rust)).toEqual([
      '*const FixHandle',
      'Option<FixProgressFn>',
      '*const c_char',
      '*mut *mut u8',
      'bool',
      'i32',
    ]);
    expect(api.callbacks.map((c) => [c.name, c.params.map((p) => p.rust), c.result])).toEqual([['FixProgressFn', ['u64', 'u64'], 'bool']]);
    expect(api.structs.map((s) => [s.name, s.reprC, s.fields.map((f) => f.name)])).toEqual([
      ['FixStats', true, ['count', 'mean', 'flags', 'max']],
      ['FixHandle', false, ['items']],
    ]);
  });

  it('reads export_name and legacy #[no_mangle], and ignores extern "C" fns that are not exported', () => {
    const api = parseRustSource(
      [
        '#[unsafe(export_name = "renamed")] pub extern "C" fn inner(a: u8) {}',
        '#[no_mangle] pub extern "C" fn legacy() -> f64 { 0.0 }',
        'pub extern "C" fn callback_only(x: u32) -> u32 { x }',
        'extern "C" { fn imported(x: u32); }',
      ].join('\n'),
      'x.rs',
    );
    expect(api.functions.map((f) => [f.symbol, f.result])).toEqual([
      ['renamed', '()'],
      ['legacy', 'f64'],
    ]);
  });

  it.each([
    ['int32_t f(const uint8_t *a, size_t n)', ['const uint8_t *', 'size_t'], 'int32_t'],
    ['void f(MylibTextOut *s, MylibWordCounter **out)', ['MylibTextOut *', 'MylibWordCounter **'], 'void'],
    [
      'int f(unsigned int a, long long b, const char *s, const uint8_t *const *pp)',
      ['uint32_t', 'int64_t', 'const char *', 'const uint8_t *const *'],
      'int32_t',
    ],
    ['uint8_t *f()', [], 'uint8_t *'],
  ])('C prototype %s', (text, params, result) => {
    const proto = parseFunction(text, realTables.TABLE_SCOPE);
    expect(proto.params.map((p) => p.type)).toHaveLength(params.length);
    expect(proto.params.map((p) => formatType(p.type))).toEqual(params);
    expect(formatType(proto.result)).toBe(result);
  });
});

describe('npm run check:abi (CLI)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'scripts', 'abi', 'main.mjs'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    });

  it('passes on the repository and says what it read', () => {
    const run = cli();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/symbol\(s\) read from the library's export table \((\.dynsym|export table|export trie)\) .*: no drift/);
  });

  it('fails with one line per problem on a broken fixture', () => {
    const run = cli('--rust', rustFolder('struct-size'), '--bindings', join(BASE, 'raw.ts'), '--no-binary');
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'struct FixStats: size: Rust #[repr(C)] 25 bytes, table 32 bytes',
      'struct FixStats: alignment: Rust #[repr(C)] 1, table 8',
      "struct FixStats: field 'max' offset: Rust 17, table 24",
    ]);
    expect(lines[3]).toMatch(/binary not checked.*: 3 problem\(s\)$/);
  });

  it('a missing library is a clear error, not a pass', () => {
    const run = cli('--lib', join(ROOT, 'no-such-library.so'));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('built library not found');
    expect(run.stderr).toContain('npm run build');
  });
});
