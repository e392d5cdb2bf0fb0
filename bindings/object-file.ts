/**
 * A cheap structural check of a shared library file, run before dlopen/LoadLibrary. A truncated
 * file is mapped past its end by the dynamic loader and the first touch of a missing page kills
 * the process with SIGBUS; this check turns that into a reason string instead.
 *
 * It reads headers only (the first 4 KiB, plus the program/section/load-command tables when they
 * lie beyond it), never the whole file, and checks:
 * - the format expected for the platform: ELF (Linux, the BSDs, others), Mach-O thin or
 *   fat/universal (macOS), PE (Windows);
 * - that the file is a shared library (ELF ET_DYN, Mach-O MH_DYLIB/MH_BUNDLE, PE with the DLL
 *   flag) for the host: word size, byte order and machine from `process.arch`;
 * - that the file holds every byte its headers declare: ELF program headers
 *   (p_offset + p_filesz), the section header table and each section's contents; Mach-O load
 *   commands and every segment (fileoff + filesize), inside the host's slice of a fat file; PE
 *   headers, each section's raw data and the certificate table.
 *
 * It does not check the library's dependencies, symbols, libc flavour (glibc/musl) or that the
 * code itself is intact, and a file replaced between this check and dlopen is not covered.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

/** What the file must match: `process.platform`, `process.arch` and the host byte order. */
export interface ObjectFileHost {
  platform: string;
  arch: string;
  endianness?: 'LE' | 'BE';
}

/** ELF e_machine, PE Machine and Mach-O cputype for each `process.arch`, with its word size. */
const ARCHES: Record<string, { bits: 32 | 64; elf: number; pe?: number; macho?: number }> = {
  x64: { bits: 64, elf: 62, pe: 0x8664, macho: 0x01000007 },
  arm64: { bits: 64, elf: 183, pe: 0xaa64, macho: 0x0100000c },
  ia32: { bits: 32, elf: 3, pe: 0x14c, macho: 7 },
  arm: { bits: 32, elf: 40, pe: 0x1c4, macho: 12 },
  ppc: { bits: 32, elf: 20 },
  ppc64: { bits: 64, elf: 21 },
  s390: { bits: 32, elf: 22 },
  s390x: { bits: 64, elf: 22 },
  mips: { bits: 32, elf: 8 },
  mipsel: { bits: 32, elf: 8 },
  mips64el: { bits: 64, elf: 8 },
  riscv64: { bits: 64, elf: 243 },
  loong64: { bits: 64, elf: 258 },
};

const HEAD_SIZE = 4096;

class Problem extends Error {}

/** Reads ranges of an open file; ranges inside the first HEAD_SIZE bytes come from one read. */
class Reader {
  readonly size: number;
  private readonly head: Buffer;
  private readonly fd: number;
  constructor(fd: number, size: number) {
    this.fd = fd;
    this.size = size;
    this.head = this.readAt(0, Math.min(size, HEAD_SIZE));
  }

  /** `length` bytes at `offset`, or a Problem naming `what` when the file ends before them. */
  bytes(offset: number, length: number, what: string): Buffer {
    this.within(offset, length, what);
    if (offset + length <= this.head.length) return this.head.subarray(offset, offset + length);
    return this.readAt(offset, length);
  }

  /** A Problem unless [offset, offset + length) lies inside the file. */
  within(offset: number | bigint, length: number | bigint, what: string): void {
    const end = BigInt(offset) + BigInt(length);
    if (end > BigInt(this.size)) {
      throw new Problem(`truncated or corrupt: ${what} ends at byte ${end}, the file has ${this.size} bytes`);
    }
  }

  private readAt(offset: number, length: number): Buffer {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buffer, done, length - done, offset + done);
      if (n === 0) throw new Problem(`truncated: the file ended while reading byte ${offset + done}`);
      done += n;
    }
    return buffer;
  }
}

/**
 * Checks that `path` is a complete shared library for `host`. Returns undefined when it is, else
 * the reason (for LibraryLoadError). Platforms without a known format (AIX) pass unchecked.
 */
