#!/usr/bin/env -S npx tsx
// npm run package: packs the npm packages into dist/packages/*.tgz.
//   - mylib-rust: the repository root is the package. Its package.json is the source of the
//     published manifest (exports, files, main, types, koffi); this script compiles
//     dist/bindings/ afresh, stages the files npm lists for the root (`npm pack --dry-run`), and
//     writes the published manifest: the root's without the developer-only fields (scripts,
//     devDependencies, workspaces), plus what is computed here: the `install` hook that runs
//     build-from-source.mjs and one optionalDependency per platform package built in this run.
//   - mylib-rust-<tag>: one per target of scripts/targets.ts whose library is in artifacts/
//     (npm run build for the host, npm run build:cross for the others), holding only that
//     library, with os/cpu/libc so npm installs just the matching one.
// Works with any subset of artifacts and lists the targets that are missing (release:check
// refuses a release with any missing). Prints a size report.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { $, chalk } from 'zx';
import {
  LICENSE_FILE,
  PACKAGE_NAME,
  PACKAGE_README,
  PLATFORM_TARGETS,
  SIZES_DOC,
  mergeSizes,
  readSizes,
  UNPACKAGED_TARGETS,
  artifactsDir,
  checkFileList,
  headerProblem,
  kib,
  packagesDir,
  platformFiles,
  publishedManifest,
  root,
  rootManifest,
  rootManifestProblems,
  rootPackFiles,
  sizesTable,
  stagingDir,
  table,
  withSizes,
} from './lib.mjs';

/** @import { PlatformTarget } from './lib.mjs' */

const say = (/** @type {string} */ message) => console.log(chalk.cyan('package: ') + message);
const warn = (/** @type {string} */ message) => console.log(chalk.yellow('package: ') + message);
const started = performance.now();
const manifest = rootManifest();
const { version } = manifest;
const problemsOfRoot = rootManifestProblems(manifest);
if (problemsOfRoot.length) throw new Error(`package: the root package.json is wrong:\n  ${problemsOfRoot.join('\n  ')}`);
const shared = {
  version,
  license: manifest.license,
  ...(manifest.repository ? { repository: manifest.repository } : {}),
  ...(manifest.homepage ? { homepage: manifest.homepage } : {}),
  ...(manifest.bugs ? { bugs: manifest.bugs } : {}),
};

rmSync(packagesDir, { recursive: true, force: true });
rmSync(stagingDir, { recursive: true, force: true });
mkdirSync(packagesDir, { recursive: true });
mkdirSync(stagingDir, { recursive: true });

// 1. The platform packages: whatever subset of artifacts exists.
const built = [];
const missing = [];
for (const p of PLATFORM_TARGETS) {
  const library = join(artifactsDir, p.fileName);
  if (!existsSync(library)) {
    missing.push(p);
    continue;
  }
  const problem = headerProblem(library, p.target);
  if (problem) throw new Error(`package: refusing to package ${p.name}: ${problem}`);
  const dir = join(stagingDir, p.name);
  mkdirSync(dir, { recursive: true });
  cpSync(library, join(dir, p.fileName));
  const pkg = {
    name: p.name,
    ...shared,
    description: `The prebuilt ${p.tag} native library of ${PACKAGE_NAME}. Install ${PACKAGE_NAME}; npm picks this package by os/cpu${p.libc ? '/libc' : ''}.`,
    os: p.os,
    cpu: p.cpu,
    ...(p.libc ? { libc: p.libc } : {}),
    main: p.fileName,
    files: [p.fileName],
    // Yarn PnP: keep the library on disk so koffi can dlopen it.
    preferUnplugged: true,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, 'README.md'), platformReadme(p));
  cpSync(LICENSE_FILE, join(dir, 'LICENSE'));
  built.push({ ...p, dir });
}
if (built.length === 0) {
  throw new Error(`package: no library in ${artifactsDir}. Run \`npm run build\` (host) or \`npm run build:cross\` first.`);
}

