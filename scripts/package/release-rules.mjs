// The rules of `npm run release:check`, as pure functions over data read from the repository
// and the tarballs (release-check.mjs does the reading; test/tooling/release-rules.test.ts
// feeds them broken cases).
import { BUILD_FROM_SOURCE_SCRIPT, DEV_ONLY_FIELDS, PACKAGE_NAME, PLATFORM_TARGETS, checkFileList, exportedFiles, platformFiles } from './lib.mjs';

/** @import { Manifest } from './lib.mjs' */
/** @typedef {{ file: string, manifest: Manifest, files: string[], header?: { format: string, machine: string } }} Tarball */

/**
 * Version agreement. `input`: { version (package.json), cargoVersion, cargoLockVersion,
 * lockVersions: [package-lock.json version, packages[""].version], tag (RELEASE_TAG or undefined) }.
 * Returns problems (strings).
 * @param {{ version?: string, cargoVersion?: string, cargoLockVersion?: string, lockVersions: unknown[], tag?: string }} input
 */
export function versionProblems({ version, cargoVersion, cargoLockVersion, lockVersions, tag }) {
  /** @type {string[]} */
  const problems = [];
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version ?? '')) problems.push(`package.json version "${version}" is not a semver version`);
  if (cargoVersion !== version) problems.push(`Cargo.toml version is ${cargoVersion}, package.json is ${version}`);
  if (cargoLockVersion !== version) problems.push(`Cargo.lock has mylib ${cargoLockVersion}, package.json is ${version} (run cargo build to refresh it)`);
  for (const [i, v] of lockVersions.entries()) {
    if (v !== version)
      problems.push(`package-lock.json ${i === 0 ? 'version' : 'packages[""].version'} is ${v}, package.json is ${version} (npm install --package-lock-only)`);
  }
  if (tag !== undefined && tag !== `v${version}`) problems.push(`the release tag is ${tag}, expected v${version}`);
  return problems;
}

/**
 * The tarballs. `tarballs`: [{ file, manifest, files, header: { format, machine } | undefined }]
 * (header of the platform library inside). `root`: { version, koffiRange, repository }.
 * Returns problems (strings).
 * @param {Tarball[]} tarballs
 * @param {{ version?: string, koffiRange?: string, repository?: unknown }} root
 */
export function packageProblems(tarballs, root) {
  /** @type {string[]} */
  const problems = [];
  if (!root.repository) problems.push('the root package.json has no "repository": npm provenance needs one in every package');
  /** @type {Map<string | undefined, Tarball>} */
  const byName = new Map();
  for (const t of tarballs) {
    const name = t.manifest.name;
    const other = byName.get(name);
    if (other) problems.push(`${name}: two tarballs (${other.file}, ${t.file})`);
    byName.set(name, t);
    if (t.manifest.version !== root.version) problems.push(`${t.file}: ${name}@${t.manifest.version}, the release is ${root.version}`);
    if (root.repository && JSON.stringify(t.manifest.repository) !== JSON.stringify(root.repository)) {
      problems.push(`${name}: repository ${JSON.stringify(t.manifest.repository)} differs from the root package.json's`);
    }
    if (name !== PACKAGE_NAME && !PLATFORM_TARGETS.some((p) => p.name === name)) problems.push(`${t.file}: ${name} is not a package of this release`);
  }

  const main = byName.get(PACKAGE_NAME);
  if (!main) problems.push(`no tarball of the main package ${PACKAGE_NAME}`);
  else {
    const m = main.manifest;
    problems.push(...checkFileList(PACKAGE_NAME, main.files, { main: true }));
    const wanted = Object.fromEntries(PLATFORM_TARGETS.map((p) => /** @type {const} */ ([p.name, root.version])).sort(([a], [b]) => a.localeCompare(b)));
    const actual = Object.fromEntries(Object.entries(m.optionalDependencies ?? {}).sort(([a], [b]) => a.localeCompare(b)));
    if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
      const missing = Object.keys(wanted).filter((n) => actual[n] !== root.version);
      const extra = Object.keys(actual).filter((n) => !(n in wanted));
      problems.push(
        `${PACKAGE_NAME}: optionalDependencies must be every platform package at ${root.version}; wrong or missing: ${missing.join(', ') || 'none'}; unknown: ${extra.join(', ') || 'none'}`,
      );
    }
    if (JSON.stringify(m.dependencies) !== JSON.stringify({ koffi: root.koffiRange })) {
      problems.push(`${PACKAGE_NAME}: dependencies must be exactly { koffi: "${root.koffiRange}" }, got ${JSON.stringify(m.dependencies)}`);
    }
    if (m.type !== 'module' || !m.exports?.['.']) problems.push(`${PACKAGE_NAME}: must be "type": "module" with an exports map for "."`);
    const devFields = DEV_ONLY_FIELDS.filter((field) => field !== 'scripts' && field in m);
    if (devFields.length) problems.push(`${PACKAGE_NAME}: the published manifest has developer-only fields: ${devFields.join(', ')}`);
    const install = `node ${BUILD_FROM_SOURCE_SCRIPT} --auto`;
    if (JSON.stringify(m.scripts) !== JSON.stringify({ install }))
      problems.push(`${PACKAGE_NAME}: scripts must be exactly { install: "${install}" } (the source-build hook), got ${JSON.stringify(m.scripts)}`);
    const unshipped = exportedFiles(m.exports).filter((file) => !main.files.includes(file));
    if (unshipped.length) problems.push(`${PACKAGE_NAME}: the exports map names files the tarball lacks: ${unshipped.join(', ')}`);
    if (Object.keys(m.exports ?? {}).some((key) => key.startsWith('./reference')))
      problems.push(`${PACKAGE_NAME}: exports reference/, which is test code, not public API`);
  }

  for (const p of PLATFORM_TARGETS) {
    const t = byName.get(p.name);
    if (!t) {
      problems.push(
        `target ${p.target.triple} has no package: no ${p.name}-${root.version}.tgz (needs artifacts/${p.fileName}: npm run build:cross, then npm run package)`,
      );
      continue;
    }
    const m = t.manifest;
    for (const field of /** @type {const} */ (['os', 'cpu', 'libc'])) {
      if (JSON.stringify(m[field]) !== JSON.stringify(p[field]))
        problems.push(`${p.name}: "${field}" is ${JSON.stringify(m[field])}, expected ${JSON.stringify(p[field])}`);
    }
    const files = [...t.files].sort();
    const expected = platformFiles(p.fileName);
    if (JSON.stringify(files) !== JSON.stringify(expected)) problems.push(`${p.name}: holds ${files.join(', ')}; expected exactly ${expected.join(', ')}`);
    if (m.scripts && Object.keys(m.scripts).length) problems.push(`${p.name}: a platform package must have no scripts`);
    if (m.dependencies || m.optionalDependencies) problems.push(`${p.name}: a platform package must have no dependencies`);
    if (t.header && (t.header.format !== p.target.format || t.header.machine !== p.target.machine)) {
      problems.push(`${p.name}: ${p.fileName} is ${t.header.format}/${t.header.machine}, expected ${p.target.format}/${p.target.machine}`);
    }
  }
  return problems;
}
