import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ObjectFileHost, objectFileProblem } from '../../bindings/ffi/object-file.ts';

// Synthetic headers for every format, checked against any host: the parser is pure TypeScript,
// so a Linux runner covers the macOS and Windows paths too.
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

/** A minimal ELF shared object: header, `phnum` PT_LOAD headers covering the file, section headers at the end. */
function elf({ bits = 64, machine = 62, type = 3, size = 4096 } = {}): Buffer {
  const b = Buffer.alloc(size);
  const is64 = bits === 64;
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = is64 ? 2 : 1;
  b[5] = 1;
  b[6] = 1;
  b.writeUInt16LE(type, 0x10);
  b.writeUInt16LE(machine, 0x12);
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const shnum = 2;
  const shoff = size - shnum * shentsize;
  if (is64) {
    b.writeBigUInt64LE(BigInt(ehsize), 0x20);
    b.writeBigUInt64LE(BigInt(shoff), 0x28);
  } else {
    b.writeUInt32LE(ehsize, 0x1c);
    b.writeUInt32LE(shoff, 0x20);
  }
  const base = is64 ? 0x36 : 0x2a;
  b.writeUInt16LE(phentsize, base);
  b.writeUInt16LE(1, base + 2);
  b.writeUInt16LE(shentsize, base + 4);
  b.writeUInt16LE(shnum, base + 6);
  // PT_LOAD over [0, shoff); section 1 (PROGBITS) over [ehsize + phentsize, shoff).
  b.writeUInt32LE(1, ehsize);
  const s1 = shoff + shentsize;
  b.writeUInt32LE(1, s1 + 4);
  if (is64) {
    b.writeBigUInt64LE(0n, ehsize + 8);
    b.writeBigUInt64LE(BigInt(shoff), ehsize + 32);
    b.writeBigUInt64LE(BigInt(ehsize + phentsize), s1 + 24);
    b.writeBigUInt64LE(BigInt(shoff - ehsize - phentsize), s1 + 32);
  } else {
    b.writeUInt32LE(0, ehsize + 4);
    b.writeUInt32LE(shoff, ehsize + 16);
    b.writeUInt32LE(ehsize + phentsize, s1 + 16);
    b.writeUInt32LE(shoff - ehsize - phentsize, s1 + 20);
  }
  return b;
}

/** A minimal PE DLL: headers in the first 512 bytes, one section of 512 bytes after them. */
function pe({ machine = 0x8664, pe32plus = true, dll = true, certificate = 0 } = {}): Buffer {
  const b = Buffer.alloc(1024);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(64, 0x3c);
  b.writeUInt32BE(0x50450000, 64);
  const coff = 68;
  const optSize = pe32plus ? 240 : 224;
  b.writeUInt16LE(machine, coff);
  b.writeUInt16LE(1, coff + 2);
  b.writeUInt16LE(optSize, coff + 16);
  b.writeUInt16LE(dll ? 0x2022 : 0x0022, coff + 18);
  const opt = coff + 20;
  b.writeUInt16LE(pe32plus ? 0x20b : 0x10b, opt);
  b.writeUInt32LE(512, opt + 60);
  const directories = pe32plus ? 112 : 96;
  b.writeUInt32LE(16, opt + directories - 4);
  if (certificate) {
    b.writeUInt32LE(1024, opt + directories + 32);
    b.writeUInt32LE(certificate, opt + directories + 36);
  }
  const section = opt + optSize;
  b.write('.text', section, 'latin1');
  b.writeUInt32LE(512, section + 16);
  b.writeUInt32LE(512, section + 20);
  return b;
}

/** A thin 64-bit Mach-O dylib of 4096 bytes: one LC_SEGMENT_64 covering it. */
function macho({ cpu = 0x01000007, filetype = 6, bigEndian = false } = {}): Buffer {
  const b = Buffer.alloc(4096);
  if (bigEndian) b.writeUInt32BE(0xfeedfacf, 0);
  else b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(cpu, 4);
  b.writeUInt32LE(filetype, 12);
  b.writeUInt32LE(1, 16);
  b.writeUInt32LE(72, 20);
  b.writeUInt32LE(0x19, 32);
  b.writeUInt32LE(72, 36);
  b.write('__TEXT', 40, 'latin1');
  b.writeBigUInt64LE(0n, 32 + 40);
  b.writeBigUInt64LE(4096n, 32 + 48);
  return b;
}

/** A fat file with one 4096-byte slice per cputype, at 4096, 8192... */
function fat(slices: Buffer[]): Buffer {
  const b = Buffer.alloc(4096 * (slices.length + 1));
  b.writeUInt32BE(0xcafebabe, 0);
  b.writeUInt32BE(slices.length, 4);
  slices.forEach((slice, i) => {
    const e = 8 + i * 20;
    b.writeUInt32BE(slice.readUInt32LE(4), e);
    b.writeUInt32BE(4096 * (i + 1), e + 8);
    b.writeUInt32BE(slice.length, e + 12);
    slice.copy(b, 4096 * (i + 1));
  });
  return b;
}

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
});
