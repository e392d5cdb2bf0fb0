// Back-pressure (503 + Retry-After when saturated), graceful shutdown on SIGTERM/SIGINT with a
// request in flight, and configuration errors.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { closest } from '../../reference/levenshtein.ts';
import { postJson, send, startService } from './server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A closest request that keeps the Rust worker busy for a noticeable time (~10^8 cells). */
function heavyClosest(seed: number) {
  const letters = 'abcdefghij';
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  const word = (n: number) => Array.from({ length: n }, () => letters[next() % letters.length]).join('');
  return { query: word(256), candidates: Array.from({ length: 1500 }, () => word(256)), limit: 3 };
}

it('answers 503 with Retry-After when the concurrency limit and the queue are full', async () => {
  const service = await startService(['--concurrency', '1', '--queue-limit', '1']);
  try {
    const bodies = Array.from({ length: 8 }, (_, i) => heavyClosest(i + 1));
    const responses = await Promise.all(bodies.map((body) => postJson(service.url, '/api/closest', body)));
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.every((s) => s === 200 || s === 503),
      statuses.join(','),
    ).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2); // one running + one queued
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(1);
    for (const [i, res] of responses.entries()) {
      if (res.status === 503) {
        expect(res.headers['retry-after']).toBe('1');
        expect(res.json).toMatchObject({ error: 'Service Unavailable' });
      } else {
        const { query, candidates, limit } = bodies[i]!;
        expect(res.json).toEqual({ matches: closest(query, candidates, { limit }) });
      }
    }
    const health = await send(service.url, 'GET', '/healthz');
    expect(health.json).toMatchObject({ active: 0, queued: 0 });
  } finally {
    expect(await service.stop()).toBe(0);
  }
});

it.each(['SIGTERM', 'SIGINT'] as const)('%s: finishes the in-flight request, closes, exits 0 within 5 s', async (signal) => {
  const service = await startService();
  const body = heavyClosest(99);
  const inFlight = postJson(service.url, '/api/closest', body);
  // Wait until the request is being worked on.
  for (let i = 0; i < 200; i++) {
    const health = await send(service.url, 'GET', '/healthz');
    if ((health.json?.active as number) > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const signalled = performance.now();
  service.child.kill(signal);
  const res = await inFlight;
  const code = await service.exited;
  const ms = performance.now() - signalled;
  expect(res.status).toBe(200);
  expect(res.json).toEqual({ matches: closest(body.query, body.candidates, { limit: body.limit }) });
  expect(code).toBe(0);
  expect(ms).toBeLessThan(5000);
  expect(service.output()).toMatch(new RegExp(`"signal":"${signal}".*"msg":"shutting down"`));
  expect(service.output()).toMatch(/"msg":"stopped"/);
  // New connections are refused once it stopped.
  await expect(send(service.url, 'GET', '/healthz')).rejects.toThrow();
});

it.each([
  [['--engine', 'python'], /--engine \(env MYLIB_ENGINE\) must be one of rust, js, got 'python'/],
  [['--port', '70000'], /--port \(env PORT\) must be an integer from 0 to 65535, got '70000'/],
  // More heavy requests at once than the bindings run async calls at once would only queue there.
  [['--concurrency', '129'], /--concurrency \(env MYLIB_CONCURRENCY\) must be an integer from 1 to 128, got '129'/],
  [['--json-limit', 'lots'], /--json-limit/],
  [['--nope'], /Unknown option '--nope'/],
  [['--body-timeout', '5'], /--body-timeout \(env MYLIB_BODY_TIMEOUT\) must be an integer from 100 to 3600000, got '5'/],
  [['--request-timeout', '2000', '--headers-timeout', '3000'], /--headers-timeout \(env MYLIB_HEADERS_TIMEOUT\) must be an integer from 100 to 2000/],
])('refuses bad configuration %j with exit code 2', (args, message) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'service/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(message);
});

it('reads the engine from MYLIB_ENGINE and sizes with suffixes', async () => {
  const service = await startService(['--json-limit', '2k'], { MYLIB_ENGINE: 'js' });
  try {
    expect((await send(service.url, 'GET', '/healthz')).json).toMatchObject({ engine: 'js' });
    const res = await postJson(service.url, '/api/count-doubles', { text: 'x'.repeat(3000) });
    expect(res.status).toBe(413);
    expect(res.json?.message).toMatch(/limit of 2048 bytes/);
  } finally {
    expect(await service.stop()).toBe(0);
  }
});
