/**
 * What a shared library exports, read from its own symbol table (no nm/objdump/otool, no
 * dlopen): ELF `.dynsym` with symbol versions (`.gnu.version`, `.gnu.version_d`,
 * `.gnu.version_r`), the PE export table, the Mach-O export trie (or the symbol table when there
 * is no trie), the wasm export section. Each symbol is classified as a function or data, which
 * is what `.declare` checks a prototype against.
 *
 * The same layouts as scripts/abi/symbols.ts and scripts/cross/inspect.mjs (which stop at names),
 * extended to every word size, byte order and to the kind of each symbol. Every read is bounds
 * checked: a truncated file gives a message naming the structure, never a RangeError.
 */

export type SymbolKind = 'function' | 'data' | 'other';

export interface ExportedSymbol {
  name: string;
  kind: SymbolKind;
  /** ELF: the version (`GLIBC_2.2.5`) from .gnu.version_d. */
  version?: string;
  /** ELF: true for the default version (`@@`), false for a hidden one (`@`). */
  defaultVersion?: boolean;
  /** What the table says beyond the kind: `IFUNC`, `8 bytes`, `TLS`, `forwarded to NTDLL.RtlX`, `memory`. */
  detail?: string;
}

export interface SymbolTable {
  format: 'ELF' | 'PE' | 'Mach-O' | 'wasm';
  machine: string;
  /** The table read: `.dynsym`, `export table`, `export trie`, `symtab`, `export section`. */
  source: string;
  symbols: ExportedSymbol[];
}

/** `cos@@GLIBC_2.2.5`, `memcpy@GLIBC_2.2.5`, or the bare name. */
export function displayName(symbol: ExportedSymbol): string {
  if (!symbol.version) return symbol.name;
  return `${symbol.name}${symbol.defaultVersion === false ? '@' : '@@'}${symbol.version}`;
}

class Corrupt extends Error {}

/** Bounds-checked little/big-endian reads over a byte array. */
class Bytes {
  readonly view: DataView;
  readonly bytes: Uint8Array;
  little: boolean;
  constructor(bytes: Uint8Array, little = true) {
    this.bytes = bytes;
    this.little = little;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  check(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > this.bytes.length) {
      throw new Corrupt(`${what} at byte ${offset} lies outside the ${this.bytes.length}-byte file`);
    }
  }
  u8(o: number, what = 'a byte'): number {
    this.check(o, 1, what);
    return this.bytes[o] as number;
  }
  u16(o: number, what = 'a 16-bit field'): number {
    this.check(o, 2, what);
    return this.view.getUint16(o, this.little);
  }
  u32(o: number, what = 'a 32-bit field'): number {
    this.check(o, 4, what);
    return this.view.getUint32(o, this.little);
  }
  u64(o: number, what = 'a 64-bit field'): number {
    this.check(o, 8, what);
    const value = this.view.getBigUint64(o, this.little);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Corrupt(`${what} at byte ${o} is too large (${value})`);
    return Number(value);
  }
  /** A NUL-terminated UTF-8 string starting at `o`. */
  cstring(o: number, what = 'a string'): string {
    this.check(o, 1, what);
    let end = o;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    return Buffer.from(this.bytes.subarray(o, end)).toString('utf8');
  }
  /** An unsigned LEB128 at `o`: [value, bytes read]. */
  uleb(o: number, what = 'a ULEB128 number'): [number, number] {
    let value = 0;
    let shift = 0;
    let at = o;
    for (;;) {
      const byte = this.u8(at, what);
      at++;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
      if (shift > 63) throw new Corrupt(`${what} at byte ${o} is longer than 10 bytes`);
    }
    return [value, at - o];
  }
}

/** The format of a file from its first bytes, or undefined. */
export function detectFormat(bytes: Uint8Array): SymbolTable['format'] | undefined {
  const b = bytes;
  if (b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return 'ELF';
  if (b.length >= 2 && b[0] === 0x4d && b[1] === 0x5a) return 'PE';
  if (b.length >= 8 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d) return 'wasm';
  if (b.length >= 4) {
    const magic = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false);
    if ([0xcffaedfe, 0xcefaedfe, 0xfeedfacf, 0xfeedface, 0xcafebabe, 0xcafebabf].includes(magic)) return 'Mach-O';
  }
  return undefined;
}

