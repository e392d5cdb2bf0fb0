#!/usr/bin/env node
// Publishes the npm packages of a release: every per-platform package first, then the main
// package (whose optionalDependencies name them), each with `npm publish --provenance`.
//   node scripts/ci/publish.ts --dir dist/packages [--dry-run]
// Input: the .tgz files `npm run package` wrote (the exact bytes the install test installed).
// Refuses, before publishing anything, when a tarball's version differs from package.json's or
// from the tag (GITHUB_REF_NAME), when the main package or every platform package is missing,
// or (in GitHub Actions) when a package's repository is not this repository: npm provenance
// rejects it then, possibly after the platform packages went out.
// A version already on the registry is skipped, so a failed release job can be re-run.
//
// Plain Node with no dependencies: the release job runs it with Node 24's type stripping and
// no `npm ci`, so no third-party code runs next to the publishing token. Erasable syntax only.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface PackageInfo {
  file: string;
  name: string;
  version: string;
  /** repository.url (or the string form) from the package's package.json. */
  repository?: string;
}

export interface PlanOptions {
  mainName: string;
  version: string;
  /** `owner/repo` (GITHUB_REPOSITORY); when set, every package's repository must point there. */
  repository?: string;
}

/** The publish order (platform packages by name, then the main package), or an Error listing every problem. */
export function planPublish(packages: PackageInfo[], options: PlanOptions): PackageInfo[] {
  const problems: string[] = [];
  const main = packages.filter((pkg) => pkg.name === options.mainName);
  const platform = packages.filter((pkg) => pkg.name !== options.mainName).sort((a, b) => a.name.localeCompare(b.name));
  if (main.length !== 1) problems.push(`expected one tarball of the main package ${options.mainName}, found ${main.length}`);
  if (platform.length === 0) problems.push('no platform package: the main package alone cannot load the library');
  const names = new Map<string, string>();
  for (const pkg of packages) {
    const previous = names.get(pkg.name);
    if (previous) problems.push(`${pkg.name} appears twice (${previous}, ${pkg.file})`);
    names.set(pkg.name, pkg.file);
    if (pkg.version !== options.version) {
      problems.push(`${pkg.file}: ${pkg.name}@${pkg.version}, but the release is ${options.version}`);
    }
    if (options.repository) {
      const expected = `github.com/${options.repository}`.toLowerCase();
      const actual = (pkg.repository ?? '').toLowerCase().replace(/\.git$/, '');
      if (!actual.endsWith(expected)) {
        problems.push(`${pkg.file}: repository is "${pkg.repository ?? ''}"; npm provenance needs it to be https://${expected}`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`publish: refusing to publish:\n  ${problems.join('\n  ')}`);
  return [...platform, ...main];
}

/** name, version and repository of a package tarball (reads package/package.json with tar). */
export function readTarball(file: string): PackageInfo {
  let text: string;
  try {
    text = execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' });
  } catch (error) {
    throw new Error(`publish: ${file} is not an npm package tarball: ${(error as Error).message}`);
  }
  const json = JSON.parse(text) as { name?: string; version?: string; repository?: string | { url?: string } };
  if (!json.name || !json.version) throw new Error(`publish: ${file}: package.json has no name or version`);
  const repository = typeof json.repository === 'string' ? json.repository : json.repository?.url;
  return { file, name: json.name, version: json.version, ...(repository ? { repository } : {}) };
}

function isPublished(name: string, version: string): boolean {
  const result = spawnSync('npm', ['view', `${name}@${version}`, 'version'], { encoding: 'utf8', shell: process.platform === 'win32' });
  if (result.status === 0) return result.stdout.trim() === version;
  if (/E404|404 Not Found/.test(result.stderr)) return false;
  throw new Error(`publish: npm view ${name}@${version} failed: ${result.stderr.trim()}`);
}

function parseArgs(argv: string[]): { dir: string; dryRun: boolean } {
  let dir: string | undefined;
  let dryRun = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--dry-run') dryRun = true;
    else if (arg === '--dir') dir = argv[++index];
    else if (arg.startsWith('--dir=')) dir = arg.slice('--dir='.length);
    else throw new Error(`publish: unknown argument ${arg} (usage: publish.ts --dir <folder of .tgz> [--dry-run])`);
  }
  if (!dir) throw new Error('publish: --dir <folder of .tgz files> is required');
  return { dir, dryRun };
}

export function main(argv: string[], root: string): void {
  const { dir, dryRun } = parseArgs(argv);
  const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  const tag = process.env.GITHUB_REF_TYPE === 'tag' || process.env.GITHUB_REF?.startsWith('refs/tags/') ? process.env.GITHUB_REF_NAME : undefined;
  if (tag !== undefined && tag !== `v${rootPackage.version}`) {
    throw new Error(`publish: tag ${tag} does not match package.json version ${rootPackage.version}`);
  }
  const folder = resolve(root, dir);
  let files: string[];
  try {
    files = readdirSync(folder)
      .filter((file) => file.endsWith('.tgz'))
      .sort();
  } catch {
    throw new Error(`publish: ${folder} does not exist (run npm run package first)`);
  }
  if (files.length === 0) throw new Error(`publish: no .tgz in ${folder} (run npm run package first)`);
  const repository = process.env.GITHUB_ACTIONS === 'true' ? process.env.GITHUB_REPOSITORY : undefined;
  const order = planPublish(
    files.map((file) => readTarball(join(folder, file))),
    {
      mainName: rootPackage.name,
      version: rootPackage.version,
      ...(repository ? { repository } : {}),
    },
  );
  console.log(`publish: ${order.length} package(s), version ${rootPackage.version}${dryRun ? ' (dry run: nothing is published)' : ''}`);
  const done: string[] = [];
  for (const [index, pkg] of order.entries()) {
    const label = `[${index + 1}/${order.length}] ${pkg.name}@${pkg.version}`;
    if (dryRun) {
      console.log(`${label}: would run npm publish ${pkg.file} --provenance --access public`);
      continue;
    }
    if (isPublished(pkg.name, pkg.version)) {
      console.log(`${label}: already on the registry, skipped`);
      done.push(`${pkg.name}: already published`);
      continue;
    }
    console.log(`${label}: publishing...`);
    const args = ['publish', pkg.file, '--provenance', '--access', 'public'];
    if (pkg.version.includes('-')) args.push('--tag', 'next');
    const result = spawnSync('npm', args, { stdio: 'inherit', shell: process.platform === 'win32' });
    if (result.status !== 0) {
      throw new Error(`publish: npm publish ${pkg.file} failed (exit ${result.status}); published so far: ${done.join(', ') || 'none'}`);
    }
    done.push(`${pkg.name}: published`);
  }
  console.log(`publish: done. ${dryRun ? 'Dry run.' : done.join('; ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main(process.argv.slice(2), fileURLToPath(new URL('../..', import.meta.url)));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
