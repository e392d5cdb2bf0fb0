/**
 * The conformance suite of the typed API: the same file runs on Node 20, Node 26, Bun and Deno.
 *
 *   node --import tsx test/conformance/run.ts            (Node 20; Node 26 also without tsx)
 *   bun test/conformance/run.ts
 *   deno run -A --node-modules-dir=manual --unstable-sloppy-imports test/conformance/run.ts
 *
 * MYLIB_FFI_ENGINE=<koffi|node:ffi|bun:ffi|deno> names the engine the bindings must use; the suite
 * refuses to run (exit 1) when the loaded library reports another one, so an engine the
 * bindings ignore can never pass as the default one. `--filter <text>` runs the cases whose
 * name contains the text. The last line is `CONFORMANCE {json}` for scripts/runtimes/test.mjs.
 */
import process from 'node:process';
import { library } from '../../bindings/index.ts';
import { runAll } from './harness.ts';
import './text.ts';
import './closest.ts';
import './words.ts';
import './numeric.ts';
import './errors.ts';
import './loading.ts';
import './foreign.ts';

declare const Bun: { version: string } | undefined;
declare const Deno: { version: { deno: string } } | undefined;

export const ENGINE_ENV = 'MYLIB_FFI_ENGINE';

function runtimeName(): string {
  if (typeof Bun !== 'undefined') return `bun ${Bun.version}`;
  if (typeof Deno !== 'undefined') return `deno ${Deno.version.deno}`;
  return `node ${process.versions.node}`;
}

/** The engine the loaded library reports: `engine` when the bindings have one, else undefined. */
function reportedEngine(): unknown {
  return (library() as unknown as { engine?: unknown }).engine;
}

/**
 * Undefined when the requested engine is the one in use, else why not. Bindings without an
 * engine layer (no `engine` property) count as koffi, and only koffi.
 */
export function engineProblem(requested: string | undefined, reported: unknown): string | undefined {
  if (requested === undefined) return undefined;
  if (reported === undefined)
    return requested === 'koffi' ? undefined : `engine ${requested} not available in these bindings (library().engine is undefined: only koffi exists)`;
  if (reported !== requested)
    return `engine ${requested} not available in these bindings (${ENGINE_ENV}=${requested}, but library().engine is ${JSON.stringify(reported)})`;
  return undefined;
}

function finish(result: { passed: number; failed: number; ms: number; error?: string }, engine: unknown): never {
  console.log(`${result.passed} passed, ${result.failed} failed${result.error ? ` (${result.error})` : ''} in ${(result.ms / 1000).toFixed(2)} s`);
  console.log(`CONFORMANCE ${JSON.stringify({ runtime: runtimeName(), engine: engine ?? null, ...result })}`);
  process.exit(result.failed > 0 || result.error ? 1 : 0);
}

const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? args[filterAt + 1] : undefined;
const requested = process.env[ENGINE_ENV] || undefined;

let engine: unknown;
try {
  engine = reportedEngine();
} catch (error) {
  console.log(`FAILED to load the library: ${(error as Error).message}`);
  finish({ passed: 0, failed: 0, ms: 0, error: `library did not load: ${(error as Error).message.split('\n')[0]}` }, undefined);
}
const shownEngine = engine ?? (requested === undefined || requested === 'koffi' ? 'koffi (bindings without an engine layer)' : 'none reported');
console.log(`conformance: ${runtimeName()}, engine ${shownEngine}, requested ${requested ?? '(default)'}, library ${library().path}`);
const problem = engineProblem(requested, engine);
if (problem) {
  console.log(`FAILED ${problem}`);
  finish({ passed: 0, failed: 0, ms: 0, error: problem }, engine);
}

const summary = await runAll(filter);
if (summary.failed > 0) {
  console.log('\nfailures:');
  for (const f of summary.failures) console.log(`  ${f.name}`);
}
finish({ passed: summary.passed, failed: summary.failed, ms: summary.ms }, engine ?? 'koffi');
