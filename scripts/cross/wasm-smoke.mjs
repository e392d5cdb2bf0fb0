// The wasm32-unknown-unknown smoke suite: instantiate the module in Node and call the kernels
// through its linear memory. Inputs, outputs and the err buffer are placed with the library's
// own mylib_bytes_alloc/mylib_bytes_free; size_t is 32-bit on wasm32, the count out-param
// is a u64. wasm32-unknown-unknown cannot unwind, so a panic traps: the panic check expects a
// WebAssembly.RuntimeError, not MYLIB_ERR_PANIC (the module must not be reused after a trap).
import { readFileSync } from 'node:fs';
import { errorMessage, errorSummary } from '../errors.mjs';
import { WebAssembly } from './webassembly.mjs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The exports the checks call. Pointers and size_t are 32-bit numbers on wasm32.
 * @typedef {object} Exports
 * @property {{ buffer: ArrayBuffer }} memory
 * @property {(len: number) => number} mylib_bytes_alloc
 * @property {(ptr: number, len: number) => void} mylib_bytes_free
 * @property {() => number} mylib_abi_version
 * @property {(input: number, len: number, out: number, cap: number, outLen: number, err: number, errCap: number) => number} mylib_get_result
 * @property {(input: number, len: number, out: number, err: number, errCap: number) => number} mylib_count_doubles_utf8
 * @property {(input: number, len: number, out: number, err: number, errCap: number) => number} mylib_count_doubles_bytes
 * @property {(message: number, len: number, err: number, errCap: number) => number} mylib_debug_panic
 */
/** @typedef {ReturnType<typeof instantiate>} Wasm */

/** @param {string} path */
function instantiate(path) {
  const module = new WebAssembly.Module(readFileSync(path));
  const instance = new WebAssembly.Instance(module, {});
  const x = /** @type {Exports} */ (instance.exports);
  const bytes = () => new Uint8Array(x.memory.buffer);
  /** @type {Array<[ptr: number, len: number]>} */
  const allocated = [];
  const alloc = (/** @type {number} */ len) => {
    const ptr = x.mylib_bytes_alloc(len);
    if (!ptr) throw new Error(`mylib_bytes_alloc(${len}) returned NULL`);
    allocated.push([ptr, len]);
    return ptr;
  };
  const put = (/** @type {Uint8Array} */ data) => {
    const ptr = alloc(Math.max(data.length, 1));
    bytes().set(data, ptr);
    return ptr;
  };
  const ERR_CAP = 256;
  const err = x.mylib_bytes_alloc(ERR_CAP); // kept for the instance's life, not in `allocated`
  if (!err) throw new Error('mylib_bytes_alloc(ERR_CAP) returned NULL');
  const message = () => {
    const view = bytes().subarray(err, err + ERR_CAP);
    return decoder.decode(view.subarray(0, Math.max(0, view.indexOf(0))));
  };
  const free = () => {
    for (const [ptr, len] of allocated.splice(0)) x.mylib_bytes_free(ptr, len);
  };
  return { x, bytes, alloc, put, err, ERR_CAP, message, free };
}

/**
 * @param {unknown} actual
 * @param {unknown} expected
 * @param {string} what
 */
