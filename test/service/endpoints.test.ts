// Every endpoint of the running service (both engines) against the pure-TypeScript references.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closest } from '../../reference/levenshtein.ts';
import { stats } from '../../reference/stats.ts';
import { countDoubles, getResult } from '../../reference/text.ts';
import { WordCounter } from '../../reference/words.ts';
import { seededRandom } from '../helpers.ts';
import { type Service, postJson, send, startService } from './server.ts';

const random = seededRandom(7);
const word = (alphabet: string, min: number, max: number) =>
  Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');

const engines = ['rust', 'js'] as const;
const services: Record<string, Service> = {};

beforeAll(async () => {
  const started = await Promise.all(engines.map((engine) => startService(['--engine', engine])));
  engines.forEach((engine, i) => {
    services[engine] = started[i]!;
  });
});
afterAll(async () => {
  for (const service of Object.values(services)) expect(await service.stop()).toBe(0);
});

describe.each(engines)('engine %s', (engine) => {
  const base = () => services[engine]!.url;

  it('GET / returns the original greeting', async () => {
    const res = await send(base(), 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe(getResult('Hello!'));
    expect(res.body).toBe('Rust says: Hello!');
  });

  it('GET /healthz names the engine', async () => {
    const res = await send(base(), 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok', engine, active: 0, queued: 0 });
  });

  const texts: Array<[string, string]> = [
    ['empty', ''],
    ['aabbb', 'aabbb'],
    ['NUL', 'a\0\0b'],
    ['multi-byte', 'ééàà日日'],
    ['astral', '😀😀x😀'],
    ['lone surrogates', '\uD800\uDBFFab'],
    ['100k random letters (async path)', word('ab', 100_000, 100_000)],
  ];
  it.each(texts)('POST /api/count-doubles: %s', async (_name, text) => {
    const res = await postJson(base(), '/api/count-doubles', { text });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ count: countDoubles(text) });
  });

  it('POST /api/closest matches the reference (random cases, limit, maxDistance)', async () => {
    for (let round = 0; round < 20; round++) {
      const query = word('abcde', 0, 12);
      const candidates = Array.from({ length: 1 + Math.floor(random() * 60) }, () => word('abcde', 0, 14));
      const body: { query: string; candidates: string[]; limit?: number; maxDistance?: number } = { query, candidates };
      if (round % 2 === 0) body.limit = 1 + Math.floor(random() * 10);
      if (round % 3 === 0) body.maxDistance = Math.floor(random() * 6);
      const res = await postJson(base(), '/api/closest', body);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ matches: closest(query, candidates, { limit: body.limit, maxDistance: body.maxDistance }) });
    }
  });

  it('POST /api/closest handles Unicode and empty candidate lists', async () => {
    for (const [query, candidates] of [
      ['naïve', ['naive', 'naïve', 'näive', '']],
      ['😀a', ['😀b', 'a', '😀😀a']],
      ['x', []],
    ] as Array<[string, string[]]>) {
      const res = await postJson(base(), '/api/closest', { query, candidates });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ matches: closest(query, candidates) });
    }
  });

  it('POST /api/stats matches the reference', async () => {
    const cases = [[42], [1, 2, 3, 4], [-5, 0, 5, 1e-300, -1e150, 1e150], Array.from({ length: 10_000 }, () => (random() - 0.5) * 1e6)];
    for (const values of cases) {
      const res = await postJson(base(), '/api/stats', { values });
      expect(res.status).toBe(200);
      const expected = stats(Float64Array.from(values));
      const got = res.json as unknown as typeof expected;
      expect(got.count).toBe(expected.count);
      expect(got.min).toBe(expected.min);
      expect(got.max).toBe(expected.max);
      // Summation order may differ between Rust and the reference: compare to 1e-9 relative.
      expect(got.mean).toBeCloseTo(expected.mean, Math.max(0, 9 - Math.ceil(Math.log10(Math.abs(expected.mean) + 1))));
      expect(Math.abs(got.variance - expected.variance)).toBeLessThanOrEqual(1e-9 * Math.abs(expected.variance) + 1e-12);
    }
  });

  it('POST /api/word-count streams chunks (split inside words and UTF-8 sequences)', async () => {
    const words = ['the', 'The', 'cat', 'café', 'naïve', '日本', '😀ok', 'x1', 'hat', 'THE'];
    const text = Array.from({ length: 5000 }, () => words[Math.floor(random() * words.length)]).join(random() < 0.5 ? ' ' : ', ');
    const bytes = Buffer.from(text);
    // Odd chunk sizes cut words and multi-byte characters in two.
    const chunks: Buffer[] = [];
    for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 7 + 3) % 4093 || 1) chunks.push(bytes.subarray(at, at + size));
    expect(chunks.length).toBeGreaterThan(10);
    for (const lowercase of [false, true]) {
      const res = await send(base(), 'POST', `/api/word-count?top=5${lowercase ? '&lowercase=true' : ''}`, {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        chunks,
      });
      expect(res.status).toBe(200);
      const reference = new WordCounter({ lowercase }).feed(bytes).top(5);
      expect(res.json).toEqual({ bytes: bytes.length, top: reference });
    }
  });

  it('POST /api/word-count with an empty body counts nothing', async () => {
    const res = await send(base(), 'POST', '/api/word-count', { headers: { 'content-type': 'text/plain' }, body: '' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ bytes: 0, top: [] });
  });
});

it('both engines give identical answers on the same requests', async () => {
  const requests: Array<[string, unknown]> = [
    ['/api/count-doubles', { text: word('abc', 5000, 5000) }],
    ['/api/closest', { query: 'kitten', candidates: ['sitting', 'mitten', 'kitchen', 'kitten', 'smitten'], limit: 3 }],
    ['/api/stats', { values: [3, 1, 4, 1, 5, 9, 2, 6] }],
  ];
  for (const [path, body] of requests) {
    const [rust, js] = await Promise.all(engines.map((engine) => postJson(services[engine]!.url, path, body)));
    expect(rust!.status).toBe(200);
    expect(rust!.json).toEqual(js!.json);
  }
});
