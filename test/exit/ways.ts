/**
 * The ways test/exit/fixture.ts ends a process with async native calls in flight, and how a parent
 * runs and judges one (shared by test/exit/exit.test.ts and scripts/runtimes/test.mjs).
 */
import { spawn } from 'node:child_process';

/** Each way and the exit code it must end with. */
export const WAYS = {
  /** process.exit(0) inside an onProgress callback of a running call. */
  'in-progress': 0,
  /** process.exit(0) from a timer while progress calls of two calls are in flight. */
  'timer-during-progress': 0,
  /** process.exit(7) during a long native call with no callback (about 20 s of work). */
  'long-call': 7,
  /** A SIGTERM handler calls process.exit(0) during a long native call. */
  'signal-handler': 0,
  /** process.exitCode = 3, then process.exit() during a long native call. */
  'exit-code': 3,
  /** The calls settle and the program ends on its own. */
  natural: 0,
} as const;
export type Way = keyof typeof WAYS;

/**
 * A process must end within this after it starts: the long native call takes about 20 s, the
 * runtime's start well under 2 s; exiting the runtime's way took 15-20 s or never ended.
 */
export const EXIT_BOUND_MS = 10_000;
/** The child is killed after this (a hang must not hang the test). */
const DEADLINE_MS = 45_000;

export interface ExitRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  output: string;
}

/** Runs `bin args... way` with MYLIB_FFI_ENGINE=engine, killed after the deadline. */
export function runWay(bin: string, args: readonly string[], way: Way, engine: string, cwd: string): Promise<ExitRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(bin, [...args, way], { cwd, env: { ...process.env, MYLIB_FFI_ENGINE: engine }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('error', (error) => (output += `\nspawn failed: ${error.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: performance.now() - started, output });
    });
  });
}

/** Why `run` of `way` on `engine` is wrong, or undefined when it is right. */
export function exitProblem(run: ExitRun, way: Way, engine: string): string | undefined {
  const tail = run.output.trim().split('\n').slice(-4).join(' | ').slice(0, 400);
  if (!run.output.includes(`EXIT-READY ${engine}`)) return `the calls never ran on ${engine} (exit ${run.code ?? run.signal}): ${tail}`;
  if (run.signal !== null) return `killed by ${run.signal} after ${(run.ms / 1000).toFixed(1)} s: ${tail}`;
  if (run.code !== WAYS[way]) return `exit code ${run.code}, expected ${WAYS[way]}: ${tail}`;
  const listener = run.output.match(/^EXIT-LISTENER .*$/gm) ?? [];
  if (listener.length !== 1 || listener[0] !== `EXIT-LISTENER ${WAYS[way]}`)
    return `the 'exit' listener printed ${JSON.stringify(listener)}, expected one EXIT-LISTENER ${WAYS[way]}`;
  if (run.ms > EXIT_BOUND_MS) return `took ${(run.ms / 1000).toFixed(1)} s (bound ${EXIT_BOUND_MS / 1000} s)`;
  return undefined;
}
