/**
 * test/engines/isolate-runtimes.ts (the three faults, sync and async, no host left behind) on
 * every runtime x engine pair of the conformance suite, each in its own process, and on Node from
 * a compiled dist/ in a scratch install (the host is dist/bindings/ffi/isolate-host.js, started
 * without a TypeScript loader). A runtime that is not installed fails the test with the reason.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain .mjs module shared with scripts/runtimes/test.mjs
import { PAIRS, installed, runtimeCommand } from '../../scripts/runtimes/lib.mjs';
import { ROOT, crashLibrary } from '../fixtures/ffi/build.ts';
import { RUNTIME_BINARIES, scratchProject } from '../repl/session.ts';

const SCRIPT = join(ROOT, 'test', 'engines', 'isolate-runtimes.ts');
const pairs = PAIRS as Array<{ id: string; runtime: string; engine: string }>;

function run(bin: string, args: string[], env: Record<string, string>): { perCallUs: number; engine: string } {
  const result = spawnSync(bin, [...args, crashLibrary()], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, NODE_NO_WARNINGS: '1', NO_COLOR: '1', ...env },
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('ISOLATE-RUNTIME '));
  if (result.status !== 0 || !line) {
    throw new Error(`${bin} ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`.slice(-6000));
  }
  return JSON.parse(line.slice('ISOLATE-RUNTIME '.length));
}

describe('isolated libraries on every runtime x engine', () => {
  it.each(pairs)('$id', ({ runtime, engine }) => {
    if (runtime !== 'node20' && !installed(runtime)) throw new Error(`${runtime} is not installed: run npm run setup:runtimes`);
    const { bin, args } = runtimeCommand(runtime, SCRIPT) as { bin: string; args: string[] };
    const result = run(bin, args, { MYLIB_FFI_ENGINE: engine });
    expect(result.engine).toBe(engine);
  });
});

describe('from a compiled dist/ in an installed package', () => {
  let dir: string | undefined;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Node 26 without tsx (its own type stripping runs the check script): the host is isolate-host.js', () => {
    if (!installed('node26')) throw new Error('node26 is not installed: run npm run setup:runtimes');
    dir = scratchProject('mylib-isolate-');
    const dist = join(dir, 'node_modules', 'mylib-rust', 'dist', 'bindings', 'ffi', 'index.js');
    const result = run(RUNTIME_BINARIES.node26, [SCRIPT], { ISOLATE_FFI: dist, MYLIB_FFI_ENGINE: 'koffi' });
    expect(result.engine).toBe('koffi');
  });
});
