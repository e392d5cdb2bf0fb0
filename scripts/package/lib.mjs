// What the npm packages are made of, in one place: package.mjs builds them from these rules
// (the main package is the repository root, its package.json the source of the manifest),
// release-check.mjs checks the tarballs against the same rules, test-package.mjs installs them.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { BUILD_FROM_SOURCE_SCRIPT, PACKAGE_NAME, platformPackageName } from '../../bindings/loader.ts';
import { LIB_NAME, platformTag } from '../../bindings/names.ts';
import { TARGETS } from '../targets.ts';
export { table } from '../table.mjs';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const artifactsDir = join(root, 'artifacts');
/** The tarballs, one per package (scripts/ci/publish.ts and the CI upload read this folder). */
export const packagesDir = join(root, 'dist', 'packages');
/** Package folders before `npm pack`, and the private tsc output they are assembled from. */
export const stagingDir = join(root, 'dist', 'staging');
export { BUILD_FROM_SOURCE_SCRIPT, PACKAGE_NAME, platformPackageName };

/** @import { CrossTarget } from '../targets.ts' */
/**
 * A package.json as parsed: the fields these scripts read, any other field unknown.
 * @typedef {{
 *   name?: string, version?: string, type?: string, main?: string, types?: string,
 *   exports?: Record<string, { types?: string, default?: string } | undefined>,
 *   dependencies?: Record<string, string>, optionalDependencies?: Record<string, string>, scripts?: Record<string, string>,
 *   files?: unknown, os?: string[], cpu?: string[], libc?: string[], [field: string]: unknown
 * }} Manifest
 */
/**
 * One row of the size table; `name` comes from a tarball's manifest.
 * @typedef {{ name: string | undefined, files: number, packed: number, unpacked: number }} Sizes
 */

/** @type {(path: string) => Manifest} */
export const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
export const rootManifest = () => readJson(join(root, 'package.json'));

/** The `mylib-rust` command (`npx mylib-rust repl`): package.json "bin", compiled from bindings/cli.ts. */
export const BIN = 'dist/bindings/cli.js';

/** Fields of the root package.json for developing the repository, not for users: not published. */
export const DEV_ONLY_FIELDS = ['scripts', 'devDependencies', 'workspaces', 'private'];

/**
 * The published manifest of the main package: the root package.json without the developer-only
 * fields, plus what is computed: the install hook (the source build when no platform package
 * matches; the root itself has no install script, so \`npm install\` in a checkout does not run
 * it) and one optionalDependency per platform package, all at the root's version.
 * @param {Manifest} manifest
 * @param {string[]} platformPackageNames
 * @returns {Manifest}
 */
export function publishedManifest(manifest, platformPackageNames) {
  const published = Object.fromEntries(Object.entries(manifest).filter(([key]) => !DEV_ONLY_FIELDS.includes(key)));
  published.scripts = { install: `node ${BUILD_FROM_SOURCE_SCRIPT} --auto` };
  published.optionalDependencies = Object.fromEntries(
    platformPackageNames.map((name) => /** @type {const} */ ([name, manifest.version])).sort(([a], [b]) => a.localeCompare(b)),
  );
  return published;
}

/**
 * What the root package.json must say to be the main package (the rest is computed).
 * @param {Manifest} manifest
 */
export function rootManifestProblems(manifest) {
  /** @type {string[]} */
  const problems = [];
  const want = (/** @type {boolean} */ ok, /** @type {string} */ problem) => ok || problems.push(`package.json: ${problem}`);
  want(manifest.name === PACKAGE_NAME, `name is ${manifest.name}, bindings/loader.ts PACKAGE_NAME is ${PACKAGE_NAME}`);
  want(manifest.type === 'module', '"type" must be "module"');
  want(
    manifest.exports?.['.']?.types === manifest.types && manifest.exports?.['.']?.default === manifest.main,
    'exports["."] must name the same files as "types" and "main"',
  );
  want(!manifest.exports?.['./reference/*'], 'reference/ is test code, not public API: no export for it');
  want(
    manifest.exports?.['./ffi']?.types === './dist/bindings/ffi/index.d.ts' && manifest.exports?.['./ffi']?.default === './dist/bindings/ffi/index.js',
    'exports["./ffi"] must be { types: "./dist/bindings/ffi/index.d.ts", default: "./dist/bindings/ffi/index.js" } (mylib-rust/ffi)',
  );
  want(
    JSON.stringify(Object.keys(manifest.dependencies ?? {})) === '["koffi"]',
    `dependencies must be koffi only (the service's go in service/package.json), got ${JSON.stringify(manifest.dependencies)}`,
  );
  want(!manifest.optionalDependencies, 'optionalDependencies are computed by npm run package from the target list; none in the root');
  want(
    !manifest.scripts?.install && !manifest.scripts?.postinstall && !manifest.scripts?.preinstall,
    'no install scripts in the root (the published install hook is added by npm run package)',
  );
  want(Array.isArray(manifest.files) && manifest.files.includes(BUILD_FROM_SOURCE_SCRIPT), `"files" must list ${BUILD_FROM_SOURCE_SCRIPT}`);
  want(
    JSON.stringify(manifest.bin) === JSON.stringify({ [PACKAGE_NAME]: BIN }),
    `"bin" must be { "${PACKAGE_NAME}": "${BIN}" } (the mylib-rust command), got ${JSON.stringify(manifest.bin)}`,
  );
  return problems;
}

