/** Internal to the object-file reader (object-file.ts): the Mach-O (thin and universal) parser. */
import { ARCHES, type Draft, MAX_NAME, type ParseOptions, Problem, type Reader, type View } from './_object-reader.ts';
import type { ExportedSymbol, SymbolKind } from './object-file.ts';

const MACHO_CPUS: Record<number, string> = { 7: 'x86', 16777223: 'x86_64', 12: 'arm', 16777228: 'aarch64' };

/** The `process.arch` name of a Mach-O cputype, for messages about slices. */
function sliceName(cpu: number): string {
  return Object.entries(ARCHES).find(([, a]) => a.macho === cpu)?.[0] ?? `cputype 0x${cpu.toString(16)}`;
}

export function parseFat(r: Reader, d: Draft, options: ParseOptions): void {
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
export function parseMachO(r: Reader, d: Draft, { details }: ParseOptions): void {
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
