/**
 * Isolated libraries: `open(path, { isolate: true })` (library.ts) hosts the library in a child
 * process of the same runtime with the same engine (isolate-host.ts) and forwards every call to
 * it, so that a fault in the library (SIGSEGV, SIGBUS, SIGILL, abort(), exit()) ends the host
 * only: the call throws (or rejects with) a CrashedError, and the next call starts a new host
 * and binds again what was declared.
 *
 * The channel: three named pipes opened with the C library's open() (isolate-io.ts): requests
 * (this process -> host), synchronous answers (host -> this process, read with a blocking read()
 * on the calling thread: a synchronous call waits for its answer without an event loop), and
 * asynchronous answers (read without blocking when poll(), run on the engine's async call, says
 * they are there). Values cross by copy (isolate-codec.ts):
 *
 * - scalars, strings, records by value, null: as they are;
 * - an ArrayBuffer or TypedArray for a pointer: its bytes are copied in; for a non-const pointer
 *   the bytes the callee left are copied back into it after the call (out-parameters, records
 *   given as objects for a pointer, which library.ts encodes into such bytes);
 * - a JS function for a callback: the host calls back over the channel for each invocation;
 * - an address (BigInt) for a pointer: an address in the host's memory (one an isolated call
 *   returned); one that is not mapped there is refused with an Error naming the function and the
 *   argument (Linux), never dereferenced.
 * Results are copies too: a pointer result is an address in the host's memory, which the memory
 * helpers of this process cannot read.
 *
 * Calls of one library run one at a time in its host: asynchronous calls queue in order, a
 * synchronous call made while an asynchronous one runs waits for the host (or runs nested in it
 * when the asynchronous call waits for a callback's answer).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BindOptions, type BoundFunction, type Engine, type NativeLibrary, currentRuntime } from './engine.ts';
import { Encoder, FrameReader } from './isolate-codec.ts';
import { Posix } from './isolate-io.ts';
import type { FunctionType } from './types.ts';

/** How long a host may take to start (a cold tsx or Deno start included). */
const START_TIMEOUT_MS = 60_000;

/**
 * The error of a call whose isolated host ended during it: `code` is always `'CRASHED'`;
 * `signal` names the signal that ended it (`'SIGSEGV'`, `'SIGABRT'`...), else `exitCode` is the
 * status it exited with (a library that called `exit(3)`).
 */
export class CrashedError extends Error {
  readonly code = 'CRASHED' as const;
  /** The function called when the host ended. */
  readonly functionName: string;
  /** The library the host had open. */
  readonly library: string;
  readonly signal: string | undefined;
  readonly exitCode: number | undefined;

  /** @internal Made by the isolated library when its host ends during a call. */
  constructor(functionName: string, library: string, end: HostEnd) {
    const how =
      end.signal !== undefined ? `was killed by ${end.signal}` : end.code !== undefined ? `exited with code ${end.code}` : 'ended (its exit status is unknown)';
    super(`${functionName}: the isolated host of ${library} ${how} during the call; the next call starts a new host`);
    this.name = 'CrashedError';
    this.functionName = functionName;
    this.library = library;
    this.signal = end.signal;
    this.exitCode = end.code;
  }
}

interface HostEnd {
  signal?: string;
  code?: number;
}

function signalName(signal: number): string {
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === signal) return name;
  return `signal ${signal}`;
}

/** The command that runs isolate-host with this runtime, from source (.ts) or from dist (.js). */
function hostCommand(): { executable: string; args: string[] } {
  const here = import.meta.url;
  const extension = here.endsWith('.ts') ? '.ts' : '.js';
  const file = fileURLToPath(new URL(`./isolate-host${extension}`, here));
  switch (currentRuntime()) {
    case 'bun':
      return { executable: process.execPath, args: [file] };
    case 'deno': {
      const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno;
      const args = ['run', '--no-prompt', '--allow-ffi', '--allow-read', '--allow-env'];
      if (hasNodeModules(file)) args.push('--node-modules-dir=manual');
      return { executable: deno.execPath(), args: [...args, file] };
    }
    case 'node': {
      const args = inheritedNodeFlags(process.execArgv);
      if (extension === '.ts' && !args.some((a) => a.includes('tsx'))) {
        const tsx = createRequire(here).resolve('tsx');
        args.push('--import', pathToFileURL(tsx).href);
      }
      return { executable: process.execPath, args: [...args, file] };
    }
  }
}

