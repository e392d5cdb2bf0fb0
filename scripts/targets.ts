/**
 * THE list of cross targets. scripts/cross/{setup,build,test}.mjs read only this table: the
 * Rust triple, the platform tag (file name from names.ts), how it is built here (route and
 * linker) and which checks prove the artifact. Adding a target means adding a row here.
 */
import { DECLARATIONS } from '../bindings/raw.ts';
import { LIB_NAME, type PlatformInfo, cargoArtifactName, libraryFileName } from '../bindings/names.ts';

/**
 * How the Rust side is built from a Linux x64 machine with no network beyond package registries.
 * - `rustup`: rustup's toolchain, which has this std (the host target is always installed).
 * - `debian-std`: Debian's rustc-web with the target's prebuilt std unpacked from the
 *   Debian package of that architecture into a private sysroot (no build-std).
 * - `build-std`: Debian's rustc-web building std from rust-web-src (`-Zbuild-std`, offline).
 * In every case a rustup target that is already installed wins (no build-std needed).
 */
export type Route = 'rustup' | 'debian-std' | 'build-std';

/** The linker rustc is told to use. */
export type Linker = { kind: 'zig'; zigTarget: string } | { kind: 'mingw'; command: string } | { kind: 'ld64.lld' } | { kind: 'wasm-ld' };

/** Binary format and machine, checked from the file header. */
export type Format = 'elf' | 'pe' | 'macho' | 'wasm';
export type Machine = 'x86_64' | 'aarch64' | 'wasm32';

/**
 * What can be proven about an artifact here, strongest last. test:cross prints this set per
 * target so "built" is never mistaken for "verified".
 * - `header`: format and machine in the file header match the target.
 * - `exports`: every symbol of bindings/raw.ts DECLARATIONS is exported.
 * - `deps`: only the allowed shared libraries are needed (`allowedDeps`).
 * - `glibc-baseline`: the highest GLIBC_x.y version needed is <= `glibcMax`.
 * - `no-processprng`: the DLL does not import bcryptprimitives.dll (ProcessPrng, std >= 1.78
 *   HashMap seeding), which older Windows and wine 8 lack.
 * - `install-name`: Mach-O LC_ID_DYLIB is `@rpath/lib<name>.dylib`.
 * - `min-os`: Mach-O LC_BUILD_VERSION minos equals `macosMin`.
 * - `code-signature`: Mach-O arm64 carries a code signature (macOS refuses unsigned arm64 code).
 * - `node-smoke`: scripts/cross/smoke.mjs loads the artifact with koffi in a Node of that
 *   platform (host, qemu-user, wine) and runs the smoke table.
 * - `musl-dlopen`: a musl C program dlopen()s the library with musl's loader and calls exports.
 * - `wasm-smoke`: WebAssembly.instantiate in Node and call the kernels through linear memory.
 */
export type Check =
  | 'header'
  | 'exports'
  | 'deps'
  | 'glibc-baseline'
  | 'no-processprng'
  | 'install-name'
  | 'min-os'
  | 'code-signature'
  | 'node-smoke'
  | 'musl-dlopen'
  | 'wasm-smoke';

/** Where the `node-smoke` check runs. */
export type Runner = 'host' | 'qemu-aarch64' | 'wine';

export interface CrossTarget {
  /** Rust target triple. */
  triple: string;
  /** Node's view of the platform; undefined for wasm (no Node platform). */
  platform: PlatformInfo | undefined;
  /** The file name under artifacts/: `mylib.linux-arm64-gnu.so`, `mylib.wasm`. */
  fileName: string;
  /** The file cargo writes under target/<triple>/release/. */
  cargoFile: string;
  format: Format;
  machine: Machine;
  /** The route when no rustup target is installed for this triple. */
  route: Route;
  linker: Linker;
  /** Extra rustc flags (RUSTFLAGS) for this target. */
  rustflags: readonly string[];
  /** Release-profile overrides passed as `cargo --config profile.release.<k>=<v>` (Cargo.toml untouched). */
  profile: Readonly<Record<string, string>>;
  /** Extra environment for cargo (e.g. MACOSX_DEPLOYMENT_TARGET). */
  env: Readonly<Record<string, string>>;
  /** Shared libraries the artifact may need (ELF DT_NEEDED, PE imports, Mach-O dylibs); lower-case. */
  allowedDeps: readonly string[];
  /** glibc baseline: the highest GLIBC_ symbol version allowed. */
  glibcMax?: string;
  /** macOS minimum version (LC_BUILD_VERSION minos). */
  macosMin?: string;
  /** Where node-smoke runs. */
  runner?: Runner;
  checks: readonly Check[];
}

/** Every symbol the bindings declare: each artifact must export all of them. */
export const REQUIRED_EXPORTS: readonly string[] = Object.keys(DECLARATIONS);

