/**
 * Internal: moving data across the boundary. Scratch memory for synchronous calls, per-call
 * buffers for async ones, private copies of async inputs, UTF-8 decoding and candidate packing.
 * Statuses become errors in errors.ts. Not public API.
 */
import { ERR_CAP, type MylibError, errorFrom } from './errors.ts';
import { LAYOUTS, type Pointer, type RawFunctions } from './raw.ts';

/** Scratch buffers at most this large are kept between calls; larger inputs get one-off buffers. */
const MAX_KEPT_SCRATCH = 4 << 20;

/** A growable byte buffer reused across synchronous calls (JS runs them one at a time). */
export class Scratch {
  #buffer: Buffer;
  constructor(initial: number) {
    this.#buffer = Buffer.allocUnsafe(initial);
  }
  get(size: number): Buffer {
    if (size <= this.#buffer.length) return this.#buffer;
    const grown = Buffer.allocUnsafe(Math.max(size, this.#buffer.length * 2));
    if (grown.length <= MAX_KEPT_SCRATCH) this.#buffer = grown;
    return grown;
  }
}

/**
 * Library-owned scratch memory for synchronous string calls, passed by address. Layout:
 * [MylibTextOut (16 bytes)][err ERR_CAP][input ... | half-page gap | output ...]. The gap keeps the output
 * 2 KiB off the input's page offset: a copy whose stores land just behind its loads at the same
 * offset within 4 KiB pages ("4K aliasing") ran 9x slower here.
 */
export class NativeScratch {
  static readonly ERR = 16;
  static readonly DATA = 16 + ERR_CAP;
  /** The owner's current functions: after unload() they throw instead of calling in. */
  readonly #raw: () => RawFunctions;
  #pointer: bigint | null = null;
  #capacity = 0;
  /** Base address; 0 when nothing is allocated. */
  address = 0;
  view: Buffer = Buffer.alloc(0);
  /** The view from DATA on, for TextEncoder.encodeInto (no subarray per call). */
  #input: Uint8Array = new Uint8Array(0);
  #words: Uint32Array = new Uint32Array(4);

  /** The engine's view of native memory. */
  readonly #viewOf: (pointer: Pointer, length: number) => ArrayBuffer;

  constructor(raw: () => RawFunctions, viewOf: (pointer: Pointer, length: number) => ArrayBuffer) {
    this.#raw = raw;
    this.#viewOf = viewOf;
  }

  /** Makes room for `inputBytes` in and `outputBytes` out; false when that would exceed the kept size. */
  reserve(inputBytes: number, outputBytes: number): boolean {
    const needed = NativeScratch.DATA + NativeScratch.outputOffset(inputBytes) + outputBytes;
    if (needed <= this.#capacity) return true;
    if (needed > MAX_KEPT_SCRATCH) return false;
    const capacity = Math.min(Math.max(needed, this.#capacity * 2, 64 * 1024), MAX_KEPT_SCRATCH);
    const raw = this.#raw();
    const pointer = raw.mylib_bytes_alloc(capacity);
    if (pointer === null || pointer === 0n) throw new Error(`mylib: mylib_bytes_alloc(${capacity}) failed`);
    if (pointer > BigInt(Number.MAX_SAFE_INTEGER - capacity)) {
      raw.mylib_bytes_free(pointer, capacity);
      return false;
    }
    this.release();
    this.#pointer = pointer;
    this.#capacity = capacity;
    this.address = Number(pointer);
    this.view = Buffer.from(this.#viewOf(pointer, capacity));
    this.#words = new Uint32Array(this.view.buffer, this.view.byteOffset, 4);
    this.#input = this.view.subarray(NativeScratch.DATA);
    return true;
  }

  /** Offset of the output region from DATA for an input of `inputBytes`. */
  static outputOffset(inputBytes: number): number {
    return Math.ceil(inputBytes / 4096) * 4096 + 2048;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** MylibTextOut.len at offset 0 (values below 2^53). */
  get out(): number {
    return this.#words[0]! + this.#words[1]! * 0x1_0000_0000;
  }

  /** MylibTextOut.ascii at offset 8. */
  get ascii(): boolean {
    return this.#words[2] === 1;
  }

  /**
   * Writes `text` as UTF-8 at DATA; returns the byte length. Short ASCII takes a JS loop; the
   * rest TextEncoder.encodeInto into a view kept from reserve(), cheaper than Buffer#write.
   */
  encode(text: string): number {
    const view = this.view;
    const at = NativeScratch.DATA;
    if (text.length <= 32) {
      let i = 0;
      for (; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        if (unit >= 0x80) break;
        view[at + i] = unit;
      }
      if (i === text.length) return i;
    }
    return utf8Encoder.encodeInto(text, this.#input).written;
  }

  error(status: number): MylibError {
    return errorFrom(status, this.view.subarray(NativeScratch.ERR, NativeScratch.ERR + ERR_CAP));
  }

  /** Frees the block (at unload). */
  release(): void {
    if (this.#pointer !== null) this.#raw().mylib_bytes_free(this.#pointer, this.#capacity);
    this.#pointer = null;
    this.#capacity = 0;
    this.address = 0;
    this.view = Buffer.alloc(0);
    this.#input = new Uint8Array(0);
    this.#words = new Uint32Array(4);
  }
}

const utf8Encoder = new TextEncoder();

/**
 * Buffer's own decoders, which `toString` calls after normalising its arguments (that
 * normalisation cost ~50-80 ns per call on Node 20, more than copying 10 bytes). They are not
 * documented, so each falls back to the public method when absent.
 */
type Decoders = { utf8Slice?(start: number, end: number): string; latin1Slice?(start: number, end: number): string };
const decoders = Buffer.prototype as Decoders;
const hasDecoders = typeof decoders.utf8Slice === 'function' && typeof decoders.latin1Slice === 'function';

export function decodeLatin1(buffer: Buffer, start: number, end: number): string {
  return hasDecoders ? (buffer as Decoders).latin1Slice!(start, end) : buffer.toString('latin1', start, end);
}

export function decodeUtf8(buffer: Buffer, start: number, end: number): string {
  return hasDecoders ? (buffer as Decoders).utf8Slice!(start, end) : buffer.toString('utf8', start, end);
}

/** Per-call buffers: shared ones for sync calls, fresh ones for async calls. */
export interface CallBuffers {
  err: Buffer;
  u64: BigUint64Array;
  u64b: BigUint64Array;
  /** A MylibTextOut. */
  text: BigUint64Array;
  /** A MylibStats. */
  stats: Float64Array;
}

/** Buffers for synchronous calls, kept by each Mylib. */
export function syncBuffers(): CallBuffers {
  return {
    err: Buffer.alloc(ERR_CAP),
    u64: new BigUint64Array(1),
    u64b: new BigUint64Array(1),
    text: new BigUint64Array(2),
    stats: new Float64Array(LAYOUTS.MylibStats.size / 8),
  };
}

export function freshBuffers(): CallBuffers {
  // Backed by ArrayBuffers (off the V8 heap), so a worker thread can write them safely.
  return {
    err: Buffer.alloc(ERR_CAP),
    u64: new BigUint64Array(new ArrayBuffer(8)),
    u64b: new BigUint64Array(new ArrayBuffer(8)),
    text: new BigUint64Array(new ArrayBuffer(16)),
    stats: new Float64Array(new ArrayBuffer(LAYOUTS.MylibStats.size)),
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads a MylibStats the library wrote into `memory` (field offsets from the table). */
export function readStats(memory: Float64Array): { count: number; mean: number; variance: number; min: number; max: number } {
  const members = LAYOUTS.MylibStats.members as Record<'count' | 'mean' | 'variance' | 'min' | 'max', { offset: number }>;
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  return {
    count: Number(view.getBigUint64(members.count.offset, LITTLE_ENDIAN)),
    mean: view.getFloat64(members.mean.offset, LITTLE_ENDIAN),
    variance: view.getFloat64(members.variance.offset, LITTLE_ENDIAN),
    min: view.getFloat64(members.min.offset, LITTLE_ENDIAN),
    max: view.getFloat64(members.max.offset, LITTLE_ENDIAN),
  };
}

/** UTF-8 candidates back to back plus count + 1 byte offsets, as mylib_closest expects. */
export interface Packed {
  bytes: Buffer;
  length: number;
  offsets: Uint32Array;
}

/** UTF-16 units joined into one string at a time by packCandidates (a young-generation string). */
export const PACK_CHUNK_UNITS = 16 * 1024;

/** `text` as UTF-8 in a Buffer of its own (for calls whose callbacks may re-enter the library), and its length. */
export function encodeOwned(text: string): [Buffer, number] {
  const bytes = Buffer.from(text);
  return [bytes, bytes.length];
}

/**
 * `candidates` as UTF-8 back to back in `allocate(bound)` (lone surrogates become U+FFFD, each
 * candidate on its own), with their byte offsets. `fn` names the caller in the size error.
 */
export function packCandidates(fn: string, candidates: readonly string[], allocate: (size: number) => Buffer): Packed {
  let units = 0;
  for (const candidate of candidates) units += candidate.length;
  // Each UTF-16 unit becomes at most 3 UTF-8 bytes.
  const buffer = allocate(units * 3);
  const offsets = new Uint32Array(candidates.length + 1);
  let length = 0;
  for (let start = 0; start < candidates.length; ) {
    // Joined a chunk at a time: one string of the whole list lands in V8's large-object space
    // on every call, which made packing 10,000 candidates take twice as long.
    let end = start;
    for (let chunkUnits = 0; end < candidates.length && chunkUnits < PACK_CHUNK_UNITS; end++) chunkUnits += candidates[end]!.length;
    const joined = candidates.slice(start, end).join('');
    const written = buffer.write(joined, length);
    if (written === joined.length) {
      // All ASCII: byte offsets equal UTF-16 offsets.
      for (let i = start; i < end; i++) {
        offsets[i] = length;
        length += candidates[i]!.length;
      }
    } else {
      // Encode one by one: joining can pair a lone high surrogate with the next candidate's low one.
      for (let i = start; i < end; i++) {
        offsets[i] = length;
        length += buffer.write(candidates[i]!, length);
      }
    }
    start = end;
  }
  offsets[candidates.length] = length;
  if (length > 0xffffffff) throw new RangeError(`${fn}: the candidates take ${length} bytes of UTF-8; the limit is 4 GiB`);
  return { bytes: buffer, length, offsets };
}

/**
 * Private copies of array inputs for calls that run on a worker thread. The caller's memory could
 * be detached (transfer), shrunk (resizable ArrayBuffer) or freed (GC after a transfer) while the
 * thread reads it; nobody else can reach a copy. Copies come from reused blocks: a fresh 1 MiB
 * allocation spent 150-500 us in page faults where copying into a reused block took ~20 us.
 */
export class CopyPool {
  static readonly MAX_BLOCK = 4 << 20;
  static readonly MAX_KEPT = 8;
  readonly #free: ArrayBuffer[] = [];

  copy<T extends Uint8Array | Float64Array>(input: T): T {
    const bytes = input.byteLength;
    let block: ArrayBuffer | undefined;
    const at = this.#free.findIndex((candidate) => candidate.byteLength >= bytes);
    if (at !== -1) [block] = this.#free.splice(at, 1);
    // allocUnsafeSlow: not zero-filled (every byte read is copied in), never a pooled slice.
    block ??= Buffer.allocUnsafeSlow(Math.max(bytes, 64 * 1024)).buffer as ArrayBuffer;
    const copy = (input instanceof Float64Array ? new Float64Array(block, 0, input.length) : new Uint8Array(block, 0, bytes)) as T;
    copy.set(input);
    return copy;
  }

  /** Returns a copy's block once the call that read it has settled. */
  release(copy: Uint8Array | Float64Array): void {
    const block = copy.buffer as ArrayBuffer;
    if (block.byteLength <= CopyPool.MAX_BLOCK && this.#free.length < CopyPool.MAX_KEPT) this.#free.push(block);
  }
}

/** The process-wide pool of async input copies. */
export const copies = new CopyPool();

/** Whether two typed arrays view overlapping bytes of the same buffer. */
export function sharesMemory(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
