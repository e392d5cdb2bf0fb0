import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ABI_VERSION, LIB_NAME, cargoArtifactName, libraryFileName, platformTag } from '../bindings/names.ts';
import { CONSTANTS } from '../bindings/raw.ts';
import { type ConstantName, CONSTANTS_FILE, RUST_CONSTANTS } from '../scripts/abi/constants.ts';
import { ABI_JSON, HEADER, ROOT, generate, staleFiles } from '../scripts/abi/header.ts';
import { readRustApi } from '../scripts/abi/rust.ts';

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

  it.each(Object.keys(RUST_CONSTANTS) as ConstantName[])(
    '%s is written once, in Rust: a change there makes the header and the bindings stale until `npm run gen`',
    (name) => {
      const rust = readRustApi(fileURLToPath(new URL('rustlib', root)), ROOT);
      const changed = CONSTANTS[name] + 1;
      const bumped = { ...rust, consts: rust.consts.map((c) => (c.name === name ? { ...c, value: changed } : c)) };
      const files = generate(bumped);
      expect(files.find((file) => file.path === CONSTANTS_FILE)!.text).toContain(`  ${name}: ${changed},\n`);
      expect(files.find((file) => file.path === HEADER)!.text).toContain(`#define ${name} ${changed}\n`);
      expect(staleFiles(ROOT, files).map((problem) => problem.split(' ')[0])).toEqual([HEADER, ABI_JSON, CONSTANTS_FILE]);
      const twice = { ...rust, consts: [...rust.consts, ...rust.consts.filter((c) => c.name === name)] };
      expect(() => generate(twice)).toThrow(`expected one \`pub const ${name}: <integer type> = <integer>;\` in rustlib/, found 2`);
      const without = { ...rust, consts: rust.consts.filter((c) => c.name !== name) };
      expect(() => generate(without)).toThrow(`expected one \`pub const ${name}: <integer type> = <integer>;\` in rustlib/, found 0`);
    },
  );

  it('no module of bindings/ but the generated one types a value of those constants', () => {
    const names = [...Object.keys(RUST_CONSTANTS), 'ABI_VERSION'].join('|');
    const assigned = new RegExp(`\\b(${names})\\s*[:=]\\s*\\d`);
    const typed = readdirSync(fileURLToPath(new URL('bindings', root)), { recursive: true, encoding: 'utf8' })
      .filter((path) => path.endsWith('.ts') && assigned.test(readFileSync(join(ROOT, 'bindings', path), 'utf8')))
      .map((path) => `bindings/${path}`);
    expect(typed).toEqual([CONSTANTS_FILE]);
    expect(ABI_VERSION).toBe(CONSTANTS.MYLIB_ABI_VERSION);
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
