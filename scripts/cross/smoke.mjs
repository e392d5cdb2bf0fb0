// The cross smoke suite: plain JS (no tsx) so a foreign Node (arm64 under qemu, Windows under
// wine) runs it with only the compiled bindings (npm run build:ts -> dist/) and koffi.
//   node smoke.mjs --bindings <dist/bindings/index.js> --lib <artifact> --out <result.json>
// The raw functions and the panic probe come from unsafe.js beside index.js (the package's
// mylib-rust/unsafe).
// Writes { passed, failed, absent, results: [{ name, status, detail }] } to --out (wine cannot
// pipe node's stdout) and prints one line per check. Exit code 1 when a check failed.
//
// Add a check by adding a row to CHECKS: `needs(api)` returns false when the feature is not
// in these bindings yet; such a row is reported "absent", never as passed.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** @typedef {{ name: string, status: 'passed' | 'failed' | 'absent', detail: string }} Result */

/** @param {string} name */
function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? undefined : process.argv[i + 1];
  if (!value) throw new Error(`smoke: missing --${name}`);
  return value;
}

/**
 * @param {unknown} actual
 * @param {unknown} expected
 * @param {string} what
 */
function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

// Self-contained: test.mjs copies this file alone next to a foreign Node (qemu, wine).
/** @param {unknown} error */
const errorSummary = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
/** @param {unknown} error */
const errorMessage = (error) => (error instanceof Error ? error.message : String(error));

/**
 * @param {() => unknown} fn
 * @param {(error: unknown) => string | null} check what is wrong with the error, null when it is the expected one
 * @param {string} what
 */
function assertThrows(fn, check, what) {
  try {
    fn();
  } catch (error) {
    const problem = check(error);
    if (problem) throw new Error(`${what}: ${problem} (${errorSummary(error)})`);
    return;
  }
  throw new Error(`${what}: did not throw`);
}

/**
 * Adjacent equal bytes, computed in JS: the reference for the 1 MiB check.
 * @param {Uint8Array} bytes
 */
function countDoublesJs(bytes) {
  let n = 0;
  for (let i = 1; i < bytes.length; i++) if (bytes[i] === bytes[i - 1]) n++;
  return n;
}

/**
 * The smoke table. `lib` is open({ path }); `api` is the bindings module (default library = the
 * artifact); `probes` is unsafeAccess(lib) of unsafe.js (raw functions, debugPanic).
 * @type {Array<{ name: string, needs?: (context: { api: any, lib: any, probes: any }) => boolean, run: (context: { api: any, lib: any, probes: any }) => unknown }>}
 */
