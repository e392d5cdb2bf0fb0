#!/usr/bin/env -S npx tsx
// Load test of the service with autocannon, against 127.0.0.1 only, bounded in requests and time.
// For each implementation (rust, js) and endpoint (GET /, POST /api/closest): 10k requests, RSS read
// from /healthz, then the rest up to --requests (default 100k), RSS again. Fails on any error,
// any non-2xx answer, or RSS growing more than --rss-limit MB between the two readings.
//
//   npm run load
//   npm run load -- --requests 20000 --connections 20 --engines rust
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error autocannon ships no types (no @types/autocannon here): the part used is typed below.
import autocannonUntyped from 'autocannon';
import { argv, chalk, sleep } from 'zx';

/**
 * The slice of autocannon's API this script uses.
 * @typedef {{ url: string, method: string, headers?: Record<string, string>, body?: string, connections: number, amount: number }} BenchOptions
 * @typedef {{ errors: number, timeouts: number, non2xx: number, requests: { total: number, average: number }, latency: { p50: number, p99: number } }} BenchResult
 */
/** @type {(options: BenchOptions, done: (error: Error | null, result: BenchResult) => void) => { stop(): void, on(event: 'done', listener: () => void): void }} */
const autocannon = autocannonUntyped;

const root = fileURLToPath(new URL('..', import.meta.url));
const total = Number(argv.requests ?? 100_000);
const warmup = Math.min(10_000, Math.floor(total / 10));
const connections = Number(argv.connections ?? 50);
const engines = String(argv.engines ?? 'rust,js').split(',');
const rssLimitMB = Number(argv['rss-limit'] ?? 30);
const maxSeconds = Number(argv['max-seconds'] ?? 240); // per run: a hard stop
for (const [name, value] of /** @type {Array<[string, number]>} */ ([
  ['requests', total],
  ['connections', connections],
  ['rss-limit', rssLimitMB],
  ['max-seconds', maxSeconds],
])) {
  if (!Number.isFinite(value) || value <= 0) {
    console.error(chalk.red(`load: --${name} must be a positive number, got '${argv[name]}'`));
    process.exit(2);
  }
}
for (const engine of engines) {
  if (!['rust', 'js'].includes(engine)) {
    console.error(chalk.red(`load: --engines takes rust and/or js, got '${engine}'`));
    process.exit(2);
  }
}

// The closest request: a short query against 100 words (the "did you mean" case).
const letters = 'abcdefghijklmnopqrstuvwxyz';
let seed = 12345;
const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
const word = () => Array.from({ length: 4 + (next() % 9) }, () => letters[next() % letters.length]).join('');
const closestBody = JSON.stringify({ query: 'recieve', candidates: Array.from({ length: 100 }, word).concat(['receive']), limit: 5 });

/** @type {Array<{ name: string; method: string; path: string; headers?: Record<string, string>; body?: string }>} */
const endpoints = [
  { name: 'GET /', method: 'GET', path: '/' },
  { name: 'POST /api/closest', method: 'POST', path: '/api/closest', headers: { 'content-type': 'application/json' }, body: closestBody },
];

const results = [];
let failed = false;
for (const engine of engines) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  console.log(chalk.cyan(`load: starting the service (engine ${engine}) on ${base}`));
  const child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts', '--engine', engine], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitHealthy(base);
    for (const endpoint of endpoints) {
      const url = `${base}${endpoint.path}`;
      const options = { url, method: endpoint.method, headers: endpoint.headers, body: endpoint.body, connections };
      console.log(`load: ${engine} ${endpoint.name}: ${warmup} requests, then ${total - warmup} more (${connections} connections)`);
      const first = await bench({ ...options, amount: warmup });
      const rssFirst = await rss(base);
      const second = await bench({ ...options, amount: total - warmup });
      const rssAfter = await rss(base);
      const growthMB = (rssAfter - rssFirst) / 1e6;
      const bad = first.errors + first.timeouts + first.non2xx + second.errors + second.timeouts + second.non2xx;
      const row = {
        engine,
        endpoint: endpoint.name,
        requests: first.requests.total + second.requests.total,
        reqPerSec: Math.round(second.requests.average),
        p50ms: second.latency.p50,
        p99ms: second.latency.p99,
        errors: first.errors + second.errors + first.timeouts + second.timeouts,
        non2xx: first.non2xx + second.non2xx,
        rssAfter10kMB: Number((rssFirst / 1e6).toFixed(1)),
        rssAfterAllMB: Number((rssAfter / 1e6).toFixed(1)),
        rssGrowthMB: Number(growthMB.toFixed(1)),
      };
      results.push(row);
      const ok = bad === 0 && growthMB <= rssLimitMB && row.requests >= total;
      if (!ok) failed = true;
      console.log(
        `  ${ok ? chalk.green('ok  ') : chalk.red('FAIL')} ${row.reqPerSec} req/s, p50 ${row.p50ms} ms, p99 ${row.p99ms} ms, ` +
          `errors ${row.errors}, non-2xx ${row.non2xx}, requests ${row.requests}/${total}, RSS ${row.rssAfter10kMB} -> ${row.rssAfterAllMB} MB (+${row.rssGrowthMB}, limit ${rssLimitMB})`,
      );
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

console.log('\n| engine | endpoint | req/s | p50 ms | p99 ms | errors | non-2xx | RSS after 10k -> all (MB) |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of results) {
  console.log(
    `| ${r.engine} | \`${r.endpoint}\` | ${r.reqPerSec} | ${r.p50ms} | ${r.p99ms} | ${r.errors} | ${r.non2xx} | ${r.rssAfter10kMB} -> ${r.rssAfterAllMB} |`,
  );
}
const out = join(root, '.cache', 'load');
await mkdir(out, { recursive: true });
await writeFile(join(out, 'last.json'), `${JSON.stringify({ node: process.version, connections, total, results }, null, 2)}\n`);
console.log(`\nload: ${failed ? chalk.red('FAILED') : chalk.green('passed')} (results in .cache/load/last.json)`);
process.exit(failed ? 1 : 0);

/**
 * @param {BenchOptions} options
 * @returns {Promise<BenchResult>}
 */
function bench(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    const timer = setTimeout(() => instance.stop(), maxSeconds * 1000);
    instance.on('done', () => clearTimeout(timer));
  });
}

/** @param {string} base */
async function rss(base) {
  const response = await fetch(`${base}/healthz`);
  return /** @type {{ rss: number }} */ (await response.json()).rss;
}

/** @param {string} base */
async function waitHealthy(base) {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await sleep(250);
  }
  throw new Error(`the service did not answer on ${base} within 30 s`);
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}
