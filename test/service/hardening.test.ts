// Misbehaving clients against a real service over loopback (raw sockets where the bytes matter):
// slow or idle clients are cut by timeouts, oversized uploads are refused and the socket closed,
// and every error has the service's JSON shape (slots, the minimum body rate and /healthz:
// slow-clients.test.ts). Timeouts are configured short through the environment; every wait is a
// bounded poll.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawConnection, type Service, connectRaw, send, startService, waitFor } from './server.ts';

const upload = (length: number | string, path = '/api/word-count', type = 'text/plain') =>
  `POST ${path} HTTP/1.1\r\nHost: test\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`;

const health = async (service: Service) => (await send(service.url, 'GET', '/healthz')).json ?? {};

/** `send` with a deadline: a request the service never answers fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer to ${what} in ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const wordCount = (service: Service, text: string) =>
  within(send(service.url, 'POST', '/api/word-count', { headers: { 'content-type': 'text/plain' }, body: text }), 20_000, 'a word count');

describe('timeouts', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(['--concurrency', '1'], {
      MYLIB_HEADERS_TIMEOUT: '1000',
      MYLIB_BODY_TIMEOUT: '1000',
      MYLIB_REQUEST_TIMEOUT: '3000',
    });
  });
  afterAll(async () => {
    expect(await service.stop()).toBe(0);
  });

  it('cuts idle, trickling and header-less clients with 408 and serves the next upload', async () => {
    const idle = await connectRaw(service.port, `${upload(10)}a`);
    const trickling = await connectRaw(service.port, upload(1000));
    const headerless = await connectRaw(service.port, 'POST /api/word-count HTTP/1.1\r\nHost: test\r\n');
    // One byte every 200 ms: never idle for the body timeout, but slower than the request timeout.
    const trickle = setInterval(() => !trickling.isClosed() && trickling.socket.write('a'), 200);
    try {
      const queuedUpload = wordCount(service, 'x y x');
      queuedUpload.catch(() => {}); // awaited below; a failure before that must not be unhandled
      for (const [name, connection] of [
        ['idle', idle],
        ['trickling', trickling],
        ['header-less', headerless],
      ] as Array<[string, RawConnection]>) {
        await waitFor(() => connection.isClosed(), `the ${name} client to be disconnected`);
        const res = connection.response();
        expect(res?.status, `${name}: ${connection.received()}`).toBe(408);
        expect(res?.headers.connection).toBe('close');
        expect(Object.keys(res?.json ?? {}).sort()).toEqual(['error', 'message']);
      }
      const res = await queuedUpload;
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ bytes: 5 });
      await waitFor(async () => (await health(service)).active === 0, 'every slot to be free');
    } finally {
      clearInterval(trickle);
      for (const connection of [idle, trickling, headerless]) connection.socket.destroy();
    }
  });
});

describe('default configuration', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(async () => {
    expect(await service.stop()).toBe(0);
  });

  it.each([
    ['/api/word-count', 'text/plain'],
    ['/api/count-doubles', 'application/json'],
  ])('%s declaring 1 TB: 413 with Connection: close, then the socket is closed', async (path, type) => {
    const connection = await connectRaw(service.port, upload(1e12, path, type));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    const deadline = performance.now() + 20_000;
    // Upload as fast as the server reads, until it closes the socket or the deadline.
    while (!connection.isClosed() && performance.now() < deadline) {
      written += chunk.length;
      if (!connection.socket.write(chunk)) {
        await Promise.race([new Promise((r) => connection.socket.once('drain', r)), connection.closed, new Promise((r) => setTimeout(r, 100))]);
      }
    }
    connection.socket.destroy();
    const res = connection.response();
    expect(res?.status, connection.received().slice(0, 500)).toBe(413);
    expect(res?.headers.connection).toBe('close');
    expect(res?.json?.message).toMatch(/limit of \d+ bytes/);
    expect(connection.isClosed() && performance.now() < deadline, `still open after uploading ${written} bytes`).toBe(true);
    expect(written).toBeLessThan(1024 * 1024 * 1024);
  });

  // Errors raised before a route runs (by Node's parser or fastify's router).
  it.each([
    { name: 'bad URL encoding', head: 'GET /%zz HTTP/1.1\r\nHost: test\r\n\r\n', status: 400, closes: false },
    { name: 'header too large', head: `GET / HTTP/1.1\r\nHost: test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431, closes: true },
    {
      name: 'Transfer-Encoding and Content-Length',
      head: 'POST /api/count-doubles HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
      status: 400,
      closes: true,
    },
    { name: 'garbage request line', head: 'HELLO\r\n\r\n', status: 400, closes: true },
    { name: 'unknown path', head: 'GET /nope HTTP/1.1\r\nHost: test\r\n\r\n', status: 404, closes: false },
  ])('$name -> $status with the JSON error shape, charset and nosniff', async ({ head, status, closes }) => {
    const connection = await connectRaw(service.port, head);
    try {
      const res = await waitFor(() => connection.response(), 'the answer');
      expect(res.status, connection.received()).toBe(status);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(Object.keys(res.json ?? {}).sort()).toEqual(['error', 'message']);
      if (closes) {
        expect(res.headers.connection).toBe('close');
        await waitFor(() => connection.isClosed(), 'the connection to close');
      }
    } finally {
      connection.socket.destroy();
    }
  });

  it('sends nosniff on successful answers too', async () => {
    for (const path of ['/', '/healthz']) {
      const res = await send(service.url, 'GET', path);
      expect(res.status).toBe(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});
