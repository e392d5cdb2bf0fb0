/**
 * process.exit with async native calls in flight (bindings/ffi/engines/_exit.ts): each way of
 * test/exit/ways.ts on Node 20 + koffi, in a child process with a deadline. The other runtime x
 * engine pairs run the same cases in `npm run test:runtimes`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_BOUND_MS, WAYS, type Way, exitProblem, runWay } from './ways.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = join(import.meta.dirname, 'fixture.ts');

describe('process exit with async calls in flight (Node, koffi)', () => {
  for (const way of Object.keys(WAYS) as Way[]) {
    it(`${way}: exit code ${WAYS[way]} in under ${EXIT_BOUND_MS / 1000} s`, async () => {
      const run = await runWay(process.execPath, ['--import', 'tsx', FIXTURE], way, 'koffi', ROOT);
      expect(exitProblem(run, way, 'koffi'), run.output).toBeUndefined();
    }, 60_000);
  }
});
