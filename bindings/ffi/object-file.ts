/**
 * The one object-file reader: ELF, PE, Mach-O (thin and universal) and wasm, one parser per
 * format, no binutils and no dlopen. Two uses:
 * - `objectFileProblem(path)`: the cheap check the loader runs before dlopen/LoadLibrary. A
 *   truncated file is mapped past its end and the first touch of a missing page kills the
 *   process with SIGBUS; this turns it into a reason string. It reads headers and tables only
 *   (never the symbols) and checks format, shared-library type, word size, byte order, machine,
 *   and that the file holds every byte the headers declare (ELF segments, section table and
 *   sections; PE headers, sections and certificate table; Mach-O load commands and segments
 *   inside the host's slice). It does not check dependencies, libc flavour or the code itself.
 * - `inspectObjectFile(path | bytes)`: the same facts plus the exports (name, kind, ELF symbol
 *   version), needed libraries and what the cross checks read (glibc version needs, PE imports,
 *   Mach-O install name, minimum OS, code signature).
 *
 * Hostile files: every count, offset and size from the file is checked against the file's size
 * before anything is read or allocated, every loop over file data spends from a work budget
 * proportional to the file's size, names and trie depth are capped, and only regular files are
 * opened (non-blocking). Any input gives a result or an Error naming the file and the problem.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';

export type ObjectFormat = 'elf' | 'pe' | 'macho' | 'macho-fat' | 'wasm';
export type SymbolKind = 'function' | 'data' | 'other';

export interface ExportedSymbol {
  name: string;
  kind: SymbolKind;
  /** ELF: the symbol version (`GLIBC_2.2.5`) from .gnu.version and .gnu.version_d/_r. */
  version?: string;
  /** ELF: true for the default version (`@@`), false for a hidden one (`@`). */
  defaultVersion?: boolean;
  /** What the table says beyond the kind: `IFUNC`, `8 bytes`, `TLS`, `forwarded to NTDLL.RtlX`, `memory`. */
  detail?: string;
}

export interface ObjectFile {
  /** The path, or the name given with the bytes. */
  file: string;
  format: ObjectFormat;
  /** `x86_64`, `aarch64`, `x86`, `arm`, ..., `wasm32`; else the raw code (`e_machine 999`). */
  machine: string;
  /** ELF e_machine, PE Machine, Mach-O cputype; 0 for wasm. */
  machineCode: number;
  bits: 32 | 64;
  byteOrder: 'LE' | 'BE';
  /** ELF e_type, PE Characteristics, Mach-O filetype; 0 for wasm. */
  fileType: number;
  /** ELF ET_DYN, a PE with IMAGE_FILE_DLL, Mach-O MH_DYLIB or MH_BUNDLE. A wasm module is not one. */
  sharedLibrary: boolean;
  /** Bytes the headers declare that the file lacks, one sentence each; empty for a complete file. */
  problems: string[];
  /** The table the exports come from: `.dynsym`, `export table`, `export trie`, `symtab`, `export section`, or `none (why)`. */
  exportSource: string;
  exports: ExportedSymbol[];
  /** Libraries needed: ELF DT_NEEDED, PE imported DLLs, Mach-O LC_LOAD_*DYLIB, wasm import modules. */
  deps: string[];
  /** PE and wasm: every import. PE ordinals are `#12`. */
  imports?: Array<{ module: string; name: string }>;
  /** ELF DT_SONAME. */
  soname?: string;
  /** ELF: the versions needed from each library (.gnu.version_r). */
  versionNeeds?: Array<{ file: string; version: string }>;
  /** Mach-O LC_ID_DYLIB. */
  installName?: string;
  /** Mach-O LC_BUILD_VERSION platform (1 = macOS). */
  platform?: number;
  /** Mach-O minimum OS and SDK (`11.0`). */
  minos?: string;
  sdk?: string;
  /** Mach-O LC_CODE_SIGNATURE. */
  codeSignature?: { offset: number; size: number };
  /** Universal files: every slice. The other fields describe the host's slice, else the first. */
  slices?: Array<{ machine: string; machineCode: number; offset: number; size: number }>;
}

export interface InspectOptions {
  /** The name in messages when bytes are given. Default `bytes`. */
  name?: string;
  /** Which slice of a universal file to read (`process.arch` names). Default: this process's. */
  arch?: string;
}

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
const ELF_MACHINES: Record<number, string> = {
  3: 'x86',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390x',
  40: 'arm',
  62: 'x86_64',
  183: 'aarch64',
  243: 'riscv',
  258: 'loongarch',
};
const PE_MACHINES: Record<number, string> = { 332: 'x86', 34404: 'x86_64', 43620: 'aarch64', 452: 'arm' };
const MACHO_CPUS: Record<number, string> = { 7: 'x86', 16777223: 'x86_64', 12: 'arm', 16777228: 'aarch64' };

const HEAD_SIZE = 4096;
/** Longest name (symbol, library, trie path) and deepest export trie read. */
const MAX_NAME = 16_384;
/** Largest file inspectObjectFile reads into memory. */
const MAX_FILE = 1 << 30;

/** A problem with the file; turned into a message (objectFileProblem) or an Error naming the file. */
class Problem extends Error {}

/** Bounded reads of a file or of one slice of it; every read and loop is checked against its size. */
class Reader {
  little = true;
  readonly size: number;
  readonly #fetch: (offset: number, length: number) => Uint8Array;
  readonly #budget: { left: number };
  constructor(size: number, fetch: (offset: number, length: number) => Uint8Array, budget?: { left: number }) {
    this.size = size;
    this.#fetch = fetch;
    // Linear work in the file's size: tables that alias each other cannot make the reader quadratic.
    this.#budget = budget ?? { left: 4 * size + (1 << 20) };
  }

  fits(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.size;
  }

  truncated(offset: number, length: number, what: string): string {
    return `truncated or corrupt: ${what} ends at byte ${offset + length}, the file has ${this.size} bytes`;
  }