/** The exported symbols of a shared library (ELF, PE, Mach-O thin or universal, wasm). */
export function readSymbolTable(bytes: Uint8Array, where = 'library', arch: string = process.arch): SymbolTable {
  const format = detectFormat(bytes);
  if (format === undefined) {
    const first = Buffer.from(bytes.subarray(0, 4)).toString('hex');
    throw new Error(`${where}: not a shared library this reader knows (ELF, PE, Mach-O, wasm); it starts with ${first || 'nothing (empty file)'}`);
  }
  try {
    if (format === 'ELF') return readElf(new Bytes(bytes), where);
    if (format === 'PE') return readPe(new Bytes(bytes), where);
    if (format === 'Mach-O') return readMachO(new Bytes(bytes), where, arch);
    return readWasm(new Bytes(bytes), where);
  } catch (error) {
    if (error instanceof Corrupt) throw new Error(`${where}: truncated or corrupt ${format} file: ${error.message}`);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// ELF

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
const SHT_DYNSYM = 11;
const SHT_GNU_VERDEF = 0x6ffffffd;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const STT_NAMES: Record<number, string> = { 0: 'NOTYPE', 1: 'OBJECT', 2: 'FUNC', 5: 'COMMON', 6: 'TLS', 10: 'IFUNC' };

function readElf(b: Bytes, where: string): SymbolTable {
  const is64 = b.u8(4) === 2;
  if (b.u8(4) !== 1 && !is64) throw new Corrupt(`EI_CLASS ${b.u8(4)}`);
  b.little = b.u8(5) !== 2;
  const word = (o: number, what: string) => (is64 ? b.u64(o, what) : b.u32(o, what));
  const machine = b.u16(0x12, 'e_machine');
  const shoff = word(is64 ? 0x28 : 0x20, 'e_shoff');
  const shentsize = b.u16(is64 ? 0x3a : 0x2e, 'e_shentsize');
  let shnum = b.u16(is64 ? 0x3c : 0x30, 'e_shnum');
  if (shoff === 0) throw new Error(`${where}: the ELF file has no section headers (stripped with sstrip?): no .dynsym to read`);
  if (shnum === 0) shnum = word(shoff + (is64 ? 32 : 20), 'section header 0 (sh_size)');
  const sections = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    b.check(at, shentsize, `section header ${i}`);
    return {
      type: b.u32(at + 4),
      offset: word(at + (is64 ? 0x18 : 0x10), 'sh_offset'),
      size: word(at + (is64 ? 0x20 : 0x14), 'sh_size'),
      link: b.u32(at + (is64 ? 0x28 : 0x18)),
      info: b.u32(at + (is64 ? 0x2c : 0x1c)),
      entsize: word(at + (is64 ? 0x38 : 0x24), 'sh_entsize'),
    };
  });
  const stringAt = (section: number, offset: number) => {
    const table = sections[section];
    if (!table) throw new Corrupt(`string table ${section} does not exist`);
    return b.cstring(table.offset + offset, 'a symbol or version name');
  };

  // Version index -> name, from the definitions (this file's versions) and the needs (imports).
  const versionNames = new Map<number, string>();
  for (const s of sections) {
    if (s.type === SHT_GNU_VERDEF) {
      // Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32.
      let at = s.offset;
      for (let n = 0; n < Math.max(s.info, 1); n++) {
        const flags = b.u16(at + 2, 'vd_flags');
        const index = b.u16(at + 4, 'vd_ndx');
        const aux = at + b.u32(at + 12, 'vd_aux');
        // VER_FLG_BASE names the file itself (the soname), not a version.
        if ((flags & 1) === 0) versionNames.set(index, stringAt(s.link, b.u32(aux, 'vda_name')));
        const next = b.u32(at + 16, 'vd_next');
        if (next === 0) break;
        at += next;
      }
    } else if (s.type === SHT_GNU_VERNEED) {
      // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32; Vernaux: hash u32, flags u16, other u16, name u32, next u32.
      let at = s.offset;
      for (let n = 0; n < Math.max(s.info, 1); n++) {
        let aux = at + b.u32(at + 8, 'vn_aux');
        for (let a = 0; a < b.u16(at + 2, 'vn_cnt'); a++) {
          versionNames.set(b.u16(aux + 6, 'vna_other'), stringAt(s.link, b.u32(aux + 8, 'vna_name')));
          const next = b.u32(aux + 12, 'vna_next');
          if (next === 0) break;
          aux += next;
        }
        const next = b.u32(at + 12, 'vn_next');
        if (next === 0) break;
        at += next;
      }
    }
  }

  const symbols: ExportedSymbol[] = [];
  sections.forEach((dynsym, index) => {
    if (dynsym.type !== SHT_DYNSYM) return;
    const entsize = dynsym.entsize || (is64 ? 24 : 16);
    const versym = sections.find((s) => s.type === SHT_GNU_VERSYM && s.link === index);
    const count = Math.floor(dynsym.size / entsize);
    for (let i = 1; i < count; i++) {
      const at = dynsym.offset + i * entsize;
      b.check(at, entsize, `dynamic symbol ${i}`);
      const info = b.u8(at + (is64 ? 4 : 12));
      const other = b.u8(at + (is64 ? 5 : 13));
      const shndx = b.u16(at + (is64 ? 6 : 14));
      const size = is64 ? b.u64(at + 16, 'st_size') : b.u32(at + 8, 'st_size');
      const binding = info >> 4;
      const visibility = other & 3;
      // Defined (not SHN_UNDEF), GLOBAL/WEAK/GNU_UNIQUE, default or protected visibility.
      if (shndx === 0 || (binding !== 1 && binding !== 2 && binding !== 10) || visibility === 1 || visibility === 2) continue;
      const name = stringAt(dynsym.link, b.u32(at, 'st_name'));
      if (name === '') continue;
      const type = info & 0xf;
      const kind: SymbolKind = type === 2 || type === 10 ? 'function' : type === 1 || type === 5 || type === 6 ? 'data' : 'other';
      const symbol: ExportedSymbol = { name, kind };
      if (type === 10) symbol.detail = 'IFUNC';
      else if (type === 6) symbol.detail = `TLS, ${size} bytes`;
      else if (kind === 'data') symbol.detail = `${size} bytes`;
      else if (kind === 'other') symbol.detail = STT_NAMES[type] ?? `type ${type}`;
      if (versym) {
        const v = b.u16(versym.offset + i * 2, `.gnu.version entry ${i}`);
        const version = versionNames.get(v & 0x7fff);
        if ((v & 0x7fff) > 1 && version) {
          symbol.version = version;
          symbol.defaultVersion = (v & 0x8000) === 0;
        }
      }
      // A version's own marker (`GLIBC_2.4`, absolute, size 0) names a version, not an export.
      if (shndx === 0xfff1 && symbol.version === name) continue;
      symbols.push(symbol);
    }
  });
  return { format: 'ELF', machine: ELF_MACHINES[machine] ?? `e_machine ${machine}`, source: '.dynsym', symbols };
}

