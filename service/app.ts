/**
 * The HTTP service: fastify with JSON-schema validation, pino logging and body limits. Every
 * error is JSON `{error, message}` with a 4xx status for anything the client did wrong; a 500
 * means a bug in the service or the library.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServiceConfig } from './config.ts';
import type { Implementation, WordCounterHandle } from './implementations.ts';
import { AbandonedError, Limiter, SaturatedError } from './limiter.ts';

/** Bounds on one request's work (on top of the body limits). */
export const LIMITS = {
  queryLength: 256,
  candidateLength: 256,
  candidates: 10_000,
  closestLimit: 1000,
  top: 10_000,
} as const;

/** An error with an HTTP status; `message` is shown to the client. */
export class HttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

const countDoublesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: { text: { type: 'string' } },
} as const;

const closestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['query', 'candidates'],
  properties: {
    query: { type: 'string', maxLength: LIMITS.queryLength },
    candidates: {
      type: 'array',
      maxItems: LIMITS.candidates,
      items: { type: 'string', maxLength: LIMITS.candidateLength },
    },
    limit: { type: 'integer', minimum: 1, maximum: LIMITS.closestLimit },
    maxDistance: { type: 'integer', minimum: 0, maximum: LIMITS.candidateLength },
  },
} as const;

const statsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['values'],
  properties: { values: { type: 'array', minItems: 1, items: { type: 'number' } } },
} as const;

const wordCountQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    top: { type: 'string', pattern: '^[0-9]{1,9}$' },
    lowercase: { type: 'string', enum: ['true', 'false', '1', '0'] },
  },
} as const;

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export interface App {
  fastify: FastifyInstance;
  limiter: Limiter;
  /** Word counters currently open (closed on shutdown if a request is cut off). */
  openCounters: Set<WordCounterHandle>;
}

