/**
 * The deno engine on Deno: runs test/engines/deno-ffi-engine.ts (the Engine interface on libm,
 * libc and deno-records-fixture.rs, compiled here with rustc) with the Deno of .cache/runtimes,
 * the way scripts/runtimes runs it (same flags). Fails with the reason when that Deno is
 * missing: never a silent pass.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFixtureLibrary } from '../helpers.ts';

/** The parts of scripts/runtimes/lib.mjs used here (a JavaScript module of the scripts). */
const { root, runtimeBinary, runtimeCommand } = (await import(new URL('../../scripts/runtimes/lib.mjs', import.meta.url).href)) as {
  root: string;
  runtimeBinary(name: 'deno'): string;
  runtimeCommand(runtime: 'deno', script: string): { bin: string; args: string[] };
};

const script = join(root, 'test', 'engines', 'deno-ffi-engine.ts');
const fixture = join(root, 'test', 'engines', 'deno-records-fixture.rs');

describe.runIf(process.platform === 'linux')('deno engine on Deno (libm, libc, records fixture)', () => {
  it('passes every case of deno-ffi-engine.ts', () => {
    const binary = runtimeBinary('deno');
    if (!existsSync(binary)) {
      throw new Error(`Deno is missing at ${binary}: run \`npm run setup:runtimes\` (this test never passes without Deno)`);
    }
    const records = compileFixtureLibrary(fixture, 'deno_records');
    const { bin, args } = runtimeCommand('deno', script);
    const run = spawnSync(bin, args, {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, MYLIB_FFI_ENGINE: 'deno', MYLIB_DENO_RECORDS_LIB: records, NO_COLOR: '1' },
    });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    if (run.error) throw new Error(`could not run ${bin}: ${run.error.message}\n${output}`);
    expect(run.status, `deno exited with ${run.status ?? run.signal}:\n${output}`).toBe(0);
    expect(output).toMatch(/^ok \d+ cases \(deno\)$/m);
    expect(output).not.toMatch(/^FAIL /m);
    expect(output).toMatch(/^ok {3}records: unions by value/m);
  });
});
