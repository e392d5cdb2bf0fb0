/**
 * Internal: the POSIX calls an isolated library and its host talk through (isolate.ts,
 * isolate-host.ts), bound from the C library with the engine the library uses. Not public API.
 *
 * Both sides use named pipes (FIFOs) opened with the C library's open(): blocking descriptors a
 * synchronous call can wait on without an event loop, on Node, Bun and Deno alike (no runtime's
 * fs or child_process is involved, so Deno needs no --allow-run or --allow-write). The host is
 * started with posix_spawn, so no runtime reaps it behind our back: its exit status is read with
 * waitpid here, on the path that saw it die. The fifos live in a private directory made with
 * mkdtemp() and are unlinked once both ends are open.
 */
import type { BoundFunction, Engine } from './engine.ts';
import { parseFunction } from './grammar.ts';
import { resolveLibrary } from './names.ts';

/** open() flags and poll() events of this platform (Linux and macOS; the BSDs share macOS's). */
export interface Flags {
  readonly O_RDONLY: number;
  readonly O_WRONLY: number;
  readonly O_RDWR: number;
  readonly O_NONBLOCK: number;
  readonly O_CLOEXEC: number;
  readonly POLLIN: number;
  readonly POLLOUT: number;
  readonly POLLERR: number;
  readonly POLLHUP: number;
  readonly EAGAIN: number;
  readonly EINTR: number;
}

const LINUX: Flags = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_NONBLOCK: 0x800,
  O_CLOEXEC: 0x80000,
  POLLIN: 1,
  POLLOUT: 4,
  POLLERR: 8,
  POLLHUP: 16,
  EAGAIN: 11,
  EINTR: 4,
};
const DARWIN: Flags = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_NONBLOCK: 0x4,
  O_CLOEXEC: 0x1000000,
  POLLIN: 1,
  POLLOUT: 4,
  POLLERR: 8,
  POLLHUP: 16,
  EAGAIN: 35,
  EINTR: 4,
};

/** The flags of this platform, or an Error saying isolation is not available here. */
export function platformFlags(platform: string = process.platform): Flags {
  if (platform === 'linux') return LINUX;
  if (platform === 'darwin' || platform === 'freebsd' || platform === 'openbsd') return DARWIN;
  throw new Error(`isolated libraries need POSIX pipes and posix_spawn: not available on ${platform}`);
}

const PROTOTYPES = {
  open: 'int open(const char *path, int flags)',
  close: 'int close(int fd)',
  read: 'ssize_t read(int fd, void *buf, size_t count)',
  write: 'ssize_t write(int fd, const void *buf, size_t count)',
  poll: 'int poll(void *fds, unsigned long nfds, int timeout)',
  mkfifo: 'int mkfifo(const char *path, unsigned int mode)',
  unlink: 'int unlink(const char *path)',
  mkdtemp: 'char *mkdtemp(char *template)',
  rmdir: 'int rmdir(const char *path)',
  getppid: 'int getppid(void)',
  prctl: 'int prctl(int option, unsigned long value)',
  kill: 'int kill(int pid, int sig)',
  waitpid: 'int waitpid(int pid, void *status, int options)',
  posix_spawn: 'int posix_spawn(void *pid, const char *path, void *actions, void *attributes, void *argv, void *envp)',
  __errno_location: 'int *__errno_location(void)',
  __error: 'int *__error(void)',
} as const;

type Name = keyof typeof PROTOTYPES;

/** The C library's calls used here, each a BoundFunction of `engine`. */
export class Posix {
  readonly flags: Flags;
  readonly #engine: Engine;
  readonly #calls = new Map<Name, BoundFunction>();
  readonly #library;
  readonly #errno: () => bigint | null;

  constructor(engine: Engine) {
    this.flags = platformFlags();
    this.#engine = engine;
    this.#library = engine.open(resolveLibrary('c').load);
    const accessor = this.fn(process.platform === 'linux' ? '__errno_location' : '__error');
    this.#errno = () => accessor.call() as bigint | null;
  }

  fn(name: Name): BoundFunction {
    let bound = this.#calls.get(name);
    if (!bound) {
      bound = this.#library.bind(parseFunction(PROTOTYPES[name]));
      this.#calls.set(name, bound);
    }
    return bound;
  }