export function buildApp(config: ServiceConfig, implementation: Implementation): App {
  const limiter = new Limiter(config.concurrency, config.queueLimit);
  const bodyMemory: BodyMemory = { used: 0, limit: config.bodyMemoryLimit };
  const openCounters = new Set<WordCounterHandle>();
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: config.jsonLimit,
    // Keep-alive sockets that are idle are closed by app.close(); busy ones finish first.
    forceCloseConnections: 'idle',
    // Requests arriving while closing get a 503 from the onRequest hook below (fastify's own
    // 503 has another JSON shape).
    return503OnClosing: false,
    // Node's timers: the head within headersTimeout, the whole request within requestTimeout,
    // checked every connectionsCheckingInterval; then 408 (clientErrorHandler).
    requestTimeout: config.requestTimeout,
    http: {
      headersTimeout: config.headersTimeout,
      requestTimeout: config.requestTimeout,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.headersTimeout / 2))),
    },
    clientErrorHandler: (error, socket) => onClientError(error as NodeJS.ErrnoException, socket, config),
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
    ajv: {
      customOptions: {
        coerceTypes: false, // "5" is not a number
        removeAdditional: false, // unknown fields are an error, not silently dropped
        strictNumbers: true, // NaN/Infinity (1e400 parses to Infinity) are not numbers
        allErrors: false,
      },
    },
    schemaErrorFormatter: (errors, dataVar) => new HttpError(400, formatValidation(errors, dataVar)),
  });

  // JSON: read as bytes, reject invalid UTF-8 (the default parser would turn it into U+FFFD).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) return done(new HttpError(400, 'the JSON body is empty'), undefined);
    if (!isUtf8(bytes)) return done(new HttpError(400, 'the JSON body is not valid UTF-8'), undefined);
    try {
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch (error) {
      done(new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    if (closing) {
      reply.header('connection', 'close');
      throw new HttpError(503, 'the service is shutting down');
    }
    watchBody(request, reply, config.bodyTimeout);
    watchBodyRate(request, reply, config);
  });

  app.setErrorHandler((error: FastifyError | Error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  const routes: Array<[string, string]> = [];
  const route = (method: 'GET' | 'POST', url: string) => routes.push([method, url]);

  route('GET', '/');
  app.get('/', async (_request, reply) => {
    reply.type('text/plain; charset=utf-8');
    return implementation.getResult('Hello!');
  });

  route('GET', '/healthz');
  // 503 when the service cannot keep up: every slot busy for longer than the stall timeout with
  // no request finishing (wedged: an orchestrator should restart it), or the oldest queued
  // request waiting longer than the queue-wait limit (overloaded).
  app.get('/healthz', async (_request, reply) => {
    const stalledFor = Math.round(limiter.stalledFor);
    const oldestWait = Math.round(limiter.oldestWait);
    const problems: string[] = [];
    if (stalledFor > config.stallTimeout) {
      problems.push(`all ${limiter.concurrency} slots busy for ${stalledFor} ms with no progress (limit ${config.stallTimeout} ms)`);
    }
    if (oldestWait > config.queueWaitLimit) {
      problems.push(`the oldest queued request has waited ${oldestWait} ms for a slot (limit ${config.queueWaitLimit} ms)`);
    }
    const degraded = problems.length > 0;
    if (degraded) reply.code(503);
    return {
      status: degraded ? 'degraded' : 'ok',
      ...(degraded ? { message: problems.join('; ') } : {}),
      // `engine`: the field name the API has always had; its value is the implementation.
      engine: implementation.name,
      active: limiter.active,
      queued: limiter.queued,
      oldestWait,
      rss: process.memoryUsage.rss(),
      uptime: Math.round(process.uptime()),
    };
  });

  route('POST', '/api/count-doubles');
  app.post<{ Body: { text: string } }>('/api/count-doubles', { schema: { body: countDoublesSchema } }, async (request, reply) => {
    const count = await limiter.run(() => implementation.countDoubles(request.body.text), clientGone(reply));
    return { count };
  });

  route('POST', '/api/closest');
  app.post<{ Body: { query: string; candidates: string[]; limit?: number; maxDistance?: number } }>(
    '/api/closest',
    { schema: { body: closestSchema } },
    async (request, reply) => {
      const { query, candidates, limit, maxDistance } = request.body;
      const options: { limit?: number; maxDistance?: number } = {};
      if (limit !== undefined) options.limit = limit;
      if (maxDistance !== undefined) options.maxDistance = maxDistance;
      const matches = await limiter.run(() => implementation.closest(query, candidates, options), clientGone(reply));
      return { matches };
    },
  );

  route('POST', '/api/stats');
  app.post<{ Body: { values: number[] } }>('/api/stats', { schema: { body: statsSchema } }, async (request, reply) => {
    const values = Float64Array.from(request.body.values);
    const stats = await limiter.run(() => implementation.stats(values), clientGone(reply));
    for (const [name, value] of Object.entries(stats)) {
      if (!Number.isFinite(value)) {
        throw new HttpError(422, `'${name}' of these values is not a finite double (the values are too large in magnitude)`);
      }
    }
    return stats;
  });

  route('POST', '/api/word-count');
  // Its own plugin: the body is NOT parsed; the raw stream is fed chunk by chunk.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['text/plain', 'application/octet-stream'], (_request, payload, done) => done(null, payload));
    scope.post<{ Querystring: { top?: string; lowercase?: string } }>(
      '/api/word-count',
      { schema: { querystring: wordCountQuerySchema } },
      async (request, reply) => {
        const top = request.query.top === undefined ? 10 : Number(request.query.top);
        if (top < 1 || top > LIMITS.top) throw new HttpError(400, `querystring/top must be from 1 to ${LIMITS.top}`);
        const lowercase = request.query.lowercase === 'true' || request.query.lowercase === '1';
        const declared = Number(request.headers['content-length']);
        if (declared > config.streamLimit) throw tooLarge(config.streamLimit);
        const stream = request.body as IncomingMessage | undefined;
        // The whole body first, without a slot: a slow client holds its connection, never a
        // compute slot. The slot is taken only for the Rust work.
        const held = { bytes: 0 };
        try {
          const chunks = stream ? await readStream(stream, config.streamLimit, bodyMemory, held) : [];
          return await limiter.run(() => {
            const counter = implementation.wordCounter({ lowercase });
            openCounters.add(counter);
            try {
              let bytes = 0;
              for (const chunk of chunks) {
                bytes += chunk.length;
                counter.feed(chunk);
              }
              return { bytes, top: counter.top(top) };
            } finally {
              openCounters.delete(counter);
              counter.close();
            }
          }, clientGone(reply));
        } finally {
          bodyMemory.used -= held.bytes;
        }
      },
    );
  });

  // Known paths with a wrong method: 405 + Allow instead of 404.
  const byPath = new Map<string, string[]>();
  for (const [method, url] of routes) byPath.set(url, [...(byPath.get(url) ?? []), method]);
  for (const [url, methods] of byPath) {
    const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
    const others = ALL_METHODS.filter((m) => !allowed.includes(m));
    app.route({
      method: others,
      url,
      // Any body is irrelevant: do not parse it (and do not 415 it).
      preParsing: async (_request, reply) => {
        reply.header('allow', allowed.join(', ')).header('connection', 'close');
        throw new HttpError(405, `${url} accepts ${allowed.join(', ')}`);
      },
      handler: async () => undefined,
    });
  }

  return { fastify: app, limiter, openCounters };
}

