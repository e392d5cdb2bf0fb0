/**
 * The wasm column: the same Rust kernels built for wasm32-unknown-unknown
 * (artifacts/mylib.wasm, from `npm run build:cross -- --target wasm`) and run by Node's
 * WebAssembly. Inputs are copied into linear memory (that copy is part of the cost: JS
 * memory is not visible to wasm), results are read back out. size_t and pointers are 32-bit.
 * Regions are allocated with the module's own mylib_bytes_alloc and reused between calls.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ABI_VERSION, LIB_NAME } from '../../bindings/names.ts';

const ERR_CAP = 256;
const NO_MAX_DISTANCE = 0xffffffff;

/** The slice of the WebAssembly API used here (tsconfig has no DOM lib, @types/node 20 no globals). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type Exports = Record<string, (...args: number[]) => number> & { memory: { buffer: ArrayBuffer } };

export interface WasmMatch {
  index: number;
  distance: number;
}

export interface WasmStats {
  count: number;
  mean: number;
  variance: number;
  min: number;
  max: number;
}

export const wasmPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'artifacts', `${LIB_NAME}.wasm`);

export type WasmLoad = { wasm: WasmMylib; path: string } | { wasm: undefined; reason: string };

/** Loads artifacts/mylib.wasm. Never throws: failure gives the reason. */
export function loadWasm(): WasmLoad {
  if (!existsSync(wasmPath)) {
    return {
      wasm: undefined,
      reason: `${wasmPath} is absent: build it with \`npm run build:cross -- --target wasm\` (needs the cross tooling of \`npm run setup:cross\`)`,
    };
  }
  try {
    const instance = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(readFileSync(wasmPath)), {});
    const wasm = new WasmMylib(instance.exports as unknown as Exports);
    const abi = wasm.abiVersion();
    if (abi !== ABI_VERSION) return { wasm: undefined, reason: `${wasmPath} has ABI version ${abi}, the bindings expect ${ABI_VERSION}: rebuild it` };
    return { wasm, path: wasmPath };
  } catch (error) {
    return { wasm: undefined, reason: `cannot instantiate ${wasmPath}: ${(error as Error).message}` };
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class WasmMylib {
  readonly #x: Exports;
  readonly #regions = new Map<string, { raw: number; ptr: number; size: number }>();
  readonly #err: number;
  readonly #slot: number; // 8-byte aligned scratch: u64 out-params, then a u32 slot at +8
  readonly #stats: number;

  constructor(x: Exports) {
    this.#x = x;
    this.#err = this.region('err', ERR_CAP);
    this.#slot = this.region('slot', 16);
    this.#stats = this.region('stats', 40);
  }

  /** A named region of at least `size` bytes, 8-byte aligned, reused between calls. */
  region(name: string, size: number): number {
    const existing = this.#regions.get(name);
    if (existing && existing.size >= size) return existing.ptr;
    if (existing) this.#x.mylib_bytes_free!(existing.raw, existing.size + 8);
    const grown = Math.max(size, (existing?.size ?? 0) * 2, 64);
    const raw = this.#x.mylib_bytes_alloc!(grown + 8);
    if (!raw) throw new Error(`wasm: mylib_bytes_alloc(${grown + 8}) returned NULL`);
    const ptr = (raw + 7) & ~7;
    this.#regions.set(name, { raw, ptr, size: grown });
    return ptr;
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.#x.memory.buffer);
  }

  #check(status: number, fn: string): void {
    if (status === 0) return;
    const view = this.bytes.subarray(this.#err, this.#err + ERR_CAP);
    throw new Error(`wasm ${fn}: status ${status}: ${decoder.decode(view.subarray(0, Math.max(0, view.indexOf(0))))}`);
  }

  #u64(): number {
    return Number(new DataView(this.#x.memory.buffer).getBigUint64(this.#slot, true));
  }

  #u32(at: number): number {
    return new DataView(this.#x.memory.buffer).getUint32(at, true);
  }

  /** Encodes `text` into region `name`; returns [ptr, byte length]. */
  #encode(name: string, text: string): [number, number] {
    const ptr = this.region(name, text.length * 3);
    return [ptr, encoder.encodeInto(text, this.bytes.subarray(ptr, ptr + text.length * 3)).written];
  }

  #copy(name: string, data: Uint8Array): number {
    const ptr = this.region(name, data.length);
    this.bytes.set(data, ptr);
    return ptr;
  }

  /** mylib_add when the module exports it (not yet: the call-overhead row shows it as absent). */
  get add(): ((a: number, b: number) => number) | undefined {
    const add = this.#x.mylib_add;
    return add ? (a, b) => add(a, b) : undefined;
  }

  abiVersion(): number {
    return this.#x.mylib_abi_version!();
  }

  getResult(text: string): string {
    const [input, length] = this.#encode('in', text);
    const cap = length + 64;
    const out = this.region('out', cap);
    this.#check(this.#x.mylib_get_result!(input, length, out, cap, this.#slot + 8, this.#err, ERR_CAP), 'mylib_get_result');
    return decoder.decode(this.bytes.subarray(out, out + this.#u32(this.#slot + 8)));
  }

  countDoublesString(text: string): number {
    const [input, length] = this.#encode('in', text);
    this.#check(this.#x.mylib_count_doubles_utf8!(input, length, this.#slot, this.#err, ERR_CAP), 'mylib_count_doubles_utf8');
    return this.#u64();
  }

  countDoublesBytes(data: Uint8Array): number {
    const input = this.#copy('in', data);
    this.#check(this.#x.mylib_count_doubles_bytes!(input, data.length, this.#slot, this.#err, ERR_CAP), 'mylib_count_doubles_bytes');
    return this.#u64();
  }

  levenshtein(a: string, b: string): number {
    const [pa, la] = this.#encode('in', a);
    const [pb, lb] = this.#encode('in2', b);
    this.#check(this.#x.mylib_levenshtein!(pa, la, pb, lb, this.#slot, 0, 0, this.#err, ERR_CAP), 'mylib_levenshtein');
    return this.#u64();
  }

  /** Packs candidates into linear memory: [bytes ptr, bytes length, offsets ptr]. */
  #pack(candidates: readonly string[]): [number, number, number] {
    const joined = candidates.join('');
    const [packed, length] = this.#encode('packed', joined);
    if (length !== joined.length) throw new Error('wasm column: the benchmark packs ASCII candidates only');
    const offsetsPtr = this.region('offsets', (candidates.length + 1) * 4);
    const offsets = new Uint32Array(this.#x.memory.buffer, offsetsPtr, candidates.length + 1);
    let at = 0;
    for (let i = 0; i < candidates.length; i++) {
      offsets[i] = at;
      at += candidates[i]!.length;
    }
    offsets[candidates.length] = at;
    return [packed, length, offsetsPtr];
  }

  #matches(out: number, count: number): WasmMatch[] {
    const view = new Uint32Array(this.#x.memory.buffer, out, count * 2);
    const result: WasmMatch[] = new Array(count);
    for (let i = 0; i < count; i++) result[i] = { index: view[2 * i]!, distance: view[2 * i + 1]! };
    return result;
  }

  /** One-shot closest: packs on every call, as the typed closest() does. */
  closest(query: string, candidates: readonly string[], limit: number): WasmMatch[] {
    const [packed, length, offsets] = this.#pack(candidates);
    const [q, ql] = this.#encode('in', query);
    const cap = Math.min(limit, candidates.length);
    const out = this.region('matches', cap * 8);
    const status = this.#x.mylib_closest!(
      q,
      ql,
      packed,
      length,
      offsets,
      candidates.length,
      NO_MAX_DISTANCE,
      1,
      out,
      cap,
      this.#slot + 8,
      0,
      0,
      this.#err,
      ERR_CAP,
    );
    this.#check(status, 'mylib_closest');
    return this.#matches(out, this.#u32(this.#slot + 8));
  }

  /** A packed index in wasm memory; returns its closest(query, limit) and a free(). */
  fuzzyIndex(candidates: readonly string[]): { closest(query: string, limit: number): WasmMatch[]; free(): void } {
    const [packed, length, offsets] = this.#pack(candidates);
    this.#check(this.#x.mylib_fuzzy_index_new!(packed, length, offsets, candidates.length, this.#slot + 8, this.#err, ERR_CAP), 'mylib_fuzzy_index_new');
    const index = this.#u32(this.#slot + 8);
    return {
      closest: (query, limit) => {
        const [q, ql] = this.#encode('in', query);
        const cap = Math.min(limit, candidates.length);
        const out = this.region('matches', cap * 8);
        const status = this.#x.mylib_fuzzy_index_closest!(index, q, ql, NO_MAX_DISTANCE, 1, out, cap, this.#slot + 8, 0, 0, this.#err, ERR_CAP);
        this.#check(status, 'mylib_fuzzy_index_closest');
        return this.#matches(out, this.#u32(this.#slot + 8));
      },
      free: () => this.#x.mylib_fuzzy_index_free!(index),
    };
  }

  stats(values: Float64Array): WasmStats {
    const ptr = this.region('doubles', values.length * 8);
    new Float64Array(this.#x.memory.buffer, ptr, values.length).set(values);
    this.#check(this.#x.mylib_stats!(ptr, values.length, this.#stats, this.#err, ERR_CAP), 'mylib_stats');
    const view = new DataView(this.#x.memory.buffer, this.#stats, 40);
    return {
      count: Number(view.getBigUint64(0, true)),
      mean: view.getFloat64(8, true),
      variance: view.getFloat64(16, true),
      min: view.getFloat64(24, true),
      max: view.getFloat64(32, true),
    };
  }

  /** A word counter in wasm memory: feed() copies each chunk in. */
  wordCounter(lowercase = false): { feed(chunk: Uint8Array): void; top(k: number): { word: string; count: number }[]; free(): void } {
    this.#check(this.#x.mylib_word_counter_new!(lowercase ? 1 : 0, this.#slot + 8, this.#err, ERR_CAP), 'mylib_word_counter_new');
    const counter = this.#u32(this.#slot + 8);
    return {
      feed: (chunk) => {
        const ptr = this.#copy('chunk', chunk);
        this.#check(this.#x.mylib_word_counter_feed!(counter, ptr, chunk.length, this.#err, ERR_CAP), 'mylib_word_counter_feed');
      },
      top: (k) => {
        this.#check(this.#x.mylib_word_counter_top!(counter, k, this.#slot, this.#slot + 8, this.#err, ERR_CAP), 'mylib_word_counter_top');
        const text = this.#u32(this.#slot);
        const length = this.#u32(this.#slot + 8);
        if (length === 0) return [];
        const decoded = decoder.decode(this.bytes.subarray(text, text + length));
        this.#x.mylib_bytes_free!(text, length);
        return decoded
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => {
            const tab = line.indexOf('\t');
            return { word: line.slice(0, tab), count: Number(line.slice(tab + 1)) };
          });
      },
      free: () => this.#x.mylib_word_counter_free!(counter),
    };
  }
}
