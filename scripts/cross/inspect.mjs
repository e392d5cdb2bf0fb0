// Reads what the checks need straight from the binary (no objdump/otool): format, machine,
// exported symbols, needed libraries, glibc symbol versions (ELF), imports per DLL (PE),
// install name, minimum OS and code signature (Mach-O), imports (wasm). Throws a clear error
// on a file it cannot parse.

import { WebAssembly } from './webassembly.mjs';

/**
 * What inspect() read. The optional fields exist only for some formats.
 * @typedef {object} BinaryInfo
 * @property {string} format `elf`, `pe`, `macho` or `wasm`
 * @property {string} machine
 * @property {Set<string>} exports
 * @property {string[]} deps
 * @property {Array<{ file: string, version: string }>} [versions] ELF: symbol versions needed, per library
 * @property {string} [soname] ELF
 * @property {Record<string, string[]> | string[]} [imports] PE: functions per DLL; wasm: `module.name`
 * @property {string} [installName] Mach-O
 * @property {number} [platform] Mach-O (1 = macOS)
 * @property {string} [minos] Mach-O
 * @property {string} [sdk] Mach-O
 * @property {{ offset: number, size: number }} [codeSignature] Mach-O
 */

/** @type {Record<number, string>} */
const ELF_MACHINES = { 62: 'x86_64', 183: 'aarch64' };
/** @type {Record<number, string>} */
const PE_MACHINES = { 34404: 'x86_64', 43620: 'aarch64' };
/** @type {Record<number, string>} */
const MACHO_CPUS = { 16777223: 'x86_64', 16777228: 'aarch64' };

/**
 * @param {Buffer} buf
 * @returns {BinaryInfo}
 */
export function inspect(buf) {
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x7f454c46) return inspectElf(buf);
  if (buf.length >= 2 && buf.toString('latin1', 0, 2) === 'MZ') return inspectPe(buf);
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0xfeedfacf) return inspectMachO(buf);
  if (buf.length >= 8 && buf.readUInt32BE(0) === 0x0061736d) return inspectWasm(buf);
  throw new Error(`unknown binary format (first bytes ${buf.subarray(0, 4).toString('hex') || 'none'})`);
}

/**
 * @param {Buffer} buf
 * @param {number} offset
 */
function cstring(buf, offset) {
  const end = buf.indexOf(0, offset);
  if (offset < 0 || offset >= buf.length) throw new Error(`string offset ${offset} outside the file`);
  return buf.toString('utf8', offset, end === -1 ? buf.length : end);
}

/** @param {Buffer} buf */
function inspectElf(buf) {
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('ELF: only 64-bit little-endian files are supported');
  const machineId = buf.readUInt16LE(0x12);
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  if (shoff === 0 || shoff + shnum * shentsize > buf.length) throw new Error('ELF: no usable section headers');
  /** @type {Array<{ type: number, offset: number, size: number, link: number, info: number, entsize: number }>} */
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    sections.push({
      type: buf.readUInt32LE(at + 4),
      offset: Number(buf.readBigUInt64LE(at + 24)),
      size: Number(buf.readBigUInt64LE(at + 32)),
      link: buf.readUInt32LE(at + 40),
      info: buf.readUInt32LE(at + 44),
      entsize: Number(buf.readBigUInt64LE(at + 56)),
    });
  }
  /** @type {(section: { link: number }, offset: number) => string} */
  const str = (section, offset) => {
    const strtab = sections[section.link];
    if (!strtab) throw new Error(`ELF: string table section ${section.link} does not exist`);
    return cstring(buf, strtab.offset + offset);
  };
  /** @type {Set<string>} */
  const exports = new Set();
  /** @type {string[]} */
  const deps = [];
  /** @type {Array<{ file: string, version: string }>} */
  const versions = [];
  /** @type {string | undefined} */
  let soname;
  for (const s of sections) {
    if (s.type === 11) {
      // SHT_DYNSYM: defined, global/weak, default or protected visibility.
      for (let at = s.offset + 24; at < s.offset + s.size; at += 24) {
        const bind = buf.readUInt8(at + 4) >> 4;
        const visibility = buf.readUInt8(at + 5) & 3;
        const shndx = buf.readUInt16LE(at + 6);
        if (shndx !== 0 && (bind === 1 || bind === 2) && (visibility === 0 || visibility === 3)) {
          exports.add(str(s, buf.readUInt32LE(at)));
        }
      }
    } else if (s.type === 6) {
      // SHT_DYNAMIC
      for (let at = s.offset; at + 16 <= s.offset + s.size; at += 16) {
        const tag = buf.readBigInt64LE(at);
        const value = Number(buf.readBigUInt64LE(at + 8));
        if (tag === 0n) break;
        if (tag === 1n) deps.push(str(s, value));
        if (tag === 14n) soname = str(s, value);
      }
    } else if (s.type === 0x6ffffffe) {
      // SHT_GNU_verneed: Verneed (16 bytes) chains, each with Vernaux (16 bytes) chains.
      let need = s.offset;
      for (let n = 0; n < s.info; n++) {
        const file = str(s, buf.readUInt32LE(need + 4));
        let aux = need + buf.readUInt32LE(need + 8);
        for (let a = 0; a < buf.readUInt16LE(need + 2); a++) {
          versions.push({ file, version: str(s, buf.readUInt32LE(aux + 8)) });
          aux += buf.readUInt32LE(aux + 12);
        }
        const next = buf.readUInt32LE(need + 12);
        if (next === 0) break;
        need += next;
      }
    }
  }
  return { format: 'elf', machine: ELF_MACHINES[machineId] ?? `e_machine ${machineId}`, exports, deps, versions, soname };
}

