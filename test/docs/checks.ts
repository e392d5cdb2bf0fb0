// The checks of the docs test, one per tag, each returning problems as `file:line: message`
// (the line of the Markdown file). The blocks are written to a scratch folder inside the
// repository (`.cache/docs-blocks/<pid>/`) so that `mylib-rust` resolves as it does for a user.
import { type SpawnOptions, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, relative } from 'node:path';
import type { Block } from './blocks.ts';
import { outputMatches, readTranscript } from './shell.ts';

/** A scratch folder for one run's blocks, emptied first. */
export function scratchDir(root: string, name: string): string {
  const dir = join(root, '.cache', 'docs-blocks', `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A file name that says where the block comes from: README.md line 65 -> README.md_L65.<ext>. */
const fileFor = (block: Block, ext: string) => `${block.file.replaceAll('/', '_')}_L${block.line}.${ext}`;

export interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end without blocking the event loop (the checks overlap); `timeout` in ms kills it. */
export function exec(command: string, args: string[], options: SpawnOptions & { timeout?: number } = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = options.timeout ? setTimeout(() => child.kill('SIGKILL'), options.timeout) : undefined;
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** An environment without the caller's MYLIB_* settings and vitest's markers. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(MYLIB_|VITEST|NODE_OPTIONS$)/.test(key)));
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * The package's entry points (package.json `exports`) mapped to their TypeScript sources, as
 * tsconfig `paths`: the blocks are checked against bindings/, not a possibly stale dist/.
 */
function sourcePaths(root: string, dir: string): Record<string, string[]> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { default?: string } | string> };
  const paths: Record<string, string[]> = {};
  for (const [key, target] of Object.entries(manifest.exports)) {
    const compiled = typeof target === 'string' ? target : target.default;
    if (!compiled?.endsWith('.js') || !compiled.startsWith('./dist/')) continue;
    const source = compiled.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
    paths[key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`] = [relative(dir, join(root, source))];
  }
  return paths;
}

/** Type-checks every `ts` block in one tsc run; runs those flagged `run` with tsx. */
export async function checkTypeScript(root: string, blocks: Block[], dir: string): Promise<string[]> {
  if (blocks.length === 0) return [];
  const byFile = new Map<string, Block>();
  for (const block of blocks) {
    const name = fileFor(block, 'ts');
    byFile.set(name, block);
    // A block without import or export is still a module (top-level await, no shared globals).
    const isModule = /^\s*(import|export)\s/m.test(block.body);
    writeFileSync(join(dir, name), isModule ? block.body : `${block.body}export {};\n`);
  }
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    `${JSON.stringify({ extends: relative(dir, join(root, 'tsconfig.json')), compilerOptions: { noEmit: true, paths: sourcePaths(root, dir) }, include: ['*.ts'], exclude: [] }, null, 2)}\n`,
  );
  const tsc = await exec(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig, '--pretty', 'false'], { cwd: root });
  const problems: string[] = [];
  for (const line of `${tsc.stdout}${tsc.stderr}`.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^(?:.*[\\/])?([^\\/(]+)\((\d+),(\d+)\): (.*)$/.exec(line);
    const block = m ? byFile.get(m[1] as string) : undefined;
    if (m && block) problems.push(`${block.file}:${block.line + Number(m[2])}:${m[3]}: ${m[4]}`);
    else if (!line.startsWith(' ')) problems.push(`tsc: ${line}`);
    else problems.push(`${problems.pop() ?? ''}\n${line}`);
  }
  if (tsc.status !== 0 && problems.length === 0) problems.push(`tsc exited ${tsc.status}`);
  const programs = [...byFile].filter(([, block]) => block.flags.includes('run'));
  const runs = await Promise.all(
    programs.map(([name]) =>
      exec(process.execPath, ['--import', 'tsx', join(dir, name)], { cwd: root, timeout: 60_000, env: cleanEnv({ TSX_TSCONFIG_PATH: tsconfig }) }),
    ),
  );
  runs.forEach((run, i) => {
    const block = (programs[i] as [string, Block])[1];
    if (run.status !== 0) problems.push(`${block.file}:${block.line}: the program exited ${run.status ?? run.signal}:\n${run.stderr.trim()}`);
  });
  return problems;
}

