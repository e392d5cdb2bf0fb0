/**
 * `npm run init`, run as a user would: HEAD cloned into a scratch folder, init run for each
 * shape, then the result's own `npm install`, `npm test`, `npm run package` and a Bun and a Deno
 * conformance pair. Slow (two full test runs): `npm run test:template`, its own CI step.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY } from '../../scripts/init/identity.ts';
import { readOptions } from '../../scripts/init/options.ts';
import { renamer } from '../../scripts/init/rename.ts';
import { type Manifest, leftovers, readManifest } from '../../scripts/init/starter.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAME = 'fuzzlib';
const PACKAGE = '@me/fuzzlib';
const MINUTES = 60_000;
/**
 * TEMPLATE_QUICK=1 (.ci/run): after init, the result's Rust tests, lint, drift check and packages
 * instead of its whole `npm test` and the Bun and Deno pairs (the CI workflow's template job runs
 * those).
 */
const QUICK = process.env.TEMPLATE_QUICK === '1';

/** The environment of a user's shell: nothing of this run's library, vitest or cargo target. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(MYLIB_|FUZZLIB_|CARGO_TARGET_DIR$|VITEST|NODE_OPTIONS$|npm_)/.test(key)));

function run(cwd: string, command: string, args: string[]): string {
  const started = performance.now();
  try {
    return execFileSync(command, args, { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  } catch (error) {
    const failure = error as { status?: number; stdout?: string; stderr?: string };
    const tail = `${failure.stdout ?? ''}${failure.stderr ?? ''}`.split('\n').slice(-80).join('\n');
    throw new Error(`'${[command, ...args].join(' ')}' in ${cwd} exited ${failure.status}:\n${tail}`);
  } finally {
    console.log(`template: ${[command, ...args].join(' ')} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}

/** A clone of HEAD (committed work only, as a user's clone), with the runtimes already fetched. */
function cloneOfHead(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mylib-template-'));
  const head = run(ROOT, 'git', ['rev-parse', 'HEAD']).trim();
  run(dir, 'git', ['clone', '--quiet', '--no-checkout', ROOT, 'project']);
  const project = join(dir, 'project');
  run(project, 'git', ['checkout', '--quiet', '--detach', head]);
  const runtimes = join(ROOT, '.cache', 'runtimes');
  if (existsSync(runtimes)) {
    run(project, 'mkdir', ['-p', '.cache']);
    symlinkSync(runtimes, join(project, '.cache', 'runtimes'));
  }
  return project;
}

const commit = (project: string, message: string) =>
  run(project, 'git', ['-c', 'user.name=template', '-c', 'user.email=template@localhost', 'commit', '-qam', message]);

/** The dropped names the project's tracked files still mention (in its own spelling), less the allowed ones. */
function namesLeft(project: string, manifest: Manifest): string[] {
  const options = readOptions(['--name', NAME, '--package', PACKAGE]);
  if ('error' in options) throw new Error(options.error);
  const rename = renamer(IDENTITY, options.identity);
  const files = new Map<string, string>();
  for (const file of run(project, 'git', ['ls-files']).split('\n').filter(Boolean)) {
    const bytes = readFileSync(join(project, file));
    if (!bytes.includes(0)) files.set(file, bytes.toString('utf8'));
  }
  return leftovers(files, {
    names: manifest.names.map((name) => rename.text('names.txt', name)),
    allow: manifest.allow.map((entry) => ({ ...entry, file: rename.path(entry.file), name: rename.text('names.txt', entry.name) })),
  });
}

describe.each([
  { shape: 'the starter', flags: [] as string[], starter: true },
  { shape: '--keep-examples', flags: ['--keep-examples'], starter: false },
])('npm run init, $shape, in a clone of HEAD', ({ flags, starter }) => {
  let project: string | undefined;
  afterAll(() => {
    if (project) rmSync(join(project, '..'), { recursive: true, force: true });
  });

  it(
    QUICK
      ? 'makes a project that installs, passes its Rust tests, lint and drift check, packages, and no longer says mylib'
      : 'makes a project that installs, passes its own npm test, packages, runs on Bun and Deno, and no longer says mylib',
    () => {
      project = cloneOfHead();
      // Init needs the template's tools: an install first, as the guide says.
      run(project, 'npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund']);
      const report = run(project, 'npm', ['run', 'init', '--', '--name', NAME, '--package', PACKAGE, ...flags]);
      expect(report).toMatch(new RegExp(`renamed mylib -> ${NAME}, mylib-rust -> ${PACKAGE}: \\d+ occurrences in \\d+ files`));
      expect(report).not.toMatch(/not classified/);
      commit(project, 'init');

      // The starter drops what scripts/init/starter/*.json lists and mentions none of its names
      // (the generated header and formatted files included); --keep-examples keeps it all.
      const manifest = readManifest(join(ROOT, 'scripts/init/starter'));
      expect(manifest.drop.filter((file) => existsSync(join(project as string, file)) === starter)).toEqual([]);
      if (starter) expect(namesLeft(project, manifest)).toEqual([]);
      else expect(namesLeft(project, manifest).length).toBeGreaterThan(50);
      expect(run(project, 'git', ['ls-files', 'include']).split('\n').filter(Boolean).sort()).toEqual([`include/${NAME}.abi.json`, `include/${NAME}.h`]);
      // Every spelling of the template's name is gone, file names included.
      expect(
        run(project, 'git', ['ls-files'])
          .split('\n')
          .filter((file) => /mylib/i.test(file)),
      ).toEqual([]);
      expect(run(project, 'bash', ['-c', 'git grep -il mylib || true']).trim()).toBe('');

      // A second run is refused, and changes nothing.
      expect(() => run(project as string, 'npm', ['run', 'init', '--', '--name', 'other', '--package', 'other'])).toThrow(/init runs once/);
      expect(run(project, 'git', ['status', '--porcelain'])).toBe('');

      run(project, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']);
      if (QUICK) {
        for (const script of ['test:rust', 'lint', 'check:abi']) run(project, 'npm', ['run', script]);
        run(project, 'npm', ['run', 'package']);
        return;
      }
      // As docs/template.md says: package first, it rewrites the size table the docs test compares.
      run(project, 'npm', ['run', 'package']);
      run(project, 'npm', ['test']);
      run(project, 'npm', ['run', 'test:runtimes', '--', '--pairs', 'bun:bun:ffi,deno:deno']);
    },
    120 * MINUTES,
  );
});