function hasNodeModules(file: string): boolean {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/** The Node flags a host keeps: loaders, conditions, experimental features, warnings; not inspectors or evals. */
export function inheritedNodeFlags(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  const withValue = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--conditions', '-C']);
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    if (withValue.has(arg) && i + 1 < execArgv.length) {
      out.push(arg, execArgv[++i] as string);
    } else if (/^--(import|require|loader|experimental-loader|conditions)=/.test(arg)) {
      out.push(arg);
    } else if (/^--(no-)?(experimental-|warnings|disable-warning|allow-|expose-gc|stack-size)/.test(arg)) {
      out.push(arg);
    }
  }
  return out;
}

interface Host {
  pid: number;
  requests: number;
  sync: number;
  async: number;
  syncReader: FrameReader;
  asyncReader: FrameReader;
  /** What the binds gave in this host, by key. */
  bound: Set<number>;
  /** Set once reaped: its descriptors are closed (and their numbers may be reused). */
  ended?: HostEnd;
}

interface Binding {
  key: number;
  type: FunctionType & { name: string };
  /** `funcAt`: an address in the host that bound it (useless in another host). */
  address: bigint | null;
  /** The host the address belongs to; a new host refuses the call. */
  host: Host | undefined;
}

/** One call in progress in this process: its arguments (the callbacks' JS functions), its error. */
interface Frame {
  name: string;
  args: readonly unknown[];
  writes: readonly number[];
  thrown?: { error: unknown };
}

interface AsyncJob extends Frame {
  key: number;
  binding: Binding;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Opens `load` in a new host. Throws what the host's open threw. */
export function openIsolated(engine: Engine, load: string): NativeLibrary {
  const library = new IsolatedLibrary(engine, load);
  library.start();
  return library;
}

/** Whether `native` is an isolated library's. */
export function isIsolated(native: NativeLibrary): boolean {
  return native instanceof IsolatedLibrary;
}

/** The process id of `native`'s running host, or undefined (not isolated, or no host now). */
export function hostPid(native: NativeLibrary): number | undefined {
  return native instanceof IsolatedLibrary ? native.hostPid : undefined;
}

class IsolatedLibrary implements NativeLibrary {
  readonly engine;
  readonly path: string;
  readonly #posix: Posix;
  readonly #encoder = new Encoder();
  readonly #bindings: Binding[] = [];
  readonly #queue: AsyncJob[] = [];
  #host: Host | undefined;
  #running: AsyncJob | undefined;
  #closed = false;
  #nextKey = 1;

  constructor(engine: Engine, load: string) {
    this.engine = engine.name;
    this.path = load;
    this.#posix = new Posix(engine);
  }

  get hostPid(): number | undefined {
    return this.#host?.pid;
  }

