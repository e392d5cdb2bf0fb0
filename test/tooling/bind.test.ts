// `mylib-rust bind` end to end on real headers of this machine: zlib (/usr/include/zlib.h, libz.so.1)
// and SQLite (/usr/include/sqlite3.h, libsqlite3.so.0). In a scratch project (the package compiled
// into its node_modules), the compiled command writes zlib.ts, zlib-js.js + zlib-js.d.ts and
// sqlite.ts; `tsc --strict` checks them and the programs that use them (test/tooling/fixtures/bind/);
// the programs run on Node 20 (tsx), Node 26 (type stripping), Bun and Deno, and zlib-use.mjs on
// plain Node. A missing header, library or runtime FAILS with what to install
// (MYLIB_SKIP_RUNTIMES=bun,deno,node26 skips runtimes on purpose, and says so). Linux only.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/abi/index.ts';
import { RUNTIME_BINARIES, TSX, scratchProject, typeCheckProject } from '../repl/session.ts';

const LINUX = process.platform === 'linux';
const SKIPPED = new Set((process.env.MYLIB_SKIP_RUNTIMES ?? '').split(',').filter(Boolean));
if (!LINUX) console.warn(`bind.test.ts: SKIPPED on ${process.platform}: the headers and libraries are Linux paths.`);
for (const name of SKIPPED) console.warn(`bind.test.ts: ${name} SKIPPED on purpose (MYLIB_SKIP_RUNTIMES=${process.env.MYLIB_SKIP_RUNTIMES})`);

const FIXTURES = join(ROOT, 'test', 'tooling', 'fixtures', 'bind');
const NEEDS = [
  { file: '/usr/include/zlib.h', install: 'zlib1g-dev' },
  { file: '/usr/include/sqlite3.h', install: 'libsqlite3-dev' },
];

