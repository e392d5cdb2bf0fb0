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
 *
 * The format parsers are internal modules beside this one: `_object-elf.ts`, `_object-pe.ts`,
 * `_object-macho.ts`, `_object-wasm.ts`, over the bounded reader of `_object-reader.ts`.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { parseElf } from './_object-elf.ts';
import { parseFat, parseMachO } from './_object-macho.ts';
import { parsePe } from './_object-pe.ts';
import { ARCHES, type Draft, HEAD_SIZE, MAX_FILE, type ParseOptions, Problem, Reader } from './_object-reader.ts';
import { parseWasm } from './_object-wasm.ts';

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