/** @param {Buffer} buf */
function inspectPe(buf) {
  const pe = buf.readUInt32LE(0x3c);
  if (buf.readUInt32BE(pe) !== 0x50450000) throw new Error('PE: no PE signature');
  const coff = pe + 4;
  const machineId = buf.readUInt16LE(coff);
  const nsections = buf.readUInt16LE(coff + 2);
  const optSize = buf.readUInt16LE(coff + 16);
  const opt = coff + 20;
  if (buf.readUInt16LE(opt) !== 0x20b) throw new Error('PE: not PE32+ (64-bit)');
  const dir = (/** @type {number} */ i) => ({ rva: buf.readUInt32LE(opt + 112 + i * 8), size: buf.readUInt32LE(opt + 112 + i * 8 + 4) });
  /** @type {Array<{ vsize: number, va: number, rawSize: number, raw: number }>} */
  const sections = [];
  for (let i = 0; i < nsections; i++) {
    const at = opt + optSize + i * 40;
    sections.push({
      vsize: buf.readUInt32LE(at + 8),
      va: buf.readUInt32LE(at + 12),
      rawSize: buf.readUInt32LE(at + 16),
      raw: buf.readUInt32LE(at + 20),
    });
  }
  const offset = (/** @type {number} */ rva) => {
    const s = sections.find((x) => rva >= x.va && rva < x.va + Math.max(x.vsize, x.rawSize));
    if (!s) throw new Error(`PE: RVA 0x${rva.toString(16)} is in no section`);
    return rva - s.va + s.raw;
  };
  /** @type {Set<string>} */
  const exports = new Set();
  const exp = dir(0);
  if (exp.rva) {
    const at = offset(exp.rva);
    const count = buf.readUInt32LE(at + 24);
    const names = offset(buf.readUInt32LE(at + 32));
    for (let i = 0; i < count; i++) exports.add(cstring(buf, offset(buf.readUInt32LE(names + i * 4))));
  }
  /** @type {Record<string, string[]>} */
  const imports = {};
  const imp = dir(1);
  if (imp.rva) {
    for (let at = offset(imp.rva); ; at += 20) {
      const nameRva = buf.readUInt32LE(at + 12);
      if (nameRva === 0) break;
      const dll = cstring(buf, offset(nameRva));
      const functions = [];
      const thunkRva = buf.readUInt32LE(at) || buf.readUInt32LE(at + 16);
      for (let t = offset(thunkRva); ; t += 8) {
        const entry = buf.readBigUInt64LE(t);
        if (entry === 0n) break;
        functions.push(entry >> 63n ? `#${entry & 0xffffn}` : cstring(buf, offset(Number(entry & 0x7fffffffn)) + 2));
      }
      imports[dll] = functions;
    }
  }
  return { format: 'pe', machine: PE_MACHINES[machineId] ?? `machine 0x${machineId.toString(16)}`, exports, deps: Object.keys(imports), imports };
}

const versionString = (/** @type {number} */ v) => `${v >>> 16}.${(v >> 8) & 0xff}${v & 0xff ? `.${v & 0xff}` : ''}`;

/** @param {Buffer} buf */
function inspectMachO(buf) {
  const cpu = buf.readUInt32LE(4);
  const ncmds = buf.readUInt32LE(16);
  /** @type {BinaryInfo} */
  const result = { format: 'macho', machine: MACHO_CPUS[cpu] ?? `cputype 0x${cpu.toString(16)}`, exports: new Set(), deps: [] };
  let at = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(at);
    const size = buf.readUInt32LE(at + 4);
    if (size < 8 || at + size > buf.length) throw new Error(`Mach-O: load command ${i} is truncated`);
    if (cmd === 0xd) result.installName = cstring(buf, at + buf.readUInt32LE(at + 8));
    if (cmd === 0xc || cmd === 0x80000018 || cmd === 0x8000001f) result.deps.push(cstring(buf, at + buf.readUInt32LE(at + 8)));
    if (cmd === 0x32) {
      result.platform = buf.readUInt32LE(at + 8); // 1 = macOS
      result.minos = versionString(buf.readUInt32LE(at + 12));
      result.sdk = versionString(buf.readUInt32LE(at + 16));
    }
    if (cmd === 0x24) result.minos = versionString(buf.readUInt32LE(at + 8)); // LC_VERSION_MIN_MACOSX
    if (cmd === 0x1d) result.codeSignature = { offset: buf.readUInt32LE(at + 8), size: buf.readUInt32LE(at + 12) };
    if (cmd === 0x2) {
      const symoff = buf.readUInt32LE(at + 8);
      const nsyms = buf.readUInt32LE(at + 12);
      const stroff = buf.readUInt32LE(at + 16);
      for (let s = 0; s < nsyms; s++) {
        const e = symoff + s * 16;
        const type = buf.readUInt8(e + 4);
        // External, defined in a section, not a debugging entry.
        if ((type & 0xe0) === 0 && type & 0x01 && (type & 0x0e) === 0x0e) {
          result.exports.add(cstring(buf, stroff + buf.readUInt32LE(e)).replace(/^_/, ''));
        }
      }
    }
    at += size;
  }
  return result;
}

/** @param {Buffer} buf */
function inspectWasm(buf) {
  const module = new WebAssembly.Module(buf);
  const imports = WebAssembly.Module.imports(module);
  return {
    format: 'wasm',
    machine: 'wasm32',
    exports: new Set(WebAssembly.Module.exports(module).map((e) => e.name)),
    deps: [...new Set(imports.map((i) => i.module))],
    imports: imports.map((i) => `${i.module}.${i.name}`),
  };
}

/**
 * Compares dotted versions numerically: -1, 0, 1.
 * @param {string} a
 * @param {string} b
 */
export function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}
