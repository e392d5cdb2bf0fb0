import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ObjectFileHost, inspectObjectFile, objectFileProblem } from '../../bindings/ffi/object-file.ts';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { REQUIRED_EXPORTS } from '../../scripts/targets.ts';
import { elf, fat, fullMacho, macho, pe, wasm } from './object-files.ts';

// The one object-file reader. Synthetic files for every format, checked against any host: the
// parser is pure TypeScript, so a Linux runner covers the macOS, Windows and wasm paths too.
// The fuzz and hostile-input tests are in object-file-fuzz.test.ts.
const dir = mkdtempSync(join(tmpdir(), 'mylib-object-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function problem(bytes: Buffer, host: ObjectFileHost): string | undefined {
  const file = join(dir, `f${counter++}`);
  writeFileSync(file, bytes);
  return objectFileProblem(file, host);
}

const LINUX_X64: ObjectFileHost = { platform: 'linux', arch: 'x64', endianness: 'LE' };
const WIN_X64: ObjectFileHost = { platform: 'win32', arch: 'x64' };
const MAC_X64: ObjectFileHost = { platform: 'darwin', arch: 'x64' };
const MAC_ARM64: ObjectFileHost = { platform: 'darwin', arch: 'arm64' };

const cut = (b: Buffer, n: number) => b.subarray(0, n);

describe('objectFileProblem', () => {
  it.each<[string, Buffer, ObjectFileHost, RegExp | undefined]>([
    ['complete ELF64', elf(), LINUX_X64, undefined],
    ['complete ELF32 on ia32', elf({ bits: 32, machine: 3 }), { platform: 'linux', arch: 'ia32', endianness: 'LE' }, undefined],
    ['empty file', Buffer.alloc(0), LINUX_X64, /^not an ELF shared library \(empty file\)$/],
    ['text file', Buffer.from('{"name": "x"}\n'), LINUX_X64, /^not an ELF shared library \(starts with 7b226e61\)$/],
    ['ELF magic only', cut(elf(), 10), LINUX_X64, /^truncated or corrupt: e_ident ends at byte 16, the file has 10 bytes$/],
    ['ELF cut in the program headers', cut(elf(), 100), LINUX_X64, /program header table \(1 entries at 64\) ends at byte 120, the file has 100 bytes/],
    ['ELF cut in a segment', cut(elf(), 2000), LINUX_X64, /program header 0 \(type 0x1, p_offset 0 \+ p_filesz 3968\) ends at byte 3968/],
    ['ELF cut in the section headers', cut(elf(), 4095), LINUX_X64, /section header table \(2 entries at 3968\) ends at byte 4096, the file has 4095 bytes/],
    ['ELF wrong machine', elf({ machine: 183 }), LINUX_X64, /^wrong architecture: ELF e_machine 183, this process \(x64\) needs 62$/],
    ['ELF32 on x64', elf({ bits: 32, machine: 3 }), LINUX_X64, /^wrong architecture: ELF32 file, this process \(x64\) needs ELF64$/],
    ['ELF big-endian host', elf(), { ...LINUX_X64, endianness: 'BE' }, /^wrong byte order: little-endian file on a BE host$/],
    ['ELF executable', elf({ type: 2 }), LINUX_X64, /^not a shared library: ELF e_type 2/],
    ['ELF on Windows', elf(), WIN_X64, /^not a PE shared library \(starts with 7f454c46\)$/],
    ['ELF on macOS', elf(), MAC_X64, /^not a Mach-O shared library/],
    ['unknown architecture', elf(), { platform: 'linux', arch: 'vax' }, /unknown architecture vax/],
    ['complete PE32+ DLL', pe(), WIN_X64, undefined],
    [
      'PE cut in its section',
      cut(pe(), 800),
      WIN_X64,
      /^truncated or corrupt: section \.text \(PointerToRawData 512 \+ SizeOfRawData 512\) ends at byte 1024, the file has 800 bytes$/,
    ],
    ['PE cut in its headers', cut(pe(), 300), WIN_X64, /the optional header ends at byte 328, the file has 300 bytes/],
    ['PE cut before SizeOfHeaders', cut(pe(), 450), WIN_X64, /the headers \(SizeOfHeaders\) ends at byte 512/],
    ['PE certificate past the end', pe({ certificate: 64 }), WIN_X64, /certificate table \(offset 1024 \+ size 64\)/],
    ['PE arm64 on x64', pe({ machine: 0xaa64 }), WIN_X64, /^wrong architecture: PE machine 0xaa64, this process \(x64\) needs 0x8664$/],
    ['PE32 on ia32', pe({ machine: 0x14c, pe32plus: false }), { platform: 'win32', arch: 'ia32' }, undefined],
    ['PE executable', pe({ dll: false }), WIN_X64, /^not a DLL/],
    ['complete Mach-O', macho(), MAC_X64, undefined],
    ['Mach-O bundle', macho({ filetype: 8 }), MAC_X64, undefined],
    ['Mach-O cut in a segment', cut(macho(), 2000), MAC_X64, /segment __TEXT \(fileoff 0 \+ filesize 4096\) ends past the 2000-byte image/],
    ['Mach-O cut in its load commands', cut(macho(), 60), MAC_X64, /load commands end at byte 104 of a 60-byte image/],
    ['Mach-O arm64 on x64', macho({ cpu: 0x0100000c }), MAC_X64, /^wrong architecture: Mach-O cputype 0x100000c, this process \(x64\) needs 0x1000007$/],
    ['Mach-O executable', macho({ filetype: 2 }), MAC_X64, /^not a shared library: Mach-O filetype 2/],
    ['Mach-O big-endian', macho({ bigEndian: true }), MAC_X64, /^wrong byte order/],
    ['universal, x64 slice', fat([macho(), macho({ cpu: 0x0100000c })]), MAC_X64, undefined],
    ['universal, arm64 slice', fat([macho(), macho({ cpu: 0x0100000c })]), MAC_ARM64, undefined],
    [
      'universal cut in the arm64 slice',
      cut(fat([macho(), macho({ cpu: 0x0100000c })]), 10000),
      MAC_ARM64,
      /the arm64 slice \(offset 8192 \+ size 4096\) ends at byte 12288/,
    ],
    ['universal without the host slice', fat([macho({ cpu: 0x0100000c })]), MAC_X64, /holds cputypes 0x100000c, this process \(x64\) needs 0x1000007/],
    ['universal slice with a truncated segment', fat([cut(macho(), 32 + 72)]), MAC_X64, /ends past the 104-byte image/],
  ])('%s', (_name, bytes, host, expected) => {
    const result = problem(bytes, host);
    if (expected === undefined) expect(result).toBeUndefined();
    else expect(result).toMatch(expected);
  });

  it('names a directory, a missing file and AIX (no known format: unchecked)', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    expect(objectFileProblem(sub, LINUX_X64)).toBe('not a regular file');
    expect(objectFileProblem(join(dir, 'missing'), LINUX_X64)).toMatch(/^cannot open: ENOENT/);
    expect(problem(Buffer.from('x'), { platform: 'aix', arch: 'ppc64' })).toBeUndefined();
  });

  it('refuses a character device before reading it', () => {
    expect(objectFileProblem('/dev/zero', LINUX_X64)).toBe('not a regular file');
  });

  it('passes the full Mach-O and PE builders (the same files inspectObjectFile reads below)', () => {
    expect(problem(fullMacho(), MAC_ARM64)).toBeUndefined();
    expect(problem(fat([fullMacho({ cpu: 0x01000007 }), fullMacho()]), MAC_ARM64)).toBeUndefined();
    expect(problem(pe(), WIN_X64)).toBeUndefined();
  });
});

