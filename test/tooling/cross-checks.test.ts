// The cross target table and the structural checkers (scripts/cross/checks.mjs). Needs no cross
// toolchain: the checks run on hand-made "what the reader read" objects and on the host library
// built by `npm run build` (the reader itself is tested in test/ffi/). The real broken-artifact tests (wrong arch, missing
// export, too-new glibc on real cross builds) run in `npm run test:cross`.
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { REQUIRED_EXPORTS, TARGETS, selectTargets, type CrossTarget } from '../../scripts/targets.ts';

type Result = { ok: boolean; detail: string };
type Info = Record<string, unknown>;
interface ChecksModule {
  STATIC_CHECKS: Record<string, (target: CrossTarget, info: Info) => Result>;
  runStaticChecks(target: CrossTarget, path: string): Array<Result & { check: string }>;
  compareVersions(a: string, b: string): number;
}
// A plain .mjs module (run by tsx in the scripts); imported by URL so tsc does not need types for it.
const checksUrl = new URL('../../scripts/cross/checks.mjs', import.meta.url).href;
const { STATIC_CHECKS, runStaticChecks, compareVersions } = (await import(checksUrl)) as ChecksModule;

const target = (triple: string): CrossTarget => {
  const found = TARGETS.find((t) => t.triple === triple);
  if (!found) throw new Error(`no target ${triple}`);
  return found;
};
const allExports = REQUIRED_EXPORTS.map((name) => ({ name, kind: 'function' }));

describe('the target table', () => {
  it('lists exactly the artifacts the project ships', () => {
    expect(TARGETS.map((t) => t.fileName).sort()).toEqual(
      [
        'mylib.darwin-arm64.dylib',
        'mylib.darwin-x64.dylib',
        'mylib.linux-arm64-gnu.so',
        'mylib.linux-arm64-musl.so',
        'mylib.linux-x64-gnu.so',
        'mylib.linux-x64-musl.so',
        'mylib.wasm',
        'mylib.win32-x64.dll',
      ].sort(),
    );
    expect(new Set(TARGETS.map((t) => t.triple)).size).toBe(TARGETS.length);
  });

  it('names each artifact with names.ts, and checks every runnable target at run time', () => {
    for (const t of TARGETS) {
      if (t.platform) expect(t.fileName).toBe(libraryFileName(t.platform));
      expect(t.checks[0]).toBe('header');
      expect(t.checks).toContain('exports');
      if (t.format === 'elf' && t.platform?.libc === 'gnu') expect(t.checks).toContain('glibc-baseline');
      if (t.runner) expect(t.checks).toContain('node-smoke');
    }
  });

  it('selects by triple or platform tag and rejects unknown names', () => {
    expect(selectTargets(undefined)).toHaveLength(TARGETS.length);
    expect(selectTargets('linux-arm64-gnu,wasm32-unknown-unknown').map((t) => t.triple)).toEqual(['aarch64-unknown-linux-gnu', 'wasm32-unknown-unknown']);
    expect(() => selectTargets('sparc-sun-solaris')).toThrow(/unknown target 'sparc-sun-solaris'; known: x86_64-unknown-linux-gnu/);
  });
});