// 2. The main package is the repository root: its package.json (exports, files, main, types,
// dependencies) is the source. Compile dist/bindings/ afresh (no stale modules), let npm say
// which files the root package holds, stage them, and write the published manifest: the root's
// minus the developer-only fields, plus the computed ones (publishedManifest in lib.mjs).
rmSync(join(root, 'dist', 'bindings'), { recursive: true, force: true });
say('npm run build:ts (compiling bindings/ to dist/bindings/)...');
await $({ cwd: root, quiet: true })`npm run build:ts`;
const rootFiles = rootPackFiles();
const mainDir = join(stagingDir, PACKAGE_NAME);
for (const file of rootFiles) if (file !== 'package.json') cpSync(join(root, file), join(mainDir, file));
// The package's own README (whole API, absolute links), not the repository's.
cpSync(PACKAGE_README, join(mainDir, 'README.md'));
const mainPkg = publishedManifest(
  manifest,
  built.map((p) => p.name),
);
writeFileSync(join(mainDir, 'package.json'), `${JSON.stringify(mainPkg, null, 2)}\n`);

// 3. Check the staged file lists with the rules release:check applies to the tarballs.
const problems = [
  ...checkFileList(PACKAGE_NAME, listFiles(mainDir), { main: true }),
  ...built.flatMap((p) => {
    const files = listFiles(p.dir);
    const expected = platformFiles(p.fileName);
    return JSON.stringify(files) === JSON.stringify(expected) ? [] : [`${p.name}: has ${files.join(', ')}; expected ${expected.join(', ')}`];
  }),
];
if (problems.length) throw new Error(`package: the staged packages are wrong:\n  ${problems.join('\n  ')}`);

// 4. npm pack each folder into dist/packages.
const rows = [];
/** @type {import('./lib.mjs').Sizes[]} */
const sizes = [];
for (const dir of [...built.map((p) => p.dir), mainDir]) {
  const out = await $({ cwd: root, quiet: true })`npm pack ${dir} --pack-destination ${packagesDir} --ignore-scripts --json`;
  const [info] = JSON.parse(out.stdout);
  rows.push([info.filename, String(info.entryCount), kib(info.size), kib(info.unpackedSize)]);
  sizes.push({ name: info.name, files: info.entryCount, packed: info.size, unpacked: info.unpackedSize });
}

console.log(`\n${table(['tarball (dist/packages/)', 'files', 'packed', 'unpacked'], rows, { numbers: true })}\n`);
// The figures the docs show come from here, not from typing.
writeFileSync(join(packagesDir, 'sizes.json'), `${JSON.stringify({ version, sizes }, null, 2)}\n`);
const doc = readFileSync(SIZES_DOC, 'utf8');
const next = withSizes(doc, sizesTable(missing.length === 0 ? sizes : mergeSizes(readSizes(doc), sizes)));
if (next !== doc) writeFileSync(SIZES_DOC, next);
say(`${relative(root, SIZES_DOC)}: size table ${next === doc ? 'already current' : 'updated'}`);
if (missing.length > 0) warn(`${relative(root, SIZES_DOC)}: rows of targets not packed keep their last figures`);
say(`${built.length + 1} package(s) of version ${version} in ${relative(root, packagesDir)}/ (${((performance.now() - started) / 1000).toFixed(1)} s)`);
say(`platform packages: ${built.map((p) => p.tag).join(', ')}`);
if (missing.length) {
  warn(`missing targets (no library in artifacts/, so no package; release:check will refuse): ${missing.map((p) => `${p.tag} (${p.fileName})`).join(', ')}`);
  warn('build them with `npm run build:cross`.');
}
for (const t of UNPACKAGED_TARGETS) say(`not packaged by design: ${t.triple} (${t.fileName}): ${t.reason}`);

/**
 * Every file under `dir`, relative, with forward slashes, sorted.
 * @param {string} dir
 */
function listFiles(dir) {
  /** @type {string[]} */
  const out = [];
  const walk = (/** @type {string} */ d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(dir, full).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** @param {PlatformTarget} p */
function platformReadme(p) {
  return `# ${p.name}

The prebuilt native library of [${PACKAGE_NAME}](https://www.npmjs.com/package/${PACKAGE_NAME}) for
\`${p.tag}\` (${[`os ${p.os[0]}`, `cpu ${p.cpu[0]}`, ...(p.libc ? [`libc ${p.libc[0]}`] : [])].join(', ')}): \`${p.fileName}\` and nothing else.

Do not install it directly: install \`${PACKAGE_NAME}\`, which lists every platform package as an
optional dependency; npm installs only the one whose \`os\`, \`cpu\` and \`libc\` match.
`;
}