  /** errno of the last failed call on this thread. */
  errno(): number {
    const at = this.#errno();
    if (at === null) return 0;
    return new Int32Array(this.#engine.view(at, 4))[0] ?? 0;
  }

  /** A call that returns -1 on failure: its result, or an Error with errno (EINTR retried). */
  check(name: Name, ...args: unknown[]): number {
    for (;;) {
      const result = Number(this.fn(name).call(...args));
      if (result !== -1) return result;
      const errno = this.errno();
      if (errno === this.flags.EINTR) continue;
      throw Object.assign(new Error(`${name} failed (errno ${errno})`), { errno });
    }
  }

  openFile(path: string, flags: number): number {
    return this.check('open', path, flags);
  }

  closeFd(fd: number): void {
    this.fn('close').call(fd);
  }

  /** mkdtemp(): a new private directory `<prefix>XXXXXX` (no runtime permission involved). */
  makeTemporaryDirectory(prefix: string): string {
    const template = new TextEncoder().encode(`${prefix}XXXXXX\0`);
    if (this.fn('mkdtemp').call(template) === null) throw new Error(`mkdtemp ${prefix}XXXXXX failed (errno ${this.errno()})`);
    return new TextDecoder().decode(template.subarray(0, template.length - 1));
  }

  /** One read(): the bytes read (0 at end of file), or -1 for EAGAIN on a non-blocking descriptor. */
  read(fd: number, into: Uint8Array): number {
    for (;;) {
      const n = Number(this.fn('read').call(fd, into, into.length));
      if (n >= 0) return n;
      const errno = this.errno();
      if (errno === this.flags.EINTR) continue;
      if (errno === this.flags.EAGAIN) return -1;
      throw Object.assign(new Error(`read failed (errno ${errno})`), { errno });
    }
  }

  /** One write(): the bytes written, or -1 for EAGAIN on a non-blocking descriptor. */
  write(fd: number, bytes: Uint8Array): number {
    for (;;) {
      const n = Number(this.fn('write').call(fd, bytes, bytes.length));
      if (n >= 0) return n;
      const errno = this.errno();
      if (errno === this.flags.EINTR) continue;
      if (errno === this.flags.EAGAIN) return -1;
      throw Object.assign(new Error(`write failed (errno ${errno})`), { errno });
    }
  }

  /** Every byte of `bytes` to a blocking descriptor. */
  writeAll(fd: number, bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const n = this.write(fd, bytes.subarray(at));
      if (n < 0) throw new Error('write would block on a blocking descriptor');
      at += n;
    }
  }

  /**
   * poll(): waits up to `timeoutMs` (-1: no limit) for `events` on each descriptor; the returned
   * events per descriptor (0 for none).
   */
  poll(fds: ReadonlyArray<readonly [fd: number, events: number]>, timeoutMs: number): number[] {
    const table = pollTable(fds);
    for (;;) {
      const n = Number(this.fn('poll').call(table, fds.length, timeoutMs));
      if (n >= 0) break;
      const errno = this.errno();
      if (errno !== this.flags.EINTR) throw Object.assign(new Error(`poll failed (errno ${errno})`), { errno });
    }
    return fds.map((_, i) => new DataView(table.buffer).getInt16(i * 8 + 6, true));
  }

  /** poll() on another thread (the engine's async call), for waits that must not block the event loop. */
  async pollAsync(fds: ReadonlyArray<readonly [fd: number, events: number]>, timeoutMs: number): Promise<number[]> {
    const table = pollTable(fds);
    const n = Number(await this.fn('poll').callAsync([table, fds.length, timeoutMs]));
    if (n < 0) return fds.map(() => 0);
    return fds.map((_, i) => new DataView(table.buffer).getInt16(i * 8 + 6, true));
  }

  /** waitpid(): undefined while the process runs (`block` false), else how it ended. */
  waitpid(pid: number, block: boolean): { signal: number; code: undefined } | { code: number; signal: undefined } | undefined {
    const status = new Int32Array(1);
    const WNOHANG = 1;
    const reaped = this.check('waitpid', pid, status, block ? 0 : WNOHANG);
    if (reaped === 0) return undefined;
    const raw = status[0] ?? 0;
    const signal = raw & 0x7f;
    if (signal === 0) return { code: (raw >> 8) & 0xff, signal: undefined };
    return { signal, code: undefined };
  }

  /**
   * posix_spawn(path, argv, env): the new process's id. The child keeps this process's standard
   * descriptors (descriptors opened here with O_CLOEXEC stay behind).
   */
  spawn(path: string, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): number {
    const entries = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const { table: argTable, keep: argKeep } = this.#cStrings(argv);
    const { table: envTable, keep: envKeep } = this.#cStrings(entries);
    const pid = new Int32Array(1);
    const result = Number(this.fn('posix_spawn').call(pid, path, null, null, argTable, envTable));
    void argKeep;
    void envKeep;
    if (result !== 0) throw Object.assign(new Error(`posix_spawn ${path} failed (error ${result})`), { errno: result });
    return pid[0] ?? 0;
  }

  /** A NULL-terminated table of pointers to NUL-terminated strings; `keep` holds the strings. */
  #cStrings(strings: readonly string[]): { table: BigUint64Array; keep: Uint8Array } {
    const encoder = new TextEncoder();
    const parts = strings.map((s) => encoder.encode(`${s}\0`));
    const keep = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    const base = this.#engine.addressOf(keep);
    const table = new BigUint64Array(strings.length + 1);
    let at = 0;
    parts.forEach((part, i) => {
      keep.set(part, at);
      table[i] = base + BigInt(at);
      at += part.length;
    });
    return { table, keep };
  }
}

function pollTable(fds: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const table = new Uint8Array(fds.length * 8);
  const view = new DataView(table.buffer);
  fds.forEach(([fd, events], i) => {
    view.setInt32(i * 8, fd, true);
    view.setInt16(i * 8 + 4, events, true);
  });
  return table;
}
