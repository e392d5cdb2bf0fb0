#!/usr/bin/env -S npx tsx
// npm run release:check: refuses a release that is not whole. Checks
//   - versions: package.json, Cargo.toml, Cargo.lock, package-lock.json (and RELEASE_TAG = v<version>
//     when set, as the release workflow does);
//   - the tarballs in dist/packages (npm run package): every target of scripts/targets.ts that
//     Node runs on has its platform package; each package holds exactly what it should (no
//     sources of the TS side, maps, tests, target/; platform packages: one library of the right
//     format and machine); os/cpu/libc; the main package's optionalDependencies and koffi;
//   - `npm publish --dry-run` of every tarball.
//   npm run release:check                      everything
//   npm run release:check -- --versions-only   versions only (before any package is built)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argv, chalk } from 'zx';
import { statSync } from 'node:fs';
import { PLATFORM_TARGETS, SIZES_DOC, UNPACKAGED_TARGETS, packagesDir, readHeader, readSizes, readTarball, root, rootManifest, sizesProblems } from './lib.mjs';
import { packageProblems, versionProblems } from './release-rules.mjs';

const say = (/** @type {string} */ message) => console.log(chalk.cyan('release:check: ') + message);
const manifest = rootManifest();
const { version } = manifest;
/** @type {Array<{ name: string, problems: string[] }>} */
const results = [];
/**
 * @param {string} name
 * @param {string[]} problems
 */
function report(name, problems) {
  results.push({ name, problems });
  if (problems.length === 0) console.log(`  ${chalk.green('PASS')} ${name}`);
  else for (const p of problems) console.log(`  ${chalk.red('FAIL')} ${name}: ${p}`);
}

// Versions.
const cargoToml = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const cargoVersion = /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m.exec(cargoToml)?.[1];
const cargoLockVersion = /\[\[package\]\]\s*name = "mylib"\s*version = "([^"]+)"/.exec(readFileSync(join(root, 'Cargo.lock'), 'utf8'))?.[1];
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const tag = process.env.RELEASE_TAG || undefined;
say(`version ${version}${tag ? `, tag ${tag}` : ''}`);
report(
  `versions agree (package.json, Cargo.toml, Cargo.lock, package-lock.json${tag ? ', RELEASE_TAG)' : ')'}`,
  versionProblems({ version, cargoVersion, cargoLockVersion, lockVersions: [lock.version, lock.packages?.['']?.version], tag }),
);

if (!argv['versions-only']) {
  // The tarballs.
  const files = existsSync(packagesDir)
    ? readdirSync(packagesDir)
        .filter((f) => f.endsWith('.tgz'))
        .sort()
    : [];
  if (files.length === 0) {
    report('packages exist', [`no .tgz in ${packagesDir}: run \`npm run package\` first`]);
  } else {
    say(`${files.length} tarball(s) in dist/packages`);
    const tarballs = files.map((file) => {
      const entries = readTarball(join(packagesDir, file));
      const m = JSON.parse(entries.get('package.json')?.toString('utf8') ?? '{}');
      const target = PLATFORM_TARGETS.find((p) => p.name === m.name);
      const library = target ? entries.get(target.fileName) : undefined;
      const header = target ? (library ? readHeader(library) : { format: 'absent', machine: 'absent' }) : undefined;
      return { file, manifest: m, files: [...entries.keys()].sort(), header };
    });
    const problems = packageProblems(tarballs, { version, koffiRange: manifest.dependencies?.koffi, repository: manifest.repository });
    const missingTargets = problems.filter((p) => p.startsWith('target '));
    report(`every target of scripts/targets.ts has a package (${PLATFORM_TARGETS.length})`, missingTargets);
    report(
      'each package holds exactly what it should, with matching versions and fields',
      problems.filter((p) => !missingTargets.includes(p)),
    );
    for (const t of UNPACKAGED_TARGETS) say(`not packaged by design: ${t.triple}: ${t.reason}`);

    // The size table of docs/packaging.md (written by npm run package) against these tarballs.
    const actualSizes = tarballs.map((t) => {
      const entries = readTarball(join(packagesDir, t.file));
      const unpacked = [...entries.values()].reduce((sum, body) => sum + body.length, 0);
      return { name: t.manifest.name, files: entries.size, packed: statSync(join(packagesDir, t.file)).size, unpacked };
    });
    report(
      `the size table of ${SIZES_DOC.slice(root.length)} matches the tarballs (run npm run package with every target to rewrite it)`,
      sizesProblems(readSizes(readFileSync(SIZES_DOC, 'utf8')), actualSizes),
    );

    // npm publish --dry-run for each (packs nothing new: publishes the exact tarball).
    const dryRun = [];
    for (const file of files) {
      const r = spawnSync('npm', ['publish', join(packagesDir, file), '--dry-run', '--access', 'public', '--ignore-scripts'], {
        encoding: 'utf8',
        cwd: tmpdir(),
        shell: process.platform === 'win32',
        timeout: 120_000,
      });
      if (r.status !== 0) dryRun.push(`${file}: exit ${r.status}: ${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-5).join(' | ')}`);
    }
    report(`npm publish --dry-run of each tarball (${files.length})`, dryRun);
  }
}

const failed = results.filter((r) => r.problems.length);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
if (failed.length) {
  say(chalk.red('NOT releasable: fix the FAIL lines above.'));
  process.exit(1);
}
say(chalk.green(argv['versions-only'] ? `versions agree (${version}); the packages were not checked (--versions-only)` : `releasable: ${version}`));
