// The `mylib-rust` command (bindings/cli.ts, package.json "bin"): the dispatch of commands.ts in
// process (usage, exit codes, every subcommand's --help), the entry as a process, and the REPL
// run from a compiled package (a scratch project's node_modules/mylib-rust/dist, as an install
// has it): no repository around it, so `.rebuild` and the repository's options say what they
// need, and `.help` lists what the package knows. scripts/package/test-package.mjs runs the same
// from installed tarballs through `npx mylib-rust repl`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, type CommandIo, dispatch, usage } from '../../bindings/commands.ts';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { DECLARATIONS } from '../../bindings/raw.ts';
import { USAGE as REPL_USAGE } from '../../bindings/repl/main.ts';
import { ROOT } from '../../scripts/abi/index.ts';
import { PROMPT, Session, TSX, scratchProject } from './session.ts';

const LIBRARY = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));
const LINUX = process.platform === 'linux';
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };

/** Runs `mylib-rust <args>` in process; the exit code and what it wrote. */
async function run(args: string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (text) => out.push(text), err: (text) => err.push(text) };
  const code = await dispatch(args, io);
  return { code, out: out.join(''), err: err.join('') };
}

describe('mylib-rust: the dispatch of bindings/commands.ts', () => {
  it.each([
    { args: [], code: 2, stream: 'err', text: 'mylib-rust: no command given' },
    { args: ['--help'], code: 0, stream: 'out', text: 'Usage: mylib-rust <command> [arguments]' },
    { args: ['-h'], code: 0, stream: 'out', text: 'Usage: mylib-rust <command> [arguments]' },
    { args: ['help'], code: 0, stream: 'out', text: 'Usage: mylib-rust <command> [arguments]' },
    { args: ['nope'], code: 2, stream: 'err', text: "mylib-rust: unknown command 'nope'" },
    // Names are looked up as own entries: nothing inherited from Object.prototype is a command.
    { args: ['__proto__'], code: 2, stream: 'err', text: "mylib-rust: unknown command '__proto__'" },
    { args: ['toString'], code: 2, stream: 'err', text: "mylib-rust: unknown command 'toString'" },
    { args: ['repl', '--help'], code: 0, stream: 'out', text: 'Usage: mylib-rust repl [library ...] [options]' },
    { args: ['repl', '-h'], code: 0, stream: 'out', text: 'Usage: mylib-rust repl [library ...] [options]' },
    { args: ['repl', '--bogus'], code: 2, stream: 'err', text: "mylib-rust repl: Unknown option '--bogus'" },
    { args: ['repl', '--crate'], code: 2, stream: 'err', text: "mylib-rust repl: Option '--crate <value>' argument missing" },
  ] as const)('mylib-rust $args: exit $code', async ({ args, code, stream, text }) => {
    const result = await run([...args]);
    expect(result.code).toBe(code);
    expect(result[stream]).toContain(text);
    expect(result[stream === 'out' ? 'err' : 'out']).toBe('');
    // A usage error shows the usage after the reason.
    if (code === 2) expect(result.err).toContain(args[0] === 'repl' ? REPL_USAGE : usage());
  });

  it('the usage lists every command with its summary', () => {
    const text = usage();
    for (const [name, command] of Object.entries(COMMANDS))
      expect(text).toMatch(new RegExp(`^  ${name} +${command.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  it('every command answers --help with exit 0', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const result = await run([name, '--help']);
      expect(result.code, name).toBe(0);
      expect(result.out, name).toMatch(new RegExp(`^Usage: mylib-rust ${name}\\b`));
    }
  });
});

describe('bindings/cli.ts as a process', () => {
  it.each([
    { args: ['--help'], status: 0, out: 'Usage: mylib-rust <command>' },
    { args: [], status: 2, err: 'mylib-rust: no command given' },
    { args: ['nope'], status: 2, err: "mylib-rust: unknown command 'nope'" },
    { args: ['repl', '--help'], status: 0, out: 'Usage: mylib-rust repl' },
    { args: ['repl', '--bogus'], status: 2, err: "Unknown option '--bogus'" },
  ])('mylib-rust $args: exit $status', ({ args, status, out, err }) => {
    const r = spawnSync(process.execPath, [TSX, join(ROOT, 'bindings', 'cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(status);
    if (out) expect(r.stdout).toContain(out);
    if (err) expect(r.stderr).toContain(err);
  });
});

describe('mylib-rust repl from a compiled package (no repository around it)', () => {
  let project: string;
  let cli: string;
  let session: Session;

  beforeAll(async () => {
    expect(existsSync(LIBRARY), `${LIBRARY} is missing: run \`npm run build\` first`).toBe(true);
    project = scratchProject('mylib-cli-');
    cli = join(project, 'node_modules', 'mylib-rust', MANIFEST.bin?.['mylib-rust'] ?? '(package.json has no bin mylib-rust)');
    // `repl m`: libm opened at start, as `.open m` opens it.
    session = new Session({ MYLIB_LIBRARY_PATH: LIBRARY, MYLIB_REPL_HISTORY: join(project, 'history') }, project, [cli, 'repl', ...(LINUX ? ['m'] : [])]);
    await session.waitFor(PROMPT, 0, 30_000);
  });

  afterAll(() => {
    session?.child.kill();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('package.json "bin" names the compiled cli.js, which starts with a shebang for node', () => {
    expect(MANIFEST.bin).toEqual({ 'mylib-rust': 'dist/bindings/cli.js' });
    expect(readFileSync(cli, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('mylib is preloaded; the banner says where the REPL runs from', () => {
    expect(session.output).toContain(`mylib REPL: loaded ${LIBRARY} (engine: koffi)`);
    expect(session.output).toContain(`package: ${join(project, 'node_modules', 'mylib-rust')} (.rebuild needs the repository checkout and cargo)`);
  });

  it('.rebuild says it needs the repository checkout and cargo, and the session goes on', async () => {
    const out = await session.send('.rebuild');
    expect(out).toContain(
      `rebuild: .rebuild needs the repository checkout and cargo: this REPL runs from the package at ${join(project, 'node_modules', 'mylib-rust')}`,
    );
    expect(await session.send('mylib.getResult("x")')).toContain("'Rust says: x'");
  });

  it('.help lists the typed methods and the C exports of the table', async () => {
    const list = await session.send('.help');
    expect(list).toContain('mylib.getResult()');
    for (const prototype of Object.values(DECLARATIONS)) expect(list).toContain(`  ${prototype}\n`);
    expect(await session.send('.help getResult')).toContain('mylib.getResult(...): a method of the typed API');
    expect(await session.send('.help get_result')).toContain(DECLARATIONS.mylib_get_result);
  });

  it.runIf(LINUX)('a library named on the command line is open at the first prompt; .open, .symbols, .declare and a call, then .exit with 0', async () => {
    expect(session.output.split('mylib> ')[0]).toMatch(/opened \S*libm\S* as `m`/);
    expect(await session.send('.open m')).toContain("'m' is open already");
    expect(await session.send('.open c')).toMatch(/opened \S*libc\S* as `c`/);
    expect(await session.send('.symbols m cos')).toMatch(/^ {2}function {2}cos(@@\S+)?( |$)/m);
    expect(await session.send('.declare m double cos(double x)')).toContain('declared m.cos: double cos(double x)');
    expect(await session.send('m.cos(0)')).toMatch(/^1\n/);
    expect(await session.exit()).toBe(0);
    expect(readFileSync(join(project, 'history'), 'utf8')).toContain('.declare m double cos(double x)\n');
  });

  it('a library on the command line that cannot be opened is an error line; the session starts anyway', () => {
    const r = spawnSync(process.execPath, [cli, 'repl', '/no/such/library.so'], {
      cwd: project,
      encoding: 'utf8',
      timeout: 60_000,
      input: 'mylib.getResult("y")\n.exit\n',
      env: { ...process.env, NO_COLOR: '1', MYLIB_LIBRARY_PATH: LIBRARY, MYLIB_REPL_HISTORY: join(project, 'history-2') },
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout.split('mylib> ')[0]).toContain('/no/such/library.so');
    expect(r.stdout).toContain("'Rust says: y'");
  });

  it.each([['--crate', '.'], ['--release'], ['--target-dir', '/tmp']])('%s is refused from a package with exit 2', (...args) => {
    const r = spawnSync(process.execPath, [cli, 'repl', ...args], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`mylib-rust repl: ${args[0]} is an option of .rebuild, and .rebuild needs the repository checkout and cargo`);
  });
});
