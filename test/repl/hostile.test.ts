// Hostile input at the prompt: deep declarations and addresses at the top of the address space
// cost an error line, never the REPL. Driven through stdin like a user (test/repl/session.ts); each
// send has a deadline, and the last test checks that the child is alive and exits with 0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TYPE_DEPTH } from '../../bindings/ffi/types.ts';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { ROOT } from '../../scripts/abi/index.ts';
import { Session } from './session.ts';

const LIBRARY = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));
const stars = (n: number) => '*'.repeat(n);

describe.runIf(process.platform === 'linux')('npm run repl: hostile input', () => {
  let work: string;
  let session: Session;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mylib-repl-hostile-'));
    session = new Session({ MYLIB_LIBRARY_PATH: LIBRARY, MYLIB_REPL_HISTORY: join(work, 'history') });
    await session.waitFor(/mylib> $/, 0, 30_000);
    await session.send('.open --direct c');
  });

  afterAll(() => {
    session?.child.kill();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a 9-level pointer in a prototype and in a callback declares, in the REPL process itself', async () => {
    expect(await session.send(`.callback typedef int cmp9(void ${stars(9)}a, void ${stars(9)}b);`)).toContain('callback cmp9');
    expect(await session.send(`.declare c void qsort(void ${stars(9)}base, size_t n, size_t size, cmp9 *f)`)).toContain('declared c.qsort');
    expect(await session.send(`.declare c void free(void ${stars(9)}p)`)).toContain('declared c.free');
    expect(await session.send("c.free(null) ?? 'freed NULL'")).toContain('freed NULL');
  });

  it('at the bound: declarations bind and call, isolated too (the types cross to the host process)', async () => {
    await session.send('.open c as ci');
    const d = MAX_TYPE_DEPTH - 3; // cmp: d + 1 levels; cmp *: d + 2; qsort: d + 3 = the bound
    expect(await session.send(`.callback typedef int cmpmax(void ${stars(d)}a, void ${stars(d)}b);`)).toContain('callback cmpmax');
    expect(await session.send(`.declare ci void qsort(void ${stars(d)}base, size_t n, size_t size, cmpmax *f)`)).toContain('declared ci.qsort');
    expect(await session.send(`.declare ci void free(void ${stars(MAX_TYPE_DEPTH - 1)}p)`)).toContain('declared ci.free');
    expect(await session.send("ci.free(null) ?? 'freed'")).toContain("'freed'");
    expect(await session.send("ci.qsort(null, 0, 8, () => 0) ?? 'sorted'")).toContain("'sorted'");
  });

  it.each([
    { what: `${MAX_TYPE_DEPTH + 1} stars`, line: `.declare c void free(void ${stars(MAX_TYPE_DEPTH + 1)}p)` },
    { what: '100,000 stars', line: `.declare c void free(void ${stars(100_000)}p)` },
    { what: 'a callback 100,000 stars deep', line: `.callback typedef void deep(void ${stars(100_000)}p);` },
  ])('$what: refused at the position with the bound named, not a stack overflow', async ({ line }) => {
    const out = await session.send(line);
    expect(out).toContain(`nested deeper than ${MAX_TYPE_DEPTH} levels of pointers, arrays and functions (MAX_TYPE_DEPTH)`);
    expect(out).not.toContain('Maximum call stack');
  });

  it.each([
    { line: 'mem.cstring(2n ** 64n - 1n, 16)', error: "mem.cstring: argument 'address' 0xffffffffffffffff plus 16 bytes passes the end of the address space" },
    { line: 'mem.hex(2n ** 64n - 4n, 16)', error: "mem.hex: argument 'address' 0xfffffffffffffffc plus 16 bytes passes the end of the address space" },
    { line: 'mem.bytes(2n ** 64n - 8n, 9)', error: "mem.bytes: argument 'address' 0xfffffffffffffff8 plus 9 bytes passes the end" },
    { line: 'mem.read(2n ** 64n - 4n, "int64_t")', error: "mem.read: argument 'address' 0xfffffffffffffffc plus 8 bytes passes the end" },
    { line: 'mem.cstring(2n ** 64n, 16)', error: "mem.cstring: argument 'address' must be an address from 0 to 2^64 - 1, got 18446744073709551616n" },
    { line: 'mem.hex(2n ** 64n + 0x1000n, 16)', error: "mem.hex: argument 'address' must be an address from 0 to 2^64 - 1" },
    { line: 'mem.cstring(-1n, 16)', error: "mem.cstring: argument 'address' must be an address from 0 to 2^64 - 1, got -1n" },
    { line: 'mem.hex(0n, 16)', error: 'mem.hex: the pointer is NULL' },
  ])('$line: a RangeError naming the helper and the argument, before any read', async ({ line, error }) => {
    const out = await session.send(line);
    expect(out).toContain(error);
  });

  it('.symbols on /dev/zero, a FIFO with no writer and a directory: refused before reading', async () => {
    const fifo = join(work, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const path of ['/dev/zero', fifo, work])
      expect(await session.send(`.symbols ${path}`, undefined, 10_000)).toContain(`.symbols ${path}: ${path}: not a regular file`);
  });

  it('the session survived all of it', async () => {
    expect(await session.send('1 + 1')).toMatch(/^2\n/);
    expect(await session.exit()).toBe(0);
  });
});