export function objectFileProblem(path: string, host: ObjectFileHost = { platform: process.platform, arch: process.arch }): string | undefined {
  const format = host.platform === 'win32' ? 'PE' : host.platform === 'darwin' ? 'Mach-O' : host.platform === 'aix' ? undefined : 'ELF';
  if (format === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return `cannot open: ${(error as Error).message}`;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return 'not a regular file';
    const reader = new Reader(fd, stat.size);
    if (format === 'ELF') checkElf(reader, host);
    else if (format === 'PE') checkPe(reader, host);
    else checkMachO(reader, host);
    return undefined;
  } catch (error) {
    if (error instanceof Problem) return error.message;
    return `cannot read: ${(error as Error).message}`;
  } finally {
    closeSync(fd);
  }
}

function archOf(host: ObjectFileHost): (typeof ARCHES)[string] {
  const arch = ARCHES[host.arch];
  if (arch === undefined) throw new Problem(`cannot check a library for the unknown architecture ${host.arch}`);
  return arch;
}

function notA(format: string, reader: Reader): Problem {
  const first = reader.bytes(0, Math.min(reader.size, 4), 'the magic number').toString('hex');
  return new Problem(`not ${format === 'ELF' ? 'an' : 'a'} ${format} shared library (${reader.size === 0 ? 'empty file' : `starts with ${first}`})`);
}

function checkElf(reader: Reader, host: ObjectFileHost): void {
  const arch = archOf(host);
  if (reader.size < 4 || reader.bytes(0, 4, 'the ELF magic').readUInt32BE(0) !== 0x7f454c46) throw notA('ELF', reader);
  const ident = reader.bytes(0, 16, 'e_ident');
  const is64 = ident[4] === 2;
  if (ident[4] !== 1 && !is64) throw new Problem(`corrupt ELF: EI_CLASS ${ident[4]}`);
  if ((is64 ? 64 : 32) !== arch.bits) throw new Problem(`wrong architecture: ELF${is64 ? 64 : 32} file, this process (${host.arch}) needs ELF${arch.bits}`);
  const little = ident[5] === 1;
  if (ident[5] !== 1 && ident[5] !== 2) throw new Problem(`corrupt ELF: EI_DATA ${ident[5]}`);
  const hostEndianness = host.endianness ?? endianness();
  if ((little ? 'LE' : 'BE') !== hostEndianness) throw new Problem(`wrong byte order: ${little ? 'little' : 'big'}-endian file on a ${hostEndianness} host`);

  const h = reader.bytes(0, is64 ? 64 : 52, 'the ELF header');
  const u16 = (b: Buffer, at: number) => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number) => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const word = (b: Buffer, at: number): bigint => (is64 ? (little ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)) : BigInt(u32(b, at)));
  const type = u16(h, 0x10);
  if (type !== 3) throw new Problem(`not a shared library: ELF e_type ${type} (a shared object is 3, ET_DYN)`);
  const machine = u16(h, 0x12);
  if (machine !== arch.elf) throw new Problem(`wrong architecture: ELF e_machine ${machine}, this process (${host.arch}) needs ${arch.elf}`);

  const phoff = word(h, is64 ? 0x20 : 0x1c);
  const shoff = word(h, is64 ? 0x28 : 0x20);
  const base = is64 ? 0x36 : 0x2a;
  const phentsize = u16(h, base);
  let phnum = u16(h, base + 2);
  const shentsize = u16(h, base + 4);
  let shnum = u16(h, base + 6);

  // Section header 0 holds the real counts when they overflow 16 bits (PN_XNUM, shnum 0).
  const shentMin = is64 ? 64 : 40;
  if (shoff !== 0n && shentsize < shentMin) throw new Problem(`corrupt ELF: e_shentsize ${shentsize}`);
  if (shoff !== 0n && (shnum === 0 || phnum === 0xffff)) {
    const s0 = reader.bytes(Number(shoff), shentMin, 'section header 0');
    if (shnum === 0) shnum = Number(word(s0, is64 ? 32 : 20));
    if (phnum === 0xffff) phnum = u32(s0, is64 ? 44 : 28);
  }

  if (phnum === 0) throw new Problem('not a loadable ELF file: no program headers');
  const phentMin = is64 ? 56 : 32;
  if (phentsize < phentMin) throw new Problem(`corrupt ELF: e_phentsize ${phentsize}`);
  reader.within(phoff, phnum * phentsize, `the program header table (${phnum} entries at ${phoff})`);
  const ph = reader.bytes(Number(phoff), phnum * phentsize, 'the program header table');
  for (let i = 0; i < phnum; i++) {
    const e = i * phentsize;
    const offset = word(ph, e + (is64 ? 8 : 4));
    const filesz = word(ph, e + (is64 ? 32 : 16));
    reader.within(offset, filesz, `program header ${i} (type 0x${u32(ph, e).toString(16)}, p_offset ${offset} + p_filesz ${filesz})`);
  }

  if (shoff === 0n) return; // No section headers (stripped with sstrip): the segments are what dlopen maps.
  reader.within(shoff, shnum * shentsize, `the section header table (${shnum} entries at ${shoff})`);
  const sh = reader.bytes(Number(shoff), shnum * shentsize, 'the section header table');
  for (let i = 1; i < shnum; i++) {
    const e = i * shentsize;
    if (u32(sh, e + 4) === 8) continue; // SHT_NOBITS (.bss) occupies no file bytes.
    const offset = word(sh, e + (is64 ? 24 : 16));
    const size = word(sh, e + (is64 ? 32 : 20));
    reader.within(offset, size, `section ${i} (sh_offset ${offset} + sh_size ${size})`);
  }
}

