/**
 * Library names: from a bare name (`m`, `libm`, `c`, `z`) to the file the platform's dynamic
 * loader would open, and the file to read symbols from (`open('m')` of mylib-rust/ffi, the REPL's
 * `.open m`). A path is taken as it is.
 *   Linux/glibc: libm.so.6, libc.so.6 (sonames), else lib<name>.so.<N> / lib<name>.so in the
 *   loader's directories; musl: m, c, dl, pthread, rt are all libc.
 *   macOS: m, c, System, pthread, dl -> /usr/lib/libSystem.B.dylib (in the dyld shared cache: no file).
 *   Windows: m, c -> ucrtbase.dll, then msvcrt.dll; else <name>.dll, lib<name>.dll on PATH and System32.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';
import process from 'node:process';

export interface ResolvedLibrary {
  /** What dlopen receives: an absolute path, or a name the dynamic loader searches for. */
  load: string;
  /** The file to read the symbol table from; undefined when there is none on disk (dyld shared cache). */
  file: string | undefined;
  /** A default workbench name: `m` for libm.so.6, `foo` for /x/libfoo.so. */
  name: string;
  /** Every candidate looked at, for the error message. */
  tried: string[];
}

const GLIBC_SONAMES: Record<string, string> = {
  c: 'libc.so.6',
  m: 'libm.so.6',
  dl: 'libdl.so.2',
  pthread: 'libpthread.so.0',
  rt: 'librt.so.1',
  util: 'libutil.so.1',
  z: 'libz.so.1',
};
const MUSL_IN_LIBC = new Set(['c', 'm', 'dl', 'pthread', 'rt', 'util', 'crypt', 'xnet']);
const DARWIN_SYSTEM = new Set(['c', 'm', 'System', 'pthread', 'dl', 'info', 'rpcsvc']);