  /** `length` bytes at `offset`, or a Problem naming `what` when the file does not hold them. */
  view(offset: number, length: number, what: string): View {
    if (!this.fits(offset, length)) throw new Problem(this.truncated(offset, length, what));
    return new View(this.#fetch(offset, length), this, offset, what);
  }

  /** The image at [offset, offset + length): a fat file's slice (offsets inside are relative to it). */
  slice(offset: number, length: number): Reader {
    return new Reader(length, (o, n) => this.#fetch(offset + o, n), this.#budget);
  }

  spend(units: number, what: string): void {
    this.#budget.left -= units;
    if (this.#budget.left < 0)
      throw new Problem(`corrupt: reading ${what} takes more work than a ${this.size}-byte file can need (tables that alias each other)`);
  }
}

/** A checked window of the file: field reads in the reader's byte order, NUL-terminated and LEB128 reads. */
class View {
  readonly bytes: Uint8Array;
  readonly little: boolean;
  readonly #dv: DataView;
  readonly #reader: Reader;
  readonly #at: number;
  readonly #what: string;
  readonly #strings = new Map<number, string>();
  constructor(bytes: Uint8Array, reader: Reader, at: number, what: string) {
    this.bytes = bytes;
    this.little = reader.little;
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#reader = reader;
    this.#at = at;
    this.#what = what;
  }
  get length(): number {
    return this.bytes.length;
  }
  #check(o: number, n: number, what: string): void {
    if (!Number.isSafeInteger(o) || o < 0 || o + n > this.bytes.length) {
      throw new Problem(`truncated or corrupt: ${what} at byte ${this.#at + o} lies outside ${this.#what} (${this.bytes.length} bytes at ${this.#at})`);
    }
  }
  sub(o: number, n: number, what: string): View {
    this.#check(o, n, what);
    return new View(this.bytes.subarray(o, o + n), this.#reader, this.#at + o, what);
  }
  u8(o: number, what = 'a byte'): number {
    this.#check(o, 1, what);
    return this.bytes[o] as number;
  }
  u16(o: number, what = 'a 16-bit field'): number {
    this.#check(o, 2, what);
    return this.#dv.getUint16(o, this.little);
  }
  u32(o: number, what = 'a 32-bit field'): number {
    this.#check(o, 4, what);
    return this.#dv.getUint32(o, this.little);
  }
  u64(o: number, what = 'a 64-bit field'): number {
    this.#check(o, 8, what);
    const value = this.#dv.getBigUint64(o, this.little);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Problem(`truncated or corrupt: ${what} at byte ${this.#at + o} is too large (${value})`);
    return Number(value);
  }
  word(is64: boolean, o: number, what: string): number {
    return is64 ? this.u64(o, what) : this.u32(o, what);
  }
  latin1(o: number, n: number): string {
    this.#check(o, n, 'a name');
    return Buffer.from(this.bytes.subarray(o, o + n))
      .toString('latin1')
      .replace(/\0.*$/s, '');
  }
  utf8(o: number, n: number, what: string): string {
    this.#check(o, n, what);
    return Buffer.from(this.bytes.subarray(o, o + n)).toString('utf8');
  }
  /** The index of the NUL ending the string at `o`, at most MAX_NAME bytes on. */
  end(o: number, what: string): number {
    this.#check(o, 1, what);
    const limit = Math.min(this.bytes.length, o + MAX_NAME + 1);
    const nul = this.bytes.subarray(o, limit).indexOf(0);
    this.#reader.spend(nul === -1 ? limit - o : nul + 1, what);
    if (nul === -1) {
      throw new Problem(
        `truncated or corrupt: ${what} at byte ${this.#at + o} ${limit === this.bytes.length ? `is not terminated inside ${this.#what}` : `is longer than ${MAX_NAME} bytes`}`,
      );
    }
    return o + nul;
  }
  /** The NUL-terminated UTF-8 string at `o` (each offset is decoded once). */
  cstring(o: number, what: string): string {
    const known = this.#strings.get(o);
    if (known !== undefined) return known;
    const text = this.utf8(o, this.end(o, what) - o, what);
    this.#strings.set(o, text);
    return text;
  }
  /** An unsigned LEB128 at `o`: [value, bytes read]. */
  uleb(o: number, what: string): [number, number] {
    let value = 0;
    let at = o;
    for (let shift = 0; ; shift += 7) {
      const byte = this.u8(at, what);
      at++;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      if (shift >= 56) throw new Problem(`truncated or corrupt: ${what} at byte ${this.#at + o} is longer than 9 bytes`);
    }
    if (!Number.isSafeInteger(value)) throw new Problem(`truncated or corrupt: ${what} at byte ${this.#at + o} is too large`);
    return [value, at - o];
  }
}

/** What a parser has found so far: objectFileProblem judges a partial result when parsing stops. */
type Draft = Partial<ObjectFile> & { problems: string[]; exports: ExportedSymbol[]; deps: string[] };

interface ParseOptions {
  /** Read exports, imports and the rest; else headers, tables and coverage only. */
  details: boolean;
  arch: string;
}

/** The format from the first bytes, or undefined. A fat header with 0 or > 32 slices is a Java class file. */
function detect(head: Uint8Array): ObjectFormat | undefined {
  const be = (o: number) => (head.length >= o + 4 ? new DataView(head.buffer, head.byteOffset + o, 4).getUint32(0, false) : undefined);
  const magic = be(0);
  if (magic === 0x7f454c46) return 'elf';
  if (head[0] === 0x4d && head[1] === 0x5a) return 'pe';
  if (magic === 0x0061736d) return 'wasm';
  if (magic === 0xfeedface || magic === 0xfeedfacf || magic === 0xcefaedfe || magic === 0xcffaedfe) return 'macho';
  if (magic === 0xcafebabe || magic === 0xcafebabf) {
    const count = be(4);
    if (count !== undefined && count > 0 && count <= 32) return 'macho-fat';
  }
  return undefined;
}

function parse(r: Reader, format: ObjectFormat, d: Draft, options: ParseOptions): void {
  if (format === 'elf') parseElf(r, d, options);
  else if (format === 'pe') parsePe(r, d, options);
  else if (format === 'wasm') parseWasm(r, d, options);
  else if (format === 'macho-fat') parseFat(r, d, options);
  else parseMachO(r, d, options);
}

// ---------------------------------------------------------------------------------------------
// ELF

const SHT_DYNAMIC = 6;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const SHT_GNU_VERDEF = 0x6ffffffd;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const STT_NAMES: Record<number, string> = { 0: 'NOTYPE', 1: 'OBJECT', 2: 'FUNC', 5: 'COMMON', 6: 'TLS', 10: 'IFUNC' };

interface ElfSection {
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

function parseElf(r: Reader, d: Draft, { details }: ParseOptions): void {
  const ident = r.view(0, 16, 'e_ident');
  const elfClass = ident.u8(4);
  if (elfClass !== 1 && elfClass !== 2) throw new Problem(`corrupt ELF: EI_CLASS ${elfClass}`);
  const is64 = elfClass === 2;
  d.bits = is64 ? 64 : 32;
  const data = ident.u8(5);
  if (data !== 1 && data !== 2) throw new Problem(`corrupt ELF: EI_DATA ${data}`);
  r.little = data === 1;
  d.byteOrder = r.little ? 'LE' : 'BE';
  const h = r.view(0, is64 ? 64 : 52, 'the ELF header');
  d.fileType = h.u16(0x10);
  d.sharedLibrary = d.fileType === 3;
  d.machineCode = h.u16(0x12);
  d.machine = ELF_MACHINES[d.machineCode] ?? `e_machine ${d.machineCode}`;
  const phoff = h.word(is64, is64 ? 0x20 : 0x1c, 'e_phoff');
  const shoff = h.word(is64, is64 ? 0x28 : 0x20, 'e_shoff');
  const base = is64 ? 0x36 : 0x2a;
  const phentsize = h.u16(base);
  let phnum = h.u16(base + 2);
  const shentsize = h.u16(base + 4);
  let shnum = h.u16(base + 6);

  // Section header 0 holds the real counts when they overflow 16 bits (PN_XNUM, shnum 0).
  const shentMin = is64 ? 64 : 40;
  let sectionProblem = shoff === 0 ? 'none (no section headers: stripped with sstrip?)' : undefined;
  if (shoff !== 0 && shentsize < shentMin) {
    sectionProblem = `corrupt ELF: e_shentsize ${shentsize}`;
    d.problems.push(sectionProblem);
  } else if (shoff !== 0 && (shnum === 0 || phnum === 0xffff)) {
    const s0 = r.view(shoff, shentMin, 'section header 0');
    if (shnum === 0) shnum = s0.word(is64, is64 ? 32 : 20, 'the section count in section header 0');
    if (phnum === 0xffff) phnum = s0.u32(is64 ? 44 : 28, 'the program header count in section header 0');
  }

  const phentMin = is64 ? 56 : 32;
  if (phnum === 0) d.problems.push('not a loadable ELF file: no program headers');
  else if (phentsize < phentMin) d.problems.push(`corrupt ELF: e_phentsize ${phentsize}`);
  else if (!r.fits(phoff, phnum * phentsize)) d.problems.push(r.truncated(phoff, phnum * phentsize, `the program header table (${phnum} entries at ${phoff})`));
  else {
    const ph = r.view(phoff, phnum * phentsize, 'the program header table');
    for (let i = 0; i < phnum; i++) {
      const e = i * phentsize;
      const offset = ph.word(is64, e + (is64 ? 8 : 4), 'p_offset');
      const filesz = ph.word(is64, e + (is64 ? 32 : 16), 'p_filesz');
      if (!r.fits(offset, filesz)) {
        d.problems.push(r.truncated(offset, filesz, `program header ${i} (type 0x${ph.u32(e).toString(16)}, p_offset ${offset} + p_filesz ${filesz})`));
      }
    }
  }

  const sections: ElfSection[] = [];
  if (sectionProblem === undefined) {
    if (!r.fits(shoff, shnum * shentsize)) {
      sectionProblem = r.truncated(shoff, shnum * shentsize, `the section header table (${shnum} entries at ${shoff})`);
      d.problems.push(sectionProblem);
    } else {
      const sh = r.view(shoff, shnum * shentsize, 'the section header table');
      for (let i = 0; i < shnum; i++) {
        const e = i * shentsize;
        const s: ElfSection = {
          type: sh.u32(e + 4),
          offset: sh.word(is64, e + (is64 ? 0x18 : 0x10), 'sh_offset'),
          size: sh.word(is64, e + (is64 ? 0x20 : 0x14), 'sh_size'),
          link: sh.u32(e + (is64 ? 0x28 : 0x18)),
          info: sh.u32(e + (is64 ? 0x2c : 0x1c)),
          entsize: sh.word(is64, e + (is64 ? 0x38 : 0x24), 'sh_entsize'),
        };
        sections.push(s);
        // Section 0 is the null section; SHT_NOBITS (.bss) occupies no file bytes.
        if (i > 0 && s.type !== SHT_NOBITS && !r.fits(s.offset, s.size)) {
          d.problems.push(r.truncated(s.offset, s.size, `section ${i} (sh_offset ${s.offset} + sh_size ${s.size})`));
        }
      }
    }
  }
  if (!details) return;
  if (sectionProblem !== undefined) {
    if (shoff !== 0) throw new Problem(sectionProblem);
    d.exportSource = sectionProblem;
    return;
  }
  readElfDetails(r, d, sections, is64);
}

function readElfDetails(r: Reader, d: Draft, sections: ElfSection[], is64: boolean): void {
  const contents = (index: number, what: string): View => {
    const s = sections[index];
    if (!s) throw new Problem(`corrupt ELF: ${what} section ${index} does not exist`);
    return r.view(s.offset, s.size, `${what} (section ${index})`);
  };
  const strings = new Map<number, View>();
  const stringTable = (index: number): View => {
    let table = strings.get(index);
    if (!table) {
      table = contents(index, 'string table');
      strings.set(index, table);
    }
    return table;
  };

  // Version index -> name, from the definitions (this file's versions) and the needs (imports).
  const versionNames = new Map<number, string>();
  d.versionNeeds = [];
  for (const s of sections) {
    if (s.type === SHT_GNU_VERDEF) {
      // Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32.
      const v = r.view(s.offset, s.size, '.gnu.version_d');
      for (let at = 0, n = 0; n < Math.max(s.info, 1); n++) {
        r.spend(1, '.gnu.version_d');
        const flags = v.u16(at + 2, 'vd_flags');
        const index = v.u16(at + 4, 'vd_ndx');
        const aux = at + v.u32(at + 12, 'vd_aux');
        // VER_FLG_BASE names the file itself (the soname), not a version.
        if ((flags & 1) === 0) versionNames.set(index, stringTable(s.link).cstring(v.u32(aux, 'vda_name'), 'a version name'));
        const next = v.u32(at + 16, 'vd_next');
        if (next === 0) break;
        at += next;
      }
    } else if (s.type === SHT_GNU_VERNEED) {
      // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
      // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
      const v = r.view(s.offset, s.size, '.gnu.version_r');
      for (let at = 0, n = 0; n < Math.max(s.info, 1); n++) {
        const file = stringTable(s.link).cstring(v.u32(at + 4, 'vn_file'), 'a needed file name');
        let aux = at + v.u32(at + 8, 'vn_aux');
        for (let a = 0; a < v.u16(at + 2, 'vn_cnt'); a++) {
          r.spend(1, '.gnu.version_r');
          const version = stringTable(s.link).cstring(v.u32(aux + 8, 'vna_name'), 'a version name');
          versionNames.set(v.u16(aux + 6, 'vna_other'), version);
          d.versionNeeds.push({ file, version });
          const next = v.u32(aux + 12, 'vna_next');
          if (next === 0) break;
          aux += next;
        }
        const next = v.u32(at + 12, 'vn_next');
        if (next === 0) break;
        at += next;
      }
    } else if (s.type === SHT_DYNAMIC) {
      const v = r.view(s.offset, s.size, '.dynamic');
      const entry = is64 ? 16 : 8;
      for (let at = 0; at + entry <= v.length; at += entry) {
        r.spend(1, '.dynamic');
        const tag = v.word(is64, at, 'd_tag');
        if (tag === 0) break;
        // DT_NEEDED, DT_SONAME.
        if (tag === 1) d.deps.push(stringTable(s.link).cstring(v.word(is64, at + entry / 2, 'd_val'), 'a needed library'));
        if (tag === 14) d.soname = stringTable(s.link).cstring(v.word(is64, at + entry / 2, 'd_val'), 'the soname');
      }
    }
  }

  const versyms = new Map<number, ElfSection>();
  for (const s of sections) if (s.type === SHT_GNU_VERSYM) versyms.set(s.link, s);
  d.exportSource = '.dynsym';
  // The gABI allows one SHT_DYNSYM: more (aliased) ones are not read.
  const index = sections.findIndex((s) => s.type === SHT_DYNSYM);
  const s = sections[index];
  if (s) {
    const entsize = s.entsize || (is64 ? 24 : 16);
    if (entsize < (is64 ? 24 : 16)) throw new Problem(`corrupt ELF: .dynsym entries of ${entsize} bytes`);
    const table = r.view(s.offset, s.size, '.dynsym');
    const names = stringTable(s.link);
    const versym = versyms.get(index);
    const versions = versym && r.view(versym.offset, versym.size, '.gnu.version');
    const count = Math.floor(s.size / entsize);
    for (let i = 1; i < count; i++) {
      r.spend(1, '.dynsym');
      const at = i * entsize;
      const info = table.u8(at + (is64 ? 4 : 12));
      const other = table.u8(at + (is64 ? 5 : 13));
      const shndx = table.u16(at + (is64 ? 6 : 14));
      const binding = info >> 4;
      const visibility = other & 3;
      // Defined (not SHN_UNDEF), GLOBAL/WEAK/GNU_UNIQUE, default or protected visibility.
      if (shndx === 0 || (binding !== 1 && binding !== 2 && binding !== 10) || visibility === 1 || visibility === 2) continue;
      const name = names.cstring(table.u32(at, 'st_name'), 'a symbol name');
      if (name === '') continue;
      const type = info & 0xf;
      const size = is64 ? table.u64(at + 16, 'st_size') : table.u32(at + 8, 'st_size');
      const kind: SymbolKind = type === 2 || type === 10 ? 'function' : type === 1 || type === 5 || type === 6 ? 'data' : 'other';
      const symbol: ExportedSymbol = { name, kind };
      if (type === 10) symbol.detail = 'IFUNC';
      else if (type === 6) symbol.detail = `TLS, ${size} bytes`;
      else if (kind === 'data') symbol.detail = `${size} bytes`;
      else if (kind === 'other') symbol.detail = STT_NAMES[type] ?? `type ${type}`;
      if (versions) {
        const v = versions.u16(i * 2, `.gnu.version entry ${i}`);
        const version = versionNames.get(v & 0x7fff);
        if ((v & 0x7fff) > 1 && version) {
          symbol.version = version;
          symbol.defaultVersion = (v & 0x8000) === 0;
        }
      }
      // A version's own marker (`GLIBC_2.4`, absolute, size 0) names a version, not an export.
      if (shndx === 0xfff1 && symbol.version === name) continue;
      d.exports.push(symbol);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// PE

function parsePe(r: Reader, d: Draft, { details }: ParseOptions): void {
  r.little = true;
  d.byteOrder = 'LE';
  const pe = r.view(0x3c, 4, 'e_lfanew').u32(0);
  const coff = r.view(pe, 24, 'the PE signature and COFF header');
  if (coff.u32(0) !== 0x4550) throw new Problem('not a PE file: no PE signature at e_lfanew');
  d.machineCode = coff.u16(4);
  d.machine = PE_MACHINES[d.machineCode] ?? `machine 0x${d.machineCode.toString(16)}`;
  const nsections = coff.u16(6);
  const optSize = coff.u16(20);
  d.fileType = coff.u16(22);
  d.sharedLibrary = (d.fileType & 0x2000) !== 0;
  if (optSize < 2) throw new Problem('corrupt PE: no optional header');
  const opt = r.view(pe + 24, optSize, 'the optional header');
  const magic = opt.u16(0);
  if (magic !== 0x10b && magic !== 0x20b) throw new Problem(`corrupt PE: optional header magic 0x${magic.toString(16)}`);
  const is64 = magic === 0x20b;
  d.bits = is64 ? 64 : 32;
  if (optSize < 64) throw new Problem(`corrupt PE: optional header of ${optSize} bytes`);
  const headers = opt.u32(60);
  if (!r.fits(0, headers)) d.problems.push(r.truncated(0, headers, 'the headers (SizeOfHeaders)'));
  const directories = is64 ? 112 : 96;
  const directoryCount = optSize >= directories ? opt.u32(directories - 4) : 0;
  const directory = (i: number) =>
    i < directoryCount && optSize >= directories + 8 * i + 8 ? { rva: opt.u32(directories + 8 * i), size: opt.u32(directories + 8 * i + 4) } : undefined;
  // Data directory 4 (certificates) is the one addressed by file offset, not RVA.
  const certificates = directory(4);
  if (certificates && certificates.rva !== 0 && !r.fits(certificates.rva, certificates.size)) {
    d.problems.push(r.truncated(certificates.rva, certificates.size, `the certificate table (offset ${certificates.rva} + size ${certificates.size})`));
  }
  const table = r.view(pe + 24 + optSize, nsections * 40, `the section table (${nsections} entries)`);
  const sections = Array.from({ length: nsections }, (_, i) => {
    const e = i * 40;
    const s = {
      name: table.latin1(e, 8),
      vsize: table.u32(e + 8),
      va: table.u32(e + 12),
      rawSize: table.u32(e + 16),
      raw: table.u32(e + 20),
      flags: table.u32(e + 36),
    };
    if (s.rawSize !== 0 && !r.fits(s.raw, s.rawSize)) {
      d.problems.push(r.truncated(s.raw, s.rawSize, `section ${s.name || i} (PointerToRawData ${s.raw} + SizeOfRawData ${s.rawSize})`));
    }
    return s;
  });
  if (!details) return;

  const file = r.view(0, r.size, 'the file');
  const sectionOf = (rva: number) => {
    r.spend(sections.length, 'the section table');
    return sections.find((s) => rva >= s.va && rva < s.va + Math.max(s.vsize, s.rawSize));
  };
  const offset = (rva: number, what: string) => {
    const s = sectionOf(rva);
    if (!s) throw new Problem(`corrupt PE: ${what} (RVA 0x${rva.toString(16)}) is in no section`);
    return rva - s.va + s.raw;
  };
  d.exportSource = 'export table';
  const exports = directory(0);
  if (exports && exports.rva !== 0) {
    const dir = file.sub(offset(exports.rva, 'the export directory'), 40, 'the export directory');
    const functionCount = dir.u32(20, 'NumberOfFunctions');
    const nameCount = dir.u32(24, 'NumberOfNames');
    // With no names there may be no tables either (their RVAs 0).
    const tables =
      nameCount === 0
        ? undefined
        : {
            functions: file.sub(offset(dir.u32(28), 'AddressOfFunctions'), functionCount * 4, 'AddressOfFunctions'),
            names: file.sub(offset(dir.u32(32), 'AddressOfNames'), nameCount * 4, 'AddressOfNames'),
            ordinals: file.sub(offset(dir.u32(36), 'AddressOfNameOrdinals'), nameCount * 2, 'AddressOfNameOrdinals'),
          };
    for (let i = 0; tables && i < nameCount; i++) {
      r.spend(1, 'the export table');
      const { functions, names, ordinals } = tables;
      const name = file.cstring(offset(names.u32(i * 4), 'an export name'), 'an export name');
      const index = ordinals.u16(i * 2);
      if (index >= functionCount) throw new Problem(`corrupt PE: export ${name} has ordinal index ${index} of ${functionCount}`);
      const rva = functions.u32(index * 4);
      if (rva >= exports.rva && rva < exports.rva + exports.size) {
        // A forwarder: the "address" is a string naming another DLL's export.
        d.exports.push({ name, kind: 'other', detail: `forwarded to ${file.cstring(offset(rva, 'a forwarder'), 'a forwarder')}` });
        continue;
      }
      // IMAGE_SCN_CNT_CODE (0x20) or IMAGE_SCN_MEM_EXECUTE (0x20000000): code.
      const section = sectionOf(rva);
      d.exports.push({ name, kind: section !== undefined && (section.flags & 0x20000020) !== 0 ? 'function' : 'data' });
    }
  }
  d.imports = [];
  const imports = directory(1);
  if (imports && imports.rva !== 0) {
    // Import descriptors (20 bytes) until one with no name; each has a thunk list ending in 0.
    for (let at = offset(imports.rva, 'the import directory'); ; at += 20) {
      r.spend(1, 'the import directory');
      const nameRva = file.u32(at + 12, 'an import descriptor');
      if (nameRva === 0) break;
      const module = file.cstring(offset(nameRva, 'an imported DLL name'), 'an imported DLL name');
      d.deps.push(module);
      const thunks = file.u32(at, 'OriginalFirstThunk') || file.u32(at + 16, 'FirstThunk');
      for (let t = offset(thunks, 'an import thunk list'); ; t += is64 ? 8 : 4) {
        r.spend(1, 'an import thunk list');
        const low = file.u32(t, 'an import thunk');
        const high = is64 ? file.u32(t + 4, 'an import thunk') : 0;
        if (low === 0 && high === 0) break;
        const byOrdinal = is64 ? (high & 0x80000000) !== 0 : (low & 0x80000000) !== 0;
        const name = byOrdinal ? `#${low & 0xffff}` : file.cstring(offset(low & 0x7fffffff, 'an import name') + 2, 'an import name');
        d.imports.push({ module, name });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Mach-O

/** The `process.arch` name of a Mach-O cputype, for messages about slices. */
function sliceName(cpu: number): string {
  return Object.entries(ARCHES).find(([, a]) => a.macho === cpu)?.[0] ?? `cputype 0x${cpu.toString(16)}`;
}

function parseFat(r: Reader, d: Draft, options: ParseOptions): void {
  // Big-endian header, then fat_arch (20 bytes) or fat_arch_64 (32 bytes) entries.
  r.little = false;
  const head = r.view(0, 8, 'the fat header');
  const fat64 = head.u32(0) === 0xcafebabf;
  const count = head.u32(4);
  const size = fat64 ? 32 : 20;
  const table = r.view(8, count * size, `the fat header (${count} architectures)`);
  d.format = 'macho-fat';
  d.slices = Array.from({ length: count }, (_, i) => {
    const e = i * size;
    const machineCode = table.u32(e, 'cputype');
    return {
      machine: MACHO_CPUS[machineCode] ?? `cputype 0x${machineCode.toString(16)}`,
      machineCode,
      offset: fat64 ? table.u64(e + 8, 'offset') : table.u32(e + 8, 'offset'),
      size: fat64 ? table.u64(e + 16, 'size') : table.u32(e + 12, 'size'),
    };
  });
  const host = ARCHES[options.arch]?.macho;
  const slice = d.slices.find((s) => s.machineCode === host) ?? (options.details ? d.slices[0] : undefined);
  // objectFileProblem needs the host's slice: without it there is nothing more to check.
  if (!slice) return;
  if (!r.fits(slice.offset, slice.size))
    throw new Problem(r.truncated(slice.offset, slice.size, `the ${sliceName(slice.machineCode)} slice (offset ${slice.offset} + size ${slice.size})`));
  parseMachO(r.slice(slice.offset, slice.size), d, options);
}

const versionString = (v: number) => `${v >>> 16}.${(v >> 8) & 0xff}${v & 0xff ? `.${v & 0xff}` : ''}`;
const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const LC_SYMTAB = 0x2;
const LC_ID_DYLIB = 0xd;
const LC_DYLIB_LOADS = new Set([0xc, 0x20, 0x80000018, 0x8000001f, 0x80000023]);

/** A thin Mach-O image: the whole file or a slice (its offsets are relative to the slice). */
function parseMachO(r: Reader, d: Draft, { details }: ParseOptions): void {
  if (r.size < 28) throw new Problem(`truncated or corrupt: a Mach-O image of ${r.size} bytes`);
  const magic = r.view(0, 4, 'the Mach-O magic').bytes;
  r.little = magic[0] === 0xce || magic[0] === 0xcf;
  d.byteOrder = r.little ? 'LE' : 'BE';
  const is64 = magic[0] === 0xcf || magic[3] === 0xcf;
  d.bits = is64 ? 64 : 32;
  const headerSize = is64 ? 32 : 28;
  const h = r.view(0, headerSize, 'the Mach-O header');
  d.machineCode = h.u32(4);
  d.machine = MACHO_CPUS[d.machineCode] ?? `cputype 0x${d.machineCode.toString(16)}`;
  d.fileType = h.u32(12);
  d.sharedLibrary = d.fileType === 6 || d.fileType === 8;
  const ncmds = h.u32(16);
  const sizeofcmds = h.u32(20);
  if (headerSize + sizeofcmds > r.size)
    throw new Problem(`truncated or corrupt: load commands end at byte ${headerSize + sizeofcmds} of a ${r.size}-byte image`);
  const cmds = r.view(headerSize, sizeofcmds, 'the load commands');

  const sections: Array<{ addr: number; size: number; flags: number }> = [];
  let textVmaddr = 0;
  let trie: { offset: number; size: number } | undefined;
  let symtab: { symoff: number; nsyms: number; stroff: number; strsize: number } | undefined;
  for (let i = 0, at = 0; i < ncmds; i++) {
    r.spend(1, 'the load commands');
    if (at + 8 > sizeofcmds) throw new Problem(`corrupt Mach-O: load command ${i} lies past sizeofcmds`);
    const cmd = cmds.u32(at);
    const cmdsize = cmds.u32(at + 4);
    if (cmdsize < 8 || at + cmdsize > sizeofcmds) throw new Problem(`corrupt Mach-O: load command ${i} has size ${cmdsize}`);
    const c = cmds.sub(at, cmdsize, `load command ${i}`);
    at += cmdsize;
    if ((cmd === LC_SEGMENT_64 && cmdsize >= 72) || (cmd === LC_SEGMENT && cmdsize >= 56)) {
      const s64 = cmd === LC_SEGMENT_64;
      const name = c.latin1(8, 16);
      const offset = c.word(s64, s64 ? 40 : 32, 'fileoff');
      const size = c.word(s64, s64 ? 48 : 36, 'filesize');
      if (!r.fits(offset, size))
        d.problems.push(`truncated or corrupt: segment ${name || i} (fileoff ${offset} + filesize ${size}) ends past the ${r.size}-byte image`);
      const nsects = c.u32(s64 ? 64 : 48, 'nsects');
      const [first, each] = s64 ? [72, 80] : [56, 68];
      if (first + nsects * each > cmdsize)
        throw new Problem(`corrupt Mach-O: segment ${name || i} declares ${nsects} sections in a ${cmdsize}-byte load command`);
      if (!details) continue;
      if (name === '__TEXT') textVmaddr = c.word(s64, 24, 'vmaddr');
      for (let s = 0; s < nsects; s++) {
        r.spend(1, 'the sections');
        const e = first + s * each;
        sections.push({ addr: c.word(s64, e + 32, 'addr'), size: c.word(s64, e + (s64 ? 40 : 36), 'size'), flags: c.u32(e + (s64 ? 64 : 56), 'flags') });
      }
    } else if (!details) {
      // Headers and coverage only.
    } else if (cmd === LC_ID_DYLIB) d.installName = c.cstring(c.u32(8, 'the name offset'), 'the install name');
    else if (LC_DYLIB_LOADS.has(cmd)) d.deps.push(c.cstring(c.u32(8, 'the name offset'), 'a dylib name'));
    else if (cmd === 0x32) {
      // LC_BUILD_VERSION
      d.platform = c.u32(8, 'platform');
      d.minos = versionString(c.u32(12, 'minos'));
      d.sdk = versionString(c.u32(16, 'sdk'));
    } else if (cmd === 0x24) {
      // LC_VERSION_MIN_MACOSX
      d.platform = 1;
      d.minos = versionString(c.u32(8, 'version'));
      d.sdk = versionString(c.u32(12, 'sdk'));
    } else if (cmd === 0x1d) d.codeSignature = { offset: c.u32(8, 'dataoff'), size: c.u32(12, 'datasize') };
    else if (cmd === 0x22 || cmd === 0x80000022) {
      // LC_DYLD_INFO(_ONLY)
      const size = c.u32(44, 'export_size');
      if (size > 0) trie = { offset: c.u32(40, 'export_off'), size };
    } else if (cmd === 0x80000033)
      trie = { offset: c.u32(8, 'dataoff'), size: c.u32(12, 'datasize') }; // LC_DYLD_EXPORTS_TRIE
    else if (cmd === LC_SYMTAB) {
      symtab = { symoff: c.u32(8, 'symoff'), nsyms: c.u32(12, 'nsyms'), stroff: c.u32(16, 'stroff'), strsize: c.u32(20, 'strsize') };
    }
  }
  if (!details) return;

  // S_ATTR_PURE_INSTRUCTIONS or S_ATTR_SOME_INSTRUCTIONS: code.
  const isCode = (section: { flags: number } | undefined) => section !== undefined && (section.flags & 0x80000400) !== 0;
  const byAddress = [...sections].sort((a, b) => a.addr - b.addr);
  const kindAt = (address: number): SymbolKind => {
    // The last section starting at or before the address (binary search), if it holds it.
    let lo = 0;
    let hi = byAddress.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((byAddress[mid] as (typeof byAddress)[number]).addr <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    const s = byAddress[hi];
    return s === undefined || address >= s.addr + Math.max(s.size, 1) ? 'other' : isCode(s) ? 'function' : 'data';
  };
  if (trie) {
    d.exportSource = 'export trie';
    readTrie(r, r.view(trie.offset, trie.size, 'the export trie'), d.exports, (address) => kindAt(textVmaddr + address));
  } else if (symtab) {
    d.exportSource = 'symtab';
    const entry = is64 ? 16 : 12;
    const table = r.view(symtab.symoff, symtab.nsyms * entry, `the symbol table (${symtab.nsyms} entries)`);
    const names = r.view(symtab.stroff, symtab.strsize, 'the string table');
    for (let s = 0; s < symtab.nsyms; s++) {
      r.spend(1, 'the symbol table');
      const type = table.u8(s * entry + 4);
      // External, defined in a section (N_SECT), not a debugging entry (N_STAB).
      if ((type & 0xe0) !== 0 || (type & 1) === 0 || (type & 0x0e) !== 0x0e) continue;
      const sect = table.u8(s * entry + 5);
      const name = names.cstring(table.u32(s * entry), 'a symbol name').replace(/^_/, '');
      d.exports.push({ name, kind: sect === 0 ? 'other' : isCode(sections[sect - 1]) ? 'function' : 'data' });
    }
  } else d.exportSource = 'none (no export trie and no symtab)';
}

/** The export trie, walked with an explicit stack: each node once, depth and name length capped. */
function readTrie(r: Reader, t: View, out: ExportedSymbol[], kindAt: (address: number) => SymbolKind): void {
  const visited = new Set<number>();
  const stack: Array<{ node: number; prefix: string; depth: number }> = [{ node: 0, prefix: '', depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, prefix, depth } = item;
    r.spend(1, 'the export trie');
    if (node >= t.length || visited.has(node)) throw new Problem(`corrupt Mach-O: export trie node at byte ${node} is outside the trie or reached twice`);
    visited.add(node);
    if (depth > MAX_NAME || prefix.length > MAX_NAME)
      throw new Problem(`corrupt Mach-O: the export trie is deeper than ${MAX_NAME} levels or names (node at byte ${node})`);
    const [terminalSize, n] = t.uleb(node, 'a trie terminal size');
    let p = node + n;
    if (terminalSize > 0) {
      r.spend(prefix.length, 'the export trie');
      const [flags, f] = t.uleb(p, 'export flags');
      const q = p + f;
      const name = prefix.replace(/^_/, '');
      if (flags & 0x08) {
        const [, o] = t.uleb(q, 'a re-export ordinal');
        const imported = t.cstring(q + o, 'a re-export name');
        out.push({ name, kind: 'other', detail: `re-exported${imported ? ` from ${imported.replace(/^_/, '')}` : ''}` });
      } else {
        const [address] = t.uleb(q, 'an export address');
        const kind = flags & 3;
        if (kind === 1) out.push({ name, kind: 'data', detail: 'thread-local' });
        else if (kind === 2) out.push({ name, kind: 'other', detail: 'absolute' });
        else if (flags & 0x10) out.push({ name, kind: 'function', detail: 'resolver' });
        else out.push({ name, kind: kindAt(address) });
      }
    }
    p += terminalSize;
    const children = t.u8(p, 'a trie child count');
    p++;
    const next: typeof stack = [];
    for (let c = 0; c < children; c++) {
      const end = t.end(p, 'a trie edge');
      const edge = t.utf8(p, end - p, 'a trie edge');
      const [child, k] = t.uleb(end + 1, 'a trie child offset');
      p = end + 1 + k;
      next.push({ node: child, prefix: prefix + edge, depth: depth + 1 });
    }
    stack.push(...next.reverse());
  }
}

// ---------------------------------------------------------------------------------------------
// wasm

const WASM_KINDS: Record<number, { kind: SymbolKind; detail?: string }> = {
  0: { kind: 'function' },
  1: { kind: 'other', detail: 'table' },
  2: { kind: 'other', detail: 'memory' },
  3: { kind: 'data', detail: 'global' },
  4: { kind: 'other', detail: 'tag' },
};

function parseWasm(r: Reader, d: Draft, _options: ParseOptions): void {
  Object.assign(d, { machine: 'wasm32', machineCode: 0, bits: 32, byteOrder: 'LE', fileType: 0, sharedLibrary: false, exportSource: 'export section' });
  const version = r.view(0, 8, 'the wasm header').u32(4);
  if (version !== 1) throw new Problem(`wasm binary version ${version} (only 1 is known)`);
  const m = r.view(0, r.size, 'the module');
  d.imports = [];
  for (let at = 8; at < m.length; ) {
    r.spend(1, 'the sections');
    const id = m.u8(at, 'a section id');
    const [size, n] = m.uleb(at + 1, 'a section size');
    const s = m.sub(at + 1 + n, size, `section ${id}`);
    at += 1 + n + size;
    const name = (p: number, what: string): [string, number] => {
      const [length, l] = s.uleb(p, `${what} length`);
      return [s.utf8(p + l, length, what), p + l + length];
    };
    if (id === 2) {
      const [count, first] = s.uleb(0, 'the import count');
      let p = first;
      for (let i = 0; i < count; i++) {
        r.spend(1, 'the import section');
        const [module, afterModule] = name(p, 'an import module');
        const [field, afterField] = name(afterModule, 'an import name');
        const kind = s.u8(afterField, 'an import kind');
        p = afterField + 1;
        const limits = () => {
          const flags = s.u8(p, 'limits');
          p += 1 + s.uleb(p + 1, 'a minimum')[1];
          if (flags & 1) p += s.uleb(p, 'a maximum')[1];
        };
        if (kind === 0) p += s.uleb(p, 'a type index')[1];
        else if (kind === 1) {
          p++; // reftype
          limits();
        } else if (kind === 2) limits();
        else if (kind === 3)
          p += 2; // valtype, mutability
        else if (kind === 4) p += 1 + s.uleb(p + 1, 'a tag type')[1];
        else throw new Problem(`corrupt wasm: import ${module}.${field} has kind ${kind}`);
        if (!d.deps.includes(module)) d.deps.push(module);
        d.imports.push({ module, name: field });
      }
    } else if (id === 7) {
      const [count, first] = s.uleb(0, 'the export count');
      let p = first;
      for (let i = 0; i < count; i++) {
        r.spend(1, 'the export section');
        const [exported, afterName] = name(p, 'an export name');
        const kind = s.u8(afterName, 'an export kind');
        p = afterName + 1 + s.uleb(afterName + 1, 'an export index')[1];
        d.exports.push({ name: exported, ...(WASM_KINDS[kind] ?? { kind: 'other', detail: `kind ${kind}` }) });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Files

/** Refuses what is not a regular file before opening it; opens non-blocking (a FIFO never hangs). */
function openRegular(path: string): { fd: number; size: number } | string {
  let fd: number;
  try {
    if (!statSync(path).isFile()) return 'not a regular file';
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return `cannot open: ${(error as Error).message}`;
  }
  try {
    // The path may have been replaced between stat and open.
    const stat = fstatSync(fd);
    if (stat.isFile()) return { fd, size: stat.size };
  } catch (error) {
    closeSync(fd);
    return `cannot open: ${(error as Error).message}`;
  }
  closeSync(fd);
  return 'not a regular file';
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  for (let done = 0; done < length; ) {
    const n = readSync(fd, buffer, done, length - done, offset + done);
    if (n === 0) throw new Problem(`truncated: the file ended while reading byte ${offset + done}`);
    done += n;
  }
  return buffer;
}

/** A reader over an open file: ranges inside the first HEAD_SIZE bytes come from one read. */
function fileReader(fd: number, size: number): Reader {
  const head = readAt(fd, 0, Math.min(size, HEAD_SIZE));
  return new Reader(size, (offset, length) => (offset + length <= head.length ? head.subarray(offset, offset + length) : readAt(fd, offset, length)));
}

function notA(format: string, r: Reader): Problem {
  const first = Buffer.from(r.view(0, Math.min(r.size, 4), 'the magic number').bytes).toString('hex');
  return new Problem(`not ${format === 'ELF' ? 'an' : 'a'} ${format} shared library (${r.size === 0 ? 'empty file' : `starts with ${first}`})`);
}

/**
 * Reads an object file: format, machine, word size, byte order, type, coverage problems,
 * exports, needed libraries and the format's extras. Throws an Error naming the file (the path,
 * or `options.name` for bytes) when it is not a known format or cannot be read.
 */
export function inspectObjectFile(input: string | Uint8Array, options: InspectOptions = {}): ObjectFile {
  const file = typeof input === 'string' ? input : (options.name ?? 'bytes');
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    const opened = openRegular(input);
    if (typeof opened === 'string') throw new Error(`${file}: ${opened}`);
    try {
      if (opened.size > MAX_FILE) throw new Error(`${opened.size} bytes is more than this reader reads (${MAX_FILE})`);
      bytes = readAt(opened.fd, 0, opened.size);
    } catch (error) {
      throw new Error(`${file}: cannot read: ${(error as Error).message}`);
    } finally {
      closeSync(opened.fd);
    }
  } else bytes = input;
  const format = detect(bytes);
  if (format === undefined) {
    const first = Buffer.from(bytes.subarray(0, 4)).toString('hex');
    throw new Error(`${file}: not an object file this reader knows (ELF, PE, Mach-O, wasm); it starts with ${first || 'nothing (empty file)'}`);
  }
  const draft: Draft = { file, format, problems: [], exports: [], deps: [] };
  try {
    parse(new Reader(bytes.length, (o, n) => bytes.subarray(o, o + n)), format, draft, { details: true, arch: options.arch ?? process.arch });
  } catch (error) {
    if (error instanceof Problem) throw new Error(`${file}: ${error.message}`);
    throw error;
  }
  return draft as ObjectFile;
}

/**
 * Checks that `path` is a complete shared library for `host`. Returns undefined when it is, else
 * the reason (for LibraryLoadError). Platforms without a known format (AIX) pass unchecked.
 */
export function objectFileProblem(path: string, host: ObjectFileHost = { platform: process.platform, arch: process.arch }): string | undefined {
  const expected = host.platform === 'win32' ? 'PE' : host.platform === 'darwin' ? 'Mach-O' : host.platform === 'aix' ? undefined : 'ELF';
  if (expected === undefined) return undefined;
  const opened = openRegular(path);
  if (typeof opened === 'string') return opened;
  try {
    const arch = ARCHES[host.arch];
    if (arch === undefined) return `cannot check a library for the unknown architecture ${host.arch}`;
    const r = fileReader(opened.fd, opened.size);
    const format = detect(r.view(0, Math.min(r.size, 8), 'the magic number').bytes);
    const family = format === 'elf' ? 'ELF' : format === 'pe' ? 'PE' : format === 'macho' || format === 'macho-fat' ? 'Mach-O' : undefined;
    if (format === undefined || family !== expected) return notA(expected, r).message;
    const d: Draft = { file: path, format, problems: [], exports: [], deps: [] };
    let fatal: string | undefined;
    try {
      parse(r, format, d, { details: false, arch: host.arch });
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      fatal = error.message;
    }
    // What the parser found before it stopped is judged first: a wrong architecture says more than a truncation.
    return misfit(d, host, arch) ?? fatal ?? d.problems[0];
  } catch (error) {
    if (error instanceof Problem) return error.message;
    return `cannot read: ${(error as Error).message}`;
  } finally {
    closeSync(opened.fd);
  }
}

/** Why a (partly) parsed file does not fit the host, or undefined. Unparsed fields are not judged. */
function misfit(d: Draft, host: ObjectFileHost, arch: (typeof ARCHES)[string]): string | undefined {
  const hostOrder = host.endianness ?? (endianness() as 'LE' | 'BE');
  if (d.format === 'elf') {
    if (d.bits !== undefined && d.bits !== arch.bits) return `wrong architecture: ELF${d.bits} file, this process (${host.arch}) needs ELF${arch.bits}`;
    if (d.byteOrder !== undefined && d.byteOrder !== hostOrder)
      return `wrong byte order: ${d.byteOrder === 'LE' ? 'little' : 'big'}-endian file on a ${hostOrder} host`;
    if (d.fileType !== undefined && d.fileType !== 3) return `not a shared library: ELF e_type ${d.fileType} (a shared object is 3, ET_DYN)`;
    if (d.machineCode !== undefined && d.machineCode !== arch.elf)
      return `wrong architecture: ELF e_machine ${d.machineCode}, this process (${host.arch}) needs ${arch.elf}`;
  } else if (d.format === 'pe') {
    if (d.machineCode !== undefined && d.machineCode !== arch.pe) {
      return `wrong architecture: PE machine 0x${d.machineCode.toString(16)}, this process (${host.arch}) needs 0x${(arch.pe ?? 0).toString(16)}`;
    }
    if (d.sharedLibrary === false) return 'not a DLL: IMAGE_FILE_DLL is not set';
    if (d.bits !== undefined && d.bits !== arch.bits)
      return `wrong architecture: PE32${d.bits === 64 ? '+' : ''} file, this process (${host.arch}) is ${arch.bits}-bit`;
  } else {
    const needs = `this process (${host.arch}) needs 0x${(arch.macho ?? 0).toString(16)}`;
    if (d.slices && !d.slices.some((s) => s.machineCode === arch.macho)) {
      return `wrong architecture: the universal file holds cputypes ${d.slices.map((s) => `0x${s.machineCode.toString(16)}`).join(', ')}, ${needs}`;
    }
    if (d.byteOrder === 'BE') return 'wrong byte order: big-endian Mach-O file';
    if (d.machineCode !== undefined && (d.machineCode !== arch.macho || d.bits !== arch.bits))
      return `wrong architecture: Mach-O cputype 0x${d.machineCode.toString(16)}, ${needs}`;
    if (d.fileType !== undefined && !d.sharedLibrary) return `not a shared library: Mach-O filetype ${d.fileType} (MH_DYLIB is 6, MH_BUNDLE 8)`;
  }
  return undefined;
}
