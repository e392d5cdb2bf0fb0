/**
 * The isolated host: the child program of `open(path, { isolate: true })` (isolate.ts starts it
 * with this runtime's executable and flags). It opens the library with the same engine and runs
 * the calls the parent sends, one at a time, so that a fault in the library ends this process
 * only: the parent sees its pipes close and reports the signal.
 *
 * Usage: isolate-host <requests fifo> <sync answers fifo> <async answers fifo> <parent pid>
 * <engine> <library>. The host opens the library and answers ['ready'] or ['error', message] on
 * the sync fifo. Then, on the requests fifo (isolate.ts writes them):
 *   ['bind', key, type, address|null]  -> ['ok'] | ['error', message]        (sync fifo)
 *   ['symbol', name]                   -> ['result', address] | ['error', message]
 *   ['call', key, async, args]         -> ['result', value, writebacks] | ['error', message]
 *                                         (sync fifo, or the async fifo for async calls), and
 *                                         before that ['callback', index, values] for each call of
 *                                         a callback argument, answered by ['answer', value, failed]
 * A request that arrives while a callback waits for its answer runs nested (the parent made a
 * call from inside a callback, or a synchronous call while an asynchronous one waits).
 * The host exits when the requests fifo closes (the parent closed the library or died) and when
 * its parent process is gone (checked every second while idle).
 */
import process from 'node:process';
import { type BoundFunction, type NativeLibrary, engineChoice, resolveEngine } from './engine.ts';
import { registerBunEngine } from './engines/bun.ts';
import { registerDenoEngine } from './engines/deno.ts';
import { registerKoffiEngine } from './engines/koffi.ts';
import { registerNodeEngine } from './engines/node.ts';
import { CALLBACK, Encoder, FrameReader } from './isolate-codec.ts';
import { Posix } from './isolate-io.ts';
import { type FunctionType, declaration, passing } from './types.ts';

registerKoffiEngine();
registerBunEngine();
registerDenoEngine();
registerNodeEngine();

const [requestsPath, syncPath, asyncPath, parentText, engineText, libraryPath] = process.argv.slice(-6);
if (!requestsPath || !syncPath || !asyncPath || !parentText || !engineText || !libraryPath) {
  console.error('isolate-host: usage: isolate-host <requests fifo> <sync fifo> <async fifo> <parent pid> <engine> <library> (started by mylib-rust/ffi)');
  process.exit(2);
}
const parentPid = Number(parentText);

interface HostFunction {
  bound: BoundFunction;
  type: FunctionType & { name: string };
  /** Parameters whose bytes go back to the parent after the call (non-const pointers). */
  writes: ReadonlySet<number>;
  /** Parameters that are data pointers: an address given for them is checked. */
  pointers: ReadonlySet<number>;
}

class Host {
  readonly #posix: Posix;
  readonly #library: NativeLibrary;
  readonly #requests: number;
  readonly #sync: number;
  readonly #async: number;
  readonly #reader = new FrameReader();
  readonly #encoder = new Encoder();
  readonly #functions = new Map<number, HostFunction>();
  readonly #maps: AddressMaps;

  constructor(posix: Posix, library: NativeLibrary, fds: { requests: number; sync: number; async: number }) {
    this.#posix = posix;
    this.#maps = new AddressMaps(posix);
    this.#library = library;
    this.#requests = fds.requests;
    this.#sync = fds.sync;
    this.#async = fds.async;
  }

  /** Serves requests until the requests fifo closes. */
  run(): never {
    for (;;) {
      const message = this.#next();
      if (message[0] !== 'answer') this.#serve(message);
    }
  }

  #send(fd: number, message: unknown[]): void {
    this.#posix.writeAll(fd, this.#encoder.frame(message, 'isolated host'));
  }

  /** The next request (blocking); exits when the parent is gone. */
  #next(): unknown[] {
    const { POLLIN } = this.#posix.flags;
    for (;;) {
      const ready = this.#reader.next();
      if (ready) return ready.value as unknown[];
      // Linux: the kernel ends this process with its parent (PR_SET_PDEATHSIG): read at once.
      // Elsewhere: wake up every second to check the parent.
      if (!deathSignal) {
        const [events = 0] = this.#posix.poll([[this.#requests, POLLIN]], 1000);
        if (events === 0) {
          if (Number(this.#posix.fn('getppid').call()) !== parentPid) process.exit(0);
          continue;
        }
      }
      const n = this.#posix.read(this.#requests, this.#reader.space(this.#reader.missing()));
      if (n === 0) process.exit(0);
      if (n > 0) this.#reader.filled(n);
    }
  }

  #serve(message: unknown[]): void {
    switch (message[0]) {
      case 'bind':
        this.#bind(message[1] as number, message[2] as FunctionType & { name: string }, message[3] as bigint | null);
        return;
      case 'symbol':
        try {
          this.#send(this.#sync, ['result', this.#library.symbol(message[1] as string)]);
        } catch (error) {
          this.#send(this.#sync, ['error', (error as Error).message]);
        }
        return;
      case 'call':
        this.#call(message[1] as number, message[2] as boolean, message[3] as unknown[]);
        return;
      case 'close':
        process.exit(0);
    }
  }

  #bind(key: number, type: FunctionType & { name: string }, address: bigint | null): void {
    try {
      const bound = address === null ? this.#library.bind(type) : this.#library.bindAddress(address, type);
      const writes = new Set<number>();
      const pointers = new Set<number>();
      type.params.forEach((param, index) => {
        const crossing = passing(param.type, 'param');
        if (crossing.as !== 'pointer') return;
        pointers.add(index);
        if (!(param.type.kind === 'pointer' && param.type.constTarget)) writes.add(index);
      });
      this.#functions.set(key, { bound, type, writes, pointers });
      this.#send(this.#sync, ['ok']);
    } catch (error) {
      this.#send(this.#sync, ['error', (error as Error).message]);
    }
  }

  #call(key: number, async: boolean, args: unknown[]): void {
    const channel = async ? this.#async : this.#sync;
    const fn = this.#functions.get(key);
    if (!fn) {
      this.#send(channel, ['error', `isolated host: no function of key ${key}`]);
      return;
    }
    const { type } = fn;
    try {
      for (let index = 0; index < args.length; index++) {
        const value = args[index];
        if (value === CALLBACK) args[index] = this.#callback(channel, index);
        else if (fn.pointers.has(index) && (typeof value === 'bigint' || typeof value === 'number') && value !== 0 && value !== 0n) {
          this.#maps.check(BigInt(value), type, index);
        }
      }
      const result = fn.bound.call(...args);
      const writebacks: Array<[number, Uint8Array]> = [];
      for (const index of fn.writes) {
        const value = args[index];
        if (value instanceof Uint8Array) writebacks.push([index, value]);
      }
      this.#send(channel, ['result', result, writebacks]);
    } catch (error) {
      this.#send(channel, ['error', error instanceof Error ? error.message : String(error)]);
    }
  }

  /** A JS function for a callback argument: each call asks the parent and waits for its answer. */
  #callback(channel: number, index: number): (...values: unknown[]) => unknown {
    return (...values: unknown[]) => {
      this.#send(channel, ['callback', index, values]);
      for (;;) {
        const message = this.#next();
        if (message[0] !== 'answer') {
          this.#serve(message);
          continue;
        }
        if (message[2] === true) throw new Error('the callback threw in the parent process');
        return message[1];
      }
    };
  }
}