function assertEqual(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/**
 * @param {Wasm} w
 * @param {string} text
 */
function getResult(w, text) {
  const input = encoder.encode(text);
  const inPtr = w.put(input);
  const cap = input.length + 64;
  const out = w.alloc(cap);
  // A MylibTextOut {len: usize, ascii: u32}: 8 bytes on wasm32; len comes first.
  const outLen = w.alloc(8);
  const status = w.x.mylib_get_result(inPtr, input.length, out, cap, outLen, w.err, w.ERR_CAP);
  if (status !== 0) throw new Error(`mylib_get_result status ${status}: ${w.message()}`);
  const len = new DataView(w.x.memory.buffer).getUint32(outLen, true);
  return decoder.decode(w.bytes().slice(out, out + len));
}

/**
 * @param {Wasm} w
 * @param {'mylib_count_doubles_utf8' | 'mylib_count_doubles_bytes'} fn
 * @param {Uint8Array} data
 */
function countDoubles(w, fn, data) {
  const ptr = w.put(data);
  const out = w.alloc(8);
  const status = w.x[fn](ptr, data.length, out, w.err, w.ERR_CAP);
  return { status, count: Number(new DataView(w.x.memory.buffer).getBigUint64(out, true)), message: w.message() };
}

/** @type {Array<{ name: string, last?: boolean, run: (w: Wasm, abi: number) => void }>} */
const CHECKS = [
  { name: 'instantiate (no imports)', run: (w) => assertEqual(typeof w.x.memory, 'object', 'exported memory') },
  { name: 'abi version', run: (w, abi) => assertEqual(w.x.mylib_abi_version(), abi, 'mylib_abi_version()') },
  {
    name: 'get_result',
    run: (w) => {
      assertEqual(getResult(w, 'Hello!'), 'Rust says: Hello!', "get_result('Hello!')");
      assertEqual(getResult(w, 'a\0b é 😀'), 'Rust says: a\0b é 😀', 'get_result with NUL and multi-byte text');
    },
  },
  {
    name: 'count_doubles_utf8 / _bytes',
    run: (w) => {
      assertEqual(countDoubles(w, 'mylib_count_doubles_utf8', encoder.encode('aabbb')).count, 3, "utf8('aabbb')");
      assertEqual(countDoubles(w, 'mylib_count_doubles_utf8', encoder.encode('éé😀😀')).count, 2, "utf8('éé😀😀')");
      assertEqual(countDoubles(w, 'mylib_count_doubles_bytes', encoder.encode('aabbb')).count, 3, "bytes('aabbb')");
    },
  },
  {
    name: 'error: invalid UTF-8 -> status 3',
    run: (w) => {
      const r = countDoubles(w, 'mylib_count_doubles_utf8', new Uint8Array([0x61, 0xff, 0xfe]));
      assertEqual(r.status, 3, 'status');
      if (!r.message.startsWith('mylib_count_doubles_utf8:')) throw new Error(`err buffer not filled: '${r.message}'`);
    },
  },
  {
    name: 'bytes alloc/free round trip',
    run: (w) => {
      const before = w.x.memory.buffer.byteLength;
      for (let i = 0; i < 1000; i++) w.x.mylib_bytes_free(w.x.mylib_bytes_alloc(65536), 65536);
      const grown = w.x.memory.buffer.byteLength - before;
      if (grown > 1 << 20) throw new Error(`memory grew by ${grown} bytes over 1000 alloc/free pairs of 64 KiB`);
    },
  },
  {
    name: 'panic traps (RuntimeError; no unwinding on wasm32-unknown-unknown)',
    last: true,
    run: (w) => {
      const msg = w.put(encoder.encode('x'));
      try {
        w.x.mylib_debug_panic(msg, 1, w.err, w.ERR_CAP);
      } catch (error) {
        if (error instanceof WebAssembly.RuntimeError) return;
        throw new Error(`expected WebAssembly.RuntimeError, got ${errorSummary(error)}`);
      }
      throw new Error('mylib_debug_panic returned instead of trapping');
    },
  },
];

/**
 * Runs the table on the module at `path`. Returns [{ name, status, detail }].
 * @param {string} path
 * @param {number} abiVersion
 */
export function wasmSmoke(path, abiVersion) {
  /** @type {Array<{ name: string, status: 'passed' | 'failed', detail: string }>} */
  const results = [];
  let w;
  try {
    w = instantiate(path);
  } catch (error) {
    return [{ name: 'instantiate (no imports)', status: 'failed', detail: errorSummary(error) }];
  }
  for (const check of CHECKS) {
    try {
      check.run(w, abiVersion);
      if (!check.last) w.free();
      results.push({ name: check.name, status: 'passed', detail: '' });
    } catch (error) {
      results.push({ name: check.name, status: 'failed', detail: errorMessage(error) });
    }
  }
  return results;
}