// ---------------------------------------------------------------------------------------------
// PE

const PE_MACHINES: Record<number, string> = { 332: 'x86', 34404: 'x86_64', 43620: 'aarch64', 452: 'arm' };

function readPe(b: Bytes, _where: string): SymbolTable {
  const pe = b.u32(0x3c, 'e_lfanew');
  if (b.u32(pe, 'the PE signature') !== 0x4550) throw new Corrupt('no PE signature at e_lfanew');
  const machine = b.u16(pe + 4, 'Machine');
  const nsections = b.u16(pe + 6, 'NumberOfSections');
  const optSize = b.u16(pe + 20, 'SizeOfOptionalHeader');
  const opt = pe + 24;
  const magic = b.u16(opt, 'the optional header magic');
  if (magic !== 0x10b && magic !== 0x20b) throw new Corrupt(`optional header magic 0x${magic.toString(16)}`);
  const directories = opt + (magic === 0x20b ? 112 : 96);
  const sections = Array.from({ length: nsections }, (_, i) => {
    const at = opt + optSize + i * 40;
    return {
      vsize: b.u32(at + 8, 'VirtualSize'),
      va: b.u32(at + 12, 'VirtualAddress'),
      rawSize: b.u32(at + 16, 'SizeOfRawData'),
      raw: b.u32(at + 20, 'PointerToRawData'),
      flags: b.u32(at + 36, 'Characteristics'),
    };
  });
  const sectionOf = (rva: number) => sections.find((s) => rva >= s.va && rva < s.va + Math.max(s.vsize, s.rawSize));
  const offset = (rva: number, what: string) => {
    const s = sectionOf(rva);
    if (!s) throw new Corrupt(`${what} (RVA 0x${rva.toString(16)}) is in no section`);
    return rva - s.va + s.raw;
  };
  const symbols: ExportedSymbol[] = [];
  const exportRva = b.u32(directories, 'the export directory RVA');
  const exportSize = b.u32(directories + 4, 'the export directory size');
  if (exportRva !== 0) {
    const at = offset(exportRva, 'the export directory');
    const functionCount = b.u32(at + 20, 'NumberOfFunctions');
    const nameCount = b.u32(at + 24, 'NumberOfNames');
    const functions = offset(b.u32(at + 28, 'AddressOfFunctions'), 'AddressOfFunctions');
    const names = offset(b.u32(at + 32, 'AddressOfNames'), 'AddressOfNames');
    const ordinals = offset(b.u32(at + 36, 'AddressOfNameOrdinals'), 'AddressOfNameOrdinals');
    for (let i = 0; i < nameCount; i++) {
      const name = b.cstring(offset(b.u32(names + i * 4, 'an export name RVA'), 'an export name'), 'an export name');
      const index = b.u16(ordinals + i * 2, 'an export ordinal');
      if (index >= functionCount) throw new Corrupt(`export ${name} has ordinal index ${index} of ${functionCount}`);
      const rva = b.u32(functions + index * 4, 'an export address');
      if (rva >= exportRva && rva < exportRva + exportSize) {
        // A forwarder: the "address" is a string naming another DLL's export.
        symbols.push({ name, kind: 'other', detail: `forwarded to ${b.cstring(offset(rva, 'a forwarder'), 'a forwarder')}` });
        continue;
      }
      const section = sectionOf(rva);
      // IMAGE_SCN_CNT_CODE (0x20) or IMAGE_SCN_MEM_EXECUTE (0x20000000): code.
      const code = section !== undefined && (section.flags & 0x20000020) !== 0;
      symbols.push(code ? { name, kind: 'function' } : { name, kind: 'data' });
    }
  }
  return { format: 'PE', machine: PE_MACHINES[machine] ?? `machine 0x${machine.toString(16)}`, source: 'export table', symbols };
}

