/**
 * Starts the service (service/main.ts, through tsx) as a child process on a free loopback port
 * and waits until it answers. Tests talk to it over real HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { type Socket, createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Service {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the service printed (pino JSON lines). */
  output: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(): Promise<number | string>;
}

export async function startService(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Keep the last 1 MB only: request logs of a long test must not grow without bound.
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-1_000_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start in 30 s:\n${output}`)), 30_000);
    const onData = () => {
      for (const line of output.split('\n')) {
        if (!line.includes('mylib service ready')) continue;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve((JSON.parse(line) as { address: string }).address);
        return;
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code}) before it was ready:\n${output}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: { error?: string; message?: string; [key: string]: unknown } | undefined;
}

/**
 * One request with node:http (not fetch): exact control over headers and body, a body given
 * as chunks (streamed), and an answer even when the server replies before the upload ends.
 */
export function send(
  base: string,
  method: string,
  path: string,
  { headers = {}, body, chunks }: { headers?: Record<string, string>; body?: string | Buffer; chunks?: Iterable<Buffer | string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: RawResponse['json'];
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
      res.on('error', reject);
    });
    // The server may answer (413) and close while we are still sending: the answer counts.
    req.on('error', (error) => setTimeout(() => reject(error), 200));
    void (async () => {
      try {
        if (chunks) {
          for (const chunk of chunks) {
            if (!req.write(chunk)) await drainOrClose(req);
            if (req.destroyed) return;
          }
        } else if (body !== undefined) {
          req.write(body);
        }
        req.end();
      } catch {}
    })();
  });
}

export const postJson = (base: string, path: string, body: unknown) =>
  send(base, 'POST', path, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function drainOrClose(req: import('node:http').ClientRequest): Promise<void> {
  if (req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      req.off('drain', done).off('close', done);
      resolve();
    };
    req.on('drain', done).on('close', done);
  });
}

/** Polls `check` every `interval` ms until it returns a truthy value; throws after `timeout` ms. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, { timeout = 20_000, interval = 50 } = {}): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: { error?: string; message?: string; [key: string]: unknown } | undefined;
}

/** Parses the first HTTP/1.1 response in `text` (Content-Length bodies only); undefined if incomplete. */
export function parseResponse(text: string): ParsedResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = text.slice(end + 4);
  if (Buffer.byteLength(body) < length) return undefined;
  let json: ParsedResponse['json'];
  try {
    json = JSON.parse(body);
  } catch {}
  return { status: Number(statusLine!.split(' ')[1]), headers, body, json };
}

/** A raw TCP connection to the service: exact bytes out, everything received kept. */
export interface RawConnection {
  socket: Socket;
  received(): string;
  /** The first response, once complete. */
  response(): ParsedResponse | undefined;
  /** True once the socket closed (either side). */
  isClosed(): boolean;
  closed: Promise<void>;
}

export async function connectRaw(port: number, head?: string): Promise<RawConnection> {
  const socket = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (received = (received + chunk.toString('latin1')).slice(-100_000)));
  socket.on('error', () => {});
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  if (head !== undefined) socket.write(head);
  return { socket, received: () => received, response: () => parseResponse(received), isClosed: () => closed, closed: closedPromise };
}

/** The pino `pid` of the line with `msg` in `output`, if printed. */
export function loggedPid(output: string, msg: string): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    return (JSON.parse(line) as { pid: number }).pid;
  }
  return undefined;
}
