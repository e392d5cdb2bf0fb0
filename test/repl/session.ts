// Drives `npm run repl` (`tsx bindings/cli.ts repl`) as a child process, line by line, as a user at
// the prompt would: send a line, wait for the output up to the next prompt. Shared by the
// test/repl/*.test.ts files.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../scripts/abi/index.ts';

export const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
export const PROMPT = /mylib> $/;

/** A REPL child with a line-by-line driver: send a line, wait for output matching a pattern. */
export class Session {
  readonly child: ChildProcessWithoutNullStreams;
  output = '';
  #listeners: Array<() => void> = [];
  /** `args`: node's arguments, `npm run repl` by default (another entry: the compiled package's cli.js). */
  constructor(env: NodeJS.ProcessEnv, cwd = ROOT, args = [TSX, join(ROOT, 'bindings', 'cli.ts'), 'repl']) {
    this.child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      for (const listener of this.#listeners) listener();
    };
    this.child.stdout.on('data', collect);
    this.child.stderr.on('data', collect);
  }
  /** Output written after `from` once it matches `pattern`; rejects with the transcript on timeout. */
  waitFor(pattern: RegExp, from: number, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const text = this.output.slice(from);
        if (pattern.test(text)) {
          this.#listeners = this.#listeners.filter((l) => l !== check);
          clearTimeout(timer);
          resolve(text);
        }
      };
      const timer = setTimeout(() => {
        this.#listeners = this.#listeners.filter((l) => l !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output so far:\n${this.output.slice(from)}`));
      }, timeoutMs);
      this.#listeners.push(check);
      check();
    });
  }
  /** Sends one line; resolves with its output up to the next prompt (and `until`, if given). */
  async send(line: string, until = PROMPT, timeoutMs = 30_000): Promise<string> {
    const from = this.output.length;
    this.child.stdin.write(`${line}\n`);
    await this.waitFor(until, from, timeoutMs);
    const text = await this.waitFor(PROMPT, from, timeoutMs);
    return text.replace(PROMPT, '');
  }
  /** `.exit`, and the exit code. */
  async exit(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.child.on('exit', resolve));
    this.child.stdin.write('.exit\n');
    return exited;
  }
}

export const RUNTIMES_DIR = join(ROOT, '.cache', 'runtimes');
/** The runtimes of `npm run setup:runtimes` (scripts/runtimes/lib.mjs pins the versions). */
export const RUNTIME_BINARIES = {
  node26: join(RUNTIMES_DIR, 'node26-26.10.0', 'bin', 'node'),
  bun: join(RUNTIMES_DIR, 'bun-1.4.4', 'bin', 'bun'),
  deno: join(RUNTIMES_DIR, 'deno-2.9.6', 'deno'),
} as const;

/**
 * A fresh project outside the repository where `mylib-rust/ffi` resolves as an installed package
 * does: node_modules/mylib-rust holds the package.json and a `dist` compiled now from bindings/
 * (tsconfig.build.json, about 2 s), node_modules/koffi links the repository's. A `.save`d module
 * written there imports what a user's project would. Returns the folder; remove it afterwards.
 */
export function scratchProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const pkg = join(dir, 'node_modules', 'mylib-rust');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`scratchProject: tsc -p tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);
  symlinkSync(join(ROOT, 'node_modules', 'koffi'), join(dir, 'node_modules', 'koffi'), 'dir');
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2)}\n`);
  return dir;
}

/**
 * Runs the repository's tsc, strict, over `include` in a scratch project (its own tsconfig.json,
 * no @types); returns what it printed and its exit status.
 */
export function typeCheckProject(
  project: string,
  include: string[],
  lib: string[] = ['ES2024', 'ESNext.Disposable'],
): { output: string; status: number | null } {
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        lib,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        erasableSyntaxOnly: true,
        skipLibCheck: true,
        types: [],
      },
      include,
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
  return { output: `${tsc.stdout}${tsc.stderr}`, status: tsc.status };
}
