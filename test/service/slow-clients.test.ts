// Slow clients and a service that cannot keep up, served in process on a real socket with an
// implementation whose countDoubles waits for the test to release it (no timing decides who holds a slot):
// an upload being received holds no compute slot, uploads slower than the minimum body rate are
// cut with 408, and /healthz reports degraded when queued requests wait too long or every slot is
// busy without progress. Trickling clients are raw sockets writing one byte at a time.
import { afterEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../service/app.ts';
import { DEFAULTS, type ServiceConfig } from '../../service/config.ts';
import { type Implementation, createImplementation } from '../../service/implementations.ts';
import { type RawConnection, connectRaw, postJson, send, waitFor } from './server.ts';

interface Gated {
  implementation: Implementation;
  /** Lets every countDoubles call waiting so far (and every later one) finish. */
  release(): void;
}

/** The js implementation, except that countDoubles waits until `release()`. */
async function gatedImplementation(): Promise<Gated> {
  const js = await createImplementation('js');
  let open = false;
  const waiting: Array<() => void> = [];
  return {
    implementation: {
      ...js,
      async countDoubles(text) {
        if (!open) await new Promise<void>((resolve) => waiting.push(resolve));
        return js.countDoubles(text);
      },
    },
    release() {
      open = true;
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

let app: App | undefined;
let gated: Gated | undefined;
const connections: RawConnection[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const connection of connections.splice(0)) connection.socket.destroy();
  gated?.release();
  await app?.fastify.close();
  app = undefined;
});

async function serve(options: Partial<ServiceConfig>): Promise<{ url: string; port: number; gate: Gated }> {
  gated = await gatedImplementation();
  app = buildApp({ ...DEFAULTS, logLevel: 'silent', ...options }, gated.implementation);
  const url = await app.fastify.listen({ host: '127.0.0.1', port: 0 });
  return { url, port: Number(new URL(url).port), gate: gated };
}

const uploadHead = (length: number) => `POST /api/word-count HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n`;

/** A raw upload of `length` bytes that sends `step` bytes ('a ') every `every` ms until complete. */
async function trickle(port: number, length: number, step: number, every: number): Promise<RawConnection> {
  const connection = await connectRaw(port, uploadHead(length));
  connections.push(connection);
  const body = 'a '.repeat(Math.ceil(length / 2)).slice(0, length);
  let sent = 0;
  const timer = setInterval(() => {
    if (connection.isClosed() || sent >= length) return clearInterval(timer);
    const n = Math.min(step, length - sent);
    connection.socket.write(body.slice(sent, sent + n));
    sent += n;
  }, every);
  timers.push(timer);
  return connection;
}

const health = async (url: string) => send(url, 'GET', '/healthz');

describe('slow uploads', () => {
  it('hold no compute slot while their body arrives: a heavy request is served meanwhile', async () => {
    const { url, port, gate } = await serve({ concurrency: 1, minBodyRate: 0 });
    gate.release();
    // One byte every 200 ms: never idle for the body timeout (10 s), far from complete.
    const uploads = await Promise.all([1, 2, 3, 4].map(() => trickle(port, 30, 1, 200)));
    await waitFor(() => uploads.every((u) => u.socket.bytesWritten > uploadHead(30).length + 2), 'every upload to have sent body bytes');
    expect(app!.limiter.active).toBe(0);
    const served = await Promise.race([
      postJson(url, '/api/count-doubles', { text: 'aabb' }),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000)),
    ]);
    expect(served?.status, 'count-doubles queued behind the uploads').toBe(200);
    expect(served?.json).toEqual({ count: 2 });
    for (const upload of uploads) {
      const res = await waitFor(() => upload.response(), 'the upload to be answered');
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ bytes: 30, top: [{ word: 'a', count: 15 }] });
    }
  });

  it('below the minimum body rate after the grace period: 408, Connection: close, socket closed', async () => {
    const { url, port, gate } = await serve({ concurrency: 4, minBodyRate: 100, bodyRateGrace: 1 });
    gate.release();
    // 5 bytes/s (20x below the minimum) for the tricklers; 1000 bytes/s (10x above) for the steady one.
    const slow = await Promise.all([1, 2, 3, 4].map(() => trickle(port, 1000, 1, 200)));
    const steady = await trickle(port, 2500, 100, 100);
    for (const connection of slow) {
      await waitFor(() => connection.isClosed(), 'the slow upload to be cut');
      const res = connection.response();
      expect(res?.status, connection.received()).toBe(408);
      expect(res?.headers.connection).toBe('close');
      expect(res?.json?.message).toMatch(/below the minimum of 100 bytes\/s \(after 1 s\)/);
    }
    const res = await waitFor(() => steady.response(), 'the steady upload to be answered');
    expect(res.status, steady.received()).toBe(200);
    expect(res.json).toMatchObject({ bytes: 2500 });
    expect((await postJson(url, '/api/count-doubles', { text: 'xx' })).json).toEqual({ count: 1 });
  });
});

