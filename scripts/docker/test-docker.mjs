#!/usr/bin/env -S npx tsx
// Builds the Dockerfile, runs the image on a loopback port, sends smoke requests, stops it
// with SIGTERM and checks the exit time; reports image size and build time.
//
//   npm run test:docker
//   npm run test:docker -- --engine podman      force an engine (docker|podman; default: docker if
//                                                its daemon answers, else podman)
//   npm run test:docker -- --base local         local|public|auto (default auto): base images
//                                                built from Debian with debootstrap, or the public
//                                                rust:/node: images (auto: public when a pull works)
//   npm run test:docker -- --no-cache           rebuild every layer of the service image
//   npm run test:docker -- --extra-ca FILE|DIR  CA certificates (PEM) for npm inside the build;
//                                                default: /usr/local/share/ca-certificates/*.crt
//   npm run test:docker -- --clean              remove .cache/docker (storage, base images) and exit
//
// podman runs with a containers.conf and storage.conf of this script's own (.cache/docker/):
// nothing global changes. See docs/service.md, "Docker".
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $, argv, chalk, sleep, which } from 'zx';
import { errorMessage } from '../errors.mjs';

/** @import { ProcessPromise } from 'zx' */

const root = fileURLToPath(new URL('../..', import.meta.url));
const cache = join(root, '.cache', 'docker');
const IMAGE = argv.image ?? 'localhost/mylib-service:test';
const DEBIAN_SUITE = 'bookworm';
const DEBIAN_MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const PUBLIC_RUST = 'docker.io/library/rust:1-slim-bookworm';
const PUBLIC_NODE = 'docker.io/library/node:20-bookworm-slim';
const LOCAL_DEBIAN = `localhost/mylib-base/debian:${DEBIAN_SUITE}`;
const LOCAL_RUST = `localhost/mylib-base/rust:${DEBIAN_SUITE}`;
const LOCAL_NODE = `localhost/mylib-base/node:${process.versions.node}-${DEBIAN_SUITE}`;
const SHUTDOWN_LIMIT_MS = 5000;

$.verbose = false;
const t0 = performance.now();
const seconds = (/** @type {number} */ from) => ((performance.now() - from) / 1000).toFixed(1);
const log = (/** @type {string} */ message) => console.log(`${chalk.cyan('test:docker')} [${seconds(t0).padStart(6)} s] ${message}`);
const fail = (/** @type {string} */ message) => {
  console.error(chalk.red(`test:docker: FAILED: ${message}`));
  process.exit(1);
};
/**
 * Runs a long step, printing a line every 15 s so CI shows progress.
 * @template T
 * @param {string} title
 * @param {() => Promise<T>} fn
 */
async function step(title, fn) {
  const started = performance.now();
  log(`${title}...`);
  const ticker = setInterval(() => log(`  ${title}: still running (${seconds(started)} s)`), 15_000);
  try {
    return await fn();
  } finally {
    clearInterval(ticker);
    log(`${title}: ${seconds(started)} s`);
  }
}

if (argv.clean) {
  await rm(cache, { recursive: true, force: true });
  log(`removed ${cache}`);
  process.exit(0);
}

// ---- engine -----------------------------------------------------------------------------
const env = { ...process.env };
let engine = argv.engine;
if (engine !== undefined && !['docker', 'podman'].includes(engine)) fail(`--engine must be docker or podman, got '${engine}'`);
if (engine === undefined && (await which('docker', { nothrow: true }))) {
  const info = await $({ nothrow: true, timeout: 15_000 })`docker info --format {{.ServerVersion}}`;
  if (info.exitCode === 0) engine = 'docker';
  else log('docker CLI found but no engine answers; using podman');
}
engine ??= 'podman';
if (engine === 'podman') await preparePodman();
const E = engine;
const version = (await $({ env })`${E} --version`).stdout.trim();
log(`engine: ${version}`);