const DOCS = readFileSync(join(ROOT, 'docs', 'bind.md'), 'utf8');
const block = (lang: string) => [...DOCS.matchAll(new RegExp(`^\`\`\`${lang}\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1] as string);
const DOC_COMMANDS = (block('sh')[0] ?? '').split('\n').filter((l) => l.startsWith('npx mylib-rust bind '));
const DOC_PROGRAM = block('ts')[0] ?? '';

const ZLIB = { version: '', header: '', compressed: true, smaller: true, uncompressed: true, roundTrip: true, crc: true, crcAsync: true };
const SQLITE = {
  version: true,
  opened: true,
  created: true,
  selected: true,
  rows: [
    { id: '1', name: 'one' },
    { id: '2', name: 'two' },
  ],
  inserted: true,
  row: true,
  name: 'three',
  product: 30,
  bad: true,
  message: 'near "selec": syntax error',
  failed: true,
  execMessage: 'no such table: missing',
  closed: true,
};

describe.runIf(LINUX)('mylib-rust bind: zlib and SQLite from their headers, on Node, Bun and Deno', () => {
  let project: string;
  const outputs: Record<string, { status: number | null; stdout: string; stderr: string }> = {};

  beforeAll(() => {
    const missing = NEEDS.filter((n) => !existsSync(n.file));
    if (missing.length > 0) throw new Error(`missing ${missing.map((m) => m.file).join(', ')}: apt-get install ${missing.map((m) => m.install).join(' ')}`);
    project = scratchProject('mylib-bind-');
    const cli = join(project, 'node_modules', 'mylib-rust', 'dist', 'bindings', 'cli.js');
    // The commands of docs/bind.md's `sh` block, run as written (npx mylib-rust -> the compiled cli.js).
    for (const line of DOC_COMMANDS) {
      const args = line.split(/\s+/).slice(2);
      outputs[args.at(-1) as string] = spawnSync(process.execPath, [cli, ...args], {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, MYLIB_FFI_ENGINE: '' },
      });
    }
    for (const file of ['zlib-use.ts', 'zlib-use.mjs', 'zlib-types.ts', 'sqlite-use.ts']) copyFileSync(join(FIXTURES, file), join(project, file));
    writeFileSync(join(project, 'doc-use.ts'), DOC_PROGRAM);
  }, 120_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('writes the modules (the commands of docs/bind.md) and prints what was read, skipped and bound', () => {
    expect(Object.keys(outputs)).toEqual(['zlib.ts', 'sqlite.ts', 'zlib-js.js']);
    // The figures docs/bind.md gives are the ones measured here.
    expect(DOCS).toContain(outputs['zlib.ts']?.stdout.split('\n').slice(1, 5).join('\n'));
    for (const [name, run] of Object.entries(outputs)) expect(run.status, `${name}: ${run.stderr}`).toBe(0);
    expect(outputs['zlib.ts']?.stdout).toMatch(/read: \d+ declarations \(79 functions/);
    expect(outputs['zlib.ts']?.stdout).toMatch(/skipped: .*variadic 1/);
    expect(outputs['zlib.ts']?.stdout).toContain('bound: 79 functions; not exported by the library: 0');
    expect(outputs['sqlite.ts']?.stdout).toMatch(/skipped: .*variadic 8/);
    expect(outputs['sqlite.ts']?.stdout).toMatch(/bound: 2\d\d functions; not exported by the library: \d+/);
    for (const file of ['zlib.ts', 'zlib-js.js', 'zlib-js.d.ts', 'sqlite.ts']) expect(existsSync(join(project, file)), file).toBe(true);
    const source = readFileSync(join(project, 'zlib.ts'), 'utf8');
    expect([...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1])).toEqual(['mylib-rust/ffi']);
    // Each function from its C text in the expanded spelling; the header's doc comments carried over.
    expect(source).toContain("    crc32: lib.func('unsigned long crc32(unsigned long crc, const uint8_t *buf, uint32_t len)'),");
    expect(source).toMatch(/\/\*\*\n {5}\* The application can compare zlibVersion and ZLIB_VERSION for consistency\./);
    expect(source).toContain("  ZLIB_VERSION: '");
    expect(source).toContain('export type z_stream = { next_in: bigint | null; avail_in: number;');
    expect(source).toMatch(/\/\/ Not bound:\n\/\/ {3}gzprintf: variadic:/);
    const sqlite = readFileSync(join(project, 'sqlite.ts'), 'utf8');
    expect(sqlite).toContain(
      "sqlite3_exec: lib.func('int32_t sqlite3_exec(struct sqlite3 *, const char *sql, int32_t (*callback)(void *, int32_t, char **, char **), void *, char **errmsg)'),",
    );
  });

  it('type-checks under tsc --strict (the modules, the .d.ts, the programs)', () => {
    const tsc = typeCheckProject(
      project,
      ['zlib.ts', 'zlib-js.d.ts', 'sqlite.ts', 'zlib-use.ts', 'zlib-types.ts', 'sqlite-use.ts', 'doc-use.ts'],
      ['ES2024', 'ESNext.Disposable', 'DOM'],
    );
    expect(tsc.output).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);

  const runtimes: Array<{ name: string; label: string; command: (program: string) => [string, string[]] }> = [
    { name: 'node20', label: 'Node 20 (tsx, koffi)', command: (program) => [process.execPath, [TSX, program]] },
    { name: 'node26', label: 'Node 26 (type stripping, koffi)', command: (program) => [RUNTIME_BINARIES.node26, [program]] },
    { name: 'bun', label: 'Bun (bun:ffi)', command: (program) => [RUNTIME_BINARIES.bun, [program]] },
    {
      name: 'deno',
      label: 'Deno (Deno.dlopen)',
      command: (program) => [RUNTIME_BINARIES.deno, ['run', '--allow-ffi', '--allow-read', '--allow-env', '--node-modules-dir=manual', program]],
    },
  ];
  const run = (label: string, bin: string, args: string[]) => {
    expect(existsSync(bin), `${label} is missing at ${bin}: run \`npm run setup:runtimes\``).toBe(true);
    const child = spawnSync(bin, args, { cwd: project, encoding: 'utf8', timeout: 120_000, env: { ...process.env, MYLIB_FFI_ENGINE: '', NO_COLOR: '1' } });
    expect(child.status, `${label} exited ${child.status ?? child.signal}:\n${child.stderr}`).toBe(0);
    return JSON.parse(child.stdout) as Record<string, unknown>;
  };
  for (const runtime of runtimes) {
    it.skipIf(SKIPPED.has(runtime.name))(
      `zlib on ${runtime.label}: zlibVersion, a 1 MiB compress2/uncompress round trip, crc32 against a JS reference`,
      () => {
        const [bin, args] = runtime.command('zlib-use.ts');
        const result = run(runtime.label, bin, args);
        expect(result).toEqual({ ...ZLIB, version: result.header, header: expect.stringMatching(/^\d+\.\d+/) });
      },
      120_000,
    );
    it.skipIf(SKIPPED.has(runtime.name))(
      `SQLite on ${runtime.label}: exec with a row callback, a prepared statement with bound parameters, errors as messages`,
      () => {
        const [bin, args] = runtime.command('sqlite-use.ts');
        expect(run(runtime.label, bin, args)).toEqual(SQLITE);
      },
      120_000,
    );
  }

  it("docs/bind.md's program runs", () => {
    const child = spawnSync(process.execPath, [TSX, 'doc-use.ts'], { cwd: project, encoding: 'utf8', env: { ...process.env, MYLIB_FFI_ENGINE: '' } });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/^\d+\.\d+\.\d+ 26 -> \d+ bytes [0-9a-f]+\n$/);
  });

  it('the .js module runs on plain Node (no TypeScript loader)', () => {
    const result = run('Node 20', process.execPath, ['zlib-use.mjs']);
    expect(result).toEqual({ version: true, adler: 0x18b20412 });
  });
});
