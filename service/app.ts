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
import type { Engine, WordCounterHandle } from './engines.ts';
import { Limiter, SaturatedError } from './limiter.ts';

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

export function buildApp(config: ServiceConfig, engine: Engine): App {
  const limiter = new Limiter(config.concurrency, config.queueLimit);
  const openCounters = new Set<WordCounterHandle>();
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: config.jsonLimit,
    // Keep-alive sockets that are idle are closed by app.close(); busy ones finish first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
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

  app.setErrorHandler((error: FastifyError | Error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  const routes: Array<[string, string]> = [];
  const route = (method: 'GET' | 'POST', url: string) => routes.push([method, url]);

  route('GET', '/');
  app.get('/', async (_request, reply) => {
    reply.type('text/plain; charset=utf-8');
    return engine.getResult('Hello!');
  });

  route('GET', '/healthz');
  app.get('/healthz', async () => ({
    status: 'ok',
    engine: engine.name,
    active: limiter.active,
    queued: limiter.queued,
    rss: process.memoryUsage.rss(),
    uptime: Math.round(process.uptime()),
  }));

  route('POST', '/api/count-doubles');
  app.post<{ Body: { text: string } }>('/api/count-doubles', { schema: { body: countDoublesSchema } }, async (request) => {
    const count = await limiter.run(() => engine.countDoubles(request.body.text));
    return { count };
  });

  route('POST', '/api/closest');
  app.post<{ Body: { query: string; candidates: string[]; limit?: number; maxDistance?: number } }>(
    '/api/closest',
    { schema: { body: closestSchema } },
    async (request) => {
      const { query, candidates, limit, maxDistance } = request.body;
      const options: { limit?: number; maxDistance?: number } = {};
      if (limit !== undefined) options.limit = limit;
      if (maxDistance !== undefined) options.maxDistance = maxDistance;
      const matches = await limiter.run(() => engine.closest(query, candidates, options));
      return { matches };
    },
  );

  route('POST', '/api/stats');
  app.post<{ Body: { values: number[] } }>('/api/stats', { schema: { body: statsSchema } }, async (request) => {
    const values = Float64Array.from(request.body.values);
    const stats = await limiter.run(() => engine.stats(values));
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
      async (request) => {
        const top = request.query.top === undefined ? 10 : Number(request.query.top);
        if (top < 1 || top > LIMITS.top) throw new HttpError(400, `querystring/top must be from 1 to ${LIMITS.top}`);
        const lowercase = request.query.lowercase === 'true' || request.query.lowercase === '1';
        const declared = Number(request.headers['content-length']);
        if (declared > config.streamLimit) throw tooLarge(config.streamLimit);
        const stream = request.body as IncomingMessage | undefined;
        return limiter.run(async () => {
          const counter = engine.wordCounter({ lowercase });
          openCounters.add(counter);
          try {
            const bytes = stream ? await feedStream(stream, counter, config.streamLimit) : 0;
            return { bytes, top: counter.top(top) };
          } finally {
            openCounters.delete(counter);
            counter.close();
          }
        });
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
 * Lingering close after a 413 sent while the client is still uploading. Node answers such a
 * request with `Connection: close` and then destroys the socket; destroying it with unread
 * bytes resets the connection, and the client may lose the 413 it was sent. Instead: discard
 * the rest of the body, half-close (FIN after the response), and destroy the socket when the
 * client stops sending or after LINGER_MS, whichever comes first.
 */
const LINGER_MS = 5_000;
function lingerAfterTooLarge(raw: IncomingMessage): void {
  if (raw.complete) return;
  raw.resume();
  const socket = raw.socket as Socket & { destroySoon?: () => void };
  if (!socket || typeof socket.destroySoon !== 'function') return;
  socket.destroySoon = function lingeringClose(this: Socket) {
    this.end();
    this.resume();
    const timer = setTimeout(() => this.destroy(), LINGER_MS).unref();
    this.once('end', () => this.destroy());
    this.once('close', () => clearTimeout(timer));
  };
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `the body is larger than the limit of ${limit} bytes`);
}

/** Feeds the request body to `counter`; stops reading (413) past `limit` bytes. */
function feedStream(stream: IncomingMessage, counter: WordCounterHandle, limit: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        cleanup();
        stream.resume(); // discard the rest (see lingerAfterTooLarge)
        reject(tooLarge(limit));
        return;
      }
      try {
        counter.feed(chunk);
      } catch (error) {
        cleanup();
        stream.resume();
        reject(error);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(bytes);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new HttpError(400, `reading the body failed: ${error.message}`));
    };
    const onAborted = () => onError(new Error('the client aborted the request'));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('aborted', onAborted);
  });
}

/** Ajv errors -> one message naming the field: `body/candidates/3 must be string`. */
function formatValidation(errors: ReadonlyArray<{ instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }>, dataVar: string): string {
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
  if (error instanceof SaturatedError) {
    status = 503;
    message = error.message;
    reply.header('retry-after', String(error.retryAfter));
  } else if (error.name === 'MylibError' && typeof code === 'string' && CLIENT_LIBRARY_ERRORS.has(code)) {
    status = 400;
    message = error.message;
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
  if (status === 413) {
    lingerAfterTooLarge(request.raw);
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `the body is larger than the limit of ${request.routeOptions.bodyLimit ?? '?'} bytes`;
  }
  if (status >= 500 && status !== 503) request.log.error({ err: error }, 'request failed');
  else request.log.info({ status, reason: message }, 'request rejected');
  reply.code(status).type('application/json; charset=utf-8').send({ error: STATUS_CODES[status] ?? 'Error', message });
}
