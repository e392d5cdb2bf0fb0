/**
 * Runs test/engines/ffi-engine.ts (the Engine interface on libm and libc) on Bun (bun:ffi) and on
 * Node 26 (node:ffi), each from `npm run setup:runtimes`. A missing runtime FAILS with the reason
 * and the command that installs it: this test never passes without running the engine.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { installed, root, runtimeBinary, runtimeCommand } from './runtimes-lib.ts';

const SCRIPT = join(root, 'test', 'engines', 'ffi-engine.ts');
/** Non-ASCII on purpose: getenv must hand back the same UTF-8. */
const VALUE = 'héllo wörld ✓';

const RUNS = [
  { runtime: 'bun', engine: 'bun:ffi' },
  { runtime: 'node26', engine: 'node:ffi' },
] as const;

describe.runIf(process.platform === 'linux' || process.platform === 'darwin')('the Engine interface on libm and libc', () => {
  for (const { runtime, engine } of RUNS) {
    it(`${engine} on ${runtime}`, () => {
      if (!installed(runtime)) {
        throw new Error(`${runtime} is not installed at ${runtimeBinary(runtime)}: run \`npm run setup:runtimes\` (this test needs it to check ${engine})`);
      }
      const { bin, args } = runtimeCommand(runtime, SCRIPT);
      const child = spawnSync(bin, runtime === 'node26' ? ['--disable-warning=ExperimentalWarning', ...args] : args, {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, FFI_ENGINE_TEST: VALUE },
        timeout: 60_000,
      });
      const output = `${child.stdout}${child.stderr}`;
      if (child.error) throw new Error(`${bin} could not run: ${child.error.message}\n${output}`);
      expect(output, output).toMatch(new RegExp(`all \\d+ checks passed on ${engine}`));
      expect(child.status, output).toBe(0);
      expect(output).not.toMatch(/^FAIL/m);
    });
  }
});