  /** Starts a host and binds every declared function in it. */
  start(): Host {
    if (this.#host) return this.#host;
    const posix = this.#posix;
    const { O_RDONLY, O_RDWR, O_NONBLOCK, O_CLOEXEC, POLLIN, POLLHUP } = posix.flags;
    const dir = posix.makeTemporaryDirectory(join(tmpdir(), 'mylib-isolate-'));
    const paths = { requests: join(dir, 'requests'), sync: join(dir, 'sync'), async: join(dir, 'async') };
    const fds: number[] = [];
    let pid = 0;
    try {
      for (const path of Object.values(paths)) posix.check('mkfifo', path, 0o600);
      // Non-blocking opens never wait for the other end. The requests pipe is opened for reading
      // and writing, so that the host's open of it does not wait either.
      const syncStart = posix.openFile(paths.sync, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      fds.push(syncStart);
      const async = posix.openFile(paths.async, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      fds.push(async);
      const requests = posix.openFile(paths.requests, O_RDWR | O_NONBLOCK | O_CLOEXEC);
      fds.push(requests);
      const { executable, args } = hostCommand();
      pid = posix.spawn(executable, [executable, ...args, paths.requests, paths.sync, paths.async, String(process.pid), this.engine, this.path], process.env);
      const syncReader = new FrameReader();
      const deadline = Date.now() + START_TIMEOUT_MS;
      let first: unknown[] | undefined;
      while (!first) {
        const [events = 0] = posix.poll([[syncStart, POLLIN]], 50);
        if (events & POLLIN) {
          const n = posix.read(syncStart, syncReader.space(syncReader.missing()));
          if (n > 0) syncReader.filled(n);
          first = syncReader.next()?.value as unknown[] | undefined;
          if (first || n !== 0) continue;
        }
        if (events & POLLHUP || events === 0) {
          const end = posix.waitpid(pid, false);
          if (end) {
            pid = 0;
            throw new Error(`the isolated host exited while starting (${describe(end)}; its messages are above): ${executable} ${args.join(' ')}`);
          }
        }
        if (Date.now() > deadline) throw new Error(`the isolated host did not start within ${START_TIMEOUT_MS / 1000} s: ${executable} ${args.join(' ')}`);
      }
      if (first[0] !== 'ready') throw new Error(String(first[1]));
      // The host holds the write end now: a blocking open returns at once, and read() then waits.
      const sync = posix.openFile(paths.sync, O_RDONLY | O_CLOEXEC);
      posix.closeFd(syncStart);
      fds.splice(fds.indexOf(syncStart), 1, sync);
      const host: Host = { pid, requests, sync, async, syncReader, asyncReader: new FrameReader(), bound: new Set() };
      this.#host = host;
      for (const binding of this.#bindings) if (binding.address === null) this.#bindIn(host, binding);
      return host;
    } catch (error) {
      for (const fd of fds) posix.closeFd(fd);
      if (pid !== 0) {
        posix.fn('kill').call(pid, 9);
        posix.waitpid(pid, true);
      }
      this.#host = undefined;
      throw error;
    } finally {
      for (const path of Object.values(paths)) posix.fn('unlink').call(path);
      posix.fn('rmdir').call(dir);
    }
  }

  bind(type: FunctionType & { name: string }, options?: BindOptions): BoundFunction {
    return this.#bound(type, null, options);
  }

  bindAddress(address: bigint, type: FunctionType, options?: BindOptions): BoundFunction {
    return this.#bound({ ...type, name: type.name ?? 'function pointer' }, address, options);
  }

  #bound(type: FunctionType & { name: string }, address: bigint | null, options: BindOptions | undefined): BoundFunction {
    if (options?.foreignThreadCallbacks) throw new Error('callbacks from a thread the library starts (threadsafe) are not available on an isolated library');
    const host = this.#ensure(type.name);
    const binding: Binding = { key: this.#nextKey++, type, address, host: address === null ? undefined : host };
    this.#bindIn(host, binding);
    this.#bindings.push(binding);
    const writes: number[] = [];
    type.params.forEach((param, index) => {
      if (param.type.kind === 'pointer' && !param.type.constTarget && param.type.to.kind !== 'function') writes.push(index);
    });
    return {
      call: (...args: unknown[]) => this.#callSync(binding, { name: type.name, args, writes }),
      callAsync: (args: readonly unknown[]) =>
        new Promise((resolve, reject) => {
          this.#queue.push({ name: type.name, args, writes, key: binding.key, binding, resolve, reject });
          this.#dispatch();
        }),
    };
  }

  #bindIn(host: Host, binding: Binding): void {
    const answer = this.#request(host, ['bind', binding.key, binding.type, binding.address], { name: binding.type.name, args: [], writes: [] });
    if (answer[0] === 'error') throw new Error(String(answer[1]));
    host.bound.add(binding.key);
  }

  /** The running host, or a new one (after a crash). */
  #ensure(name: string): Host {
    if (this.#closed) throw new Error(`${name}: library ${this.path} is closed`);
    return this.#host ?? this.start();
  }

  symbol(name: string): bigint {
    const host = this.#ensure('address');
    const answer = this.#request(host, ['symbol', name], { name: 'address', args: [], writes: [] });
    if (answer[0] === 'error') throw new Error(String(answer[1]));
    return answer[1] as bigint;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const host = this.#host;
    this.#host = undefined;
    for (const job of this.#queue.splice(0)) job.reject(new Error(`${job.name}: library ${this.path} was closed before the call ran`));
    const running = this.#running;
    this.#running = undefined;
    running?.reject(new Error(`${running.name}: library ${this.path} was closed during the call`));
    if (host) this.#end(host, true);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Kills (or reaps) the host and closes its pipes; how it ended. */
  #end(host: Host, kill: boolean): HostEnd {
    if (host.ended) return host.ended;
    const posix = this.#posix;
    if (kill) posix.fn('kill').call(host.pid, 9);
    let end: HostEnd = {};
    try {
      const status = posix.waitpid(host.pid, true);
      if (status) end = status.signal !== undefined ? { signal: signalName(status.signal) } : { code: status.code };
    } catch {
      // Reaped by someone else: the status is unknown.
    }
    for (const fd of [host.requests, host.sync, host.async]) posix.closeFd(fd);
    host.ended = end;
    if (this.#host === host) this.#host = undefined;
    return end;
  }

  /** The host ended during `frame`: reap it, fail the asynchronous call it was running too. */
  #crashed(host: Host, frame: Frame): Error {
    if (this.#closed) return new Error(`${frame.name}: library ${this.path} was closed during the call`);
    const end = this.#end(host, false);
    const running = this.#running;
    if (running && running !== frame) {
      this.#running = undefined;
      running.reject(new CrashedError(running.name, this.path, end));
      queueMicrotask(() => this.#dispatch());
    }
    return new CrashedError(frame.name, this.path, end);
  }

  #write(host: Host, message: unknown[], where: string): void {
    if (host.ended) throw new HostGone();
    const posix = this.#posix;
    const { POLLIN, POLLOUT, POLLHUP } = posix.flags;
    const bytes = this.#encoder.frame(message, where);
    let at = 0;
    while (at < bytes.length) {
      const n = posix.write(host.requests, bytes.subarray(at));
      if (n >= 0) {
        at += n;
        continue;
      }
      // The pipe is full: the host is busy, perhaps writing an asynchronous answer: take it.
      const [, syncEvents = 0, asyncEvents = 0] = posix.poll(
        [
          [host.requests, POLLOUT],
          [host.sync, 0],
          [host.async, POLLIN],
        ],
        -1,
      );
      if (asyncEvents & POLLIN) this.#drainAsync(host);
      if (syncEvents & POLLHUP) throw new HostGone();
    }
  }

  /** Reads what the asynchronous pipe holds now (non-blocking); false at end of file. */
  #drainAsync(host: Host): boolean {
    if (host.ended) return false;
    for (;;) {
      const n = this.#posix.read(host.async, host.asyncReader.space());
      if (n === 0) return false;
      if (n < 0) return true;
      host.asyncReader.filled(n);
    }
  }

  /** The next message on the synchronous pipe (blocking), draining the asynchronous one meanwhile. */
  #readSync(host: Host): unknown[] {
    const posix = this.#posix;
    for (;;) {
      if (host.ended) throw new HostGone();
      const ready = host.syncReader.next();
      if (ready) return ready.value as unknown[];
      if (this.#running) {
        const { POLLIN } = posix.flags;
        const [syncEvents = 0, asyncEvents = 0] = posix.poll(
          [
            [host.sync, POLLIN],
            [host.async, POLLIN],
          ],
          -1,
        );
        if (asyncEvents) this.#drainAsync(host);
        if (!syncEvents) continue;
      }
      const n = posix.read(host.sync, host.syncReader.space(host.syncReader.missing()));
      if (n === 0) throw new HostGone();
      if (n > 0) host.syncReader.filled(n);
    }
  }

  /** A request answered on the synchronous pipe, with the callbacks of `frame` answered meanwhile. */
  #request(host: Host, message: unknown[], frame: Frame): unknown[] {
    try {
      this.#write(host, message, frame.name);
      for (;;) {
        const answer = this.#readSync(host);
        if (answer[0] === 'callback') this.#answer(host, frame, answer);
        else return answer;
      }
    } catch (error) {
      if (error instanceof HostGone) throw this.#crashed(host, frame);
      throw error;
    }
  }

  #answer(host: Host, frame: Frame, message: unknown[]): void {
    const index = message[1] as number;
    const values = message[2] as unknown[];
    const fn = frame.args[index];
    let value: unknown;
    let failed = false;
    if (frame.thrown || typeof fn !== 'function') failed = true;
    else {
      try {
        value = (fn as (...a: unknown[]) => unknown)(...values);
      } catch (error) {
        frame.thrown = { error };
        failed = true;
      }
    }
    try {
      this.#write(host, ['answer', failed ? 0 : value, failed], `${frame.name}: callback argument ${index + 1}`);
    } catch (error) {
      if (error instanceof HostGone) throw error;
      frame.thrown ??= { error };
      this.#write(host, ['answer', 0, true], frame.name);
    }
  }

  #callSync(binding: Binding, frame: Frame): unknown {
    const host = this.#ensure(frame.name);
    this.#checkBinding(host, binding);
    const answer = this.#request(host, ['call', binding.key, false, frame.args], frame);
    return this.#settle(frame, answer);
  }