const CHECKS = [
  {
    name: 'abi version',
    run: ({ probes, api }) => assertEqual(probes.raw.mylib_abi_version(), api.ABI_VERSION, 'mylib_abi_version()'),
  },
  {
    name: 'getResult',
    run: ({ lib }) => {
      assertEqual(lib.getResult('Hello!'), 'Rust says: Hello!', "getResult('Hello!')");
      assertEqual(lib.getResult('a\0b é 😀'), 'Rust says: a\0b é 😀', 'getResult with NUL and multi-byte text');
    },
  },
  {
    name: 'countDoubles (string)',
    run: ({ lib }) => {
      assertEqual(lib.countDoubles('aabbb'), 3, "countDoubles('aabbb')");
      assertEqual(lib.countDoubles('éé😀😀'), 2, "countDoubles('éé😀😀')");
    },
  },
  {
    name: 'countDoubles (Buffer, 1 MiB)',
    run: ({ lib }) => {
      assertEqual(lib.countDoubles(Buffer.from('aabbb')), 3, "countDoubles(Buffer.from('aabbb'))");
      const big = Buffer.alloc(1 << 20);
      let seed = 12345;
      for (let i = 0; i < big.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        big[i] = 97 + ((seed >>> 16) % 4);
      }
      assertEqual(lib.countDoubles(big), countDoublesJs(big), 'countDoubles(1 MiB of 4 letters)');
    },
  },
  {
    name: 'error: wrong argument type -> TypeError',
    run: ({ lib }) =>
      assertThrows(
        () => lib.countDoubles(42),
        (e) => (e instanceof TypeError ? null : 'not a TypeError'),
        'countDoubles(42)',
      ),
  },
  {
    name: 'error: invalid UTF-8 -> status 3',
    run: ({ probes }) => {
      const out = new BigUint64Array(1);
      const err = Buffer.alloc(256);
      const status = probes.raw.mylib_count_doubles_utf8(Buffer.from([0x61, 0xff, 0xfe]), 3, out, err, err.length);
      assertEqual(status, 3, 'mylib_count_doubles_utf8(invalid UTF-8) status');
      const message = err.toString('utf8', 0, err.indexOf(0));
      if (!message.startsWith('mylib_count_doubles_utf8:')) throw new Error(`error message not filled: '${message}'`);
    },
  },
  {
    name: 'panic -> MylibError MYLIB_ERR_PANIC',
    run: ({ probes }) =>
      assertThrows(
        () => probes.debugPanic('x'),
        (e) =>
          e instanceof Error && e.name === 'MylibError' && 'code' in e && e.code === 'MYLIB_ERR_PANIC' && /panicked: x/.test(e.message)
            ? null
            : 'not a MylibError MYLIB_ERR_PANIC',
        "debugPanic('x')",
      ),
  },
  {
    // Handle: drafted against the documented WordCounter API; "absent" until the bindings export it.
    name: 'handle: WordCounter',
    needs: ({ api }) => typeof api.WordCounter === 'function',
    run: ({ api }) => {
      const counter = new api.WordCounter({ lowercase: true });
      try {
        counter.feed('the cat The dog ');
        counter.feed(Buffer.from('the end'));
        assertEqual(counter.top(1), [{ word: 'the', count: 3 }], 'WordCounter.top(1)');
      } finally {
        counter.close();
      }
      counter.close(); // idempotent
      assertThrows(
        () => counter.top(1),
        () => null,
        'WordCounter.top after close',
      );
    },
  },
  {
    // Callback: drafted against the documented closest(..., { onProgress }) API.
    name: 'callback: closest onProgress',
    needs: ({ api }) => typeof api.closest === 'function',
    run: ({ api }) => {
      const candidates = Array.from({ length: 20000 }, (_, i) => `word${i}`);
      candidates.push('kitten');
      let calls = 0;
      const result = api.closest('sitten', candidates, { limit: 1, onProgress: () => void calls++ });
      if (!JSON.stringify(result).includes('kitten')) throw new Error(`closest did not find 'kitten': ${JSON.stringify(result)}`);
      if (calls === 0) throw new Error('onProgress was never called');
    },
  },
];

const bindings = option('bindings');
const libPath = option('lib');
const outPath = option('out');
// The module-level API (default library) loads exactly this artifact too.
process.env.MYLIB_LIBRARY_PATH = libPath;
/** @type {Result[]} */
const results = [];
let api;
let lib;
let probes;
try {
  api = await import(pathToFileURL(bindings).href);
  const unsafe = await import(new URL('unsafe.js', pathToFileURL(bindings)).href);
  lib = api.open({ path: libPath });
  probes = unsafe.unsafeAccess(lib);
} catch (error) {
  results.push({ name: 'load', status: 'failed', detail: errorSummary(error) });
}
if (lib) {
  results.push({ name: 'load', status: 'passed', detail: `${process.platform}-${process.arch} node ${process.version}` });
  for (const check of CHECKS) {
    if (check.needs && !check.needs({ api, lib, probes })) {
      results.push({ name: check.name, status: 'absent', detail: 'not in these bindings yet' });
      continue;
    }
    try {
      await check.run({ api, lib, probes });
      results.push({ name: check.name, status: 'passed', detail: '' });
    } catch (error) {
      results.push({ name: check.name, status: 'failed', detail: errorMessage(error) });
    }
  }
  lib.unload();
}
const count = (/** @type {Result['status']} */ s) => results.filter((r) => r.status === s).length;
const summary = { passed: count('passed'), failed: count('failed'), absent: count('absent'), results };
writeFileSync(outPath, JSON.stringify(summary, null, 2));
for (const r of results) console.log(`${r.status.toUpperCase().padEnd(6)} ${r.name}${r.detail ? `: ${r.detail}` : ''}`);
process.exitCode = summary.failed ? 1 : 0;
