// How the service answers failures the implementation reports, served in process on a real socket (the
// other service tests run the server as a child; fastify's inject has no socket timeouts, which
// the service sets): an allocation the library could not make
// is the machine's shortage (503 with Retry-After), bad input is the client's (400), anything else
// is the service's (500, logged). The library's own OOM path is tested in test/c-abi.test.ts; over
// HTTP it cannot be provoked without exhausting the machine, so the implementation here reports it.
import { afterEach, describe, expect, it } from 'vitest';
import { MylibError } from '../../bindings/index.ts';
import { Status } from '../../bindings/raw.ts';
import { type App, buildApp } from '../../service/app.ts';
import { DEFAULTS } from '../../service/config.ts';
import type { Implementation } from '../../service/implementations.ts';

/** An implementation whose countDoubles fails with `error`. */
function failingImplementation(error: Error): Implementation {
  const unused = () => {
    throw new Error('not used by this test');
  };
  return {
    name: 'rust',
    source: 'a test implementation',
    getResult: unused,
    countDoubles: () => Promise.reject(error),
    closest: unused,
    stats: unused,
    wordCounter: unused,
    close() {},
  };
}

let app: App | undefined;
afterEach(async () => {
  await app?.fastify.close();
  app = undefined;
});

describe('implementation failures over HTTP', () => {
  it.each([
    [
      'out of memory',
      new MylibError(Status.OUT_OF_MEMORY, 'mylib_count_doubles_utf8: out of memory: 1 bytes for x could not be allocated'),
      503,
      /ran out of memory for this request; try again later/,
      '5',
    ],
    ['invalid UTF-8', new MylibError(Status.INVALID_UTF8, "mylib_count_doubles_utf8: argument 'text' is not valid UTF-8"), 400, /not valid UTF-8/, undefined],
    ['a panic', new MylibError(Status.PANIC, 'mylib_count_doubles_utf8: Rust panicked: boom'), 500, /^internal error$/, undefined],
    ['any other error', new Error('surprise'), 500, /^internal error$/, undefined],
  ])('%s', async (_label, error, status, message, retryAfter) => {
    app = buildApp({ ...DEFAULTS, logLevel: 'silent' }, failingImplementation(error));
    const address = await app.fastify.listen({ host: '127.0.0.1', port: 0 });
    const reply = await fetch(`${address}/api/count-doubles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'aabb' }),
    });
    expect(reply.status).toBe(status);
    expect(reply.headers.get('retry-after') ?? undefined).toBe(retryAfter);
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await reply.json()) as { error: string; message: string };
    expect(Object.keys(body).sort()).toEqual(['error', 'message']);
    expect(body.message).toMatch(message);
  });
});
