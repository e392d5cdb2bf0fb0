// What the npm packages are made of, in one place: package.mjs builds them from these rules,
// release-check.mjs checks the tarballs against the same rules, test-package.mjs installs them.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { BUILD_FROM_SOURCE_SCRIPT, PACKAGE_NAME, platformPackageName } from '../../bindings/loader.ts';
import { LIB_NAME, platformTag } from '../../bindings/names.ts';
import { TARGETS } from '../../bindings/targets.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const artifactsDir = join(root, 'artifacts');
/** The tarballs, one per package (scripts/ci/publish.ts and the CI upload read this folder). */
export const packagesDir = join(root, 'dist', 'packages');
/** Package folders before `npm pack`, and the private tsc output they are assembled from. */
export const stagingDir = join(root, 'dist', 'staging');
export { BUILD_FROM_SOURCE_SCRIPT, PACKAGE_NAME, platformPackageName };

export const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
export const rootManifest = () => readJson(join(root, 'package.json'));

/** npm's libc names for our tags' libc. */
const NPM_LIBC = { gnu: 'glibc', musl: 'musl' };

/**
 * Every target of bindings/targets.ts that gets an npm platform package: the ones Node runs
 * on. wasm32 has no Node platform (os/cpu) and the bindings load it through nothing: no package.
 */
export const PLATFORM_TARGETS = TARGETS.filter((t) => t.platform !== undefined).map((target) => {
  const { platform, arch, libc } = target.platform;
  return {
    target,
    tag: platformTag(target.platform),
    name: platformPackageName(target.platform),
    fileName: target.fileName,
    os: [platform],
    cpu: [arch],
    ...(libc ? { libc: [NPM_LIBC[libc]] } : {}),
  };
});
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
  BUILD_FROM_SOURCE_SCRIPT,
  'Cargo.toml',
  'Cargo.lock',
  'rustlib/lib.rs',
  'dist/bindings/index.js',
  'dist/bindings/index.d.ts',
  'dist/bindings/loader.js',
  'dist/bindings/names.js',
];
export const MAIN_ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  new RegExp(`^${BUILD_FROM_SOURCE_SCRIPT.replace('.', '\\.')}$`),
  /^Cargo\.(toml|lock)$/,
  /^rustlib\/([a-z0-9_]+\/)*[a-z0-9_]+\.rs$/,
  /^dist\/(bindings|reference)\/[a-z0-9_-]+\.(js|d\.ts)$/,
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
  { re: /^dist\/bindings\/targets\./, why: 'the build-time target table' },
];
/** A platform package holds exactly these. */
export const platformFiles = (fileName) => ['README.md', fileName, 'package.json'].sort();

/** Problems of one package's file list (paths relative to the package root). */
export function checkFileList(name, files, { main }) {
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

const ELF_MACHINE = { 0x3e: 'x86_64', 0xb7: 'aarch64' };
const PE_MACHINE = { 0x8664: 'x86_64', 0xaa64: 'aarch64' };
const MACHO_CPU = { 0x01000007: 'x86_64', 0x0100000c: 'aarch64' };

/** `{ format, machine }` from a library's first bytes, or `{ format: 'unknown' }`. */
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

function firstBytes(path, length) {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(length);
  try {
    return head.subarray(0, readSync(fd, head, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Why `path` is not a library of `target` (format + machine from the header), or null. */
export function headerProblem(path, target) {
  const { format, machine } = readHeader(path);
  if (format === target.format && machine === target.machine) return null;
  return `${path} is ${format}/${machine}, expected ${target.format}/${target.machine} for ${target.triple}`;
}

/**
 * The entries of an npm package tarball (gzip + ustar/pax), read in Node: no external tar,
 * whose flavours disagree about Windows paths. Returns Map<path without "package/", Buffer>.
 */
export function readTarball(file) {
  const data = gunzipSync(readFileSync(file));
  const entries = new Map();
  let offset = 0;
  let paxPath;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const text = (start, length) => header.toString('utf8', start, start + length).replace(/\0.*$/s, '');
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
export const tarballFiles = (file) => [...readTarball(file).keys()].sort();

/** package.json of a tarball. */
export function tarballManifest(file) {
  const json = readTarball(file).get('package.json');
  if (!json) throw new Error(`${file}: no package/package.json`);
  return JSON.parse(json.toString('utf8'));
}

export const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/** A fixed-width table. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export { LIB_NAME };
