import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ABI_VERSION, LIB_NAME, cargoArtifactName, libraryFileName, platformTag } from '../bindings/names.ts';

const root = new URL('../', import.meta.url);

describe('one name, derived everywhere', () => {
  it("Cargo.toml's [lib] name is LIB_NAME", () => {
    const cargo = readFileSync(new URL('Cargo.toml', root), 'utf8');
    expect(cargo).toMatch(new RegExp(`\\[lib\\][^[]*\\nname = "${LIB_NAME}"`));
  });

  it('the Rust ABI version equals the bindings ABI version', () => {
    const rust = readFileSync(new URL('rustlib/ffi/mod.rs', root), 'utf8');
    const match = /pub const MYLIB_ABI_VERSION: u32 = (\d+);/.exec(rust);
    expect(Number(match?.[1])).toBe(ABI_VERSION);
  });

  it.each([
    [{ platform: 'linux', arch: 'x64', libc: 'gnu' as const }, 'linux-x64-gnu', 'mylib.linux-x64-gnu.so', 'libmylib.so'],
    [{ platform: 'linux', arch: 'arm64', libc: 'musl' as const }, 'linux-arm64-musl', 'mylib.linux-arm64-musl.so', 'libmylib.so'],
    [{ platform: 'win32', arch: 'x64' }, 'win32-x64', 'mylib.win32-x64.dll', 'mylib.dll'],
    [{ platform: 'darwin', arch: 'arm64' }, 'darwin-arm64', 'mylib.darwin-arm64.dylib', 'libmylib.dylib'],
  ])('%o -> %s', (info, tag, fileName, cargoName) => {
    expect(platformTag(info)).toBe(tag);
    expect(libraryFileName(info)).toBe(fileName);
    expect(cargoArtifactName(info.platform)).toBe(cargoName);
  });
});
