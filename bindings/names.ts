/**
 * The library's names, in one place. Scripts and bindings derive every file name and symbol
 * from here; `Cargo.toml`'s `[lib] name` must equal LIB_NAME (checked by test/names.test.ts).
 */

/** Cargo's library name and the stem of every artifact (`mylib.linux-x64-gnu.so`). */
export const LIB_NAME = 'mylib';
/** Every exported C symbol starts with this. */
export const SYMBOL_PREFIX = `${LIB_NAME}_`;
/** MYLIB_ABI_VERSION of rustlib/ffi/mod.rs, generated from it; the loader refuses anything else. */
export { ABI_VERSION } from './abi.generated.ts';
/** Environment variable naming a library file to load instead of searching. */
export const LIBRARY_PATH_ENV = 'MYLIB_LIBRARY_PATH';

export type Libc = 'gnu' | 'musl';

/** Node's view of a platform: `process.platform`, `process.arch` and, on Linux, the libc. */
export interface PlatformInfo {
  platform: string;
  arch: string;
  libc?: Libc;
}

/** `linux-x64-gnu`, `linux-arm64-musl`, `win32-x64`, `darwin-arm64`... */
export function platformTag({ platform, arch, libc }: PlatformInfo): string {
  return platform === 'linux' ? `${platform}-${arch}-${libc ?? 'gnu'}` : `${platform}-${arch}`;
}

/** File extension of a shared library on `platform`, without the dot. */
export function sharedLibraryExtension(platform: string): string {
  if (platform === 'win32') return 'dll';
  if (platform === 'darwin') return 'dylib';
  return 'so';
}

/** The platform-tagged file name: `mylib.linux-x64-gnu.so`. */
export function libraryFileName(info: PlatformInfo): string {
  return `${LIB_NAME}.${platformTag(info)}.${sharedLibraryExtension(info.platform)}`;
}

/** The file cargo writes for this library on `platform` (`libmylib.so`, `mylib.dll`...). */
export function cargoArtifactName(platform: string): string {
  const ext = sharedLibraryExtension(platform);
  return platform === 'win32' ? `${LIB_NAME}.${ext}` : `lib${LIB_NAME}.${ext}`;
}

let cachedLibc: Libc | undefined;

/** The C library Node itself runs on (Linux only): glibc reports a runtime version, musl does not. */
export function hostLibc(): Libc {
  if (cachedLibc === undefined) {
    if ((globalThis as { Deno?: unknown }).Deno !== undefined) {
      // Deno ships glibc builds only, and its process.report is a stub that needs --allow-sys.
      cachedLibc = 'gnu';
    } else {
      const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
      cachedLibc = report?.header?.glibcVersionRuntime ? 'gnu' : 'musl';
    }
  }
  return cachedLibc;
}

/** PlatformInfo of the running Node process. */
export function hostPlatform(): PlatformInfo {
  const { platform, arch } = process;
  return platform === 'linux' ? { platform, arch, libc: hostLibc() } : { platform, arch };
}
