import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_DIR, LibraryLoadError, PACKAGE_NAME, PACKAGE_ROOT, candidatePaths, loadLibrary, platformPackageName } from '../bindings/loader.ts';
import { open } from '../bindings/index.ts';
import { unsafeAccess } from '../bindings/unsafe.ts';
import { LIBRARY_PATH_ENV, hostPlatform, libraryFileName, platformTag } from '../bindings/names.ts';

const root = join(import.meta.dirname, '..');

describe('package-aware search order', () => {
  it('PACKAGE_NAME is the name in package.json, and bindings/ resolves the package root to the checkout', () => {
    expect(PACKAGE_NAME).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name);
    expect(PACKAGE_ROOT).toBe(root.replace(/[\\/]$/, ''));
    expect(ARTIFACTS_DIR).toBe(join(root, 'artifacts') + (ARTIFACTS_DIR.endsWith('\\') ? '\\' : '/'));
  });

  it.each([
    [{ platform: 'linux', arch: 'x64', libc: 'gnu' as const }, 'mylib-rust-linux-x64-gnu'],
    [{ platform: 'linux', arch: 'arm64', libc: 'musl' as const }, 'mylib-rust-linux-arm64-musl'],
    [{ platform: 'win32', arch: 'x64' }, 'mylib-rust-win32-x64'],
    [{ platform: 'darwin', arch: 'arm64' }, 'mylib-rust-darwin-arm64'],
  ])('platformPackageName(%o) is %s', (info, name) => {
    expect(platformPackageName(info)).toBe(name);
  });

  it('default search: the file beside the package first, then the platform package', () => {
    const candidates = candidatePaths({}, {});
    const file = libraryFileName(hostPlatform());
    expect(candidates.map((c) => c.source)).toEqual(['artifacts', `package ${platformPackageName()}`]);
    expect(candidates[0]).toEqual({ path: join(ARTIFACTS_DIR, file), source: 'artifacts' });
    // The checkout's node_modules has no platform package: the candidate says so without a file to try.
    expect(candidates[1]?.path).toBe(`${platformPackageName()}/${file}`);
    expect(candidates[1]?.unresolved).toMatch(new RegExp(`^not installed \\(${platformPackageName()} is not resolvable from `));
  });

  it('an explicit path or the env override is the only candidate', () => {
    expect(candidatePaths({ path: 'x.so' }, { [LIBRARY_PATH_ENV]: '/y.so' })).toEqual([{ path: join(process.cwd(), 'x.so'), source: 'option' }]);
    expect(candidatePaths({}, { [LIBRARY_PATH_ENV]: '/y.so' })).toHaveLength(1);
  });

  it('the error of a failed default search names the platform package and how to build (checkout wording)', () => {
    const error = new LibraryLoadError([
      { path: '/a/artifacts/x.so', source: 'artifacts', reason: 'file not found' },
      { path: 'p/x.so', source: `package ${platformPackageName()}`, reason: 'not installed' },
    ]);
    expect(error.platformPackage).toBe(platformPackageName());
    expect(error.message).toBe(
      `mylib: could not load the native library for ${platformTag(hostPlatform())}. Tried:\n` +
        '  - /a/artifacts/x.so (artifacts): file not found\n' +
        `  - p/x.so (package ${platformPackageName()}): not installed\n` +
        `Build it with \`npm run build\` (needs cargo), or set ${LIBRARY_PATH_ENV} to a library file.`,
    );
  });

  it('an explicit path that fails does not suggest the default search remedies', () => {
    let message = '';
    try {
      loadLibrary({ path: join(root, 'no-such-library.so') });
    } catch (error) {
      expect(error).toBeInstanceOf(LibraryLoadError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/no-such-library\.so \(option\): file not found\nCheck the path, or unset MYLIB_LIBRARY_PATH/);
  });
});

