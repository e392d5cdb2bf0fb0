/**
 * docs/adding-an-export.md, followed in a scratch copy of the repository: every block marked
 * `<!-- guide: ... -->` is applied, the guide's commands run (gen, build:ts, build, drift check,
 * lint, the new test), the new function is called by the package name and found by the REPL's
 * `.help`. The changed files are listed and judged: by hand only Rust sources, the declaration
 * table, the typed wrapper and its test; everything else is what `npm run gen` writes.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GUIDE = 'docs/adding-an-export.md';

type Step = { kind: 'edit'; file: string; action: 'create' | 'before' | 'after'; anchor: string; lines: string[] } | { kind: 'run'; commands: string[] };

/** The guide's marked blocks, in order. */
function readGuide(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const m of markdown.matchAll(/^<!-- guide: (.+?) -->\n```[^\n]*\n([\s\S]*?)^```$/gm)) {
    const instruction = (m[1] as string).trim();
    const lines = (m[2] as string).replace(/\n$/, '').split('\n');
    if (instruction === 'run') {
      steps.push({ kind: 'run', commands: lines.filter((line) => line.trim() !== '') });
      continue;
    }
    const edit = /^(\S+) (?:(create)|insert (before|after) "(.+)")$/.exec(instruction);
    if (!edit) throw new Error(`${GUIDE}: cannot read the instruction '${instruction}'`);
    const action = (edit[2] ?? edit[3]) as 'create' | 'before' | 'after';
    steps.push({ kind: 'edit', file: edit[1] as string, action, anchor: edit[4] ?? '', lines });
  }
  return steps;
}

