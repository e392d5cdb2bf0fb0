/** Internal to the object-file reader (object-file.ts): the ELF parser. */
import { type Draft, type ParseOptions, Problem, type Reader, type View } from './_object-reader.ts';
import type { ExportedSymbol, SymbolKind } from './object-file.ts';

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

export function parseElf(r: Reader, d: Draft, { details }: ParseOptions): void {
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