/**
 * The mapped ranges of this process (Linux /proc/self/maps), to refuse an address that is not in
 * this process's memory (most likely one of the parent's) with an Error instead of a fault.
 * Re-read when an address is not in the ranges known; elsewhere nothing is checked.
 */
class AddressMaps {
  readonly #posix: Posix;
  #ranges: Array<[bigint, bigint]> | undefined;

  constructor(posix: Posix) {
    this.#posix = posix;
  }

  /** Read with the C library (Deno would ask for --allow-all to read /proc/self/maps). */
  #read(): Array<[bigint, bigint]> | undefined {
    if (process.platform !== 'linux') return undefined;
    const posix = this.#posix;
    const fd = posix.openFile('/proc/self/maps', posix.flags.O_RDONLY | posix.flags.O_CLOEXEC);
    const chunks: Uint8Array[] = [];
    try {
      for (;;) {
        const chunk = new Uint8Array(65536);
        const n = posix.read(fd, chunk);
        if (n <= 0) break;
        chunks.push(chunk.subarray(0, n));
      }
    } finally {
      posix.closeFd(fd);
    }
    const text = chunks.map((c) => new TextDecoder().decode(c)).join('');
    const ranges: Array<[bigint, bigint]> = [];
    for (const line of text.split('\n')) {
      const match = /^([0-9a-f]+)-([0-9a-f]+)/.exec(line);
      if (match) ranges.push([BigInt(`0x${match[1]}`), BigInt(`0x${match[2]}`)]);
    }
    return ranges;
  }

  #has(address: bigint): boolean {
    return (this.#ranges ?? []).some(([start, end]) => address >= start && address < end);
  }

  check(address: bigint, type: FunctionType & { name: string }, index: number): void {
    if (process.platform !== 'linux') return;
    if (this.#has(address)) return;
    this.#ranges = this.#read();
    if (this.#has(address)) return;
    const param = type.params[index];
    throw new Error(
      `${type.name}: argument ${index + 1}${param?.name ? ` ('${param.name}')` : ''} is the address 0x${address.toString(16)}, which is not in the isolated host's memory: ` +
        `a pointer into the calling process cannot cross (pass the bytes as a TypedArray; addresses the isolated library returned stay valid) (${declaration(type, type.name)})`,
    );
  }
}

/** Linux: PR_SET_PDEATHSIG set, so the kernel kills this process when its parent thread ends. */
let deathSignal = false;

function main(): never {
  const engine = resolveEngine(engineChoice(engineText, 'isolate-host: engine'));
  const posix = new Posix(engine);
  if (process.platform === 'linux') {
    const PR_SET_PDEATHSIG = 1;
    const SIGKILL = 9;
    deathSignal = Number(posix.fn('prctl').call(PR_SET_PDEATHSIG, SIGKILL)) === 0;
  }
  // The parent ended before the death signal was set: nobody is there to ask.
  if (Number(posix.fn('getppid').call()) !== parentPid) process.exit(0);
  const { O_RDONLY, O_WRONLY, O_CLOEXEC } = posix.flags;
  const requests = posix.openFile(requestsPath as string, O_RDONLY | O_CLOEXEC);
  const sync = posix.openFile(syncPath as string, O_WRONLY | O_CLOEXEC);
  const async = posix.openFile(asyncPath as string, O_WRONLY | O_CLOEXEC);
  const encoder = new Encoder();
  let library: NativeLibrary;
  try {
    library = engine.open(libraryPath as string);
  } catch (error) {
    posix.writeAll(sync, encoder.frame(['error', (error as Error).message], 'isolated host'));
    process.exit(0);
  }
  posix.writeAll(sync, encoder.frame(['ready'], 'isolated host'));
  return new Host(posix, library, { requests, sync, async }).run();
}

main();
