#!/usr/bin/env -S npx tsx
// npm run package: assembles the npm packages and packs them into dist/packages/*.tgz.
//   - mylib-rust: compiled JS + .d.ts (npm run build:ts), ESM with an exports map (CommonJS
//     callers use Node's require(esm)), koffi as a dependency, one optionalDependency per
//     platform package built here, the Rust sources and build-from-source.mjs (the source
//     fallback, run by the package's install hook).
//   - mylib-rust-<tag>: one per target of bindings/targets.ts whose library is in artifacts/
//     (npm run build for the host, npm run build:cross for the others), holding only that
//     library, with os/cpu/libc so npm installs just the matching one.
// Works with any subset of artifacts and lists the targets that are missing (release:check
// refuses a release with any missing). Prints a size report.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { $, chalk } from 'zx';
import {
  BUILD_FROM_SOURCE_SCRIPT,
  PACKAGE_NAME,
  PLATFORM_TARGETS,
  UNPACKAGED_TARGETS,
  artifactsDir,
  checkFileList,
  headerProblem,
  kib,
  packagesDir,
  platformFiles,
  root,
  rootManifest,
  stagingDir,
  table,
} from './lib.mjs';

const say = (message) => console.log(chalk.cyan('package: ') + message);
const warn = (message) => console.log(chalk.yellow('package: ') + message);
const started = performance.now();
const manifest = rootManifest();
const { version } = manifest;
if (manifest.name !== PACKAGE_NAME) throw new Error(`package.json name is ${manifest.name}, bindings/loader.ts PACKAGE_NAME is ${PACKAGE_NAME}`);
const koffiRange = manifest.dependencies?.koffi;
if (!koffiRange) throw new Error('package.json has no dependency on koffi');
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
  built.push({ ...p, dir });
}
if (built.length === 0) {
  throw new Error(`package: no library in ${artifactsDir}. Run \`npm run build\` (host) or \`npm run build:cross\` first.`);
}

