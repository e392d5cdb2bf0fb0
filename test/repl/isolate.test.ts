// The REPL survives its experiments: `.open` isolates a library by default, so the three faults of
// test/fixtures/ffi/crash.c (a NULL write, abort(), exit(3)) and a wrong `.declare` cost an error
// line, sync or async, and the session goes on; `.open --direct` opens in the REPL's process.
// Driven through stdin like a user at the prompt (test/repl/session.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { ROOT } from '../../scripts/abi/index.ts';
import { crashLibrary } from '../fixtures/ffi/build.ts';
import { Session } from './session.ts';

const LIBRARY = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));

describe('npm run repl: isolated foreign libraries', () => {
  let work: string;
  let session: Session;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mylib-repl-isolate-'));
    session = new Session({ MYLIB_LIBRARY_PATH: LIBRARY, MYLIB_REPL_HISTORY: join(work, 'history') });
    await session.waitFor(/mylib> $/, 0, 30_000);
  });

  afterAll(() => {
    session?.child.kill();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('.open isolates by default and says so; .declare notes what a crash costs', async () => {
    const opened = await session.send(`.open ${crashLibrary()} as crash`);
    expect(opened).toContain('as `crash` (engine koffi, isolated: its calls run in a child process; .open --direct to call it in this one)');
    const declared = await session.send('.declare crash int crash_add(int a, int b)');
    expect(declared).toContain('note: the library is isolated: a call that crashes');
    expect(await session.send('crash.crash_add(2, 3)')).toMatch(/^5\n/);
  });

  const FAULTS = [
    { prototype: 'int crash_null(int x)', call: 'crash.crash_null(1)', how: 'was killed by SIGSEGV' },
    { prototype: 'int crash_abort(int x)', call: 'crash.crash_abort(1)', how: 'was killed by SIGABRT' },
    { prototype: 'int crash_exit(int code)', call: 'crash.crash_exit(3)', how: 'exited with code 3' },
  ];

  it.each(FAULTS)('$call: an error line with CRASHED, then the session goes on (sync and async)', async ({ prototype, call, how }) => {
    const name = call.slice('crash.'.length, call.indexOf('('));
    await session.send(`.declare crash ${prototype}`);
    const out = await session.send(call);
    expect(out).toContain(`${name}: the isolated host of ${crashLibrary()} ${how} during the call; the next call starts a new host`);
    expect(out).toContain("code: 'CRASHED'");
    expect(await session.send('crash.crash_add(20, 22)')).toMatch(/^42\n/);
    const asyncOut = await session.send(`await crash.${name}.async(${call.slice(call.indexOf('(') + 1, -1)})`);
    expect(asyncOut).toContain(`${name}: the isolated host of ${crashLibrary()} ${how} during the call`);
    expect(await session.send('await crash.crash_add.async(1, 2)')).toMatch(/^3\n/);
  });

  it('a wrong .declare (an integer where the function reads a pointer) costs an error line, not the session', async () => {
    await session.send('.declare crash size_t crash_upper(size_t text)');
    expect(await session.send('crash.crash_upper(16)')).toContain('crash_upper: the isolated host of');
    expect(await session.send('mylib.getResult("still here")')).toContain("'Rust says: still here'");
  });

  it('.open --direct opens in this process', async () => {
    expect(await session.send(`.open ${crashLibrary()} as direct --direct`)).toContain('as `direct` (engine koffi, in this process)');
    await session.send('.declare direct int crash_add(int a, int b)');
    expect(await session.send('direct.crash_add(1, 1)')).toMatch(/^2\n/);
    expect(await session.send('crash.crash_add(1, 2)')).toMatch(/^3\n/);
  });
});
