// Malformed requests: each gets its expected 4xx status and a JSON {error, message}; never a
// 500, never a crash. The service is checked healthy after the whole table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawResponse, type Service, send, startService } from './server.ts';

const MiB = 1024 * 1024;
const json = { 'content-type': 'application/json' };
const text = { 'content-type': 'text/plain' };

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  chunks?: () => Iterable<Buffer>;
  status: number;
  /** A part of the message that must be there (the field named, the limit...). */
  message?: RegExp;
}

/** `size` bytes in 1 MiB chunks, produced lazily (never held in memory at once). */
function* zeros(size: number, fill = 0x61): Iterable<Buffer> {
  const chunk = Buffer.alloc(MiB, fill);
  for (let sent = 0; sent < size; sent += MiB) yield chunk.subarray(0, Math.min(MiB, size - sent));
}

const deep = (depth: number) => `{"text":${'['.repeat(depth)}${']'.repeat(depth)}}`;

const cases: Case[] = [
  // Malformed JSON and empty bodies
  { name: 'truncated JSON', path: '/api/count-doubles', headers: json, body: '{"text":', status: 400, message: /not valid JSON/ },
  { name: 'trailing garbage', path: '/api/count-doubles', headers: json, body: '{"text":"a"} x', status: 400, message: /not valid JSON/ },
  { name: 'single quotes', path: '/api/count-doubles', headers: json, body: "{'text':'a'}", status: 400, message: /not valid JSON/ },
  { name: 'NaN literal', path: '/api/stats', headers: json, body: '{"values":[NaN]}', status: 400, message: /not valid JSON/ },
  { name: 'Infinity literal', path: '/api/stats', headers: json, body: '{"values":[Infinity]}', status: 400, message: /not valid JSON/ },
  { name: 'empty JSON body', path: '/api/count-doubles', headers: json, body: '', status: 400, message: /empty/ },
  { name: 'no body, no content type', path: '/api/count-doubles', status: 400, message: /body must be object/ },
  { name: 'JSON null', path: '/api/stats', headers: json, body: 'null', status: 400, message: /body must be object/ },
  { name: 'JSON array body', path: '/api/count-doubles', headers: json, body: '["a"]', status: 400, message: /body must be object/ },
  {
    name: 'invalid UTF-8 in JSON',
    path: '/api/count-doubles',
    headers: json,
    body: Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    status: 400,
    message: /UTF-8/,
  },
  { name: 'deep nesting (100k arrays)', path: '/api/count-doubles', headers: json, body: deep(100_000), status: 400, message: /body\/text must be string/ },
  { name: 'deep nesting, unclosed', path: '/api/count-doubles', headers: json, body: `{"text":${'['.repeat(200_000)}`, status: 400, message: /not valid JSON/ },
  // Wrong types, missing and unknown fields: the message names the field
  { name: 'text is a number', path: '/api/count-doubles', headers: json, body: '{"text":5}', status: 400, message: /body\/text must be string/ },
  { name: 'text missing', path: '/api/count-doubles', headers: json, body: '{}', status: 400, message: /missing the field 'text'/ },
  { name: 'unknown field', path: '/api/count-doubles', headers: json, body: '{"text":"a","extra":1}', status: 400, message: /unknown field 'extra'/ },
  {
    name: '__proto__ field',
    path: '/api/count-doubles',
    headers: json,
    body: '{"text":"a","__proto__":{"x":1}}',
    status: 400,
    message: /unknown field '__proto__'/,
  },
  {
    name: 'candidates is a string',
    path: '/api/closest',
    headers: json,
    body: '{"query":"a","candidates":"abc"}',
    status: 400,
    message: /body\/candidates must be array/,
  },
  {
    name: 'candidate is a number',
    path: '/api/closest',
    headers: json,
    body: '{"query":"a","candidates":["b",7]}',
    status: 400,
    message: /body\/candidates\/1 must be string/,
  },
  {
    name: 'limit is a string',
    path: '/api/closest',
    headers: json,
    body: '{"query":"a","candidates":[],"limit":"5"}',
    status: 400,
    message: /body\/limit must be integer/,
  },
  {
    name: 'limit is fractional',
    path: '/api/closest',
    headers: json,
    body: '{"query":"a","candidates":[],"limit":1.5}',
    status: 400,
    message: /body\/limit must be integer/,
  },
  {
    name: 'limit is 0',
    path: '/api/closest',
    headers: json,
    body: '{"query":"a","candidates":[],"limit":0}',
    status: 400,
    message: /body\/limit must be >= 1/,
  },
  {
    name: 'limit is huge (1e300)',
    path: '/api/closest',
    headers: json,
    body: '{"query":"a","candidates":[],"limit":1e300}',
    status: 400,
    message: /body\/limit must be/,
  },
  {
    name: 'maxDistance negative',
    path: '/api/closest',
    headers: json,
    body: '{"query":"a","candidates":[],"maxDistance":-1}',
    status: 400,
    message: /body\/maxDistance/,
  },
  {
    name: 'query too long',
    path: '/api/closest',
    headers: json,
    body: JSON.stringify({ query: 'q'.repeat(257), candidates: [] }),
    status: 400,
    message: /body\/query must NOT have more than 256/,
  },
  {
    name: 'too many candidates',
    path: '/api/closest',
    headers: json,
    body: JSON.stringify({ query: 'q', candidates: Array(10_001).fill('a') }),
    status: 400,
    message: /body\/candidates must NOT have more than 10000/,
  },
  { name: 'value is a string', path: '/api/stats', headers: json, body: '{"values":[1,"2"]}', status: 400, message: /body\/values\/1 must be number/ },
  { name: 'value overflows (1e400)', path: '/api/stats', headers: json, body: '{"values":[1,1e400]}', status: 400, message: /body\/values\/1 must be number/ },
  { name: 'empty values', path: '/api/stats', headers: json, body: '{"values":[]}', status: 400, message: /body\/values must NOT have fewer than 1/ },
  { name: 'variance overflows', path: '/api/stats', headers: json, body: '{"values":[1e300,-1e300]}', status: 422, message: /variance/ },
  { name: 'top is not a number', path: '/api/word-count?top=abc', headers: text, body: 'a', status: 400, message: /querystring\/top/ },
  { name: 'top is 0', path: '/api/word-count?top=0', headers: text, body: 'a', status: 400, message: /querystring\/top/ },
  { name: 'unknown query parameter', path: '/api/word-count?sort=asc', headers: text, body: 'a', status: 400, message: /unknown field 'sort'/ },
  { name: 'lowercase=maybe', path: '/api/word-count?lowercase=maybe', headers: text, body: 'a', status: 400, message: /querystring\/lowercase/ },
  // Sizes
  {
    name: '2 MiB JSON body',
    path: '/api/count-doubles',
    headers: json,
    body: JSON.stringify({ text: 'a'.repeat(2 * MiB) }),
    status: 413,
    message: /limit of 1048576 bytes/,
  },
  {
    name: '100 MB JSON body (declared length)',
    path: '/api/count-doubles',
    headers: { ...json, 'content-length': String(100 * 1e6) },
    chunks: () => zeros(100 * 1e6),
    status: 413,
    message: /limit/,
  },
  { name: '100 MB JSON body (chunked)', path: '/api/stats', headers: json, chunks: () => zeros(100 * 1e6), status: 413, message: /limit/ },
  {
    name: '100 MB streamed text (chunked, limit 64 MiB)',
    path: '/api/word-count',
    headers: text,
    chunks: () => zeros(100 * 1e6),
    status: 413,
    message: /limit of 67108864 bytes/,
  },
  {
    name: '100 MB streamed text (declared length)',
    path: '/api/word-count',
    headers: { ...text, 'content-length': String(100 * 1e6) },
    chunks: () => zeros(100 * 1e6),
    status: 413,
    message: /limit/,
  },
  // Content types
  { name: 'text/plain to a JSON endpoint', path: '/api/count-doubles', headers: text, body: '{"text":"a"}', status: 415 },
  { name: 'form data to a JSON endpoint', path: '/api/stats', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'values=1', status: 415 },
  { name: 'body without a content type', path: '/api/count-doubles', body: '{"text":"a"}', status: 415 },
  { name: 'JSON to the word-count stream', path: '/api/word-count', headers: json, body: '{"text":"a"}', status: 415 },
  // Methods and paths
  { name: 'GET on a POST endpoint', method: 'GET', path: '/api/count-doubles', status: 405, message: /accepts POST/ },
  { name: 'DELETE /', method: 'DELETE', path: '/', status: 405, message: /accepts GET, HEAD/ },
  { name: 'PUT with a body', method: 'PUT', path: '/api/stats', headers: json, body: '{"values":[1]}', status: 405 },
  { name: 'unknown path', method: 'GET', path: '/api/nope', status: 404, message: /no route GET \/api\/nope/ },
];

