/** scripts/init: the names it accepts and the renaming by content (the whole run: test/template/init.test.ts). */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY, spellings } from '../../scripts/init/identity.ts';
import { nameProblem, packageProblem, readOptions } from '../../scripts/init/options.ts';
import { renamer } from '../../scripts/init/rename.ts';
import { reasonFor } from '../../scripts/init/spelled.ts';
import { type Manifest, leftovers, planStarter, readManifest } from '../../scripts/init/starter.ts';
import { derivedFiles } from '../../scripts/gen.ts';
import { FUNCTIONS_MODULE, PACKAGE_README, TYPED_SOURCE, generateFunctionsModule, withFunctionsTable } from '../../scripts/abi/typed-api.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const TEMPLATE = { name: 'tpl', package: 'tpl-rust', repository: 'https://github.com/tpl-rust/tpl-rust', holder: 'tpl-rust contributors' };
const MINE = { name: 'fuzz_lib', package: '@me/fuzzlib', repository: 'https://example.org/me/fuzzlib', holder: 'Me' };

describe('init: names', () => {
  it.each([
    ['fuzzlib', undefined],
    ['fuzz_lib2', undefined],
    ['Fuzzlib', /lowercase C identifier/],
    ['2fuzz', /lowercase C identifier/],
    ['fuzz-lib', /lowercase C identifier/],
    ['fuzz_', /trailing or doubled/],
    ['fuzz__lib', /trailing or doubled/],
    ['struct', /reserved/],
    ['a'.repeat(33), /longer than 32/],
  ])('library name %s', (name, problem) => {
    if (problem) expect(nameProblem(name)).toMatch(problem);
    else expect(nameProblem(name)).toBeUndefined();
  });

  it.each([
    ['fuzzlib', undefined],
    ['@me/fuzzlib', undefined],
    ['fuzz.lib-js', undefined],
    ['FuzzLib', /capital/],
    ['@me/', /not a valid npm/],
    ['.hidden', /not a valid npm/],
    ['a b', /not a valid npm/],
    ['node_modules', /npm refuses/],
  ])('package name %s', (name, problem) => {
    if (problem) expect(packageProblem(name)).toMatch(problem);
    else expect(packageProblem(name)).toBeUndefined();
  });

  it('requires both names, refuses unknown flags, derives the repository and the holder', () => {
    expect(readOptions(['--name', 'x1'])).toEqual({ error: 'both --name and --package are required' });
    expect(readOptions(['--name', 'x1', '--package', 'p', '--nope'])).toHaveProperty('error', expect.stringMatching(/nope/));
    expect(readOptions(['--name', 'x1', '--package', 'p', '--repository', 'not a url'])).toHaveProperty('error', expect.stringMatching(/not an http/));
    expect(readOptions(['--name', 'fuzzlib', '--package', '@me/fuzzlib'])).toEqual({
      identity: { name: 'fuzzlib', package: '@me/fuzzlib', repository: 'https://github.com/me/fuzzlib', holder: '@me/fuzzlib contributors' },
      keepExamples: false,
      dryRun: false,
    });
    expect(readOptions(['--name', 'f', '--package', 'fz', '--repository', 'https://git.example/x/y.git', '--keep-examples'])).toMatchObject({
      identity: { repository: 'https://git.example/x/y' },
      keepExamples: true,
    });
  });
});

