/** Internal to the object-file reader (object-file.ts): the PE parser. */
import { type Draft, type ParseOptions, Problem, type Reader } from './_object-reader.ts';

const PE_MACHINES: Record<number, string> = { 332: 'x86', 34404: 'x86_64', 43620: 'aarch64', 452: 'arm' };

export function parsePe(r: Reader, d: Draft, { details }: ParseOptions): void {
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