let service: Service;
beforeAll(async () => {
  service = await startService();
});
afterAll(async () => {
  expect(await service.stop()).toBe(0);
});

it('has at least 25 malformed requests', () => {
  expect(cases.length).toBeGreaterThanOrEqual(25);
});

describe('bad input', () => {
  it.each(cases)('$name -> $status', async (c) => {
    const res: RawResponse = await send(service.url, c.method ?? 'POST', c.path, {
      headers: c.headers ?? {},
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.chunks ? { chunks: c.chunks() } : {}),
    });
    expect(res.status, res.body).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.json ?? {}).sort()).toEqual(['error', 'message']);
    expect(typeof res.json?.error).toBe('string');
    if (c.message) expect(res.json?.message).toMatch(c.message);
    if (c.status === 405) expect(res.headers.allow).toBeTruthy();
  });
});

it('is healthy after the table: no crash, no 500 logged, correct answers', async () => {
  expect(service.child.exitCode).toBeNull();
  const health = await send(service.url, 'GET', '/healthz');
  expect(health.status).toBe(200);
  expect(health.json).toMatchObject({ status: 'ok', active: 0, queued: 0 });
  const res = await send(service.url, 'POST', '/api/count-doubles', { headers: json, body: '{"text":"aabbb"}' });
  expect(res.json).toEqual({ count: 3 });
  expect(service.output()).not.toMatch(/"statusCode":5\d\d/);
  // Memory stayed bounded: the 100 MB bodies were not buffered.
  expect(health.json?.rss).toBeGreaterThan(0);
  expect(health.json?.rss).toBeLessThan(300 * MiB);
});
