// The rules of `npm run release:check` on synthetic packages: a whole release passes, and each
// planted fault is reported with a precise message (so the check can fail).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs without types
import { PACKAGE_NAME, PLATFORM_TARGETS, checkFileList, platformFiles, publishedManifest, rootManifestProblems } from '../../scripts/package/lib.mjs';
// @ts-expect-error plain .mjs without types
import { packageProblems, versionProblems } from '../../scripts/package/release-rules.mjs';

interface Tarball {
  file: string;
  manifest: Record<string, unknown>;
  files: string[];
  header?: { format: string; machine: string };
}
interface PlatformTarget {
  name: string;
  fileName: string;
  os: string[];
  cpu: string[];
  libc?: string[];
  target: { format: string; machine: string; triple: string };
}

const version = '1.2.3';
const repository = { type: 'git', url: 'git+https://github.com/example/mylib-rust.git' };
const root = { version, koffiRange: '^3.3.4', repository };
const platforms = PLATFORM_TARGETS as PlatformTarget[];

const MAIN_FILES = [
  'package.json',
  'README.md',
  'LICENSE',
  'build-from-source.mjs',
  'Cargo.toml',
  'Cargo.lock',
  'build.rs',
  'rustlib/lib.rs',
  'rustlib/ffi/mod.rs',
  'dist/bindings/index.js',
  'dist/bindings/index.d.ts',
  'dist/bindings/unsafe.js',
  'dist/bindings/unsafe.d.ts',
  'dist/bindings/loader.js',
  'dist/bindings/names.js',
  'dist/bindings/abi.generated.js',
  'dist/bindings/ffi/engines/koffi.js',
  'dist/bindings/ffi/index.js',
  'dist/bindings/ffi/index.d.ts',
  'dist/bindings/ffi/engines/bun.js',
  'dist/bindings/ffi/engines/deno.js',
  'dist/bindings/ffi/engines/node.js',
  'dist/bindings/cli.js',
  'dist/bindings/repl/main.js',
];

function release(): Tarball[] {
  return [
    {
      file: `${PACKAGE_NAME}-${version}.tgz`,
      manifest: {
        name: PACKAGE_NAME,
        version,
        repository,
        type: 'module',
        exports: { '.': './dist/bindings/index.js' },
        scripts: { install: 'node build-from-source.mjs --auto' },
        dependencies: { koffi: '^3.3.4' },
        optionalDependencies: Object.fromEntries(platforms.map((p) => [p.name, version])),
      },
      files: [...MAIN_FILES],
    },
    ...platforms.map((p) => ({
      file: `${p.name}-${version}.tgz`,
      manifest: { name: p.name, version, repository, os: p.os, cpu: p.cpu, ...(p.libc ? { libc: p.libc } : {}) },
      files: platformFiles(p.fileName) as string[],
      header: { format: p.target.format, machine: p.target.machine },
    })),
  ];
}

describe('versionProblems', () => {
  const ok = { version, cargoVersion: version, cargoLockVersion: version, lockVersions: [version, version], tag: `v${version}` };
  it('agreeing versions pass', () => {
    expect(versionProblems(ok)).toEqual([]);
    expect(versionProblems({ ...ok, tag: undefined })).toEqual([]);
  });
  it.each([
    ['Cargo.toml', { cargoVersion: '1.2.2' }, /Cargo\.toml version is 1\.2\.2, package\.json is 1\.2\.3/],
    ['Cargo.lock', { cargoLockVersion: '1.0.0' }, /Cargo\.lock has mylib 1\.0\.0/],
    ['package-lock.json', { lockVersions: [version, '1.2.0'] }, /package-lock\.json packages\[""\]\.version is 1\.2\.0/],
    ['the tag', { tag: 'v1.2.4' }, /the release tag is v1\.2\.4, expected v1\.2\.3/],
    ['not semver', { version: 'one', cargoVersion: 'one', cargoLockVersion: 'one', lockVersions: ['one', 'one'], tag: undefined }, /not a semver version/],
  ])('%s disagreeing is reported', (_name, change, message) => {
    const problems: string[] = versionProblems({ ...ok, ...change });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });
});