// ---------------------------------------------------------------------------------------------
// Mach-O

const MACHO_CPUS: Record<number, string> = { 7: 'x86', 16777223: 'x86_64', 12: 'arm', 16777228: 'aarch64' };
const HOST_CPUS: Record<string, number> = { x64: 0x01000007, arm64: 0x0100000c, ia32: 7, arm: 12 };

function readMachO(b: Bytes, where: string, arch: string): SymbolTable {
  const magic = b.view.getUint32(0, false);
  if (magic === 0xcafebabe || magic === 0xcafebabf) {
    // Universal: big-endian fat_arch (20 bytes) or fat_arch_64 (32 bytes) entries; the host's slice, else the first.
    const fat64 = magic === 0xcafebabf;
    b.little = false;
    const count = b.u32(4, 'nfat_arch');
    if (count === 0 || count > 32) throw new Corrupt(`a universal header with ${count} architectures`);
    const size = fat64 ? 32 : 20;
    const slices = Array.from({ length: count }, (_, i) => {
      const e = 8 + i * size;
      return {
        cpu: b.u32(e, 'cputype'),
        offset: fat64 ? b.u64(e + 8, 'offset') : b.u32(e + 8, 'offset'),
        size: fat64 ? b.u64(e + 16, 'size') : b.u32(e + 12, 'size'),
      };
    });
    const slice = slices.find((s) => s.cpu === HOST_CPUS[arch]) ?? (slices[0] as (typeof slices)[number]);
    b.check(slice.offset, slice.size, 'the slice');
    const table = readMachO(new Bytes(b.bytes.subarray(slice.offset, slice.offset + slice.size)), where, arch);
    return { ...table, machine: `${table.machine} (universal: ${slices.map((s) => MACHO_CPUS[s.cpu] ?? s.cpu).join(', ')})` };
  }
  const m = b.view.getUint32(0, true);
  if (m !== 0xfeedfacf && m !== 0xfeedface) throw new Error(`${where}: big-endian Mach-O files are not supported`);
  const is64 = m === 0xfeedfacf;
  const cpu = b.u32(4, 'cputype');
  const ncmds = b.u32(16, 'ncmds');
  const sections: Array<{ addr: number; size: number; flags: number }> = [];
  let textVmaddr = 0;
  let trie: { offset: number; size: number } | undefined;
  let symtab: { symoff: number; nsyms: number; stroff: number } | undefined;
  let at = is64 ? 32 : 28;
  for (let i = 0; i < ncmds; i++) {
    const cmd = b.u32(at, `load command ${i}`);
    const size = b.u32(at + 4, `load command ${i} size`);
    if (size < 8) throw new Corrupt(`load command ${i} has size ${size}`);
    if (cmd === 0x19 || cmd === 0x1) {
      const segname = Buffer.from(b.bytes.subarray(at + 8, at + 24))
        .toString('latin1')
        .replace(/\0+$/, '');
      const vmaddr = is64 ? b.u64(at + 24, 'vmaddr') : b.u32(at + 24, 'vmaddr');
      if (segname === '__TEXT') textVmaddr = vmaddr;
      const nsects = b.u32(at + (is64 ? 64 : 48), 'nsects');
      for (let s = 0; s < nsects; s++) {
        const e = at + (is64 ? 72 + s * 80 : 56 + s * 68);
        sections.push({
          addr: is64 ? b.u64(e + 32, 'section addr') : b.u32(e + 32, 'section addr'),
          size: is64 ? b.u64(e + 40, 'section size') : b.u32(e + 36, 'section size'),
          flags: b.u32(e + (is64 ? 64 : 56), 'section flags'),
        });
      }
    } else if (cmd === 0x22 || cmd === 0x80000022) {
      const size = b.u32(at + 44, 'export_size');
      if (size > 0) trie = { offset: b.u32(at + 40, 'export_off'), size }; // LC_DYLD_INFO(_ONLY)
    } else if (cmd === 0x80000033) {
      trie = { offset: b.u32(at + 8, 'dataoff'), size: b.u32(at + 12, 'datasize') }; // LC_DYLD_EXPORTS_TRIE
    } else if (cmd === 0x2) {
      symtab = { symoff: b.u32(at + 8, 'symoff'), nsyms: b.u32(at + 12, 'nsyms'), stroff: b.u32(at + 16, 'stroff') };
    }
    at += size;
  }
  // S_ATTR_PURE_INSTRUCTIONS or S_ATTR_SOME_INSTRUCTIONS: code.
  const isCode = (section: { flags: number } | undefined) => section !== undefined && (section.flags & 0x80000400) !== 0;
  const kindAt = (address: number): SymbolKind => {
    const section = sections.find((s) => address >= s.addr && address < s.addr + Math.max(s.size, 1));
    return section === undefined ? 'other' : isCode(section) ? 'function' : 'data';
  };
  const machine = MACHO_CPUS[cpu] ?? `cputype 0x${cpu.toString(16)}`;
  const symbols: ExportedSymbol[] = [];
  if (trie) {
    b.check(trie.offset, trie.size, 'the export trie');
    const end = trie.offset + trie.size;
    const visited = new Set<number>();
    const walk = (node: number, prefix: string) => {
      if (node >= end || visited.has(node)) throw new Corrupt(`export trie node at byte ${node} is outside the trie or visited twice`);
      visited.add(node);
      const [terminalSize, n] = b.uleb(node, 'a trie terminal size');
      let p = node + n;
      if (terminalSize > 0) {
        const [flags, f] = b.uleb(p, 'export flags');
        let q = p + f;
        const name = prefix.replace(/^_/, '');
        const kind = flags & 3;
        if (flags & 0x08) {
          const [, o] = b.uleb(q, 'a re-export ordinal');
          const imported = b.cstring(q + o, 'a re-export name');
          symbols.push({ name, kind: 'other', detail: `re-exported${imported ? ` from ${imported.replace(/^_/, '')}` : ''}` });
        } else {
          const [address, a] = b.uleb(q, 'an export address');
          q += a;
          if (kind === 1) symbols.push({ name, kind: 'data', detail: 'thread-local' });
          else if (kind === 2) symbols.push({ name, kind: 'other', detail: 'absolute' });
          else symbols.push({ name, kind: flags & 0x10 ? 'function' : kindAt(textVmaddr + address), ...(flags & 0x10 ? { detail: 'resolver' } : {}) });
        }
      }
      p += terminalSize;
      const children = b.u8(p, 'a trie child count');
      p++;
      for (let c = 0; c < children; c++) {
        const edge = b.cstring(p, 'a trie edge');
        p += Buffer.byteLength(edge) + 1;
        const [child, k] = b.uleb(p, 'a trie child offset');
        p += k;
        walk(trie!.offset + child, prefix + edge);
      }
    };
    walk(trie.offset, '');
    return { format: 'Mach-O', machine, source: 'export trie', symbols };
  }
  if (!symtab) return { format: 'Mach-O', machine, source: 'no export trie and no symtab', symbols };
  const entry = is64 ? 16 : 12;
  for (let s = 0; s < symtab.nsyms; s++) {
    const e = symtab.symoff + s * entry;
    const type = b.u8(e + 4, 'n_type');
    // External, defined in a section (N_SECT), not a debugging entry (N_STAB).
    if ((type & 0xe0) !== 0 || (type & 1) === 0 || (type & 0x0e) !== 0x0e) continue;
    const sect = b.u8(e + 5, 'n_sect');
    const name = b.cstring(symtab.stroff + b.u32(e, 'n_strx'), 'a symbol name').replace(/^_/, '');
    symbols.push({ name, kind: sect === 0 ? 'other' : isCode(sections[sect - 1]) ? 'function' : 'data' });
  }
  return { format: 'Mach-O', machine, source: 'symtab', symbols };
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

function readWasm(b: Bytes, where: string): SymbolTable {
  const version = b.u32(4, 'the wasm version');
  if (version !== 1) throw new Error(`${where}: wasm binary version ${version} (only 1 is known)`);
  const symbols: ExportedSymbol[] = [];
  let at = 8;
  while (at < b.length) {
    const id = b.u8(at, 'a section id');
    const [size, n] = b.uleb(at + 1, 'a section size');
    const start = at + 1 + n;
    b.check(start, size, `section ${id}`);
    if (id === 7) {
      let p = start;
      const [count, c] = b.uleb(p, 'the export count');
      p += c;
      for (let i = 0; i < count; i++) {
        const [length, l] = b.uleb(p, 'an export name length');
        p += l;
        b.check(p, length, 'an export name');
        const name = Buffer.from(b.bytes.subarray(p, p + length)).toString('utf8');
        p += length;
        const kind = b.u8(p, 'an export kind');
        const [, k] = b.uleb(p + 1, 'an export index');
        p += 1 + k;
        symbols.push({ name, ...(WASM_KINDS[kind] ?? { kind: 'other', detail: `kind ${kind}` }) });
      }
    }
    at = start + size;
  }
  return { format: 'wasm', machine: 'wasm32', source: 'export section', symbols };
}