async function preparePodman() {
  const tools = ['podman', 'debootstrap', 'runc'];
  const missing = [];
  for (const tool of tools) if (!(await which(tool, { nothrow: true }))) missing.push(tool);
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) fail(`${missing.join(', ')} missing and not root: install podman, buildah, debootstrap and runc`);
    await step(`apt-get install podman buildah debootstrap runc (missing: ${missing.join(', ')})`, async () => {
      const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      await $({ env: aptEnv })`apt-get update -qq`;
      await $({
        env: aptEnv,
      })`apt-get install -y -qq --no-install-recommends podman buildah debootstrap runc uidmap slirp4netns netavark aardvark-dns iptables`;
    });
  }
  // Sandbox adjustments, in files of our own (../shared/notes/containers.md):
  // raising ulimits is not permitted here; crun 1.8 fails on this cgroup setup; no systemd.
  await mkdir(cache, { recursive: true });
  const containersConf = join(cache, 'containers.conf');
  const storageConf = join(cache, 'storage.conf');
  await writeFile(
    containersConf,
    [
      '# Written by scripts/docker/test-docker.mjs; used through CONTAINERS_CONF only.',
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      '',
    ].join('\n'),
  );
  await writeFile(
    storageConf,
    [
      '# Written by scripts/docker/test-docker.mjs; used through CONTAINERS_STORAGE_CONF only.',
      '[storage]',
      'driver = "overlay"',
      `graphroot = "${join(cache, 'storage')}"`,
      `runroot = "${join(cache, 'run')}"`,
      '',
    ].join('\n'),
  );
  env.CONTAINERS_CONF = containersConf;
  env.CONTAINERS_STORAGE_CONF = storageConf;
}

/** @typedef {(strings: TemplateStringsArray, ...values: unknown[]) => ProcessPromise} Command */
/** @type {Command} */
const run = (strings, ...values) => $({ env, cwd: root })(strings, ...values);
/** @type {Command} */
const tryRun = (strings, ...values) => $({ env, cwd: root, nothrow: true })(strings, ...values);
const imageExists = async (/** @type {string} */ name) =>
  E === 'podman' ? (await tryRun`podman image exists ${name}`).exitCode === 0 : (await tryRun`docker image inspect ${name}`).exitCode === 0;

// ---- base images --------------------------------------------------------------------------
const baseMode = argv.base ?? process.env.MYLIB_DOCKER_BASE ?? 'auto';
if (!['auto', 'local', 'public'].includes(baseMode)) fail(`--base must be auto, local or public, got '${baseMode}'`);
let rustImage = PUBLIC_RUST;
let nodeImage = PUBLIC_NODE;
let baseSource = 'public';
if (baseMode === 'public' || baseMode === 'auto') {
  const havePublic = (await imageExists(PUBLIC_RUST)) && (await imageExists(PUBLIC_NODE));
  if (!havePublic) {
    const pulled = await step('trying the public base images', async () => {
      for (const image of [PUBLIC_RUST, PUBLIC_NODE]) {
        if (await imageExists(image)) continue;
        const pull = await $({ env, cwd: root, nothrow: true, timeout: 300_000 })`${E} pull ${image}`.catch((e) => e);
        if (pull.exitCode !== 0) {
          log(
            `  cannot pull ${image}: ${String(pull.stderr ?? pull.message)
              .trim()
              .split('\n')
              .at(-1)}`,
          );
          return false;
        }
      }
      return true;
    });
    if (!pulled && baseMode === 'public') fail('--base public: the public base images cannot be pulled');
    if (!pulled) baseSource = 'local';
  }
} else {
  baseSource = 'local';
}
if (baseSource === 'local') {
  if (E !== 'podman') fail('local base images are built with debootstrap + podman import; run with --engine podman');
  await buildLocalBases();
  rustImage = LOCAL_RUST;
  nodeImage = LOCAL_NODE;
}
log(`base images (${baseSource}): ${rustImage}, ${nodeImage}`);