// Each case loads in a child process: on code without the header check, dlopen of a truncated
// file dies with SIGBUS, which must show as this test failing, not as a crashed runner.
describe.runIf(process.platform === 'linux')('a truncated or foreign library file is a LibraryLoadError, never a crash', () => {
  const library = join(ARTIFACTS_DIR, libraryFileName(hostPlatform()));
  const bytes = readFileSync(library);
  const dir = mkdtempSync(join(tmpdir(), 'mylib-truncated-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // End of the ELF64 program header table: e_phoff + e_phnum * e_phentsize.
  const headersEnd = Number(bytes.readBigUInt64LE(0x20)) + bytes.readUInt16LE(0x38) * bytes.readUInt16LE(0x36);
  const wrongMachine = Buffer.from(bytes);
  wrongMachine.writeUInt16LE(process.arch === 'arm64' ? 62 : 183, 0x12);

  function openInChild(path: string): { status: number | null; signal: string | null; stdout: string; stderr: string } {
    const script = `
      import { open } from ${JSON.stringify(join(root, 'bindings', 'index.ts'))};
      try { open({ path: ${JSON.stringify(path)} }); console.log(JSON.stringify({ loaded: true })); }
      catch (error) { console.log(JSON.stringify({ name: error.name, message: error.message, attempts: error.attempts })); }`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr };
  }

  it.each<[string, () => Buffer, RegExp]>([
    ['half the file', () => bytes.subarray(0, bytes.length >> 1), /^truncated or corrupt: program header \d+ \(type 0x1, /],
    ['just past the program headers', () => bytes.subarray(0, headersEnd + 16), /^truncated or corrupt: program header \d+ /],
    ['one page', () => bytes.subarray(0, 4096), /^truncated or corrupt: program header \d+ /],
    ['all but the last byte', () => bytes.subarray(0, bytes.length - 1), /^truncated or corrupt: the section header table /],
    ['100 bytes', () => bytes.subarray(0, 100), /^truncated or corrupt: the program header table /],
    ['0 bytes', () => Buffer.alloc(0), /^not an ELF shared library \(empty file\)$/],
    ['a wrong e_machine', () => wrongMachine, /^wrong architecture: ELF e_machine \d+, this process/],
    ['a text file', () => readFileSync(join(root, 'package.json')), /^not an ELF shared library \(starts with 7b/],
  ])('%s', (name, content, reason) => {
    const path = join(dir, `${name.replaceAll(' ', '-')}.so`);
    writeFileSync(path, content());
    const child = openInChild(path);
    expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    const result = JSON.parse(child.stdout) as { name: string; message: string; attempts: Array<{ path: string; source: string; reason: string }> };
    expect(result.name).toBe('LibraryLoadError');
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]?.path).toBe(path);
    expect(result.attempts[0]?.source).toBe('option');
    expect(result.attempts[0]?.reason).toMatch(reason);
    expect(result.message).toContain(`  - ${path} (option): ${result.attempts[0]?.reason}`);
  });

  it('the complete library still loads (control)', () => {
    const path = join(dir, 'complete.so');
    copyFileSync(library, path);
    expect(openInChild(path)).toMatchObject({ status: 0, signal: null, stdout: '{"loaded":true}\n' });
  });
});

describe('open() arguments', () => {
  const library = join(ARTIFACTS_DIR, libraryFileName(hostPlatform()));

  it('a path string is the path option', () => {
    const lib = open(library);
    expect(unsafeAccess(lib).add(2, 3)).toBe(5);
    lib.unload();
  });

  it('a path string that fails is that path, not the default library', () => {
    const path = join(root, 'no-such-library.so');
    expect(() => open(path)).toThrow(LibraryLoadError);
    expect(() => open(path)).toThrow(`  - ${path} (option): file not found`);
  });

  it.each<[string, unknown[], string]>([
    ['an unknown key', [{ pth: '/x.so' }], "open: argument 'options' has an unknown key 'pth' (known: path, engine)"],
    ['a non-string path', [{ path: 42 }], "open: option 'path' must be a string, got number"],
    ['an empty path', [{ path: '' }], "open: option 'path' must be a non-empty string"],
    ['an empty path string', [''], "open: argument 'options' (a path) must be a non-empty string"],
    ['null', [null], "open: argument 'options' must be a path string or a plain object, got null"],
    ['a number', [1], "open: argument 'options' must be a path string or a plain object, got number"],
    ['an array', [['/x.so']], "open: argument 'options' must be a path string or a plain object, got an array"],
    ['a URL', [new URL('file:///x.so')], "open: argument 'options' must be a path string or a plain object, got an instance of URL"],
    ['a Buffer', [Buffer.from('/x.so')], "open: argument 'options' must be a path string or a plain object, got an instance of Buffer"],
    ['two arguments', [{}, {}], 'open: expected 0 to 1 argument(s) (options?), got 2'],
  ])('%s is a TypeError naming open and the argument', (_name, args, message) => {
    expect(() => (open as (...a: unknown[]) => unknown)(...args)).toThrow(TypeError);
    expect(() => (open as (...a: unknown[]) => unknown)(...args)).toThrow(message);
  });

  it('{ path: undefined }, a null-prototype object and no argument are the default search', () => {
    const a = open(Object.assign(Object.create(null) as object, { path: undefined }));
    const b = open();
    expect(unsafeAccess(a).add(1, 1)).toBe(2);
    expect(unsafeAccess(b).add(1, 1)).toBe(2);
    a.unload();
    b.unload();
  });
});