// 2. The main package: compiled with the project's build:ts into a private folder (no stale files).
const compiled = join(stagingDir, 'tsc');
say('npm run build:ts (compiling bindings/ and reference/)...');
await $({ cwd: root, quiet: true })`npm run build:ts -- --outDir ${compiled}`;
const mainDir = join(stagingDir, PACKAGE_NAME);
for (const folder of ['bindings', 'reference']) {
  for (const file of readdirSync(join(compiled, folder))) {
    if (!/\.(js|d\.ts)$/.test(file) || file.startsWith('targets.')) continue;
    cpSync(join(compiled, folder, file), join(mainDir, 'dist', folder, file));
  }
}
cpSync(join(root, 'scripts', 'package', BUILD_FROM_SOURCE_SCRIPT), join(mainDir, BUILD_FROM_SOURCE_SCRIPT));
for (const file of ['Cargo.toml', 'Cargo.lock']) cpSync(join(root, file), join(mainDir, file));
cpSync(join(root, 'rustlib'), join(mainDir, 'rustlib'), { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.rs') });
const mainPkg = {
  name: PACKAGE_NAME,
  ...shared,
  description: manifest.description,
  keywords: ['rust', 'ffi', 'koffi', 'native'],
  type: 'module',
  // require(esm) without a flag: CommonJS callers load the same ESM build.
  engines: { node: '>=20.19' },
  main: './dist/bindings/index.js',
  types: './dist/bindings/index.d.ts',
  exports: {
    '.': { types: './dist/bindings/index.d.ts', default: './dist/bindings/index.js' },
    './reference/*': { types: './dist/reference/*.d.ts', default: './dist/reference/*.js' },
    './package.json': './package.json',
  },
  files: ['dist/bindings/*.js', 'dist/bindings/*.d.ts', 'dist/bindings/engines/*.js', 'dist/bindings/engines/*.d.ts', 'dist/reference/*.js', 'dist/reference/*.d.ts', BUILD_FROM_SOURCE_SCRIPT, 'Cargo.toml', 'Cargo.lock', 'build.rs', 'rustlib/**/*.rs'],
  scripts: { install: `node ${BUILD_FROM_SOURCE_SCRIPT} --auto` },
  dependencies: { koffi: koffiRange },
  optionalDependencies: Object.fromEntries(built.map((p) => [p.name, version]).sort(([a], [b]) => a.localeCompare(b))),
};
writeFileSync(join(mainDir, 'package.json'), `${JSON.stringify(mainPkg, null, 2)}\n`);
writeFileSync(join(mainDir, 'README.md'), mainReadme(built));

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
for (const dir of [...built.map((p) => p.dir), mainDir]) {
  const out = await $({ cwd: root, quiet: true })`npm pack ${dir} --pack-destination ${packagesDir} --ignore-scripts --json`;
  const [info] = JSON.parse(out.stdout);
  rows.push([info.filename, String(info.entryCount), kib(info.size), kib(info.unpackedSize)]);
}

console.log(`\n${table(['tarball (dist/packages/)', 'files', 'packed', 'unpacked'], rows)}\n`);
say(`${built.length + 1} package(s) of version ${version} in ${relative(root, packagesDir)}/ (${((performance.now() - started) / 1000).toFixed(1)} s)`);
say(`platform packages: ${built.map((p) => p.tag).join(', ')}`);
if (missing.length) {
  warn(`missing targets (no library in artifacts/, so no package; release:check will refuse): ${missing.map((p) => `${p.tag} (${p.fileName})`).join(', ')}`);
  warn('build them with `npm run build:cross`.');
}
for (const t of UNPACKAGED_TARGETS) say(`not packaged by design: ${t.triple} (${t.fileName}): ${t.reason}`);

/** Every file under `dir`, relative, with forward slashes, sorted. */
function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(dir, full).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

function platformReadme(p) {
  return `# ${p.name}

The prebuilt native library of [${PACKAGE_NAME}](https://www.npmjs.com/package/${PACKAGE_NAME}) for
\`${p.tag}\` (${[`os ${p.os[0]}`, `cpu ${p.cpu[0]}`, ...(p.libc ? [`libc ${p.libc[0]}`] : [])].join(', ')}): \`${p.fileName}\` and nothing else.

Do not install it directly: install \`${PACKAGE_NAME}\`, which lists every platform package as an
optional dependency; npm installs only the one whose \`os\`, \`cpu\` and \`libc\` match.
`;
}

function mainReadme(platforms) {
  return `# ${PACKAGE_NAME}

${manifest.description}

\`\`\`sh
npm install ${PACKAGE_NAME}
\`\`\`

No Rust toolchain needed: npm also installs the one optional package with the prebuilt library
for your platform (${platforms.map((p) => `\`${p.name}\``).join(', ')}), chosen by its
\`os\`, \`cpu\` and \`libc\` fields, and koffi's own binary package.

\`\`\`js
import { countDoubles, getResult } from '${PACKAGE_NAME}';      // ESM
// const { countDoubles, getResult } = require('${PACKAGE_NAME}'); // CommonJS (Node >= 20.19)

getResult('Hello!');      // 'Rust says: Hello!'
countDoubles('aabbb');    // 3
\`\`\`

## Where the library is loaded from

1. \`open({ path })\` or the environment variable \`MYLIB_LIBRARY_PATH\`: exactly that file.
2. \`artifacts/\` inside this package (a source build puts it there).
3. The platform package \`${PACKAGE_NAME}-<platform>\`.

If none loads, the error lists each place tried and names the platform package that should
have been installed.

## No package for your platform: build from source

The package ships its Rust sources. Its install script builds them when no platform package
matches and \`cargo\` is on PATH (\`MYLIB_BUILD_FROM_SOURCE=1\` forces a build,
\`MYLIB_BUILD_FROM_SOURCE=0\` disables it). npm 11 may skip dependency install scripts that
are not approved (\`allowScripts\`); then run the build yourself:

\`\`\`sh
node node_modules/${PACKAGE_NAME}/${BUILD_FROM_SOURCE_SCRIPT}
\`\`\`
`;
}