async function buildLocalBases() {
  const baseDir = join(cache, 'base');
  await mkdir(baseDir, { recursive: true });
  if (!(await imageExists(LOCAL_DEBIAN))) {
    const rootfs = join(baseDir, 'rootfs');
    await rm(rootfs, { recursive: true, force: true });
    await step(
      `debootstrap ${DEBIAN_SUITE} (minbase) from ${DEBIAN_MIRROR}`,
      () => run`debootstrap --variant=minbase ${DEBIAN_SUITE} ${rootfs} ${DEBIAN_MIRROR}`,
    );
    // bookworm-updates brings rustc-web/cargo-web new enough for edition 2024.
    const security = DEBIAN_MIRROR.replace(/\/debian\/?$/, '/debian-security');
    await writeFile(
      join(rootfs, 'etc/apt/sources.list'),
      [
        `deb ${DEBIAN_MIRROR} ${DEBIAN_SUITE} main`,
        `deb ${DEBIAN_MIRROR} ${DEBIAN_SUITE}-updates main`,
        `deb ${security} ${DEBIAN_SUITE}-security main`,
        '',
      ].join('\n'),
    );
    // Like the official slim images: no package lists, downloaded .debs, docs, man pages, locales.
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale', 'usr/share/info']) {
      await rm(join(rootfs, dir), { recursive: true, force: true });
      await mkdir(join(rootfs, dir), { recursive: true });
    }
    await mkdir(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    await mkdir(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
    // Keep it that way in images built on top (as debian:*-slim does).
    await writeFile(
      join(rootfs, 'etc/dpkg/dpkg.cfg.d/excludes'),
      ['path-exclude /usr/share/doc/*', 'path-exclude /usr/share/man/*', 'path-exclude /usr/share/locale/*', 'path-exclude /usr/share/info/*', ''].join('\n'),
    );
    await step(`podman import -> ${LOCAL_DEBIAN}`, () => run`tar -C ${rootfs} -c . | podman import --change ${'CMD ["bash"]'} - ${LOCAL_DEBIAN}`);
    await rm(rootfs, { recursive: true, force: true });
  }
  if (!(await imageExists(LOCAL_RUST))) {
    const dir = join(baseDir, 'rust');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'Containerfile'),
      [
        `FROM ${LOCAL_DEBIAN}`,
        'RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\',
        '      rustc-web cargo-web gcc libc6-dev ca-certificates \\',
        ' && rm -rf /var/lib/apt/lists/* && cargo --version && rustc --version',
        '',
      ].join('\n'),
    );
    await step(`build ${LOCAL_RUST} (Debian rustc-web/cargo-web)`, () => run`podman build --network host -t ${LOCAL_RUST} ${dir}`);
  }
  if (!(await imageExists(LOCAL_NODE))) {
    // The host's own Node (same major as the Dockerfile's default node:20 image) and npm.
    const dir = join(baseDir, 'node');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const npmDir = resolve(dirname(process.execPath), '../lib/node_modules/npm');
    if (!existsSync(join(npmDir, 'bin/npm-cli.js'))) fail(`npm not found at ${npmDir} (beside ${process.execPath})`);
    await cp(process.execPath, join(dir, 'node'));
    await run`cp -a ${npmDir} ${join(dir, 'npm')}`;
    await writeFile(
      join(dir, 'Containerfile'),
      [
        `FROM ${LOCAL_DEBIAN}`,
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
        ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
        ' && node --version && npm --version',
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    await step(`build ${LOCAL_NODE} (host Node ${process.version})`, () => run`podman build -t ${LOCAL_NODE} ${dir}`);
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- build --------------------------------------------------------------------------------
const caArgs = [];
const caSource = argv['extra-ca'] ?? process.env.MYLIB_DOCKER_EXTRA_CA ?? '/usr/local/share/ca-certificates';
if (caSource && existsSync(caSource)) {
  const files = statSync(caSource).isDirectory()
    ? readdirSync(caSource, { recursive: true })
        .map(String)
        .filter((f) => /\.(crt|pem)$/.test(f))
        .map((f) => join(caSource, f))
    : [caSource];
  const pem = files.map((f) => readFileSync(f, 'utf8').trim()).filter((text) => text.includes('BEGIN CERTIFICATE'));
  if (pem.length > 0) {
    caArgs.push('--build-arg', `EXTRA_CA_CERTS=${pem.join('\n')}`);
    log(`extra CA certificates for npm in the build: ${files.length} file(s) from ${caSource}`);
  }
} else if (argv['extra-ca']) {
  fail(`--extra-ca ${caSource}: no such file or folder`);
}

const buildArgs = [
  'build',
  ...(E === 'podman' ? ['--format', 'docker', '--pull=never'] : []), // docker format keeps HEALTHCHECK
  ...(argv.cache === false ? ['--no-cache'] : []),
  '--build-arg',
  `RUST_IMAGE=${rustImage}`,
  '--build-arg',
  `NODE_IMAGE=${nodeImage}`,
  ...caArgs,
  '-t',
  IMAGE,
  '-f',
  join(root, 'Dockerfile'),
  root,
];
const buildStarted = performance.now();
const build = await step(`${E} build -t ${IMAGE}`, () => tryRun`${E} ${buildArgs}`);
const buildSeconds = Number(seconds(buildStarted));
if (build.exitCode !== 0) {
  console.error(build.stdout.split('\n').slice(-40).join('\n'));
  console.error(build.stderr.split('\n').slice(-40).join('\n'));
  fail(`${E} build exited with ${build.exitCode}`);
}
const cachedSteps = (build.stdout.match(/Using cache/g) ?? []).length;
const sizeBytes = Number((await run`${E} image inspect --format {{.Size}} ${IMAGE}`).stdout.trim());
log(`image ${IMAGE}: ${(sizeBytes / 1e6).toFixed(1)} MB, built in ${buildSeconds} s (${cachedSteps} cached steps)`);

// ---- run and smoke ------------------------------------------------------------------------
const port = await freePort();
const name = `mylib-test-${process.pid}`;
let stopped = false;
const cleanup = async () => {
  if (!stopped) await tryRun`${E} rm -f ${name}`;
};
process.on('exit', () => {
  if (!stopped) $.sync({ env, nothrow: true })`${E} rm -f ${name}`;
});

/** @type {Array<{ ok: boolean, what: string }>} */
const checks = [];
const check = (/** @type {boolean} */ ok, /** @type {string} */ what) => {
  checks.push({ ok, what });
  console.log(`  ${ok ? chalk.green('ok  ') : chalk.red('FAIL')} ${what}`);
};
const base = `http://127.0.0.1:${port}`;
let shutdownMs = Number.NaN;
let serviceStopMs = Number.NaN;
try {
  // podman: no systemd here to schedule health checks; `podman healthcheck run` checks it by hand.
  const runFlags = E === 'podman' ? ['--health-interval', 'disable'] : [];
  await run`${E} run -d --name ${name} ${runFlags} -p ${`127.0.0.1:${port}:8000`} ${IMAGE}`;
  log(`container ${name} on ${base}`);
  const ready = await waitHealthy(`${base}/healthz`, 30_000);
  check(ready, `GET /healthz answers within 30 s`);
  if (!ready) throw new Error('the service did not start');
  await smoke();
  const user = (await run`${E} exec ${name} id -u`).stdout.trim();
  check(user !== '0', `runs as a non-root user (uid ${user})`);
  const health = await tryRun`${E} healthcheck run ${name}`;
  if (E === 'podman')
    check(health.exitCode === 0, `HEALTHCHECK passes (podman healthcheck run: ${health.exitCode}${health.stderr.trim() ? `, ${health.stderr.trim()}` : ''})`);
  else check(JSON.parse((await run`docker image inspect --format {{json .Config.Healthcheck}} ${IMAGE}`).stdout) !== null, 'the image has a HEALTHCHECK');

  // SIGTERM with a request in flight: it must complete, then the process exits 0 within 5 s.
  const inFlight = fetch(`${base}/api/count-doubles`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'ab'.repeat(200_000) }),
  }).then(
    (r) => r.status,
    (e) => `error: ${e.message}`,
  );
  const signalled = performance.now();
  await run`${E} kill --signal TERM ${name}`;
  const exitCode = Number((await $({ env, cwd: root, timeout: 30_000 })`${E} wait ${name}`).stdout.trim().split('\n').at(-1));
  shutdownMs = Math.round(performance.now() - signalled);
  check(exitCode === 0, `exit code after SIGTERM is 0 (got ${exitCode})`);
  check(shutdownMs < SHUTDOWN_LIMIT_MS, `stopped ${shutdownMs} ms after SIGTERM (limit ${SHUTDOWN_LIMIT_MS} ms)`);
  const inFlightStatus = await inFlight;
  check(inFlightStatus === 200 || inFlightStatus === 503, `a request sent around SIGTERM got an answer (${inFlightStatus})`);
  const logs = (await tryRun`${E} logs ${name}`).stdout;
  const stopped = /"ms":(\d+),"msg":"stopped"/.exec(logs);
  serviceStopMs = stopped ? Number(stopped[1]) : Number.NaN;
  check(stopped !== null, `the service logged a graceful stop (${serviceStopMs} ms inside the container; the rest is the engine)`);
} catch (error) {
  check(false, `unexpected error: ${errorMessage(error)}`);
} finally {
  if (checks.some((c) => !c.ok)) {
    const logs = await tryRun`${E} logs --tail 40 ${name}`;
    console.error(chalk.yellow(`--- container logs (last 40 lines) ---\n${logs.stdout}${logs.stderr}`));
  }
  await cleanup();
  stopped = true;
}

