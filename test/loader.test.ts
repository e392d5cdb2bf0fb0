import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACTS_DIR,
  LibraryLoadError,
  PACKAGE_NAME,
  PACKAGE_ROOT,
  candidatePaths,
  loadLibrary,
  platformPackageName,
} from '../bindings/loader.ts';
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