describe('init: renaming by content', () => {
  const rename = renamer(TEMPLATE, MINE);

  it('derives every spelling from the identity', () => {
    expect(spellings(MINE)).toEqual({
      lower: 'fuzz_lib',
      upper: 'FUZZ_LIB',
      pascal: 'FuzzLib',
      package: '@me/fuzzlib',
      slug: 'fuzzlib',
      repository: 'example.org/me/fuzzlib',
      holder: 'Me',
    });
  });

  it.each([
    ['prefix, macro, type', 'tpl_add(TPL_OK, TplTextOut *p)', 'fuzz_lib_add(FUZZ_LIB_OK, FuzzLibTextOut *p)'],
    ['package and platform package', "from 'tpl-rust/ffi'; tpl-rust-linux-x64-gnu", "from '@me/fuzzlib/ffi'; @me/fuzzlib-linux-x64-gnu"],
    ['repository URL', 'git+https://github.com/tpl-rust/tpl-rust.git', 'git+https://example.org/me/fuzzlib.git'],
    ['licence holder', 'Copyright (c) 2026 tpl-rust contributors', 'Copyright (c) 2026 Me'],
    ['a file name needs the slug', '~/.tpl-rust_repl_history, /path/to/tpl-rust', '~/.fuzzlib_repl_history, /path/to/fuzzlib'],
    [
      'a URL is renamed the same with or without .git',
      'https://x.org/a/tpl-rust git+https://x.org/a/tpl-rust.git',
      'https://x.org/a/@me/fuzzlib git+https://x.org/a/@me/fuzzlib.git',
    ],
    ['library file', 'target/release/libtpl.so', 'target/release/libfuzz_lib.so'],
  ])('%s', (_what, before, after) => {
    expect(rename.text('doc.md', before)).toBe(after);
  });

  it("escapes the scope's '/' inside regular-expression literals only", () => {
    const code = "expect(x).toThrow(/tpl-rust: unknown/); const s = 'tpl-rust/ffi'; // tpl-rust/x\n * see /tpl-rust/ in docs";
    expect(rename.text('a.test.ts', code)).toBe(
      "expect(x).toThrow(/@me\\/fuzzlib: unknown/); const s = '@me/fuzzlib/ffi'; // @me/fuzzlib/x\n * see /@me/fuzzlib/ in docs",
    );
    expect(rename.text('a.md', '/tpl-rust: x/')).toBe('/@me/fuzzlib: x/');
    expect(new RegExp(rename.text('a.ts', '/^tpl-rust-(\\w+)$/').slice(1, -1)).test('@me/fuzzlib-linux')).toBe(true);
  });

  it('renames paths and counts occurrences', () => {
    expect(rename.path('include/tpl.h')).toBe('include/fuzz_lib.h');
    expect(rename.path('examples/python/test_tpl.py')).toBe('examples/python/test_fuzz_lib.py');
    expect(rename.count('tpl TPL Tpl tpl-rust other')).toBe(4);
  });
});

describe('init: why a file spells the name', () => {
  it('classifies every file of the template that spells it today', () => {
    const files = execFileSync('git', ['grep', '-il', IDENTITY.name], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((file) => reasonFor(file) === 'not classified')).toEqual([]);
  });
});

describe('init: refusals, before anything is touched (a clone of HEAD)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'init-refusals-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const project = join(dir, 'project');
  execFileSync('git', ['clone', '--quiet', ROOT, project]);
  execFileSync('git', ['checkout', '--quiet', '--detach', execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()], {
    cwd: project,
  });
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  appendFileSync(join(project, '.git', 'info', 'exclude'), 'node_modules\n');
  const init = (...args: string[]) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/init/main.ts', ...args], { cwd: project, encoding: 'utf8' });
    return { status: result.status, out: `${result.stdout}${result.stderr}` };
  };
  const status = () => execFileSync('git', ['status', '--porcelain'], { cwd: project, encoding: 'utf8' });

  it.each([
    [['--name', 'Fuzz', '--package', 'fuzz'], /'Fuzz' is not a lowercase C identifier/],
    [['--name', 'fuzz', '--package', 'Fuzz'], /'Fuzz' has capital letters/],
    [['--name', 'fuzz'], /both --name and --package are required/],
    [['--name', 'fuzz', '--package', 'fuzz', '--colour'], /colour/],
  ])('%j: exit 2 with the reason and the usage', (args, reason) => {
    const { status: code, out } = init(...args);
    expect(code).toBe(2);
    expect(out).toMatch(reason);
    expect(out).toContain('usage: npm run init');
    expect(status()).toBe('');
  });

  // In a project made from the template (IDENTITY.template false) init only refuses.
  it.runIf(!IDENTITY.template)('a second run is refused', () => {
    const { status: code, out } = init('--name', 'other', '--package', 'other');
    expect(code).toBe(1);
    expect(out).toMatch(/init runs once/);
    expect(status()).toBe('');
  });

  it.runIf(IDENTITY.template)('--dry-run counts and writes nothing', () => {
    const { status: code, out } = init('--name', 'fuzzlib', '--package', '@me/fuzzlib', '--dry-run');
    expect(code).toBe(0);
    expect(out).toMatch(/would rename mylib -> fuzzlib, mylib-rust -> @me\/fuzzlib: \d+ occurrences in \d+ files, 4 files moved; starter: \d+ files dropped/);
    expect(status()).toBe('');
  });

  it.runIf(IDENTITY.template)('a work tree with uncommitted changes is refused, and left as it was', () => {
    writeFileSync(join(project, 'notes.txt'), 'mine\n');
    const { status: code, out } = init('--name', 'fuzzlib', '--package', '@me/fuzzlib');
    expect(code).toBe(1);
    expect(out).toMatch(/uncommitted changes[\s\S]*\?\? notes\.txt/);
    expect(status()).toBe('?? notes.txt\n');
  });
});

