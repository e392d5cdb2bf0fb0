// Every fenced code block of README.md and docs/**/*.md is checked by its tag (test/docs/blocks.ts
// lists the convention) or names the test that checks it; problems point at the Markdown line.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
// @ts-expect-error plain .mjs without types
import { SIZES_DOC, readSizes, sizesProblems } from '../../scripts/package/lib.mjs';
import { type Block, extractBlocks, readDocBlocks, tagProblems } from './blocks.ts';
import { checkC, checkConsole, checkPython, checkTypeScript, scratchDir } from './checks.ts';
import { hostPackageSizes, mainPackageSizes } from './package-sizes.ts';
import { commandLines, commandProblems, readRepository, readTranscript } from './shell.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Running the blocks needs bash, cc, python3 and curl, and the transcripts show a Linux x64 run.
const LINUX_X64 = process.platform === 'linux' && process.arch === 'x64';
if (!LINUX_X64)
  console.warn(`code-blocks.test.ts: running C, Python and console blocks and the size table SKIPPED on ${process.platform}-${process.arch} (Linux x64 only)`);
const LIBRARY = join(ROOT, 'artifacts', libraryFileName(hostPlatform()));
const TOP_LEVEL = [
  ...new Set(
    execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((file) => file.split('/')[0] as string),
  ),
];
const repo = readRepository(ROOT, TOP_LEVEL);

const BLOCKS = readDocBlocks(ROOT);
const checked = BLOCKS.filter((b) => b.checkedBy === undefined);
const tagged = (...tags: string[]) => checked.filter((b) => tags.includes(b.tag));

/** Problems of the shell blocks: npm scripts, npx commands and repository paths they name. */
function shellProblems(blocks: Block[]): string[] {
  return blocks.flatMap((block) => {
    const lines = block.tag === 'console' ? readTranscript(block).map((s) => ({ line: s.line, text: s.command })) : commandLines(block.body, block.line + 1);
    return lines.flatMap((line) => commandProblems(line, block.file, repo));
  });
}