/**
 * Lingering close after an error answered while the client is still uploading (a 413, a 408).
 * The answer says `Connection: close`, so Node then closes the socket; destroying it with
 * unread bytes resets the connection and the client may lose the answer it was sent. Instead:
 * half-close (FIN after the answer), discard at most LINGER_BYTES more of the body (then stop
 * reading: the client's sends block), and destroy the socket when the client closes its side
 * or after LINGER_MS, whichever comes first. The rest of a 1 TB upload is never read.
 */
const LINGER_MS = 2_000;
const LINGER_BYTES = 4 * 1024 * 1024;
type LingeringSocket = Socket & { destroySoon?: () => void };
function lingerAfterError(raw: IncomingMessage): void {
  if (raw.complete) return;
  const socket = raw.socket as LingeringSocket | null;
  if (!socket || socket.destroyed) return;
  let discarded = 0;
  raw.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) raw.pause();
  });
  raw.resume();
  if (typeof socket.destroySoon !== 'function') return;
  socket.destroySoon = function lingeringClose(this: LingeringSocket) {
    lingeringEnd(this);
  };
}

/** FIN now, destroy on the client's FIN or after LINGER_MS. Idempotent. */
const lingering = new WeakSet<Socket>();
function lingeringEnd(socket: Socket): void {
  if (lingering.has(socket) || socket.destroyed) return;
  lingering.add(socket);
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.once('end', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Answers an error on a socket whose request never reached a route (or whose response cannot
 * be sent normally), in the service's JSON shape, then closes the connection.
 */
function rejectConnection(socket: Socket, status: number, message: string): void {
  if (lingering.has(socket) || socket.destroyed) return;
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify({ error: STATUS_CODES[status] ?? 'Error', message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        'Connection: close\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  lingeringEnd(socket);
}

/** Errors from Node's HTTP parser and timers, before fastify sees a request. */
function onClientError(error: NodeJS.ErrnoException, socket: Socket, config: ServiceConfig): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    rejectConnection(
      socket,
      408,
      `the request was not received in time (head within ${config.headersTimeout} ms, whole request within ${config.requestTimeout} ms)`,
    );
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    rejectConnection(socket, 431, 'the request head is larger than the limit');
  } else {
    const reason = (error as { reason?: unknown }).reason;
    rejectConnection(socket, 400, `the request is not valid HTTP/1.1${typeof reason === 'string' ? `: ${reason}` : ''} (${error.code ?? 'error'})`);
  }
}

/**
 * Body idle timeout: while a request body is being received, the socket may stay silent for at
 * most `ms`; then the client gets a 408 and the connection is closed. Uses the socket's own
 * inactivity timer, disarmed once the body is complete (a long computation is not silence).
 */
const bodyTimeouts = new WeakSet<IncomingMessage>();
function watchBody(request: FastifyRequest, reply: FastifyReply, ms: number): void {
  const raw = request.raw;
  const socket = raw.socket;
  if (raw.complete || !socket || socket.destroyed) return;
  bodyTimeouts.add(raw);
  // A 'timeout' listener on the response keeps Node from destroying the socket by itself.
  reply.raw.on('timeout', () => {
    if (raw.complete || reply.raw.headersSent || !bodyTimeouts.has(raw)) {
      socket.setTimeout(0);
      return;
    }
    request.log.info({ bodyTimeoutMs: ms }, 'request body stalled');
    rejectConnection(socket, 408, `no part of the body arrived for ${ms} ms`);
  });
  socket.setTimeout(ms);
}

/**
 * Minimum body rate: once `bodyRateGrace` seconds have passed since the request's body began,
 * a body still incomplete whose average rate is below `minBodyRate` bytes/s gets a 408 and the
 * connection is closed. Bounds clients that trickle just fast enough to beat the body timeout.
 */
const RATE_CHECK_MS = 250;
function watchBodyRate(request: FastifyRequest, reply: FastifyReply, config: ServiceConfig): void {
  const raw = request.raw;
  const socket = raw.socket;
  if (config.minBodyRate === 0 || raw.complete || !socket || socket.destroyed) return;
  const started = performance.now();
  const startBytes = socket.bytesRead;
  const timer = setInterval(() => {
    if (raw.complete || socket.destroyed || reply.raw.headersSent) return stop();
    const seconds = (performance.now() - started) / 1000;
    if (seconds < config.bodyRateGrace) return;
    const rate = (socket.bytesRead - startBytes) / seconds;
    if (rate >= config.minBodyRate) return;
    stop();
    request.log.info({ rate, minBodyRate: config.minBodyRate }, 'request body too slow');
    rejectConnection(
      socket,
      408,
      `the body arrived at ${rate.toFixed(1)} bytes/s, below the minimum of ${config.minBodyRate} bytes/s (after ${config.bodyRateGrace} s)`,
    );
  }, RATE_CHECK_MS);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    raw.off('end', stop);
    reply.raw.off('close', stop);
  };
  raw.once('end', stop);
  reply.raw.once('close', stop);
}

/** Aborts when the client closes the connection before its answer was sent. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  if (res.socket?.destroyed || res.destroyed) controller.abort();
  else res.once('close', () => !res.writableFinished && controller.abort());
  return controller.signal;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `the body is larger than the limit of ${limit} bytes`);
}

/** Bytes of word-count bodies held in memory by all requests, against their shared limit. */
interface BodyMemory {
  used: number;
  readonly limit: number;
}

/**
 * Reads the request body into memory; stops reading past `limit` bytes (413) or when all bodies
 * together would pass `memory.limit` (503). The bytes it holds are counted in `memory.used` and
 * in `held.bytes`; the caller gives them back once it is done with the chunks.
 */
function readStream(stream: IncomingMessage, limit: number, memory: BodyMemory, held: { bytes: number }): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    if (stream.destroyed || stream.readableAborted) {
      reject(new HttpError(400, 'reading the body failed: the client aborted the request'));
      return;
    }
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('aborted', onAborted);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        cleanup();
        stream.resume(); // discard the rest (see lingerAfterError)
        reject(tooLarge(limit));
        return;
      }
      if (memory.used + chunk.length > memory.limit) {
        cleanup();
        stream.resume();
        reject(
          new HttpError(503, `the service holds ${memory.used} bytes of uploads, the limit for all uploads at once is ${memory.limit} bytes: retry later`),
        );
        return;
      }
      memory.used += chunk.length;
      held.bytes += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new HttpError(400, `reading the body failed: ${error.message}`));
    };
    const onAborted = () => onError(new Error('the client aborted the request'));
    // 'close' without 'end' first: destroyed by anything else (a timeout, the connection lost).
    const onClose = () => onError(new Error('the connection was closed'));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('aborted', onAborted);
    stream.on('close', onClose);
  });
}