describe('structural checks reject broken artifacts', () => {
  const gnu = target('x86_64-unknown-linux-gnu');
  const elfInfo = (extra: Info = {}): Info => ({
    format: 'elf',
    machine: 'x86_64',
    exports: allExports,
    deps: ['libc.so.6'],
    versionNeeds: [{ file: 'libc.so.6', version: 'GLIBC_2.14' }],
    ...extra,
  });

  it('accepts a good ELF', () => {
    for (const check of ['header', 'exports', 'deps', 'glibc-baseline']) expect(STATIC_CHECKS[check]!(gnu, elfInfo()).ok).toBe(true);
  });

  it.each([
    ['header', elfInfo({ machine: 'aarch64' }), /expected elf x86_64, the file is elf aarch64/],
    ['exports', elfInfo({ exports: allExports.slice(1) }), new RegExp(`missing export\\(s\\): ${REQUIRED_EXPORTS[0]}`)],
    ['deps', elfInfo({ deps: ['libc.so.6', 'libgcc_s.so.1'] }), /needs libgcc_s\.so\.1/],
    ['glibc-baseline', elfInfo({ versionNeeds: [{ file: 'libc.so.6', version: 'GLIBC_2.34' }] }), /needs glibc 2\.34 > baseline 2\.17/],
  ])('%s', (check, info, message) => {
    const result = STATIC_CHECKS[check]!(gnu, info);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(message);
  });

  it('glibc-baseline fails with a message, not a crash, for a target without glibcMax or an ELF without versions', () => {
    const noBaseline = { ...gnu, glibcMax: undefined };
    expect(STATIC_CHECKS['glibc-baseline']!(noBaseline, elfInfo())).toEqual({ ok: false, detail: expect.stringMatching(/has no glibcMax/) });
    expect(STATIC_CHECKS['glibc-baseline']!(gnu, elfInfo({ versionNeeds: undefined })).ok).toBe(true);
  });

  it('rejects a DLL importing bcryptprimitives.dll (ProcessPrng)', () => {
    const win = target('x86_64-pc-windows-gnu');
    const good = STATIC_CHECKS['no-processprng']!(win, { imports: [{ module: 'KERNEL32.dll', name: 'GetLastError' }] });
    expect(good.ok).toBe(true);
    const bad = STATIC_CHECKS['no-processprng']!(win, {
      imports: [
        { module: 'KERNEL32.dll', name: 'GetLastError' },
        { module: 'bcryptprimitives.dll', name: 'ProcessPrng' },
      ],
    });
    expect(bad).toEqual({ ok: false, detail: expect.stringMatching(/imports bcryptprimitives\.dll!ProcessPrng/) });
  });

  it('rejects Mach-O without @rpath install name, with the wrong minimum OS or without a signature', () => {
    const mac = target('aarch64-apple-darwin');
    expect(STATIC_CHECKS['install-name']!(mac, { installName: '@rpath/libmylib.dylib' }).ok).toBe(true);
    expect(STATIC_CHECKS['install-name']!(mac, { installName: '/usr/local/lib/libmylib.dylib' }).detail).toMatch(/expected @rpath\/libmylib\.dylib/);
    expect(STATIC_CHECKS['min-os']!(mac, { minos: '11.0', platform: 1 }).ok).toBe(true);
    expect(STATIC_CHECKS['min-os']!(mac, { minos: '14.0', platform: 1 }).ok).toBe(false);
    expect(STATIC_CHECKS['code-signature']!(mac, {}).ok).toBe(false);
    expect(STATIC_CHECKS.deps!(mac, { deps: ['/usr/lib/libSystem.B.dylib', '/usr/lib/libc++.1.dylib'] }).detail).toMatch(/needs \/usr\/lib\/libc\+\+/);
  });
});

describe('runStaticChecks', () => {
  it('compares versions numerically', () => {
    expect(compareVersions('2.17', '2.4')).toBe(1);
    expect(compareVersions('2.17', '2.17.0')).toBe(0);
    expect(compareVersions('2.2.5', '2.14')).toBe(-1);
  });

  it('fails the header check of a file that is no library, naming it', () => {
    const script = join(tmpdir(), `mylib-cross-checks-${process.pid}.sh`);
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    expect(runStaticChecks(target('x86_64-unknown-linux-gnu'), script)).toEqual([
      { check: 'header', ok: false, detail: expect.stringMatching(/^cannot read .*\.sh: not an object file this reader knows .* starts with 23212f62/) },
    ]);
  });

  const root = fileURLToPath(new URL('../..', import.meta.url));
  const hostLibrary = `${root}artifacts/${libraryFileName(hostPlatform())}`;
  // npm test runs `npm run build` before vitest, so the host library exists there.
  it.runIf(process.platform === 'linux' && process.arch === 'x64' && existsSync(hostLibrary))(
    'reads the host library: header and exports pass (deps and glibc need the cross build)',
    () => {
      const results = runStaticChecks(target('x86_64-unknown-linux-gnu'), hostLibrary);
      expect(results.map((r) => r.check)).toEqual(target('x86_64-unknown-linux-gnu').checks.filter((c) => c in STATIC_CHECKS));
      expect(results.filter((r) => ['header', 'exports'].includes(r.check) && !r.ok)).toEqual([]);
      expect(results.find((r) => r.check === 'glibc-baseline')?.detail).toMatch(/GLIBC_2\.\d+/);
    },
  );
});