describe('packageProblems', () => {
  it('a whole release passes', () => {
    expect(packageProblems(release(), root)).toEqual([]);
  });

  it('a target without a package fails, naming the target and the artifact', () => {
    const tarballs = release().filter((t) => t.manifest.name !== 'mylib-rust-darwin-arm64');
    const problems: string[] = packageProblems(tarballs, root);
    expect(problems).toContain(
      `target aarch64-apple-darwin has no package: no mylib-rust-darwin-arm64-${version}.tgz (needs artifacts/mylib.darwin-arm64.dylib: npm run build:cross, then npm run package)`,
    );
  });

  type Fault = [string, (t: Tarball[]) => void, RegExp];
  const byName = (t: Tarball[], name: string) => t.find((x) => x.manifest.name === name)!;
  const faults: Fault[] = [
    ['a version differs', (t) => (byName(t, 'mylib-rust-win32-x64').manifest.version = '1.2.2'), /mylib-rust-win32-x64@1\.2\.2, the release is 1\.2\.3/],
    [
      'wrong libc',
      (t) => (byName(t, 'mylib-rust-linux-x64-musl').manifest.libc = ['glibc']),
      /mylib-rust-linux-x64-musl: "libc" is \["glibc"\], expected \["musl"\]/,
    ],
    ['wrong cpu', (t) => (byName(t, 'mylib-rust-darwin-arm64').manifest.cpu = ['x64']), /mylib-rust-darwin-arm64: "cpu" is \["x64"\]/],
    [
      'a stray file in a platform package',
      (t) => byName(t, 'mylib-rust-win32-x64').files.push('mylib.pdb'),
      /mylib-rust-win32-x64: holds .*mylib\.pdb.*; expected exactly/,
    ],
    [
      'a library of the wrong machine',
      (t) => (byName(t, 'mylib-rust-linux-arm64-gnu').header = { format: 'elf', machine: 'x86_64' }),
      /mylib\.linux-arm64-gnu\.so is elf\/x86_64, expected elf\/aarch64/,
    ],
    [
      'the target folder in the main package',
      (t) => byName(t, PACKAGE_NAME).files.push('target/release/libmylib.so'),
      /mylib-rust: target\/release\/libmylib\.so is cargo's target\/ folder/,
    ],
    ['a TypeScript source', (t) => byName(t, PACKAGE_NAME).files.push('bindings/index.ts'), /bindings\/index\.ts is a TypeScript source/],
    ['a test', (t) => byName(t, PACKAGE_NAME).files.push('test/errors.test.js'), /test\/errors\.test\.js is a test folder/],
    ['a source map', (t) => byName(t, PACKAGE_NAME).files.push('dist/bindings/index.js.map'), /index\.js\.map is a source map/],
    ['a library in the main package', (t) => byName(t, PACKAGE_NAME).files.push('artifacts/mylib.linux-x64-gnu.so'), /not a file the main package ships/],
    [
      'a required file missing',
      (t) => (byName(t, PACKAGE_NAME).files = MAIN_FILES.filter((f) => f !== 'dist/bindings/loader.js')),
      /mylib-rust: dist\/bindings\/loader\.js is missing/,
    ],
    [
      'an optionalDependency missing',
      (t) => delete (byName(t, PACKAGE_NAME).manifest.optionalDependencies as Record<string, string>)['mylib-rust-win32-x64'],
      /optionalDependencies must be every platform package at 1\.2\.3; wrong or missing: mylib-rust-win32-x64/,
    ],
    [
      'an optionalDependency at another version',
      (t) => ((byName(t, PACKAGE_NAME).manifest.optionalDependencies as Record<string, string>)['mylib-rust-linux-x64-gnu'] = '1.2.2'),
      /wrong or missing: mylib-rust-linux-x64-gnu/,
    ],
    [
      'another dependency',
      (t) => ((byName(t, PACKAGE_NAME).manifest.dependencies as Record<string, string>).fastify = '^5'),
      /dependencies must be exactly \{ koffi: "\^3\.3\.4" \}/,
    ],
    [
      'reference/ shipped',
      (t) => byName(t, PACKAGE_NAME).files.push('dist/reference/text.js'),
      /dist\/reference\/text\.js is not a file the main package ships/,
    ],
    [
      'mylib-rust/ffi missing',
      (t) => (byName(t, PACKAGE_NAME).files = MAIN_FILES.filter((f) => !f.startsWith('dist/bindings/ffi/index.'))),
      /mylib-rust: dist\/bindings\/ffi\/index\.js is missing/,
    ],
    [
      'an export naming a file the tarball lacks',
      (t) =>
        ((byName(t, PACKAGE_NAME).manifest.exports as Record<string, unknown>)['./extra'] = {
          types: './dist/bindings/extra.d.ts',
          default: './dist/bindings/extra.js',
        }),
      /the exports map names files the tarball lacks: dist\/bindings\/extra\.d\.ts, dist\/bindings\/extra\.js/,
    ],
    [
      'reference/ exported',
      (t) => ((byName(t, PACKAGE_NAME).manifest.exports as Record<string, string>)['./reference/*'] = './dist/reference/*.js'),
      /exports reference\//,
    ],
    ['devDependencies published', (t) => (byName(t, PACKAGE_NAME).manifest.devDependencies = { vitest: '4' }), /developer-only fields: devDependencies/],
    [
      'the developer scripts published',
      (t) => (byName(t, PACKAGE_NAME).manifest.scripts = { install: 'node build-from-source.mjs --auto', start: 'node service/main.ts' }),
      /scripts must be exactly \{ install: "node build-from-source\.mjs --auto" \}/,
    ],
    [
      'a repository differs',
      (t) => (byName(t, 'mylib-rust-linux-x64-gnu').manifest.repository = 'git+https://github.com/other/x.git'),
      /mylib-rust-linux-x64-gnu: repository .* differs/,
    ],
    [
      'an unknown package',
      (t) => t.push({ file: 'other-1.2.3.tgz', manifest: { name: 'other', version, repository }, files: [] }),
      /other-1\.2\.3\.tgz: other is not a package of this release/,
    ],
  ];
  it.each(faults)('%s is reported', (_name, plant, message) => {
    const tarballs = release();
    plant(tarballs);
    const problems: string[] = packageProblems(tarballs, root);
    expect(problems.length).toBeGreaterThan(0);
    expect(
      problems.some((p) => message.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('no repository in the root package.json is one problem, not one per package', () => {
    const problems: string[] = packageProblems(release(), { ...root, repository: undefined });
    expect(problems.filter((p) => /repository/.test(p))).toEqual(['the root package.json has no "repository": npm provenance needs one in every package']);
  });
});

describe('checkFileList', () => {
  it('accepts the main package layout and a dotfile is refused', () => {
    expect(checkFileList(PACKAGE_NAME, MAIN_FILES, { main: true })).toEqual([]);
    expect(checkFileList(PACKAGE_NAME, [...MAIN_FILES, '.npmrc'], { main: true })).toEqual(expect.arrayContaining([`${PACKAGE_NAME}: .npmrc is a dotfile`]));
  });
});

describe('the root package.json is the main package', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  it('the real root package.json has what the published manifest needs', () => {
    expect(rootManifestProblems(manifest)).toEqual([]);
  });

  it.each([
    ['another name', { name: 'mylib' }, /name is mylib/],
    ['fastify as a dependency', { dependencies: { fastify: '^5', koffi: '^3' } }, /dependencies must be koffi only/],
    ['a reference export', { exports: { ...manifest.exports, './reference/*': './dist/reference/*.js' } }, /reference\/ is test code/],
    ['optionalDependencies by hand', { optionalDependencies: { 'mylib-rust-linux-x64-gnu': '0.1.0' } }, /optionalDependencies are computed/],
    ['an install script in the root', { scripts: { install: 'node build-from-source.mjs --auto' } }, /no install scripts in the root/],
    ['exports and main disagree', { main: './index.js' }, /exports\["\."\] must name the same files/],
    ['no ./ffi export', { exports: { ...manifest.exports, './ffi': undefined } }, /exports\["\.\/ffi"\] must be/],
    ['no bin', { bin: undefined }, /"bin" must be \{ "mylib-rust": "dist\/bindings\/cli\.js" \}/],
    ['a bin naming a source file', { bin: { 'mylib-rust': 'bindings/cli.ts' } }, /"bin" must be/],
  ])('%s is reported', (_name, change, message) => {
    const problems: string[] = rootManifestProblems({ ...manifest, ...change });
    expect(
      problems.some((p) => message.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('the published manifest drops the developer-only fields and adds the install hook and the platform packages', () => {
    const published = publishedManifest(manifest, ['mylib-rust-win32-x64', 'mylib-rust-linux-x64-gnu']);
    for (const field of ['devDependencies', 'workspaces', 'private']) expect(published).not.toHaveProperty(field);
    expect(published.scripts).toEqual({ install: 'node build-from-source.mjs --auto' });
    expect(Object.entries(published.optionalDependencies)).toEqual([
      ['mylib-rust-linux-x64-gnu', manifest.version],
      ['mylib-rust-win32-x64', manifest.version],
    ]);
    for (const field of ['name', 'version', 'bin', 'exports', 'main', 'types', 'files', 'dependencies', 'engines', 'repository'])
      expect(published[field]).toEqual(manifest[field]);
  });
});