/**
 * The files an exports map names (string targets, and the `types`/`default` of condition
 * objects), relative to the package root, without `./`; `*` patterns are left out.
 * @param {Manifest['exports']} exports
 */
export function exportedFiles(exports) {
  return Object.values(exports ?? {})
    .flatMap((target) => (typeof target === 'string' ? [target] : target ? [target.types, target.default] : []))
    .filter((file) => typeof file === 'string' && !file.includes('*'))
    .map((file) => String(file).replace(/^\.\//, ''));
}

/** The files of the root package as npm packs them (`npm pack --dry-run`), relative, sorted. */
export function rootPackFiles() {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`npm pack --dry-run at the root failed (exit ${r.status}): ${r.stderr}`);
  /** @type {[{ files: Array<{ path: string }> }]} */
  const [info] = JSON.parse(r.stdout);
  return info.files.map((f) => f.path.split('\\').join('/')).sort();
}

/** npm's libc names for our tags' libc. */
const NPM_LIBC = { gnu: 'glibc', musl: 'musl' };

/**
 * Every target of scripts/targets.ts that gets an npm platform package: the ones Node runs
 * on. wasm32 has no Node platform (os/cpu) and the bindings load it through nothing: no package.
 */
export const PLATFORM_TARGETS = TARGETS.flatMap((target) => {
  const info = target.platform;
  if (!info) return [];
  const { platform, arch, libc } = info;
  return {
    target,
    tag: platformTag(info),
    name: platformPackageName(info),
    fileName: target.fileName,
    os: [platform],
    cpu: [arch],
    ...(libc ? { libc: [NPM_LIBC[libc]] } : {}),
  };
});
/** @typedef {(typeof PLATFORM_TARGETS)[number]} PlatformTarget */
/** Targets of the list that get no npm package, with the reason (printed by package and release:check). */
export const UNPACKAGED_TARGETS = TARGETS.filter((t) => t.platform === undefined).map((t) => ({
  triple: t.triple,
  fileName: t.fileName,
  reason: 'no Node platform (os/cpu) to select it by; the bindings load libraries through koffi only',
}));

/** Files of the main package, relative to the package root, as globs turned into regexes. */
export const MAIN_REQUIRED = [
  'package.json',
  'README.md',
  'LICENSE',
  BUILD_FROM_SOURCE_SCRIPT,
  'Cargo.toml',
  'Cargo.lock',
  // Links the library -z nodelete on ELF (see docs/architecture.md): a source build needs it too.
  'build.rs',
  'rustlib/lib.rs',
  'dist/bindings/index.js',
  'dist/bindings/index.d.ts',
  'dist/bindings/unsafe.js',
  'dist/bindings/unsafe.d.ts',
  'dist/bindings/loader.js',
  'dist/bindings/names.js',
  'dist/bindings/abi.generated.js',
  'dist/bindings/ffi/engines/koffi.js',
  // mylib-rust/ffi (exports["./ffi"]): every engine, and the types of the entry.
  'dist/bindings/ffi/index.js',
  'dist/bindings/ffi/index.d.ts',
  'dist/bindings/ffi/engines/bun.js',
  'dist/bindings/ffi/engines/deno.js',
  'dist/bindings/ffi/engines/node.js',
  // The mylib-rust command (package.json "bin") and its REPL.
  'dist/bindings/cli.js',
  'dist/bindings/repl/main.js',
];
export const MAIN_ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  new RegExp(`^${BUILD_FROM_SOURCE_SCRIPT.replace('.', '\\.')}$`),
  /^Cargo\.(toml|lock)$/,
  /^build\.rs$/,
  /^rustlib\/([a-z0-9_]+\/)*[a-z0-9_]+\.rs$/,
  // `<name>.generated.js`: written by `npm run gen` (bindings/abi.generated.ts).
  /^dist\/bindings\/([a-z0-9_-]+\/)*[a-z0-9_-]+(\.generated)?\.(js|d\.ts)$/,
];
/** Never in any package: sources of the TS side, maps, tests, build folders, dependencies. */
export const FORBIDDEN = [
  { re: /(^|\/)target\//, why: "cargo's target/ folder" },
  { re: /(^|\/)node_modules\//, why: 'node_modules' },
  { re: /(^|\/)(test|tests|__tests__)\//, why: 'a test folder' },
  { re: /\.(test|spec)\.[cm]?[jt]s$/, why: 'a test file' },
  { re: /\.map$/, why: 'a source map' },
  { re: /(?<!\.d)\.[cm]?ts$/, why: 'a TypeScript source' },
  { re: /(^|\/)\.[^/]+$/, why: 'a dotfile' },
];
/** A platform package holds exactly these. */
export const platformFiles = (/** @type {string} */ fileName) => ['LICENSE', 'README.md', fileName, 'package.json'].sort();

/** The published package's own README (the root README.md is the repository's; its links are relative). */
export const PACKAGE_README = join(root, 'npm', 'README.md');
/** The license text, shipped in every package. */
export const LICENSE_FILE = join(root, 'LICENSE');

// ---------------------------------------------------------------- the size table
// docs/packaging.md carries the tarballs' sizes between these markers; npm run package writes
// them (never typed by hand), release:check compares them with the tarballs it checks.
export const SIZES_DOC = join(root, 'docs', 'packaging.md');
export const SIZES_BEGIN = '<!-- sizes: generated by npm run package; do not edit -->';
export const SIZES_END = '<!-- /sizes -->';

/**
 * The markdown table of `sizes`: [{ name, files, packed, unpacked }] (bytes), main package first.
 * @param {Sizes[]} sizes
 */
export function sizesTable(sizes) {
  const rows = [...sizes].sort((a, b) => (a.name === PACKAGE_NAME ? -1 : b.name === PACKAGE_NAME ? 1 : 0));
  return [
    '| tarball | files | packed | unpacked |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map((s) => `| \`${s.name}\` | ${s.files} | ${kib(s.packed)} | ${kib(s.unpacked)} |`),
  ].join('\n');
}

/**
 * The table's rows after packing only some targets: rows of the packages made now are replaced,
 * the others keep their last figures (`documented`, KiB as written), new packages are appended.
 * @param {Sizes[]} documented
 * @param {Sizes[]} made
 * @returns {Sizes[]}
 */
export function mergeSizes(documented, made) {
  const rows = documented.map((row) => made.find((s) => s.name === row.name) ?? { ...row, packed: row.packed * 1024, unpacked: row.unpacked * 1024 });
  return [...rows, ...made.filter((s) => !documented.some((row) => row.name === s.name))];
}

/**
 * `doc` with the block between the markers replaced by `body`; throws when the markers are missing.
 * @param {string} doc
 * @param {string} body
 */
export function withSizes(doc, body) {
  const begin = doc.indexOf(SIZES_BEGIN);
  const end = doc.indexOf(SIZES_END);
  if (begin === -1 || end < begin) throw new Error(`${SIZES_DOC}: no ${SIZES_BEGIN} ... ${SIZES_END} block`);
  return `${doc.slice(0, begin + SIZES_BEGIN.length)}\n${body}\n${doc.slice(end)}`;
}

/**
 * The rows of the size table in `doc`: [{ name, files, packed, unpacked }] (KiB as written).
 * @param {string} doc
 */
export function readSizes(doc) {
  const begin = doc.indexOf(SIZES_BEGIN);
  const end = doc.indexOf(SIZES_END);
  if (begin === -1 || end < begin) return [];
  return [...doc.slice(begin, end).matchAll(/^\| `([^`]+)` \| (\d+) \| ([\d.]+) KiB \| ([\d.]+) KiB \|$/gm)].map((m) => ({
    name: m[1],
    files: Number(m[2]),
    packed: Number(m[3]),
    unpacked: Number(m[4]),
  }));
}

/**
 * Problems of the documented sizes against the tarballs' `actual` sizes (bytes): every package
 * listed, file counts equal, sizes within `tolerance` (rebuilt libraries differ by a few bytes).
 * @param {Sizes[]} documented sizes in KiB
 * @param {Sizes[]} actual sizes in bytes
 */
export function sizesProblems(documented, actual, tolerance = 0.05) {
  /** @type {string[]} */
  const problems = [];
  const off = (/** @type {number} */ a, /** @type {number} */ b) => Math.abs(a - b) > tolerance * Math.max(a, b);
  for (const a of actual) {
    const d = documented.find((row) => row.name === a.name);
    if (!d) {
      problems.push(`${a.name} is not in the size table`);
      continue;
    }
    if (d.files !== a.files) problems.push(`${a.name}: the table says ${d.files} files, the tarball has ${a.files}`);
    for (const key of /** @type {const} */ (['packed', 'unpacked'])) {
      if (off(d[key], a[key] / 1024)) problems.push(`${a.name}: the table says ${d[key]} KiB ${key}, the tarball is ${kib(a[key])}`);
    }
  }
  for (const d of documented) if (!actual.some((a) => a.name === d.name)) problems.push(`${d.name} is in the size table but has no tarball`);
  return problems;
}

/**
 * Problems of one package's file list (paths relative to the package root).
 * @param {string} name
 * @param {string[]} files
 * @param {{ main: boolean }} options
 */
export function checkFileList(name, files, { main }) {
  /** @type {string[]} */
  const problems = [];
  for (const file of files) {
    const bad = FORBIDDEN.find((f) => f.re.test(file));
    if (bad) problems.push(`${name}: ${file} is ${bad.why}`);
    else if (main && !MAIN_ALLOWED.some((re) => re.test(file))) problems.push(`${name}: ${file} is not a file the main package ships`);
    if (main && /\.(so|dll|dylib|wasm)$/.test(file)) problems.push(`${name}: ${file}: native libraries belong in the platform packages`);
  }
  if (main) for (const file of MAIN_REQUIRED) if (!files.includes(file)) problems.push(`${name}: ${file} is missing`);
  return problems;
}

/** @type {Record<number, string>} */
const ELF_MACHINE = { 62: 'x86_64', 183: 'aarch64' };
/** @type {Record<number, string>} */
const PE_MACHINE = { 34404: 'x86_64', 43620: 'aarch64' };
/** @type {Record<number, string>} */
const MACHO_CPU = { 16777223: 'x86_64', 16777228: 'aarch64' };

/**
 * `{ format, machine }` from a library's first bytes, or `{ format: 'unknown' }`.
 * @param {string | Buffer} pathOrBytes
 */
export function readHeader(pathOrBytes) {
  const b = Buffer.isBuffer(pathOrBytes) ? pathOrBytes.subarray(0, 4096) : firstBytes(pathOrBytes, 4096);
  if (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46) return { format: 'elf', machine: ELF_MACHINE[b.readUInt16LE(18)] ?? `elf-${b.readUInt16LE(18)}` };
  if (b.length >= 8 && b.readUInt32LE(0) === 0xfeedfacf) return { format: 'macho', machine: MACHO_CPU[b.readUInt32LE(4)] ?? `macho-${b.readUInt32LE(4)}` };
  if (b.length >= 0x40 && b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    if (pe + 6 <= b.length && b.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const m = b.readUInt16LE(pe + 4);
      return { format: 'pe', machine: PE_MACHINE[m] ?? `pe-${m}` };
    }
  }
  if (b.length >= 4 && b.readUInt32BE(0) === 0x0061736d) return { format: 'wasm', machine: 'wasm32' };
  return { format: 'unknown', machine: 'unknown' };
}

/**
 * @param {string} path
 * @param {number} length
 */
function firstBytes(path, length) {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(length);
  try {
    return head.subarray(0, readSync(fd, head, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Why `path` is not a library of `target` (format + machine from the header), or null.
 * @param {string} path
 * @param {CrossTarget} target
 */
export function headerProblem(path, target) {
  const { format, machine } = readHeader(path);
  if (format === target.format && machine === target.machine) return null;
  return `${path} is ${format}/${machine}, expected ${target.format}/${target.machine} for ${target.triple}`;
}

/**
 * The entries of an npm package tarball (gzip + ustar/pax), read in Node: no external tar,
 * whose flavours disagree about Windows paths. Returns Map<path without "package/", Buffer>.
 * @param {string} file
 */
export function readTarball(file) {
  const data = gunzipSync(readFileSync(file));
  /** @type {Map<string, Buffer>} */
  const entries = new Map();
  let offset = 0;
  /** @type {string | undefined} */
  let paxPath;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const text = (/** @type {number} */ start, /** @type {number} */ length) => header.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    const size = Number.parseInt(text(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = header.toString('latin1', 257, 263) === 'ustar\0' || header.toString('latin1', 257, 262) === 'ustar' ? text(345, 155) : '';
    const body = data.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    if (type === 'g') continue;
    const path = paxPath ?? (prefix ? `${prefix}/${text(0, 100)}` : text(0, 100));
    paxPath = undefined;
    if (type === '0' || type === '7') entries.set(path.replace(/^package\//, ''), Buffer.from(body));
  }
  return entries;
}

/** Paths of a tarball's files, without the `package/` prefix, sorted. */
export const tarballFiles = (/** @type {string} */ file) => [...readTarball(file).keys()].sort();

/**
 * package.json of a tarball.
 * @param {string} file
 * @returns {Manifest}
 */
export function tarballManifest(file) {
  const json = readTarball(file).get('package.json');
  if (!json) throw new Error(`${file}: no package/package.json`);
  return JSON.parse(json.toString('utf8'));
}

export const kib = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

export { LIB_NAME };
