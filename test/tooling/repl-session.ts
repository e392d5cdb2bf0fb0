// Drives `npm run repl` as a child process, line by line, as a user at the prompt would: send a
// line, wait for the output up to the next prompt. Shared by the repl*.test.ts files.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../scripts/abi/index.ts';

export const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
export const PROMPT = /mylib> $/;

/** A REPL child with a line-by-line driver: send a line, wait for output matching a pattern. */
export class Session {
  readonly child: ChildProcessWithoutNullStreams;
  output = '';
  #listeners: Array<() => void> = [];
  constructor(env: NodeJS.ProcessEnv, cwd = ROOT) {
    this.child = spawn(process.execPath, [TSX, join(ROOT, 'scripts', 'repl.mjs')], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env } });
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