const LIBRARY = join(import.meta.dirname, '..', '..', 'artifacts', libraryFileName(hostPlatform()));

describe('inspectObjectFile', () => {
  it('reads the host library: format, machine, exports as functions, needs', () => {
    const file = inspectObjectFile(LIBRARY);
    expect(file).toMatchObject({ file: LIBRARY, bits: 64, byteOrder: 'LE', sharedLibrary: true, problems: [] });
    expect(file.machine).toBe(process.arch === 'arm64' ? 'aarch64' : 'x86_64');
    for (const name of REQUIRED_EXPORTS) expect(file.exports).toContainEqual({ name, kind: 'function' });
    expect(file.exports.filter((s) => s.name.startsWith('mylib_')).every((s) => s.kind === 'function')).toBe(true);
    if (file.format === 'elf') {
      expect(file.deps).toContain('libc.so.6');
      expect(file.versionNeeds?.some((v) => v.file === 'libc.so.6' && v.version.startsWith('GLIBC_'))).toBe(true);
    }
    // Bytes and path give the same answer.
    expect(inspectObjectFile(readFileSync(LIBRARY), { name: LIBRARY })).toEqual(file);
  });

  it.runIf(process.platform === 'linux')('matches readelf --dyn-syms on the system libm and libc (names, versions, kinds)', () => {
    const readelf = spawnSync('readelf', ['--version'], { encoding: 'utf8' });
    if (readelf.status !== 0) {
      console.warn('object-file.test.ts: readelf is not installed; the comparison with it is SKIPPED');
      return;
    }
    // The libc and libm this process has mapped.
    const mapped = readFileSync('/proc/self/maps', 'utf8').match(/\/\S*\/lib(c|m)\.so\.6$/gm) ?? [];
    const files = [...new Set(mapped)];
    expect(files.length, 'libc.so.6 and libm.so.6 mapped in this process').toBe(2);
    for (const path of files) {
      const ours = inspectObjectFile(path).exports.map(
        (s) => `${s.name}${s.version ? `${s.defaultVersion === false ? '@' : '@@'}${s.version}` : ''} ${s.kind}`,
      );
      const theirs = spawnSync('readelf', ['--dyn-syms', '-W', path], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((l) => l.trim().split(/\s+/))
        // Num: Value Size Type Bind Vis Ndx Name
        .filter(
          (f) =>
            f.length >= 8 &&
            /^\d+:$/.test(f[0] as string) &&
            f[6] !== 'UND' &&
            !(f[6] === 'ABS' && /^GLIBC_/.test(f[7] as string)) &&
            ['GLOBAL', 'WEAK', 'UNIQUE'].includes(f[4] as string) &&
            !['HIDDEN', 'INTERNAL'].includes(f[5] as string),
        )
        .map(
          (f) =>
            `${(f[7] as string).replace(/ \(\d+\)$/, '')} ${['FUNC', 'IFUNC'].includes(f[3] as string) ? 'function' : ['OBJECT', 'TLS', 'COMMON'].includes(f[3] as string) ? 'data' : 'other'}`,
        );
      expect(ours.sort()).toEqual(theirs.sort());
    }
  });

  it('reads a PE DLL: machine, exports, imports', () => {
    expect(inspectObjectFile(pe(), { name: 'x.dll' })).toMatchObject({
      format: 'pe',
      machine: 'x86_64',
      bits: 64,
      sharedLibrary: true,
      problems: [],
      exportSource: 'export table',
      exports: [
        { name: 'mylib_add', kind: 'function' },
        { name: 'mylib_sub', kind: 'function' },
      ],
      deps: ['KERNEL32.dll'],
      imports: [{ module: 'KERNEL32.dll', name: 'GetLastError' }],
    });
    expect(inspectObjectFile(pe({ machine: 0x14c, pe32plus: false })).exports.map((s) => s.name)).toEqual(['mylib_add', 'mylib_sub']);
    expect(inspectObjectFile(pe({ dll: false })).sharedLibrary).toBe(false);
  });

  it('reads a Mach-O dylib: export trie, symtab, install name, minimum OS, signature, needs', () => {
    const expected = {
      format: 'macho',
      machine: 'aarch64',
      bits: 64,
      byteOrder: 'LE',
      sharedLibrary: true,
      problems: [],
      installName: '@rpath/libmylib.dylib',
      deps: ['/usr/lib/libSystem.B.dylib'],
      platform: 1,
      minos: '11.0',
      sdk: '14.0',
      codeSignature: { offset: 0x1400, size: 16 },
    };
    expect(inspectObjectFile(fullMacho())).toMatchObject({
      ...expected,
      exportSource: 'export trie',
      exports: [
        { name: 'mylib_add', kind: 'function' },
        { name: 'mylib_tls', kind: 'data', detail: 'thread-local' },
      ],
    });
    expect(inspectObjectFile(fullMacho({ trie: false }))).toMatchObject({
      ...expected,
      exportSource: 'symtab',
      exports: [{ name: 'mylib_add', kind: 'function' }],
    });
  });

  it("reads a universal file's slice for the asked architecture, else the first, and lists every slice", () => {
    const universal = fat([fullMacho({ cpu: 0x01000007 }), fullMacho()]);
    const arm = inspectObjectFile(universal, { arch: 'arm64' });
    expect(arm).toMatchObject({ format: 'macho-fat', machine: 'aarch64', exports: [{ name: 'mylib_add' }, { name: 'mylib_tls' }] });
    expect(arm.slices?.map((s) => s.machine)).toEqual(['x86_64', 'aarch64']);
    expect(inspectObjectFile(universal, { arch: 'x64' }).machine).toBe('x86_64');
    expect(inspectObjectFile(universal, { arch: 'riscv64' }).machine).toBe('x86_64');
  });

  it('reads a wasm module: exports with kinds, imports', () => {
    expect(inspectObjectFile(wasm())).toMatchObject({
      format: 'wasm',
      machine: 'wasm32',
      sharedLibrary: false,
      exports: [
        { name: 'mylib_add', kind: 'function' },
        { name: 'memory', kind: 'other', detail: 'memory' },
      ],
      deps: ['env'],
      imports: [{ module: 'env', name: 'log' }],
    });
  });

  it('lists the bytes a truncated file lacks, and names the file when what it must read is missing', () => {
    const cut = inspectObjectFile(pe().subarray(0, 800));
    expect(cut.problems).toEqual(['truncated or corrupt: section .text (PointerToRawData 512 + SizeOfRawData 512) ends at byte 1024, the file has 800 bytes']);
    expect(cut.exports.map((s) => s.name)).toEqual(['mylib_add', 'mylib_sub']);
    // The ELF section table is what the exports come from: without it, an error.
    expect(() => inspectObjectFile(elf().subarray(0, 2000), { name: 'e.so' })).toThrow(
      'e.so: truncated or corrupt: the section header table (2 entries at 3968) ends at byte 4096, the file has 2000 bytes',
    );
    const bytes = readFileSync(LIBRARY);
    expect(() => inspectObjectFile(bytes.subarray(0, 200), { name: 'cut.so' })).toThrow(/^cut\.so: truncated or corrupt: /);
    expect(() => inspectObjectFile(Buffer.from('#!/bin/sh\n'), { name: 'script' })).toThrow(
      /^script: not an object file this reader knows .* starts with 23212f62$/,
    );
    expect(() => inspectObjectFile(Buffer.alloc(0))).toThrow(/^bytes: .*nothing \(empty file\)$/);
    expect(() => inspectObjectFile(join(dir, 'missing.so'))).toThrow(/missing\.so: cannot open: ENOENT/);
    expect(() => inspectObjectFile(dir)).toThrow(`${dir}: not a regular file`);
    expect(() => inspectObjectFile('/dev/zero')).toThrow('/dev/zero: not a regular file');
  });

  it.runIf(process.platform === 'linux')('names a string table section that does not exist instead of crashing', () => {
    // The host library with .dynsym's sh_link (its string table) pointed past the last section.
    const buf = readFileSync(LIBRARY);
    const [shoff, shentsize, shnum] = [Number(buf.readBigUInt64LE(0x28)), buf.readUInt16LE(0x3a), buf.readUInt16LE(0x3c)];
    const dynsym = Array.from({ length: shnum }, (_, i) => shoff + i * shentsize).find((at) => buf.readUInt32LE(at + 4) === 11);
    expect(dynsym).toBeDefined();
    buf.writeUInt32LE(shnum + 5, dynsym! + 40);
    expect(() => inspectObjectFile(buf, { name: 'lib.so' })).toThrow(`lib.so: corrupt ELF: string table section ${shnum + 5} does not exist`);
  });
});