function checkPe(reader: Reader, host: ObjectFileHost): void {
  const arch = archOf(host);
  if (reader.size < 64 || reader.bytes(0, 2, 'the DOS header').toString('latin1') !== 'MZ') throw notA('PE', reader);
  const pe = reader.bytes(0x3c, 4, 'e_lfanew').readUInt32LE(0);
  const coff = reader.bytes(pe, 24, 'the PE signature and COFF header');
  if (coff.readUInt32BE(0) !== 0x50450000) throw new Problem('not a PE file: no PE signature at e_lfanew');
  const machine = coff.readUInt16LE(4);
  if (machine !== arch.pe) {
    throw new Problem(`wrong architecture: PE machine 0x${machine.toString(16)}, this process (${host.arch}) needs 0x${(arch.pe ?? 0).toString(16)}`);
  }
  const nsections = coff.readUInt16LE(6);
  const optSize = coff.readUInt16LE(20);
  const characteristics = coff.readUInt16LE(22);
  if ((characteristics & 0x2000) === 0) throw new Problem('not a DLL: IMAGE_FILE_DLL is not set');
  const optAt = pe + 24;
  if (optSize < 2) throw new Problem('corrupt PE: no optional header');
  const opt = reader.bytes(optAt, optSize, 'the optional header');
  const magic = opt.readUInt16LE(0);
  const is64 = magic === 0x20b;
  if (magic !== 0x10b && !is64) throw new Problem(`corrupt PE: optional header magic 0x${magic.toString(16)}`);
  if ((is64 ? 64 : 32) !== arch.bits) throw new Problem(`wrong architecture: PE32${is64 ? '+' : ''} file, this process (${host.arch}) is ${arch.bits}-bit`);
  if (optSize < 64) throw new Problem(`corrupt PE: optional header of ${optSize} bytes`);
  reader.within(0, opt.readUInt32LE(60), 'the headers (SizeOfHeaders)');
  // Data directory 4 (certificates) is the one addressed by file offset, not RVA.
  const directories = is64 ? 112 : 96;
  if (optSize >= directories + 40 && opt.readUInt32LE(directories - 4) > 4) {
    const at = opt.readUInt32LE(directories + 32);
    const size = opt.readUInt32LE(directories + 36);
    if (at !== 0) reader.within(at, size, `the certificate table (offset ${at} + size ${size})`);
  }
  const table = reader.bytes(optAt + optSize, nsections * 40, `the section table (${nsections} entries)`);
  for (let i = 0; i < nsections; i++) {
    const e = i * 40;
    const name = table.toString('latin1', e, e + 8).replace(/\0+$/, '');
    const rawSize = table.readUInt32LE(e + 16);
    const raw = table.readUInt32LE(e + 20);
    if (rawSize !== 0) reader.within(raw, rawSize, `section ${name || i} (PointerToRawData ${raw} + SizeOfRawData ${rawSize})`);
  }
}

