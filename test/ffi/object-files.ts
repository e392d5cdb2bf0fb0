// Small object files built byte by byte for test/ffi/object-file*.test.ts: every format the reader
// knows, so a Linux runner covers the macOS, Windows and wasm paths too. Layouts are the formats'
// own (ELF gABI, PE/COFF, Mach-O loader.h, the wasm binary format); sizes are kept minimal.

/** A minimal ELF shared object: header, one PT_LOAD covering the file, section headers at the end. */
export function elf({ bits = 64, machine = 62, type = 3, size = 4096 } = {}): Buffer {
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

/**
 * A minimal PE DLL: headers in the first 512 bytes, one code section of 512 bytes after them
 * (RVA 0x1000) holding an export table (`mylib_add`, `mylib_sub`) and an import of
 * KERNEL32.dll!GetLastError.
 */
export function pe({ machine = 0x8664, pe32plus = true, dll = true, certificate = 0 } = {}): Buffer {
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
  const directories = opt + (pe32plus ? 112 : 96);
  b.writeUInt32LE(16, directories - 4);
  const va = 0x1000;
  b.writeUInt32LE(va, directories); // export directory
  b.writeUInt32LE(96, directories + 4);
  b.writeUInt32LE(va + 96, directories + 8); // import directory
  b.writeUInt32LE(40, directories + 12);
  if (certificate) {
    b.writeUInt32LE(1024, directories + 32);
    b.writeUInt32LE(certificate, directories + 36);
  }
  const section = opt + optSize;
  b.write('.text', section, 'latin1');
  b.writeUInt32LE(512, section + 8);
  b.writeUInt32LE(va, section + 12);
  b.writeUInt32LE(512, section + 16);
  b.writeUInt32LE(512, section + 20);
  b.writeUInt32LE(0x60000020, section + 36); // code, execute, read

  const raw = 512;
  const at = (rva: number) => raw + rva - va;
  b.writeUInt32LE(2, at(va + 20)); // NumberOfFunctions
  b.writeUInt32LE(2, at(va + 24)); // NumberOfNames
  b.writeUInt32LE(va + 40, at(va + 28));
  b.writeUInt32LE(va + 48, at(va + 32));
  b.writeUInt32LE(va + 56, at(va + 36));
  b.writeUInt32LE(va + 0x100, at(va + 40));
  b.writeUInt32LE(va + 0x104, at(va + 44));
  b.writeUInt32LE(va + 64, at(va + 48));
  b.writeUInt32LE(va + 80, at(va + 52));
  b.writeUInt16LE(0, at(va + 56));
  b.writeUInt16LE(1, at(va + 58));
  b.write('mylib_add\0', at(va + 64), 'latin1');
  b.write('mylib_sub\0', at(va + 80), 'latin1');
  // Import descriptor: OriginalFirstThunk, Name; then an all-zero descriptor.
  b.writeUInt32LE(va + 136, at(va + 96));
  b.writeUInt32LE(va + 160, at(va + 96 + 12));
  b.writeUInt32LE(va + 176, at(va + 136)); // one thunk (by name), then 0
  b.write('KERNEL32.dll\0', at(va + 160), 'latin1');
  b.write('GetLastError\0', at(va + 178), 'latin1');
  return b;
}

/** A thin 64-bit Mach-O dylib of 4096 bytes: one LC_SEGMENT_64 covering it, nothing else. */
export function macho({ cpu = 0x01000007, filetype = 6, bigEndian = false } = {}): Buffer {
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

/** Load commands of a Mach-O image, each padded to 8 bytes. */
export function commands(list: Array<[number, Buffer]>): Buffer {
  return Buffer.concat(
    list.map(([cmd, body]) => {
      const size = Math.ceil((8 + body.length) / 8) * 8;
      const c = Buffer.alloc(size);
      c.writeUInt32LE(cmd, 0);
      c.writeUInt32LE(size, 4);
      body.copy(c, 8);
      return c;
    }),
  );
}

function dylibCommand(name: string): Buffer {
  const body = Buffer.alloc(16 + name.length + 1);
  body.writeUInt32LE(24, 0); // the name's offset from the command's start
  body.write(name, 16, 'latin1');
  return body;
}

/** A segment command body with `nsects` sections (the first is code at 0x800), covering [0, filesize). */
export function segment(name: string, filesize: number, nsects = 1): Buffer {
  const body = Buffer.alloc(64 + nsects * 80);
  body.write(name, 0, 'latin1');
  body.writeBigUInt64LE(BigInt(filesize), 24); // vmsize
  body.writeBigUInt64LE(BigInt(filesize), 40); // filesize (fileoff 0)
  body.writeUInt32LE(7, 48);
  body.writeUInt32LE(5, 52);
  body.writeUInt32LE(nsects, 56);
  for (let s = 0; s < nsects; s++) {
    const e = 64 + s * 80;
    body.write(s === 0 ? '__text' : `__s${s}`, e, 'latin1');
    body.write(name, e + 16, 'latin1');
    body.writeBigUInt64LE(BigInt(0x800 + s * 0x10), e + 32);
    body.writeBigUInt64LE(0x10n, e + 40);
    body.writeUInt32LE(s === 0 ? 0x80000400 : 0, e + 64);
  }
  return body;
}

/**
 * A thin 64-bit Mach-O dylib with what the cross checks and `.symbols` read: install name, a
 * needed dylib, LC_BUILD_VERSION (macOS 11.0), a code signature, and the exports `mylib_add`
 * (code) and `mylib_tls` (thread-local) in an export trie (`trie: false`: in the symbol table).
 */
export function fullMacho({ cpu = 0x0100000c, trie = true, extra = [] as Array<[number, Buffer]> } = {}): Buffer {
  const size = 8192;
  const b = Buffer.alloc(size);
  const [trieAt, symAt, strAt, signAt] = [0x1000, 0x1200, 0x1300, 0x1400];
  // Node offsets follow from the prefix's length (11, 23, 28 for "_mylib_"), so a renamed
  // library (npm run init) still builds a valid trie.
  const prefix = Buffer.from('_mylib_\0');
  const [children, add, tls] = [3 + prefix.length, 15 + prefix.length, 20 + prefix.length];
  // biome-ignore format: one trie node per line
  const trieBytes = Buffer.from([
    // 0, root: no terminal, one child "_mylib_" -> children
    0, 1, ...prefix, children,
    // children: no terminal, children "add" -> add, "tls" -> tls
    0, 2, ...Buffer.from('add\0'), add, ...Buffer.from('tls\0'), tls,
    // add: terminal of 3 bytes (flags 0, address 0x800 as ULEB128), no children
    3, 0, 0x80, 0x10, 0,
    // tls: terminal, flags 1 (thread-local)
    3, 1, 0x80, 0x10, 0,
  ]);
  trieBytes.copy(b, trieAt);
  // One nlist_64: n_strx 1, N_SECT | N_EXT, section 1, value 0x800.
  b.writeUInt32LE(1, symAt);
  b[symAt + 4] = 0x0f;
  b[symAt + 5] = 1;
  b.writeBigUInt64LE(0x800n, symAt + 8);
  b.write('\0_mylib_add\0', strAt, 'latin1');
  const u32s = (...values: number[]) => Buffer.from(new Uint32Array(values).buffer);
  const list: Array<[number, Buffer]> = [
    [0x19, segment('__TEXT', size)],
    [0xd, dylibCommand('@rpath/libmylib.dylib')],
    [0xc, dylibCommand('/usr/lib/libSystem.B.dylib')],
    [0x32, u32s(1, 0x000b0000, 0x000e0000, 0)],
    [0x2, u32s(symAt, 1, strAt, 16)],
    [0x1d, u32s(signAt, 16)],
    ...(trie ? ([[0x80000033, u32s(trieAt, trieBytes.length)]] as Array<[number, Buffer]>) : []),
    ...extra,
  ];
  const cmds = commands(list);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(cpu, 4);
  b.writeUInt32LE(6, 12);
  b.writeUInt32LE(list.length, 16);
  b.writeUInt32LE(cmds.length, 20);
  if (32 + cmds.length > trieAt) throw new Error('fullMacho: load commands overlap the export trie');
  cmds.copy(b, 32);
  return b;
}

/** A fat file with one slice per image, each at a 4096-byte boundary. */
export function fat(slices: Buffer[]): Buffer {
  const offsets: number[] = [];
  let end = 4096;
  for (const slice of slices) {
    offsets.push(end);
    end += Math.ceil(slice.length / 4096) * 4096;
  }
  const b = Buffer.alloc(end);
  b.writeUInt32BE(0xcafebabe, 0);
  b.writeUInt32BE(slices.length, 4);
  slices.forEach((slice, i) => {
    const e = 8 + i * 20;
    b.writeUInt32BE(slice.readUInt32LE(4), e);
    b.writeUInt32BE(offsets[i] as number, e + 8);
    b.writeUInt32BE(slice.length, e + 12);
    slice.copy(b, offsets[i] as number);
  });
  return b;
}

const leb = (n: number) => {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return out;
};
const wasmName = (s: string) => [...leb(s.length), ...Buffer.from(s)];
const wasmSection = (id: number, body: number[]) => [id, ...leb(body.length), ...body];

/** A valid wasm module importing env.log, exporting the function `mylib_add` and its memory. */
export function wasm(): Buffer {
  // biome-ignore format: one section per line
  return Buffer.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...wasmSection(1, [1, 0x60, 0, 0]), // one type: () -> ()
    ...wasmSection(2, [1, ...wasmName('env'), ...wasmName('log'), 0, 0]), // import func 0
    ...wasmSection(3, [1, 0]), // func 1 of type 0
    ...wasmSection(5, [1, 0, 1]), // one memory, min 1 page
    ...wasmSection(7, [2, ...wasmName('mylib_add'), 0, 1, ...wasmName('memory'), 2, 0]),
    ...wasmSection(10, [1, 2, 0, 0x0b]), // body: no locals, end
  ]);
}