describe('uploads held in memory', () => {
  it('past --body-memory-limit for all uploads together: 503 for the upload that would pass it, the others go on', async () => {
    const { port, gate } = await serve({ bodyMemoryLimit: 4000, streamLimit: 4096, minBodyRate: 0 });
    gate.release();
    const first = await connectRaw(port, uploadHead(3000));
    const second = await connectRaw(port, uploadHead(3000));
    connections.push(first, second);
    first.socket.write('a '.repeat(1000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // 2000 held by the first; 2500 more would pass 4000.
    second.socket.write('b '.repeat(1250));
    const refused = await waitFor(() => second.response(), 'the second upload to be refused');
    expect(refused.status, second.received()).toBe(503);
    expect(refused.json?.message).toMatch(/the limit for all uploads at once is 4000 bytes/);
    first.socket.write('a '.repeat(500));
    const answered = await waitFor(() => first.response(), 'the first upload to be answered');
    expect(answered.status, first.received()).toBe(200);
    expect(answered.json).toMatchObject({ bytes: 3000, top: [{ word: 'a', count: 1500 }] });
    // Its bytes were given back: a third upload of the same size fits again.
    const third = await connectRaw(port, `${uploadHead(3000)}${'c '.repeat(1500)}`);
    connections.push(third);
    const again = await waitFor(() => third.response(), 'the third upload to be answered');
    expect(again.status, third.received()).toBe(200);
  });
});

describe('/healthz', () => {
  it('503 degraded once the oldest queued request waits longer than --queue-wait-limit, ok after', async () => {
    const { url, gate } = await serve({ concurrency: 1, queueWaitLimit: 100 });
    const requests = [1, 2, 3].map(() => postJson(url, '/api/count-doubles', { text: 'aa' }));
    await waitFor(() => app!.limiter.queued === 2, 'two queued requests');
    const degraded = await waitFor(async () => {
      const res = await health(url);
      return res.status === 503 ? res : undefined;
    }, '/healthz to report the queue wait');
    expect(degraded.json).toMatchObject({ status: 'degraded', active: 1, queued: 2 });
    expect(degraded.json?.message).toMatch(/the oldest queued request has waited \d+ ms for a slot \(limit 100 ms\)/);
    expect(degraded.json?.oldestWait).toBeGreaterThan(100);
    gate.release();
    for (const res of await Promise.all(requests)) expect(res.json).toEqual({ count: 1 });
    const ok = await health(url);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: 'ok', active: 0, queued: 0, oldestWait: 0 });
  });

  it('503 degraded while every slot is busy without progress past --stall-timeout, ok after', async () => {
    const { url, gate } = await serve({ concurrency: 1, stallTimeout: 100 });
    const request = postJson(url, '/api/count-doubles', { text: 'aa' });
    await waitFor(() => app!.limiter.active === 1, 'the request to hold the slot');
    const degraded = await waitFor(async () => {
      const res = await health(url);
      return res.status === 503 ? res : undefined;
    }, '/healthz to report the stall');
    expect(degraded.json).toMatchObject({ status: 'degraded', active: 1, queued: 0 });
    expect(degraded.json?.message).toMatch(/all 1 slots busy for \d+ ms with no progress \(limit 100 ms\)/);
    gate.release();
    expect((await request).json).toEqual({ count: 1 });
    expect((await health(url)).json).toMatchObject({ status: 'ok' });
  });

  it('queued requests whose client leaves drop out of the queue', async () => {
    const { url, port, gate } = await serve({ concurrency: 1 });
    const holder = postJson(url, '/api/count-doubles', { text: 'aa' });
    await waitFor(() => app!.limiter.active === 1, 'the first request to hold the slot');
    const body = JSON.stringify({ text: 'bb' });
    const queued = await Promise.all(
      [1, 2, 3].map(() =>
        connectRaw(port, `POST /api/count-doubles HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
      ),
    );
    await waitFor(() => app!.limiter.queued === 3, 'three queued requests');
    for (const connection of queued) connection.socket.destroy();
    await waitFor(() => app!.limiter.queued === 0, 'the queue to drop the clients that left');
    gate.release();
    expect((await holder).json).toEqual({ count: 1 });
    expect(app!.limiter.active).toBe(0);
  });
});