/** Ajv errors -> one message naming the field: `body/candidates/3 must be string`. */
function formatValidation(
  errors: ReadonlyArray<{ instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }>,
  dataVar: string,
): string {
  return errors
    .map((e) => {
      const path = `${dataVar}${e.instancePath}`;
      if (e.keyword === 'additionalProperties') return `${path} has an unknown field '${String(e.params.additionalProperty)}'`;
      if (e.keyword === 'required') return `${path} is missing the field '${String(e.params.missingProperty)}'`;
      return `${path} ${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}

/** Library errors caused by the input (bad UTF-8, a value out of range) are the client's. */
const CLIENT_LIBRARY_ERRORS = new Set(['MYLIB_ERR_INVALID_UTF8', 'MYLIB_ERR_INVALID_ARGUMENT']);

function sendError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  let status = 500;
  let message = 'internal error';
  const code = (error as { code?: unknown }).code;
  if (error instanceof AbandonedError) {
    status = 400;
    message = error.message;
  } else if (error instanceof SaturatedError) {
    status = 503;
    message = error.message;
    reply.header('retry-after', String(error.retryAfter));
  } else if (error.name === 'MylibError' && typeof code === 'string' && CLIENT_LIBRARY_ERRORS.has(code)) {
    status = 400;
    message = error.message;
  } else if (error.name === 'MylibError' && code === 'MYLIB_ERR_OUT_OF_MEMORY') {
    // The machine, not the request, ran short: another attempt later may succeed.
    status = 503;
    message = 'the service ran out of memory for this request; try again later';
    reply.header('retry-after', '5');
  } else if (error instanceof HttpError && error.statusCode === 503) {
    status = 503;
    message = error.message;
    reply.header('retry-after', '1');
  } else if ('validation' in error && error.validation) {
    status = 400;
    message = error.message;
  } else {
    const declared = (error as { statusCode?: unknown }).statusCode;
    if (typeof declared === 'number' && declared >= 400 && declared < 500) {
      status = declared;
      message = error.message;
    }
  }
  if (!request.raw.complete) {
    // The rest of the body is not wanted: say so, and do not read it (see lingerAfterError).
    bodyTimeouts.delete(request.raw);
    reply.header('connection', 'close');
    lingerAfterError(request.raw);
  }
  reply.header('x-content-type-options', 'nosniff');
  if (status === 413) {
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `the body is larger than the limit of ${request.routeOptions.bodyLimit ?? '?'} bytes`;
  }
  if (status >= 500 && status !== 503) request.log.error({ err: error }, 'request failed');
  else request.log.info({ status, reason: message }, 'request rejected');
  reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error: STATUS_CODES[status] ?? 'Error', message });
}