const GLIBC_DEPS = ['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'librt.so.1'];
const GLIBC_BASELINE = '2.17';
/** Rust's own defaults for these targets (rustc --print deployment-target), pinned so a change is noticed. */
const MACOS_MIN = { x86_64: '10.12', aarch64: '11.0' } as const;
const MUSL_FLAGS = ['-C', 'target-feature=-crt-static', '-C', 'link-self-contained=no'];

function linuxGnu(arch: 'x64' | 'arm64', machine: 'x86_64' | 'aarch64', route: Route): CrossTarget {
  const platform: PlatformInfo = { platform: 'linux', arch, libc: 'gnu' };
  return {
    triple: `${machine}-unknown-linux-gnu`,
    platform,
    fileName: libraryFileName(platform),
    cargoFile: cargoArtifactName('linux'),
    format: 'elf',
    machine,
    route,
    // zig links against glibc 2.17 symbol stubs: the library then loads on old distributions.
    linker: { kind: 'zig', zigTarget: `${machine}-linux-gnu.${GLIBC_BASELINE}` },
    rustflags: [],
    profile: {},
    env: {},
    allowedDeps: [...GLIBC_DEPS, `ld-linux-${machine === 'x86_64' ? 'x86-64' : 'aarch64'}.so.${machine === 'x86_64' ? 2 : 1}`],
    glibcMax: GLIBC_BASELINE,
    runner: arch === 'x64' ? 'host' : 'qemu-aarch64',
    checks: ['header', 'exports', 'deps', 'glibc-baseline', 'node-smoke'],
  };
}

function linuxMusl(arch: 'x64' | 'arm64', machine: 'x86_64' | 'aarch64'): CrossTarget {
  const platform: PlatformInfo = { platform: 'linux', arch, libc: 'musl' };
  return {
    triple: `${machine}-unknown-linux-musl`,
    platform,
    fileName: libraryFileName(platform),
    cargoFile: cargoArtifactName('linux'),
    format: 'elf',
    machine,
    route: 'build-std',
    linker: { kind: 'zig', zigTarget: `${machine}-linux-musl` },
    // A cdylib needs a dynamically linked musl (crt-static would make a static, unloadable .so).
    rustflags: MUSL_FLAGS,
    profile: {},
    env: {},
    allowedDeps: ['libc.so'],
    checks: ['header', 'exports', 'deps', 'musl-dlopen'],
  };
}

function darwin(arch: 'x64' | 'arm64', machine: 'x86_64' | 'aarch64'): CrossTarget {
  const platform: PlatformInfo = { platform: 'darwin', arch };
  const min = MACOS_MIN[machine];
  return {
    triple: `${machine}-apple-darwin`,
    platform,
    fileName: libraryFileName(platform),
    cargoFile: cargoArtifactName('darwin'),
    format: 'macho',
    machine,
    route: 'build-std',
    linker: { kind: 'ld64.lld' },
    rustflags: ['-C', 'link-arg=-install_name', '-C', `link-arg=@rpath/lib${LIB_NAME}.dylib`],
    // Stripping here would run an old llvm-objcopy over the ad-hoc arm64 signature: keep symbols.
    profile: { strip: '"none"' },
    env: { MACOSX_DEPLOYMENT_TARGET: min },
    allowedDeps: ['/usr/lib/libsystem.b.dylib'],
    macosMin: min,
    checks: ['header', 'exports', 'deps', 'install-name', 'min-os', ...(machine === 'aarch64' ? (['code-signature'] as const) : [])],
  };
}

const windowsPlatform: PlatformInfo = { platform: 'win32', arch: 'x64' };

export const TARGETS: readonly CrossTarget[] = [
  linuxGnu('x64', 'x86_64', 'rustup'),
  linuxGnu('arm64', 'aarch64', 'debian-std'),
  linuxMusl('x64', 'x86_64'),
  linuxMusl('arm64', 'aarch64'),
  {
    triple: 'x86_64-pc-windows-gnu',
    platform: windowsPlatform,
    fileName: libraryFileName(windowsPlatform),
    cargoFile: cargoArtifactName('win32'),
    format: 'pe',
    machine: 'x86_64',
    route: 'build-std',
    linker: { kind: 'mingw', command: 'x86_64-w64-mingw32-gcc' },
    rustflags: [],
    profile: {},
    env: {},
    // api-ms-win-core-synch-l1-2-0.dll: WaitOnAddress (std's thread parking), Windows 8+.
    allowedDeps: ['kernel32.dll', 'ntdll.dll', 'msvcrt.dll', 'userenv.dll', 'ws2_32.dll', 'api-ms-win-core-synch-l1-2-0.dll'],
    runner: 'wine',
    checks: ['header', 'exports', 'deps', 'no-processprng', 'node-smoke'],
  },
  darwin('x64', 'x86_64'),
  darwin('arm64', 'aarch64'),
  {
    triple: 'wasm32-unknown-unknown',
    platform: undefined,
    fileName: `${LIB_NAME}.wasm`,
    cargoFile: `${LIB_NAME}.wasm`,
    format: 'wasm',
    machine: 'wasm32',
    route: 'build-std',
    linker: { kind: 'wasm-ld' },
    rustflags: [],
    // wasm32-unknown-unknown cannot unwind: a panic traps (WebAssembly.RuntimeError).
    profile: { panic: '"abort"' },
    env: {},
    allowedDeps: [],
    checks: ['header', 'exports', 'deps', 'wasm-smoke'],
  },
];

/** The targets named in `selection` (comma-separated triples, or platform tags); all when empty. */
export function selectTargets(selection: string | undefined): CrossTarget[] {
  if (!selection) return [...TARGETS];
  const wanted = selection
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return wanted.map((name) => {
    const found = TARGETS.find((t) => t.triple === name || t.fileName === name || t.fileName.split('.')[1] === name);
    if (!found) {
      throw new Error(`unknown target '${name}'; known: ${TARGETS.map((t) => t.triple).join(', ')}`);
    }
    return found;
  });
}