/** Applies one edit: `before` goes above the anchor line and the doc comment right above it. */
function applyEdit(root: string, step: Extract<Step, { kind: 'edit' }>): void {
  const path = join(root, step.file);
  if (step.action === 'create') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${step.lines.join('\n')}\n`);
    return;
  }
  const lines = readFileSync(path, 'utf8').split('\n');
  const found = lines.flatMap((line, i) => (line.startsWith(step.anchor) ? [i] : []));
  if (found.length !== 1) throw new Error(`${GUIDE}: the anchor "${step.anchor}" matches ${found.length} lines of ${step.file} (one needed)`);
  let at = found[0] as number;
  if (step.action === 'after') at++;
  else if (lines[at - 1]?.trim().endsWith('*/')) {
    while (at > 0 && !(lines[at - 1] as string).trim().startsWith('/**')) at--;
    at--;
  }
  lines.splice(at, 0, ...step.lines);
  writeFileSync(path, lines.join('\n'));
}

function run(cwd: string, command: string, args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(MYLIB_|CARGO_TARGET_DIR$|VITEST|NODE_OPTIONS$)/.test(key)));
  try {
    return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (error) {
    const failure = error as { status?: number; stdout?: string; stderr?: string };
    throw new Error(`'${[command, ...args].join(' ')}' in the scratch copy exited ${failure.status}:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

/** The repository as a checkout sees it (tracked and new, unignored files), with its node_modules linked. */
function scratchCopy(): string {
  const scratch = mkdtempSync(join(tmpdir(), 'mylib-guide-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file !== '');
  for (const file of files) {
    const from = join(ROOT, file);
    if (!statSync(from, { throwIfNoEntry: false })?.isFile()) continue;
    mkdirSync(dirname(join(scratch, file)), { recursive: true });
    copyFileSync(from, join(scratch, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'));
  // What `npm install` leaves besides node_modules: the compiled bindings (prepare's build:ts).
  run(scratch, 'npm', ['run', 'build:ts']);
  run(scratch, 'git', ['init', '-q']);
  run(scratch, 'git', ['add', '-A']);
  run(scratch, 'git', ['-c', 'user.name=guide', '-c', 'user.email=guide@localhost', 'commit', '-qm', 'before the guide']);
  return scratch;
}

const HAND_EDITABLE = [/^rustlib\/.+\.rs$/, /^bindings\/raw\.ts$/, /^bindings\/library\.ts$/, /^test\/.+\.test\.ts$/];
const GENERATED = ['bindings/functions.ts', 'include/mylib.abi.json', 'include/mylib.h', 'npm/README.md'];

describe(`${GUIDE}, followed in a scratch copy`, () => {
  let scratch: string | undefined;
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('adds `reverse` with hand edits only to Rust, the table, the wrapper and its test; the build, drift check and a typed call pass', () => {
    const steps = readGuide(readFileSync(join(ROOT, GUIDE), 'utf8'));
    expect(steps.filter((s) => s.kind === 'run')).toHaveLength(1);
    scratch = scratchCopy();
    const handEdited = new Set<string>();
    for (const step of steps) {
      if (step.kind === 'edit') {
        applyEdit(scratch, step);
        handEdited.add(step.file);
        continue;
      }
      for (const command of step.commands) {
        const started = performance.now();
        run(scratch, 'bash', ['-c', command]);
        console.log(`guide: ${command} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
    }

    // A call through the package name, as a user imports it (dist/, which the guide's build:ts
    // compiles), in a process of its own over the scratch copy's library.
    const typed = run(scratch, process.execPath, [
      '--input-type=module',
      '-e',
      "const m = await import('mylib-rust'); console.log(JSON.stringify([m.reverse('héllo 🦀'), m.library().reverse('abc')]));",
    ]);
    expect(JSON.parse(typed.trim().split('\n').pop() as string)).toEqual(['🦀 olléh', 'cba']);

    const help = run(scratch, process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "const { helpFor, readHelpSources } = await import('./scripts/repl/help.ts'); const { DECLARATIONS } = await import('./bindings/raw.ts'); console.log(helpFor('reverse', readHelpSources('bindings/library.ts', DECLARATIONS, 'rustlib')));",
    ]);
    expect(help).toContain('mylib.reverse(text: string): string');
    expect(help).toContain('int32_t mylib_reverse(const uint8_t *text');
    expect(help).toContain('Writes `text` with its characters (Unicode code points) in reverse order');

    const changed = run(scratch, 'git', ['status', '--porcelain', '--untracked-files=all'])
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.slice(3))
      .sort();
    const byHand = [...handEdited].sort();
    const derived = changed.filter((file) => !handEdited.has(file));
    console.log(`guide: edited by hand: ${byHand.join(', ')}\nguide: written by npm run gen: ${derived.join(', ')}`);
    expect(
      byHand.filter((file) => !HAND_EDITABLE.some((pattern) => pattern.test(file))),
      'hand edits outside Rust, the table, the wrapper, tests',
    ).toEqual([]);
    expect(
      changed.filter((file) => !handEdited.has(file) && !GENERATED.includes(file)),
      'changed files nobody should edit',
    ).toEqual([]);
    expect(derived).toEqual(GENERATED);
    expect(readFileSync(join(scratch, 'bindings/functions.ts'), 'utf8')).toContain('export function reverse(text: string): string {');
    expect(readFileSync(join(scratch, 'npm/README.md'), 'utf8')).toContain('| `reverse(text: string)` | `string` |');
    expect(readFileSync(join(scratch, 'include/mylib.h'), 'utf8')).toMatch(/int32_t mylib_reverse\(/);
  }, 600_000);
});

describe('the guide runner', () => {
  it('refuses an anchor that matches no line or several', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mylib-guide-anchor-'));
    try {
      writeFileSync(join(dir, 'a.ts'), 'one\ntwo\ntwo\n');
      const edit = (anchor: string) => applyEdit(dir, { kind: 'edit', file: 'a.ts', action: 'after', anchor, lines: ['x'] });
      expect(() => edit('three')).toThrow(/matches 0 lines of a\.ts/);
      expect(() => edit('two')).toThrow(/matches 2 lines of a\.ts/);
      edit('one');
      expect(readFileSync(join(dir, 'a.ts'), 'utf8')).toBe('one\nx\ntwo\ntwo\n');
      writeFileSync(join(dir, 'b.ts'), 'a\n  /**\n   * doc\n   */\n  f() {}\n');
      applyEdit(dir, { kind: 'edit', file: 'b.ts', action: 'before', anchor: '  f()', lines: ['  g() {}'] });
      expect(readFileSync(join(dir, 'b.ts'), 'utf8')).toBe('a\n  g() {}\n  /**\n   * doc\n   */\n  f() {}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every marked block of the guide', () => {
    const steps = readGuide(readFileSync(join(ROOT, GUIDE), 'utf8'));
    const marked = readFileSync(join(ROOT, GUIDE), 'utf8').match(/^<!-- guide:/gm) ?? [];
    expect(steps).toHaveLength(marked.length);
    expect(steps.length).toBeGreaterThan(4);
  });
});