/** The text of every tracked text file of the template, read once. */
const TEXTS = new Map(
  execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && existsSync(join(ROOT, file)))
    .map((file) => [file, readFileSync(join(ROOT, file))] as const)
    .filter(([, bytes]) => !bytes.includes(0))
    .map(([file, bytes]) => [file, bytes.toString('utf8')]),
);

/** Files `npm run gen` derives from the Rust sources: init regenerates them; the template test checks them. */
const FROM_RUST = new Set(derivedFiles().map((file) => file.path));
FROM_RUST.delete(FUNCTIONS_MODULE);
FROM_RUST.delete(PACKAGE_README);

/**
 * The starter's files (path -> text) as init would leave them before formatting (only `files`
 * when given), or the stale entries. The typed API's derived files are generated from the
 * starter's own bindings/library.ts, as init's `npm run gen` does.
 */
function starterFiles(manifest: Manifest, only?: readonly string[]): Map<string, string> | { stale: string[] } {
  const plan = planStarter(ROOT, manifest, (file) => TEXTS.get(file));
  if ('stale' in plan) return plan;
  const dropped = new Set(plan.drop);
  const text = (file: string) => plan.edits.get(file) ?? (TEXTS.get(file) as string);
  const files = new Map<string, string>();
  for (const file of only ?? TEXTS.keys()) {
    if (!TEXTS.has(file) || dropped.has(file) || FROM_RUST.has(file)) continue;
    if (file === FUNCTIONS_MODULE) files.set(file, generateFunctionsModule(text(TYPED_SOURCE)));
    else if (file === PACKAGE_README) files.set(file, withFunctionsTable(text(file), text(TYPED_SOURCE)));
    else files.set(file, text(file));
  }
  return files;
}

describe('planStarter: the manifest entries', () => {
  const TEXT = ['/**', ' * A doc.', ' */', 'function gone() {', '  return 1;', '}', '', 'function kept() {}', ''].join('\n');
  const plan = (entries: Partial<Manifest>) =>
    planStarter(ROOT, { drop: [], regions: [], lines: [], replace: [], names: [], allow: [], ...entries }, (file) => (file === 'a.ts' ? TEXT : undefined));

  it.each([
    ['a region, widened by before and through', { regions: [{ file: 'a.ts', from: 'function gone', to: '}', before: 3, through: 1 }] }, 'function kept() {}\n'],
    ['one line', { lines: [{ file: 'a.ts', contains: '  return 1;' }] }, TEXT.replace('  return 1;\n', '')],
    [
      'a replace after the removals',
      { lines: [{ file: 'a.ts', contains: ' * A doc.' }], replace: [{ file: 'a.ts', from: '/**\n */', to: '//' }] },
      TEXT.replace('/**\n * A doc.\n */', '//'),
    ],
  ] as Array<[string, Partial<Manifest>, string]>)('%s', (_what, entries, text) => {
    expect(plan(entries)).toEqual({ drop: [], edits: new Map([['a.ts', text]]) });
  });

  it.each([
    ['a dropped file that does not exist', { drop: ['b.ts'] }, /drop: b.ts does not exist/],
    ['a region start on two lines', { regions: [{ file: 'a.ts', from: 'function', to: '}' }] }, /matches 2 lines of a.ts/],
    ['a region without its end', { regions: [{ file: 'a.ts', from: 'kept', to: 'never' }] }, /no line starting with "never"/],
    ['a replace that is not there once', { replace: [{ file: 'a.ts', from: 'absent', to: '' }] }, /occurs 0 times/],
  ] as Array<[string, Partial<Manifest>, RegExp]>)('refuses %s as stale', (_what, entries, message) => {
    expect(plan(entries)).toEqual({ stale: [expect.stringMatching(message)] });
  });
});