/** `libm.so.6` -> `m`; `/x/libfoo.dylib` -> `foo`; `ucrtbase.dll` -> `ucrtbase`; always a JS identifier. */
export function defaultName(spec: string): string {
  let name = basename(spec)
    .replace(/\.(so(\.\d+)*|dylib|dll|wasm)$/i, '')
    .replace(/(\.\d+)+$/, '');
  if (/^lib./.test(name)) name = name.slice(3);
  name = name.replace(/\.[A-Za-z]$/, '').replace(/[^A-Za-z0-9_$]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

let glibc: boolean | undefined;

/**
 * Whether this process runs on glibc (else musl): the C library mapped into it, from
 * /proc/self/maps. process.report is the fallback only: it needs --allow-sys on Deno and costs
 * milliseconds on Node.
 */
function isGlibc(): boolean {
  if (glibc !== undefined) return glibc;
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    if (/\/(ld-musl-[^/\s]*|libc\.musl-[^/\s]*)$/m.test(maps)) glibc = false;
    else if (/\/libc\.so\.6$/m.test(maps)) glibc = true;
    if (glibc !== undefined) return glibc;
  } catch {
    // No /proc: ask the runtime below.
  }
  try {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    glibc = Boolean(report?.header?.glibcVersionRuntime);
  } catch {
    glibc = true;
  }
  return glibc;
}

function linuxDirectories(): string[] {
  const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', arm: 'arm-linux-gnueabihf', ia32: 'i386-linux-gnu' }[process.arch as string];
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const system = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib'];
  const multiarch = triplet ? [`/lib/${triplet}`, `/usr/lib/${triplet}`] : [];
  return [...fromEnv, ...multiarch, ...system];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Where the dynamic loader mapped a library whose file name is `soname` (Linux: /proc/self/maps). */
export function mappedFile(soname: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const lines = readFileSync('/proc/self/maps', 'utf8').split('\n');
    const paths = [...new Set(lines.map((l) => l.slice(l.indexOf('/')).trim()).filter((p) => p.startsWith('/')))];
    return paths.find((p) => basename(p) === soname) ?? paths.find((p) => basename(p).startsWith(`${soname}.`));
  } catch {
    return undefined;
  }
}

/** Resolves `.open`'s argument; throws with every candidate tried when nothing fits. */
export function resolveLibrary(spec: string, platform: string = process.platform): ResolvedLibrary {
  const tried: string[] = [];
  if (spec.includes('/') || spec.includes('\\') || /\.(so(\.\d+)*|dylib|dll)$/i.test(spec)) {
    const isPath = isAbsolute(spec) || spec.startsWith('.') || spec.includes('/') || spec.includes('\\');
    const path = isPath ? resolve(spec) : spec;
    // A path (absolute, relative or with a separator) must exist; a bare file name is searched for.
    if (isPath || existsSync(path)) {
      if (!existsSync(path)) throw new Error(`file not found: ${path}`);
      return { load: path, file: path, name: defaultName(path), tried: [path] };
    }
    // A bare file name (`libm.so.6`): the loader's search, like dlopen.
    return searchByFileName([spec], defaultName(spec), platform, tried);
  }
  const short = /^lib./.test(spec) ? spec.slice(3) : spec;
  const name = defaultName(short);
  if (platform === 'linux') {
    if (!isGlibc() && MUSL_IN_LIBC.has(short))
      return searchByFileName(['libc.so', 'libc.musl-x86_64.so.1', `ld-musl-${process.arch === 'x64' ? 'x86_64' : 'aarch64'}.so.1`], name, platform, tried);
    const soname = GLIBC_SONAMES[short];
    return searchByFileName(soname ? [soname, `lib${short}.so`] : [`lib${short}.so`], name, platform, tried, short);
  }
  if (platform === 'darwin') {
    if (DARWIN_SYSTEM.has(short)) {
      const system = '/usr/lib/libSystem.B.dylib';
      return { load: system, file: existsSync(system) ? system : undefined, name, tried: [system] };
    }
    return searchByFileName([`lib${short}.dylib`, `${short}.dylib`], name, platform, tried);
  }
  if (platform === 'win32') {
    const candidates = short === 'm' || short === 'c' ? ['ucrtbase.dll', 'msvcrt.dll'] : [`${short}.dll`, `lib${short}.dll`];
    return searchByFileName(candidates, name, platform, tried);
  }
  return searchByFileName([`lib${short}.so`], name, platform, tried);
}

function directoriesFor(platform: string): string[] {
  if (platform === 'linux') return linuxDirectories();
  if (platform === 'darwin') return [...(process.env.DYLD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib', '/usr/local/lib', '/opt/homebrew/lib'];
  if (platform === 'win32') {
    const windows = process.env.SystemRoot ?? 'C:\\Windows';
    return [join(windows, 'System32'), ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  }
  return ['/lib', '/usr/lib', '/usr/local/lib'];
}

/** The first candidate file name found in the loader's directories; `versioned` also matches lib<x>.so.<N>. */
function searchByFileName(candidates: string[], name: string, platform: string, tried: string[], versioned?: string): ResolvedLibrary {
  const directories = directoriesFor(platform);
  for (const candidate of candidates) {
    for (const directory of directories) {
      const path = join(directory, candidate);
      tried.push(path);
      if (isFile(path) && !isLinkerScript(path)) return { load: path, file: path, name, tried };
    }
  }
  if (versioned) {
    for (const directory of directories) {
      let entries: string[] = [];
      try {
        entries = readdirSync(directory);
      } catch {
        continue;
      }
      const match = entries.filter((e) => new RegExp(`^lib${versioned.replace(/[^\w]/g, '\\$&')}\\.so\\.\\d+$`).test(e)).sort()[0];
      if (match) return { load: join(directory, match), file: join(directory, match), name, tried };
      tried.push(join(directory, `lib${versioned}.so.<N>`));
    }
  }
  // Not found on disk: the dynamic loader may still know it (ld.so.cache, DT_RUNPATH, the shared cache).
  const first = candidates[0] as string;
  return { load: first, file: undefined, name, tried };
}

/** glibc's libc.so / libm.so in /usr/lib are often linker scripts (text), not libraries. */
function isLinkerScript(path: string): boolean {
  try {
    const head = readFileSync(path).subarray(0, 64).toString('latin1');
    return /^\/\*|^GNU ld script|^INPUT\(|^GROUP\(/.test(head.trimStart());
  } catch {
    return false;
  }
}