/** Compiles each `c` block with -Wall -Wextra -Werror against include/; links and runs those flagged `run`. */
export async function checkC(root: string, blocks: Block[], dir: string, library: string): Promise<string[]> {
  const problems: string[] = [];
  for (const block of blocks) {
    const source = join(dir, fileFor(block, 'c'));
    writeFileSync(source, block.body);
    const run = block.flags.includes('run');
    const output = source.replace(/\.c$/, run ? '' : '.o');
    const args = ['-Wall', '-Wextra', '-Werror', '-std=c11', `-I${join(root, 'include')}`, source, '-o', output];
    const linkArgs = run ? [library, `-Wl,-rpath,${join(library, '..')}`] : ['-c'];
    const cc = await exec(process.env.CC ?? 'cc', [...args, ...linkArgs]);
    if (cc.status !== 0) {
      const located = cc.stderr.replace(/^.*?\.c:(\d+):(\d+): /gm, (_, line: string, col: string) => `${block.file}:${block.line + Number(line)}:${col}: `);
      problems.push(`${block.file}:${block.line}: cc -Wall -Wextra -Werror -std=c11 failed:\n${located.trim()}`);
      continue;
    }
    if (!run) continue;
    const program = await exec(output, [], { timeout: 30_000 });
    if (program.status !== 0)
      problems.push(`${block.file}:${block.line}: the C program exited ${program.status ?? program.signal}:\n${program.stdout}${program.stderr}`);
  }
  return problems;
}

/** Runs each `python` block with examples/python (the ctypes client) on the path. */
export async function checkPython(root: string, blocks: Block[], dir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const block of blocks) {
    const source = join(dir, fileFor(block, 'py'));
    writeFileSync(source, block.body);
    const run = await exec('python3', [source], { cwd: root, timeout: 60_000, env: cleanEnv({ PYTHONPATH: join(root, 'examples', 'python') }) });
    if (run.status !== 0) {
      const located = run.stderr.replace(/File "[^"]*\.py", line (\d+)/g, (_, line: string) => `${block.file}:${block.line + Number(line)}`);
      problems.push(`${block.file}:${block.line}: python3 exited ${run.status ?? run.signal}:\n${located.trim()}`);
    }
  }
  return problems;
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once something accepts connections on `port`, or rejects after `ms`. */
async function listening(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The service's documented address; a transcript's commands reach a free port instead. */
const SERVICE_ADDRESS = '127.0.0.1:8000';

/**
 * Runs each `console` transcript's commands in the root and compares their output. A command
 * ending in `&` (the service: `npm start &`) runs in the background on a free port, which
 * replaces 127.0.0.1:8000 in the commands after it, until the end of the block.
 */
export async function checkConsole(root: string, blocks: Block[]): Promise<string[]> {
  return (await Promise.all(blocks.map((block) => checkTranscript(root, block)))).flat();
}

async function checkTranscript(root: string, block: Block): Promise<string[]> {
  const problems: string[] = [];
  const background: number[] = [];
  let address = SERVICE_ADDRESS;
  try {
    for (const step of readTranscript(block)) {
      if (step.command.endsWith('&')) {
        const port = await freePort();
        const child = spawn('bash', ['-c', step.command.slice(0, -1)], { cwd: root, detached: true, stdio: 'ignore', env: cleanEnv({ PORT: String(port) }) });
        if (child.pid) background.push(child.pid);
        const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`'${step.command}' exited ${code} before listening`))));
        await Promise.race([listening(port, 60_000), exited]);
        address = `127.0.0.1:${port}`;
        continue;
      }
      const run = await exec('bash', ['-c', step.command.replaceAll(SERVICE_ADDRESS, address)], { cwd: root, timeout: 60_000, env: cleanEnv() });
      if (run.status !== 0) problems.push(`${block.file}:${step.line}: '${step.command}' exited ${run.status ?? run.signal}:\n${run.stderr.trim()}`);
      else if (!outputMatches(step.expected, run.stdout, root)) {
        problems.push(`${block.file}:${step.line}: '${step.command}' printed:\n${run.stdout.trimEnd()}\nthe transcript shows:\n${step.expected.join('\n')}`);
      }
    }
  } catch (error) {
    problems.push(`${block.file}:${block.line}: ${(error as Error).message}`);
  } finally {
    // The background command's whole process group (npm and the service it execs).
    for (const pid of background) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  return problems;
}
