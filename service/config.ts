/**
 * Service configuration: command-line flags win over environment variables, which win over
 * the defaults. Every value is validated; a bad one is a ConfigError naming the flag and the
 * variable.
 */
import { parseArgs } from 'node:util';
import { MAX_ASYNC_CALLS } from '../bindings/limits.ts';

/**
 * Which implementation serves the endpoints: the Rust library or the TypeScript references. Chosen
 * with `--engine` / `MYLIB_ENGINE` and reported as `engine` by /healthz: those names are kept for
 * compatibility; they are not the FFI engine of bindings/.
 */
export type ImplementationName = 'rust' | 'js';
export const IMPLEMENTATIONS: readonly ImplementationName[] = ['rust', 'js'];

export interface ServiceConfig {
  host: string;
  port: number;
  implementation: ImplementationName;
  /** Requests doing heavy work at the same time (native async calls, word-count streams). */
  concurrency: number;
  /** Requests waiting for a slot; beyond this the service answers 503 + Retry-After. */
  queueLimit: number;
  /** Largest JSON body, bytes. */
  jsonLimit: number;
  /** Largest streamed text/plain body (word count), bytes. */
  streamLimit: number;
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  logLevel: string;
  /** Milliseconds given to in-flight requests after SIGTERM/SIGINT before the process gives up. */
  shutdownTimeout: number;
  /** Milliseconds to receive a request's head (request line and headers); then 408. */
  headersTimeout: number;
  /** Longest silence while a request body is being received, milliseconds; then 408. */
  bodyTimeout: number;
  /** Milliseconds to receive a whole request, head and body; then 408. */
  requestTimeout: number;
  /** /healthz answers 503 once every slot has been busy this long with no request finishing. */
  stallTimeout: number;
  /** Slowest accepted body upload, bytes per second averaged since the body began; 0 = no minimum. */
  minBodyRate: number;
  /** Seconds an upload may run below minBodyRate before it is cut (slow start, small bodies). */
  bodyRateGrace: number;
  /** /healthz answers 503 once the oldest queued heavy request has waited this long, milliseconds. */
  queueWaitLimit: number;
  /** Word-count bodies held in memory at once, all requests together, bytes; beyond it 503. */
  bodyMemoryLimit: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const MiB = 1024 * 1024;

export const DEFAULTS: ServiceConfig = {
  host: '127.0.0.1',
  port: 8000,
  implementation: 'rust',
  concurrency: 4,
  queueLimit: 256,
  jsonLimit: 1 * MiB,
  streamLimit: 64 * MiB,
  logLevel: 'info',
  shutdownTimeout: 4000,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
  requestTimeout: 60_000,
  stallTimeout: 60_000,
  minBodyRate: 240,
  bodyRateGrace: 5,
  queueWaitLimit: 10_000,
  bodyMemoryLimit: 256 * MiB,
};

/** flag name -> environment variable. */
const ENV = {
  host: 'HOST',
  port: 'PORT',
  engine: 'MYLIB_ENGINE',
  concurrency: 'MYLIB_CONCURRENCY',
  'queue-limit': 'MYLIB_QUEUE_LIMIT',
  'json-limit': 'MYLIB_JSON_LIMIT',
  'stream-limit': 'MYLIB_STREAM_LIMIT',
  'log-level': 'LOG_LEVEL',
  'shutdown-timeout': 'MYLIB_SHUTDOWN_TIMEOUT',
  'headers-timeout': 'MYLIB_HEADERS_TIMEOUT',
  'body-timeout': 'MYLIB_BODY_TIMEOUT',
  'request-timeout': 'MYLIB_REQUEST_TIMEOUT',
  'stall-timeout': 'MYLIB_STALL_TIMEOUT',
  'min-body-rate': 'MYLIB_MIN_BODY_RATE',
  'body-rate-grace': 'MYLIB_BODY_RATE_GRACE',
  'queue-wait-limit': 'MYLIB_QUEUE_WAIT_LIMIT',
  'body-memory-limit': 'MYLIB_BODY_MEMORY_LIMIT',
} as const;
type Flag = keyof typeof ENV;

export const USAGE = `Usage: npm start -- [options]   (or: tsx service/main.ts [options])
  --engine rust|js        implementation serving requests   (env MYLIB_ENGINE, default rust)
  --host ADDRESS          address to listen on              (env HOST, default 127.0.0.1)
  --port N                port, 0 = any free port           (env PORT, default 8000)
  --concurrency N         heavy requests run at once        (env MYLIB_CONCURRENCY, default 4, at most 128)
  --queue-limit N         heavy requests waiting, then 503  (env MYLIB_QUEUE_LIMIT, default 256)
  --json-limit BYTES      largest JSON body                 (env MYLIB_JSON_LIMIT, default 1 MiB)
  --stream-limit BYTES    largest word-count body           (env MYLIB_STREAM_LIMIT, default 64 MiB)
  --log-level LEVEL       pino level or silent              (env LOG_LEVEL, default info)
  --shutdown-timeout MS   grace period after SIGTERM        (env MYLIB_SHUTDOWN_TIMEOUT, default 4000)
  --headers-timeout MS    time to receive a request's head  (env MYLIB_HEADERS_TIMEOUT, default 10000)
  --body-timeout MS       longest pause inside a body       (env MYLIB_BODY_TIMEOUT, default 10000)
  --request-timeout MS    time to receive a whole request   (env MYLIB_REQUEST_TIMEOUT, default 60000)
  --stall-timeout MS      /healthz 503 after all slots are busy this long with no request done
                                                            (env MYLIB_STALL_TIMEOUT, default: the request timeout)
  --min-body-rate BYTES   slowest body upload per second after the grace period, then 408; 0 = off
                                                            (env MYLIB_MIN_BODY_RATE, default 240)
  --body-rate-grace S     seconds before the minimum body rate applies
                                                            (env MYLIB_BODY_RATE_GRACE, default 5)
  --queue-wait-limit MS   /healthz 503 once a queued heavy request has waited this long
                                                            (env MYLIB_QUEUE_WAIT_LIMIT, default 10000)
  --body-memory-limit BYTES  word-count bodies held in memory at once, all requests, then 503
                                                            (env MYLIB_BODY_MEMORY_LIMIT, default 256 MiB)
Sizes accept a suffix: 512k, 1m, 64m.`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(flag: Flag, raw: string, min: number, max: number): number {
  const match = /^(\d+)([kmg]?)(i?b)?$/i.exec(raw.trim());
  const scale = { '': 1, k: 1024, m: MiB, g: 1024 * MiB }[(match?.[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  const value = match ? Number(match[1]) * scale : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`--${flag} (env ${ENV[flag]}) must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

/** Reads flags from `argv` (without node and the script) and variables from `env`. */
export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; strict: true; allowPositionals: false; options: Record<string, { type: 'string' | 'boolean'; short?: string }> }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.keys(ENV).map((flag) => [flag, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) throw new ConfigError(USAGE);
  const values = parsed.values as Partial<Record<Flag, string>>;
  const pick = (flag: Flag): string | undefined => values[flag] ?? (env[ENV[flag]] || undefined);

  const config = { ...DEFAULTS };
  const implementation = pick('engine');
  if (implementation !== undefined) {
    if (!IMPLEMENTATIONS.includes(implementation as ImplementationName)) {
      throw new ConfigError(`--engine (env MYLIB_ENGINE) must be one of ${IMPLEMENTATIONS.join(', ')}, got '${implementation}'`);
    }
    config.implementation = implementation as ImplementationName;
  }
  const host = pick('host');
  if (host !== undefined) config.host = host;
  const number = (flag: Flag, min: number, max: number, fallback: number) => {
    const raw = pick(flag);
    return raw === undefined ? fallback : integer(flag, raw, min, max);
  };
  config.port = number('port', 0, 65535, config.port);
  config.concurrency = number('concurrency', 1, MAX_ASYNC_CALLS, config.concurrency);
  config.queueLimit = number('queue-limit', 0, 1_000_000, config.queueLimit);
  config.jsonLimit = number('json-limit', 1024, 1024 * MiB, config.jsonLimit);
  config.streamLimit = number('stream-limit', 1024, 64 * 1024 * MiB, config.streamLimit);
  config.shutdownTimeout = number('shutdown-timeout', 100, 600_000, config.shutdownTimeout);
  config.requestTimeout = number('request-timeout', 100, 3_600_000, config.requestTimeout);
  config.headersTimeout = number('headers-timeout', 100, config.requestTimeout, Math.min(config.headersTimeout, config.requestTimeout));
  config.bodyTimeout = number('body-timeout', 100, 3_600_000, config.bodyTimeout);
  config.stallTimeout = number('stall-timeout', 100, 3_600_000, config.requestTimeout);
  config.minBodyRate = number('min-body-rate', 0, 1024 * MiB, config.minBodyRate);
  config.bodyRateGrace = number('body-rate-grace', 1, 3600, config.bodyRateGrace);
  config.queueWaitLimit = number('queue-wait-limit', 100, 3_600_000, config.queueWaitLimit);
  config.bodyMemoryLimit = number('body-memory-limit', 1024, 64 * 1024 * MiB, config.bodyMemoryLimit);
  const logLevel = pick('log-level');
  if (logLevel !== undefined) {
    if (!LOG_LEVELS.includes(logLevel)) {
      throw new ConfigError(`--log-level (env LOG_LEVEL) must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
    }
    config.logLevel = logLevel;
  }
  return config;
}