const dirs: string[] = [];
const scratch = (name: string) => {
  const dir = scratchDir(ROOT, name);
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('the code blocks of README.md and docs/', () => {
  it('are tagged with a checked language or text, or name the test that checks them', () => {
    expect(BLOCKS.length).toBeGreaterThan(40);
    expect(BLOCKS.flatMap(tagProblems)).toEqual([]);
  });

  it('handed to another test: the test exists and reads that page', () => {
    const problems = BLOCKS.filter((b) => b.checkedBy !== undefined).flatMap((b) => {
      const test = join(ROOT, b.checkedBy as string);
      if (!existsSync(test)) return [`${b.file}:${b.line}: checked-by ${b.checkedBy}: no such file`];
      const source = readFileSync(test, 'utf8');
      const page = basename(b.file);
      return source.includes(page) ? [] : [`${b.file}:${b.line}: ${b.checkedBy} never names ${page}`];
    });
    expect(BLOCKS.some((b) => b.checkedBy !== undefined)).toBe(true);
    expect(problems).toEqual([]);
  });

  it('ts: type-checked in one tsc run; `ts run` programs run', async () => {
    const blocks = tagged('ts', 'typescript');
    expect(blocks.some((b) => b.flags.includes('run'))).toBe(true);
    expect(await checkTypeScript(ROOT, blocks, scratch('ts'))).toEqual([]);
  }, 120_000);

  it.runIf(LINUX_X64)(
    'c: compiled with -Wall -Wextra -Werror -std=c11 against include/mylib.h; `c run` programs linked and run',
    async () => {
      const blocks = tagged('c');
      expect(blocks.length).toBeGreaterThan(0);
      expect(existsSync(LIBRARY), `${LIBRARY}: run npm run build`).toBe(true);
      expect(await checkC(ROOT, blocks, scratch('c'), LIBRARY)).toEqual([]);
    },
    120_000,
  );

  it.runIf(LINUX_X64)(
    'python: run with the ctypes client',
    async () => {
      const blocks = tagged('python');
      expect(blocks.length).toBeGreaterThan(0);
      expect(await checkPython(ROOT, blocks, scratch('python'))).toEqual([]);
    },
    120_000,
  );

  it('sh, bash, console: every npm script, npx command and repository path named exists', () => {
    expect(shellProblems(tagged('sh', 'bash', 'console'))).toEqual([]);
  });

  it.runIf(LINUX_X64)(
    'console: each transcript command prints what the transcript shows',
    async () => {
      const blocks = tagged('console');
      expect(blocks.length).toBeGreaterThan(0);
      expect(await checkConsole(ROOT, blocks)).toEqual([]);
    },
    120_000,
  );

  it.runIf(LINUX_X64)(
    "docs/packaging.md's size table: the main package and the host's platform package as npm run package makes them",
    async () => {
      const documented = readSizes(readFileSync(SIZES_DOC, 'utf8')) as Array<{ name: string }>;
      const actual = (await Promise.all([mainPackageSizes(ROOT), hostPackageSizes()])).filter((s) => s !== undefined);
      expect(actual.length).toBe(2);
      const rows = documented.filter((d) => actual.some((a) => a.name === d.name));
      expect(sizesProblems(rows, actual)).toEqual([]);
    },
    120_000,
  );
});

const FIXTURE = 'test/docs/fixtures/broken.md';
const broken = extractBlocks(readFileSync(join(ROOT, FIXTURE), 'utf8'), FIXTURE);
const brokenTagged = (tag: string) => broken.filter((b) => b.tag === tag && b.checkedBy === undefined && tagProblems(b).length === 0);

describe('the tag convention', () => {
  it('refuses untagged blocks, unknown tags and flags; allows any tag checked by another test', () => {
    expect(broken.flatMap(tagProblems)).toEqual([
      expect.stringMatching(/^test\/docs\/fixtures\/broken\.md:8: untagged block/),
      expect.stringMatching(/^test\/docs\/fixtures\/broken\.md:14: unknown tag 'rust'/),
      "test/docs/fixtures/broken.md:20: unknown flag 'fast' for ts (allowed: run)",
    ]);
  });
});

describe.runIf(LINUX_X64).concurrent('the checks fail on a broken block (test/docs/fixtures/broken.md)', () => {
  it('ts: a type error at its Markdown line; a program that throws', async () => {
    expect(await checkTypeScript(ROOT, brokenTagged('ts'), scratch('ts-broken'))).toEqual([
      expect.stringMatching(/^test\/docs\/fixtures\/broken\.md:35:1: error TS2554: Expected 2 arguments, but got 1\./),
      expect.stringMatching(/^test\/docs\/fixtures\/broken\.md:40: the program exited 1:[\s\S]*boom/),
    ]);
  }, 120_000);

  it('c: too few arguments to mylib_levenshtein', async () => {
    expect(await checkC(ROOT, brokenTagged('c'), scratch('c-broken'), LIBRARY)).toEqual([
      expect.stringMatching(/^test\/docs\/fixtures\/broken\.md:46: cc [\s\S]*broken\.md:52:\d+: error: too few arguments to function .?mylib_levenshtein/),
    ]);
  }, 120_000);

  it('python: an exception at its Markdown line', async () => {
    expect(await checkPython(ROOT, brokenTagged('python'), scratch('python-broken'))).toEqual([
      expect.stringMatching(/^test\/docs\/fixtures\/broken\.md:58: python3 exited 1:[\s\S]*broken\.md:60[\s\S]*no_such_function/),
    ]);
  }, 120_000);

  it('sh and console: a missing npm script, npx command or path; output that differs', async () => {
    expect(shellProblems(brokenTagged('sh'))).toEqual([
      "test/docs/fixtures/broken.md:66: npm script 'no-such-script' does not exist in package.json",
      "test/docs/fixtures/broken.md:67: npx no-such-bin: no such command in node_modules/.bin or the package's bin",
      'test/docs/fixtures/broken.md:68: examples/no-such-file.ts: no such path in the repository',
    ]);
    expect(await checkConsole(ROOT, brokenTagged('console'))).toEqual([
      "test/docs/fixtures/broken.md:75: 'echo 1' printed:\n1\nthe transcript shows:\n2",
      "test/docs/fixtures/broken.md:77: 'echo /tmp' printed:\n/tmp\nthe transcript shows:\n~3",
    ]);
  });
});
