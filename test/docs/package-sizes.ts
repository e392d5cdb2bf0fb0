// The figures of docs/packaging.md's size table, recomputed here for the packages this machine
// can make: the main package (platform-independent) and the host's platform package. Staged as
// `npm run package` stages them (scripts/package/lib.mjs: rootPackFiles, publishedManifest,
// platformFiles) and measured with `npm pack --dry-run --json`, which reports the same
// entryCount, size and unpackedSize the script writes into the table.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { exec } from './checks.ts';
import {
  LICENSE_FILE,
  PACKAGE_NAME,
  PACKAGE_README,
  PLATFORM_TARGETS,
  artifactsDir,
  publishedManifest,
  rootManifest,
  rootPackFiles,
  // @ts-expect-error plain .mjs without types
} from '../../scripts/package/lib.mjs';

export interface Sizes {
  name: string;
  files: number;
  /** Bytes. */
  packed: number;
  /** Bytes. */
  unpacked: number;
}

async function packDryRun(dir: string): Promise<Sizes> {
  const r = await exec('npm', ['pack', dir, '--dry-run', '--json', '--ignore-scripts']);
  if (r.status !== 0) throw new Error(`npm pack --dry-run ${dir} exited ${r.status}: ${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as [{ name: string; entryCount: number; size: number; unpackedSize: number }];
  return { name: info.name, files: info.entryCount, packed: info.size, unpacked: info.unpackedSize };
}

/**
 * The root's pack list without compiled files whose source is gone: `npm run package` compiles
 * dist/bindings/ afresh, so a module moved or deleted since the last build:ts is not in it.
 */
function currentPackFiles(root: string): string[] {
  return (rootPackFiles() as string[]).filter((file) => {
    const compiled = /^dist\/(bindings\/.+?)(\.d\.ts|\.js)$/.exec(file);
    return !compiled || existsSync(join(root, `${compiled[1]}.ts`));
  });
}

/** The main package's sizes: the root's files, the package README, the published manifest. */
export async function mainPackageSizes(root: string): Promise<Sizes> {
  const staging = mkdtempSync(join(tmpdir(), 'mylib-docs-pack-'));
  try {
    for (const file of currentPackFiles(root)) {
      if (file === 'package.json') continue;
      mkdirSync(dirname(join(staging, file)), { recursive: true });
      copyFileSync(join(root, file), join(staging, file));
    }
    copyFileSync(PACKAGE_README, join(staging, 'README.md'));
    const names = (PLATFORM_TARGETS as Array<{ name: string }>).map((p) => p.name);
    writeFileSync(join(staging, 'package.json'), `${JSON.stringify(publishedManifest(rootManifest(), names), null, 2)}\n`);
    return await packDryRun(staging);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The host's platform package: the library built by `npm run build`, the LICENSE, and a manifest
 * and README of the script's size (a few hundred bytes of a tarball of hundreds of KiB; the
 * comparison allows 5%). Undefined when the host has no platform package or no built library.
 */
export async function hostPackageSizes(): Promise<Sizes | undefined> {
  const fileName = libraryFileName(hostPlatform());
  const target = (PLATFORM_TARGETS as Array<{ name: string; fileName: string; tag: string }>).find((p) => p.fileName === fileName);
  const library = join(artifactsDir as string, fileName);
  if (!target || !existsSync(library)) return undefined;
  const staging = mkdtempSync(join(tmpdir(), 'mylib-docs-pack-'));
  try {
    copyFileSync(library, join(staging, fileName));
    copyFileSync(LICENSE_FILE, join(staging, 'LICENSE'));
    const { version, license, repository } = rootManifest() as { version: string; license: string; repository: unknown };
    const manifest = {
      name: target.name,
      version,
      license,
      repository,
      description: `The prebuilt ${target.tag} native library of ${PACKAGE_NAME}.`,
      main: fileName,
      files: [fileName],
    };
    writeFileSync(join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(
      join(staging, 'README.md'),
      `# ${target.name}\n\nThe prebuilt native library of ${PACKAGE_NAME} for \`${target.tag}\`: \`${fileName}\`.\n`.repeat(3),
    );
    return await packDryRun(staging);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
