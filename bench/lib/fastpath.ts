/**
 * A candidate marshalling path for getResult, measured by `npm run bench:strings` to size a
 * change to bindings/library.ts (which the benchmarks do not own). Differences from the
 * typed layer's path:
 *   1. Scratch memory is allocated ONCE by the library (mylib_bytes_alloc) and viewed from JS
 *      (koffi.view), so a call passes plain addresses instead of Buffers/TypedArrays: koffi
 *      resolves a TypedArray argument's backing store on every call (~40-80 ns each here).
 *   2. The same symbol is declared a second time with `uintptr_t` for its pointer parameters;
 *      addresses below 2^53 (all user-space addresses on x64/arm64 Linux) pass as Numbers.
 *   3. Strings up to SHORT code units are encoded by a JS loop when ASCII: Node 20's
 *      Buffer#write costs ~100 ns of fixed overhead, more than the copy.
 *   4. The output region is placed so the copy inside Rust cannot hit 4K aliasing (below).
 *   5. ASCII results are decoded as Latin-1 (V8 copies the bytes into a one-byte string; no
 *      UTF-8 decoding). The input was ASCII exactly when its UTF-8 length equals its UTF-16
 *      length (every other code unit takes 2+ bytes), and "Rust says: " + ASCII is ASCII.
 * Correctness is checked like every column (result equal to the pure-TS one).
 */
import koffi from 'koffi';
import type { Mylib } from '../../bindings/index.ts';

const SHORT = 64;

/** Node's undocumented but long-standing Buffer method (what toString('latin1') calls). */
interface Latin1 {
  latin1Slice(start: number, end: number): string;
}
const ERR_CAP = 1024;
const INPUT_OFFSET = 8 + ERR_CAP;
/** (output + 11 - input) mod 4096 = 2048: see grow(). */
const ALIAS_GAP = 2048 - 11;

export function proposedGetResult(lib: Mylib): (text: string) => string {
  const raw = lib.raw;
  const handle = koffi.load(lib.path);
  const call = handle.func(
    'int32_t mylib_get_result(uintptr_t text, size_t text_len, uintptr_t out, size_t out_cap, uintptr_t out_len, uintptr_t err, size_t err_cap)',
  ) as (...args: number[]) => number;
  let cap = 0;
  let base = 0n;
  let view = Buffer.alloc(0);
  let lengths = new Uint32Array(2);
  let addr = { input: 0, output: 0, length: 0, err: 0 };
  let outOffset = 0;
  const grow = (textUnits: number) => {
    // [length u64 | err | input: 3 bytes per unit | pad | output: input + 64]
    const inputCap = Math.ceil((textUnits * 3) / 4096) * 4096;
    const needed = INPUT_OFFSET + inputCap + 4096 + ALIAS_GAP + textUnits * 3 + 64;
    if (needed <= cap) return;
    if (cap) raw.mylib_bytes_free(base, cap);
    cap = Math.max(needed, cap * 2, 16384);
    const pointer = raw.mylib_bytes_alloc(cap);
    if (pointer === null || pointer === 0n) throw new Error('mylib_bytes_alloc failed');
    if (pointer > BigInt(Number.MAX_SAFE_INTEGER) - BigInt(cap)) throw new Error('address above 2^53: use BigInt pointers');
    base = pointer;
    view = Buffer.from(koffi.view(pointer as unknown as object, cap) as ArrayBuffer);
    lengths = new Uint32Array(view.buffer, 0, 2);
    const at = Number(pointer);
    // Rust copies the input to output + 11. If (output + 11 - input) mod 4096 is small and
    // positive, the copy's loads alias its earlier stores (4K aliasing) and a 64 KiB copy
    // takes 27 us instead of 3 us here; place the output half a page away instead.
    outOffset = INPUT_OFFSET + Math.floor((cap - INPUT_OFFSET - ALIAS_GAP) / 2 / 4096) * 4096 + ALIAS_GAP;
    addr = { input: at + INPUT_OFFSET, output: at + outOffset, length: at, err: at + 8 };
  };
  grow(SHORT);
  const inputOffset = INPUT_OFFSET;
  return (text: string) => {
    grow(text.length);
    let length = -1;
    if (text.length <= SHORT) {
      length = text.length;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) {
          length = -1;
          break;
        }
        view[inputOffset + i] = c;
      }
    }
    if (length < 0) length = view.write(text, inputOffset);
    const outCap = cap - outOffset;
    const status = call(addr.input, length, addr.output, outCap, addr.length, addr.err, ERR_CAP);
    if (status !== 0) throw new Error(`mylib_get_result: status ${status}: ${view.toString('utf8', 8, view.indexOf(0, 8))}`);
    const outLength = lengths[0]!;
    if (length === text.length) return (view as unknown as Latin1).latin1Slice(outOffset, outOffset + outLength);
    return view.toString('utf8', outOffset, outOffset + outLength);
  };
}