  #checkBinding(host: Host, binding: Binding): void {
    if (binding.address !== null && binding.host !== host)
      throw new Error(`${binding.type.name}: bound at an address of an isolated host that has ended; declare it again with an address of the new host`);
  }

  /** A call's answer as its result (writebacks done), or its error thrown. */
  #settle(frame: Frame, answer: unknown[]): unknown {
    if (frame.thrown) throw frame.thrown.error;
    if (answer[0] === 'error') throw new Error(String(answer[1]));
    for (const [index, bytes] of answer[2] as Array<[number, Uint8Array]>) {
      const target = frame.args[index];
      if (ArrayBuffer.isView(target)) new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes.subarray(0, target.byteLength));
      else if (target instanceof ArrayBuffer) new Uint8Array(target).set(bytes.subarray(0, target.byteLength));
    }
    return answer[1];
  }

  // Asynchronous calls: one at a time, in order.

  #dispatch(): void {
    if (this.#running || this.#closed) return;
    const job = this.#queue.shift();
    if (!job) return;
    let host: Host;
    try {
      host = this.#ensure(job.name);
      this.#checkBinding(host, job.binding);
      this.#running = job;
      this.#write(host, ['call', job.key, true, job.args], job.name);
    } catch (error) {
      this.#running = undefined;
      job.reject(error instanceof HostGone && this.#host ? this.#crashed(this.#host, job) : error);
      queueMicrotask(() => this.#dispatch());
      return;
    }
    void this.#pump(host, job);
  }

  /** Waits for the running asynchronous call's messages without blocking the event loop. */
  async #pump(host: Host, job: AsyncJob): Promise<void> {
    const { POLLIN } = this.#posix.flags;
    // Settle after the current task at the earliest, as the in-process engines do.
    await null;
    while (this.#running === job && this.#host === host) {
      const message = host.asyncReader.next();
      if (message) {
        const value = message.value as unknown[];
        try {
          if (value[0] === 'callback') {
            this.#answer(host, job, value);
            continue;
          }
          this.#running = undefined;
          job.resolve(this.#settle(job, value));
        } catch (error) {
          this.#running = undefined;
          job.reject(error instanceof HostGone ? this.#crashed(host, job) : error);
        }
        break;
      }
      if (!this.#drainAsync(host)) {
        this.#running = undefined;
        job.reject(this.#crashed(host, job));
        break;
      }
      if (host.asyncReader.missing() > 0) await this.#posix.pollAsync([[host.async, POLLIN]], 200);
    }
    this.#dispatch();
  }
}

/** Internal: the host's pipes closed under a read or write. */
class HostGone extends Error {}

function describe(end: { signal?: number | undefined; code?: number | undefined }): string {
  return end.signal !== undefined ? `killed by ${signalName(end.signal)}` : `exit code ${end.code}`;
}