const failed = checks.filter((c) => !c.ok).length;
const summary = {
  engine: version,
  baseImages: baseSource,
  image: IMAGE,
  imageSizeMB: Number((sizeBytes / 1e6).toFixed(1)),
  buildSeconds,
  cachedSteps,
  shutdownMs,
  serviceStopMs,
  totalSeconds: Number(seconds(t0)),
  checks: checks.length,
  failed,
};
await writeFile(join(cache, 'last-run.json'), `${JSON.stringify(summary, null, 2)}\n`).catch(() => {});
console.log(`\ntest:docker summary: ${JSON.stringify(summary)}`);
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// ---- helpers ------------------------------------------------------------------------------
/** @returns {Promise<number>} */
async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolvePort(free));
    });
  });
}

/**
 * @param {string} url
 * @param {number} timeoutMs
 */
async function waitHealthy(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return true;
    } catch {}
    await sleep(250);
  }
  return false;
}

/**
 * @param {string} path
 * @param {RequestInit} [init]
 */
async function request(path, init = {}) {
  const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, text, json };
}

/**
 * @param {string} path
 * @param {unknown} body a string is sent as it is (malformed JSON on purpose)
 */
function postJson(path, body) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
}

async function smoke() {
  const hello = await request('/');
  check(hello.status === 200 && hello.text === 'Rust says: Hello!', `GET / -> 200 'Rust says: Hello!' (${hello.status} '${hello.text.slice(0, 60)}')`);
  const health = await request('/healthz');
  check(health.json?.engine === 'rust', `GET /healthz -> engine rust (${health.text.slice(0, 80)})`);
  const doubles = await postJson('/api/count-doubles', { text: 'aabbb' });
  check(doubles.status === 200 && doubles.json?.count === 3, `POST /api/count-doubles aabbb -> 3 (${doubles.status} ${doubles.text.slice(0, 80)})`);
  const closest = await postJson('/api/closest', { query: 'kitten', candidates: ['sitting', 'kitten', 'mitten'], limit: 2 });
  check(
    closest.status === 200 && closest.json?.matches?.[0]?.candidate === 'kitten' && closest.json.matches[0].distance === 0,
    `POST /api/closest -> kitten at distance 0 first (${closest.status} ${closest.text.slice(0, 100)})`,
  );
  const stats = await postJson('/api/stats', { values: [1, 2, 3, 4] });
  check(
    stats.status === 200 && stats.json?.count === 4 && stats.json.mean === 2.5,
    `POST /api/stats [1,2,3,4] -> count 4, mean 2.5 (${stats.status} ${stats.text.slice(0, 100)})`,
  );
  const words = await request('/api/word-count?top=1', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'the cat and the hat' });
  check(
    words.status === 200 && words.json?.top?.[0]?.word === 'the' && words.json.top[0].count === 2,
    `POST /api/word-count -> 'the' x2 (${words.status} ${words.text.slice(0, 100)})`,
  );
  const bad = await postJson('/api/count-doubles', '{"text":');
  check(bad.status === 400 && bad.json?.error === 'Bad Request', `malformed JSON -> 400 JSON error (${bad.status})`);
  const wrongType = await postJson('/api/count-doubles', { text: 1 });
  check(wrongType.status === 400 && /text/.test(wrongType.json?.message ?? ''), `wrong type -> 400 naming the field (${wrongType.text.slice(0, 100)})`);
  const after = await request('/');
  check(after.status === 200, 'still healthy after bad input');
}