function checkMachO(reader: Reader, host: ObjectFileHost): void {
  const arch = archOf(host);
  if (reader.size < 8) throw notA('Mach-O', reader);
  const magic = reader.bytes(0, 4, 'the Mach-O magic').readUInt32BE(0);
  if (magic === 0xcafebabe || magic === 0xcafebabf) {
    // Fat/universal: big-endian header, then fat_arch (20 bytes) or fat_arch_64 (32 bytes) entries.
    const fat64 = magic === 0xcafebabf;
    const count = reader.bytes(4, 4, 'the fat header').readUInt32BE(0);
    // Java class files share the magic; their "count" (the version) is 45 or more.
    if (count === 0 || count > 32) throw notA('Mach-O', reader);
    const size = fat64 ? 32 : 20;
    const entries = reader.bytes(8, count * size, `the fat header (${count} architectures)`);
    const cpus: string[] = [];
    for (let i = 0; i < count; i++) {
      const e = i * size;
      const cpu = entries.readUInt32BE(e);
      cpus.push(`0x${cpu.toString(16)}`);
      if (cpu !== arch.macho) continue;
      const offset = fat64 ? Number(entries.readBigUInt64BE(e + 8)) : entries.readUInt32BE(e + 8);
      const length = fat64 ? Number(entries.readBigUInt64BE(e + 16)) : entries.readUInt32BE(e + 12);
      reader.within(offset, length, `the ${host.arch} slice (offset ${offset} + size ${length})`);
      checkThinMachO(reader, offset, length, arch, host);
      return;
    }
    throw new Problem(
      `wrong architecture: the universal file holds cputypes ${cpus.join(', ')}, this process (${host.arch}) needs 0x${(arch.macho ?? 0).toString(16)}`,
    );
  }
  checkThinMachO(reader, 0, reader.size, arch, host);
}

/** A thin Mach-O image at [start, start + length) of the file; its offsets are relative to start. */
function checkThinMachO(reader: Reader, start: number, length: number, arch: (typeof ARCHES)[string], host: ObjectFileHost): void {
  if (length < 28) throw new Problem(`truncated or corrupt: a Mach-O image of ${length} bytes`);
  const magic = reader.bytes(start, 4, 'the Mach-O magic').readUInt32LE(0);
  if (magic === 0xcefaedfe || magic === 0xcffaedfe) throw new Problem('wrong byte order: big-endian Mach-O file');
  if (magic !== 0xfeedface && magic !== 0xfeedfacf) throw notA('Mach-O', reader);
  const is64 = magic === 0xfeedfacf;
  const headerSize = is64 ? 32 : 28;
  const h = reader.bytes(start, headerSize, 'the Mach-O header');
  const cpu = h.readUInt32LE(4);
  if (cpu !== arch.macho || (is64 ? 64 : 32) !== arch.bits) {
    throw new Problem(`wrong architecture: Mach-O cputype 0x${cpu.toString(16)}, this process (${host.arch}) needs 0x${(arch.macho ?? 0).toString(16)}`);
  }
  const filetype = h.readUInt32LE(12);
  if (filetype !== 6 && filetype !== 8) throw new Problem(`not a shared library: Mach-O filetype ${filetype} (MH_DYLIB is 6, MH_BUNDLE 8)`);
  const ncmds = h.readUInt32LE(16);
  const sizeofcmds = h.readUInt32LE(20);
  if (headerSize + sizeofcmds > length)
    throw new Problem(`truncated or corrupt: load commands end at byte ${headerSize + sizeofcmds} of a ${length}-byte image`);
  const cmds = reader.bytes(start + headerSize, sizeofcmds, 'the load commands');
  let at = 0;
  for (let i = 0; i < ncmds; i++) {
    if (at + 8 > sizeofcmds) throw new Problem(`corrupt Mach-O: load command ${i} lies past sizeofcmds`);
    const cmd = cmds.readUInt32LE(at);
    const cmdsize = cmds.readUInt32LE(at + 4);
    if (cmdsize < 8 || at + cmdsize > sizeofcmds) throw new Problem(`corrupt Mach-O: load command ${i} has size ${cmdsize}`);
    let offset: bigint | undefined;
    let size = 0n;
    if (cmd === 0x19 && cmdsize >= 72) {
      offset = cmds.readBigUInt64LE(at + 40); // LC_SEGMENT_64
      size = cmds.readBigUInt64LE(at + 48);
    } else if (cmd === 0x1 && cmdsize >= 56) {
      offset = BigInt(cmds.readUInt32LE(at + 32)); // LC_SEGMENT
      size = BigInt(cmds.readUInt32LE(at + 36));
    }
    if (offset !== undefined && offset + size > BigInt(length)) {
      const name = cmds.toString('latin1', at + 8, at + 24).replace(/\0+$/, '');
      throw new Problem(`truncated or corrupt: segment ${name || i} (fileoff ${offset} + filesize ${size}) ends past the ${length}-byte image`);
    }
    at += cmdsize;
  }
}