describe.runIf(IDENTITY.template)('the starter (scripts/init/starter/, a dry run)', () => {
  // A project made from the template has no manifest (the starter drops it): these tests are skipped there.
  const manifest: Manifest = IDENTITY.template
    ? readManifest(join(ROOT, 'scripts/init/starter'))
    : { drop: [], regions: [], lines: [], replace: [], names: [], allow: [] };

  const NAMES = { names: ['gizmo', 'gizmoAsync', 'GizmoIndex', 'MYLIB_MAX_GIZMOS', 'anchor'], allow: [] };

  it.each([
    ['mylib_gizmo(', ['f: gizmo']],
    ['GizmoError and gizmos', []],
    ['new GizmoIndex(list); index.gizmoAsync()', ['f: gizmoindex', 'f: gizmoasync']],
    ['MYLIB_MAX_GIZMOS + 1', ['f: mylib_max_gizmos']],
    ['text-anchor="end"', ['f: anchor']],
    ['gizmology, Gizmo', ['f: gizmo']],
  ])('leftovers() finds the names bounded by non-alphanumerics, in any case: %s', (text, found) => {
    expect(leftovers(new Map([['f', text]]), NAMES)).toEqual(found);
  });

  it('allows a name only in the file and for the name its allow entry gives', () => {
    const names = { names: ['gizmo'], allow: [{ file: 'a', name: 'gizmo', why: 'test' }] };
    expect(
      leftovers(
        new Map([
          ['a', 'gizmo'],
          ['b', 'gizmo'],
        ]),
        names,
      ),
    ).toEqual(['b: gizmo']);
  });

  it('every file it keeps mentions none of the dropped names, but for the allow list', () => {
    expect(manifest.names.length).toBeGreaterThan(10);
    const files = starterFiles(manifest);
    if ('stale' in files) throw new Error(files.stale.join('\n'));
    expect(leftovers(files, manifest)).toEqual([]);
  });

  it('every allow entry is needed and says why', () => {
    const files = starterFiles(manifest);
    if ('stale' in files) throw new Error(files.stale.join('\n'));
    for (const entry of manifest.allow) {
      expect(entry.why.length, entry.file).toBeGreaterThan(20);
      expect(leftovers(files, { ...manifest, allow: manifest.allow.filter((other) => other !== entry) }), entry.file).toContain(
        `${entry.file}: ${entry.name.toLowerCase()}`,
      );
    }
  });

  it('removing any entry that drops a dropped name brings that name back, or makes the manifest stale', () => {
    const named = (text: string) => leftovers(new Map([['x', text]]), { names: manifest.names, allow: [] }).length > 0;
    let checked = 0;
    for (const kind of ['drop', 'regions', 'lines', 'replace'] as const) {
      const entries = manifest[kind] as Array<string | { file: string; from?: string }>;
      entries.forEach((entry, i) => {
        const file = typeof entry === 'string' ? entry : entry.file;
        const removes = typeof entry === 'string' ? (TEXTS.get(entry) ?? '') : kind === 'replace' ? (entry.from ?? '') : JSON.stringify(entry);
        if (!named(removes)) return;
        checked++;
        // Init refuses a manifest whose other entries no longer match (stale): that is caught too.
        const files = starterFiles({ ...manifest, [kind]: entries.filter((_, j) => j !== i) }, [file]);
        expect('stale' in files || leftovers(files, manifest).length > 0, `${kind}[${i}]: ${JSON.stringify(entry).slice(0, 120)}`).toBe(true);
      });
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('edits no file that npm run gen derives from the Rust sources (init regenerates those)', () => {
    const files = [...manifest.regions, ...manifest.lines, ...manifest.replace].map((entry) => entry.file);
    expect(files.filter((file) => FROM_RUST.has(file))).toEqual([]);
  });
});

describe('docs/template.md', () => {
  const markdown = readFileSync(join(ROOT, 'docs/template.md'), 'utf8');
  const blocks = [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] as string, text: m[2] as string }));
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

  it('tags every block sh or text', () => {
    expect(blocks.length).toBeGreaterThan(4);
    expect(blocks.filter((b) => b.lang !== 'sh' && b.lang !== 'text')).toEqual([]);
  });

  it('names only npm scripts and repository paths that exist', () => {
    const commands = blocks.filter((b) => b.lang === 'sh').flatMap((b) => b.text.split('\n').filter((line) => line.trim() !== ''));
    const named = commands.flatMap((line) => [...line.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1] as string));
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((name) => !(name in scripts))).toEqual([]);
    const paths = [...markdown.matchAll(/`((?:scripts|test|docs|rustlib|bindings|include|examples)\/[\w./-]+)`/g)].map((m) => m[1] as string);
    expect(paths.length).toBeGreaterThan(3);
    expect(paths.filter((path) => !existsSync(join(ROOT, path.replace('fuzzlib', IDENTITY.name))))).toEqual([]);
  });

  it('runs init with the flags init reads', () => {
    const line = commands().find((l) => l.startsWith('npm run init -- '));
    expect(line).toBeDefined();
    const args = [...(line as string).slice('npm run init -- '.length).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? (m[2] as string));
    expect(readOptions(args)).toMatchObject({ identity: { name: 'fuzzlib', package: '@me/fuzzlib' }, keepExamples: false });
  });

  function commands(): string[] {
    return blocks.filter((b) => b.lang === 'sh').flatMap((b) => b.text.split('\n'));
  }
});
