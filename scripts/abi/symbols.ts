/**
 * The symbols a built library really exports. ELF (.so) files are read directly: the dynamic
 * symbol table (.dynsym) and its string table, 32/64-bit, either byte order; no binutils
 * needed. Mach-O and PE files are not parsed: for them `probeSymbols` asks the dynamic loader
 * (through koffi) about each expected name, which finds missing symbols but not extra ones.
 */
import { readFileSync } from 'node:fs';

export interface ElfSymbol {
  name: string;
  type: 'func' | 'object' | 'other';
  binding: 'global' | 'weak';
}

const SHT_DYNSYM = 11;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STV_HIDDEN = 2;
const STV_INTERNAL = 1;

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 16 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Defined, visible GLOBAL/WEAK symbols of an ELF file's dynamic symbol table (like `nm -D --defined-only`). */
export function readElfDynamicSymbols(bytes: Uint8Array, where = 'library'): ElfSymbol[] {
  if (!isElf(bytes)) throw new Error(`${where}: not an ELF file`);
  const is64 = bytes[4] === 2;
  if (bytes[4] !== 1 && bytes[4] !== 2) throw new Error(`${where}: unknown ELF class ${bytes[4]}`);
  const little = bytes[5] === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, little);
  const u32 = (o: number) => view.getUint32(o, little);
  const addr = (o: number) => (is64 ? Number(view.getBigUint64(o, little)) : u32(o));
  const shoff = addr(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  if (shoff === 0 || shnum === 0) throw new Error(`${where}: ELF file has no section headers`);
  const section = (index: number) => {
    const base = shoff + index * shentsize;
    if (base + shentsize > bytes.length) throw new Error(`${where}: truncated ELF section table`);
    return {
      type: u32(base + 4),
      offset: addr(base + (is64 ? 0x18 : 0x10)),
      size: addr(base + (is64 ? 0x20 : 0x14)),
      link: u32(base + (is64 ? 0x28 : 0x18)),
      entsize: addr(base + (is64 ? 0x38 : 0x24)),
    };
  };
  const symbols: ElfSymbol[] = [];
  for (let s = 0; s < shnum; s++) {
    const dynsym = section(s);
    if (dynsym.type !== SHT_DYNSYM) continue;
    const strtab = section(dynsym.link);
    const entsize = dynsym.entsize || (is64 ? 24 : 16);
    for (let offset = dynsym.offset + entsize; offset + entsize <= dynsym.offset + dynsym.size; offset += entsize) {
      const nameOffset = u32(offset);
      const info = bytes[offset + (is64 ? 4 : 12)] as number;
      const other = bytes[offset + (is64 ? 5 : 13)] as number;
      const shndx = u16(offset + (is64 ? 6 : 14));
      const binding = info >> 4;
      const visibility = other & 3;
      if (shndx === 0 || (binding !== STB_GLOBAL && binding !== STB_WEAK)) continue;
      if (visibility === STV_HIDDEN || visibility === STV_INTERNAL) continue;
      let end = strtab.offset + nameOffset;
      while (end < bytes.length && bytes[end] !== 0) end++;
      const name = Buffer.from(bytes.subarray(strtab.offset + nameOffset, end)).toString('utf8');
      if (name === '') continue;
      const type = info & 0xf;
      symbols.push({
        name,
        type: type === STT_FUNC ? 'func' : type === STT_OBJECT ? 'object' : 'other',
        binding: binding === STB_GLOBAL ? 'global' : 'weak',
      });
    }
  }
  return symbols;
}

export interface LibrarySymbols {
  path: string;
  /** `elf`: every exported symbol is known; `probe`: only the names asked about. */
  method: 'elf' | 'probe';
  names: Set<string>;
}

/** Reads the exported symbols of `path`; non-ELF files are probed for `expected` through koffi. */
export async function readLibrarySymbols(path: string, expected: readonly string[]): Promise<LibrarySymbols> {
  const bytes = readFileSync(path);
  if (isElf(bytes)) {
    return { path, method: 'elf', names: new Set(readElfDynamicSymbols(bytes, path).map((s) => s.name)) };
  }
  return { path, method: 'probe', names: await probeSymbols(path, expected) };
}

/** Asks the dynamic loader which of `names` the library defines (dlsym/GetProcAddress). */
export async function probeSymbols(path: string, names: readonly string[]): Promise<Set<string>> {
  const { default: koffi } = await import('koffi');
  const lib = koffi.load(path);
  const found = new Set<string>();
  try {
    for (const name of names) {
      try {
        lib.func(`void ${name}()`);
        found.add(name);
      } catch {
        // Not exported.
      }
    }
  } finally {
    lib.unload();
  }
  return found;
}
