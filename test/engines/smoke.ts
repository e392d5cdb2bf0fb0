/**
 * Smoke test of one engine through the PUBLIC typed API, compared with reference/*.ts.
 * Runs on Bun: `bun test/engines/smoke.ts` (engine bun:ffi by default, or MYLIB_FFI_ENGINE=koffi).
 * Exits non-zero on the first failure; prints one line per case.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import * as mylib from '../../bindings/index.ts';
import { assertLevenshteinAsyncStops } from './async-stops.ts';
import * as probes from '../../bindings/unsafe.ts';
import { liveObjects } from '../../bindings/_context.ts';
import { ABI_VERSION } from '../../bindings/names.ts';
import * as refLevenshtein from '../../reference/levenshtein.ts';
import * as refStats from '../../reference/stats.ts';
import * as refText from '../../reference/text.ts';
import { WordCounter as RefWordCounter } from '../../reference/words.ts';

const expectedEngine = process.env.MYLIB_FFI_ENGINE || 'bun:ffi';
const cases: Array<[string, () => unknown]> = [];
const test = (name: string, body: () => unknown) => cases.push([name, body]);

/** Deterministic letters (mulberry32). */
function letters(length: number, seed: number, alphabet = 'abcde'): string {
  let state = seed >>> 0;
  let text = '';
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    text += alphabet[Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * alphabet.length)];
  }
  return text;
}

const scratchDir = mkdtempSync(join(tmpdir(), 'mylib-engine-smoke-'));

function compileLibrary(source: string, name: string): string {
  const dir = scratchDir;
  const file = join(dir, `${name}.rs`);
  writeFileSync(file, source);
  const output = join(dir, `lib${name}.so`);
  execFileSync('rustc', ['--edition', '2024', '--crate-type', 'cdylib', '-O', '-o', output, file], { stdio: 'pipe' });
  return output;
}

/** Stats equal up to floating-point summation order (relative 1e-9). */
function assertStats(actual: mylib.Stats, expected: mylib.Stats): void {
  assert.equal(actual.count, expected.count);
  for (const key of ['mean', 'variance', 'min', 'max'] as const) {
    const [a, e] = [actual[key], expected[key]];
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), key);
    else assert.ok(Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)), `${key}: ${a} vs ${e}`);
  }
}

const candidates = Array.from({ length: 20_000 }, (_, i) => letters(3 + (i % 7), i + 1));

test('engine', () => {
  assert.equal(mylib.library().engine, expectedEngine);
});

test('add', () => {
  for (const [a, b] of [
    [20, 22],
    [-5, 3],
    [0x7fffffff, 1],
    [-0x80000000, -1],
  ] as const) {
    assert.equal(probes.add(a, b), (a + b) | 0);
  }
  assert.throws(() => probes.add(1.5, 1), RangeError);
});

test('getResult (address form, buffer fallback, Unicode, NUL)', () => {
  const inputs = ['', 'hello', '0123456789', 'h\u00e9llo w\u00f6rld', '\u{1F600} emoji', 'a\0b', 'x'.repeat(10_000), 'y'.repeat(5 << 20)];
  for (const input of inputs) assert.equal(mylib.getResult(input), refText.getResult(input));
  assert.equal(mylib.getResult('lone \ud800'), 'Rust says: lone \ufffd');
});

test('countDoubles (strings, bytes, offsets, empty)', () => {
  for (const input of ['', 'aabbb', '\u{1F600}\u{1F600}', letters(1000, 7)]) assert.equal(mylib.countDoubles(input), refText.countDoublesString(input));
  const bytes = Buffer.from('zzaaabbq');
  assert.equal(mylib.countDoubles(bytes.subarray(2)), refText.countDoublesBytes(bytes.subarray(2)));
  assert.equal(mylib.countDoubles(new Uint8Array(0)), 0);
});

test('levenshtein', () => {
  for (let i = 0; i < 50; i++) {
    const a = letters(i % 13, i * 2 + 1);
    const b = letters((i * 7) % 17, i * 2 + 2);
    assert.equal(mylib.levenshtein(a, b), refLevenshtein.levenshtein(a, b));
  }
  assert.equal(mylib.levenshtein('k\u00e4tzchen', 'katze'), refLevenshtein.levenshtein('k\u00e4tzchen', 'katze'));
});

test('closest (limit, maxDistance)', () => {
  const list = candidates.slice(0, 500);
  for (const options of [{}, { limit: 5 }, { maxDistance: 2 }, { limit: 0 }]) {
    assert.deepEqual(mylib.closest('abcde', list, options), refLevenshtein.closest('abcde', list, options));
  }
});

test('stats and histogram (struct out-param)', () => {
  const values = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100);
  values[10] = NaN;
  assertStats(mylib.stats(values), refStats.stats(values));
  assertStats(mylib.stats(new Float64Array(0)), refStats.stats(new Float64Array(0)));
  assertStats(mylib.stats(values.subarray(3, 50)), refStats.stats(values.subarray(3, 50)));
  const bins = new Uint32Array(10);
  const expected = refStats.histogram(values, new Uint32Array(10), -50, 50);
  assert.deepEqual(mylib.histogram(values, bins, { min: -50, max: 50 }), expected);
});

test('WordCounter (handles, library-owned result)', () => {
  const text = 'The cat and the hat. THE END, the end? caf\u00e9 caf\u00e9 \u4e2d\u6587 \u4e2d\u6587';
  for (const lowercase of [false, true]) {
    const counter = new mylib.WordCounter({ lowercase });
    const reference = new RefWordCounter({ lowercase });
    const bytes = Buffer.from(text);
    // Chunks split inside UTF-8 characters.
    for (let at = 0; at < bytes.length; at += 5) {
      counter.feed(bytes.subarray(at, at + 5));
      reference.feed(bytes.subarray(at, at + 5));
    }
    assert.deepEqual(counter.top(50), reference.top(50));
    assert.deepEqual(counter.top(0), []);
    counter.close();
    counter.close();
    assert.equal(counter.closed, true);
    assert.throws(() => counter.top(), /WordCounter.top: the WordCounter is closed/);
  }
});

test('FuzzyIndex (opaque handle)', () => {
  const list = candidates.slice(0, 300);
  const index = new mylib.FuzzyIndex(list);
  assert.equal(index.size, 300);
  assert.deepEqual(index.closest('abc', { limit: 10 }), refLevenshtein.closest('abc', list, { limit: 10 }));
  index.close();
  index.close();
  assert.throws(() => index.closest('abc'), /FuzzyIndex.closest: the FuzzyIndex is closed/);
});

test('progress callback: counts, cancel, throw, re-entrant call', () => {
  const calls: Array<[number, number]> = [];
  const all = mylib.closest('abc', candidates, { limit: 3, onProgress: (done, total) => void calls.push([done, total]) });
  assert.deepEqual(all, refLevenshtein.closest('abc', candidates, { limit: 3 }));
  assert.ok(calls.length >= 2);
  assert.deepEqual(calls.at(-1), [candidates.length, candidates.length]);
  assert.throws(() => mylib.closest('abc', candidates, { onProgress: () => false }), { code: 'MYLIB_ERR_CANCELLED' });
  const boom = new Error('boom');
  assert.throws(
    () =>
      mylib.closest('abc', candidates, {
        onProgress: () => {
          throw boom;
        },
      }),
    (error) => error === boom,
  );
  let inner = '';
  mylib.closest('abc', candidates.slice(0, 10), {
    onProgress: () => {
      inner = mylib.getResult('inside');
    },
  });
  assert.equal(inner, 'Rust says: inside');
  using index = new mylib.FuzzyIndex(candidates);
  assert.throws(() => index.closest('abc', { onProgress: () => false }), { code: 'MYLIB_ERR_CANCELLED' });
});

test('async calls (worker, main-thread progress, event loop turns, concurrency)', async () => {
  assert.equal(await mylib.countDoublesAsync('aabbb'), 3);
  assert.equal(await mylib.countDoublesAsync(new Uint8Array(0)), 0);
  assert.equal(await mylib.countDoublesAsync(Buffer.from('xxaaa').subarray(1)), 2);
  const values = Float64Array.from({ length: 10_000 }, (_, i) => i % 97);
  assertStats(await mylib.statsAsync(values), refStats.stats(values));

  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const threads: boolean[] = [];
  const big = candidates.concat(candidates, candidates, candidates, candidates);
  const found = await mylib.closestAsync('abcdeab', big, {
    limit: 5,
    onProgress: () => {
      threads.push(isMainThread);
      return true;
    },
  });
  clearInterval(timer);
  assert.deepEqual(found, refLevenshtein.closest('abcdeab', big, { limit: 5 }));
  assert.ok(threads.length >= 2 && threads.every(Boolean), 'progress runs on the main thread');
  assert.ok(ticks > 0, 'the event loop turned during the async call');

  // More calls than workers: they queue and all settle.
  const inputs = Array.from({ length: 40 }, (_, i) => letters(100 + i, i));
  const counts = await Promise.all(inputs.map((input) => mylib.countDoublesAsync(input)));
  assert.deepEqual(counts, inputs.map(refText.countDoublesString));

  using index = new mylib.FuzzyIndex(candidates);
  assert.deepEqual(await index.closestAsync('abc', { limit: 4 }), refLevenshtein.closest('abc', candidates, { limit: 4 }));
  await assert.rejects(index.closestAsync('abc', { onProgress: () => false }), { code: 'MYLIB_ERR_CANCELLED' });
});

test('AbortSignal (through the progress callback)', async () => {
  const big = Array.from({ length: 8 }, () => candidates).flat();
  const controller = new AbortController();
  const reason = new Error('stop');
  let seen = 0;
  const pending = mylib.closestAsync('abcdeabcde', big, {
    signal: controller.signal,
    onProgress: () => {
      if (++seen === 2) controller.abort(reason);
    },
  });
  await assert.rejects(pending, (error) => error === reason);
  assert.equal(seen, 2);
  const aborted = AbortSignal.abort(new Error('early'));
  await assert.rejects(mylib.closestAsync('abc', big, { signal: aborted }), /early/);
  // A signal alone (no onProgress) cancels too.
  const later = new AbortController();
  const running = mylib.closestAsync('abcdeabcde', big, { signal: later.signal });
  setTimeout(() => later.abort(new Error('timer')), 1);
  await assert.rejects(running, /timer/);
});

test('levenshteinAsync (main-thread progress, re-entrant call, cancel, throw, AbortSignal)', async () => {
  // 64 pattern blocks x 300k text code points: more than one progress step.
  const a = letters(4096, 91, 'ab');
  const b = letters(300_000, 92, 'ab');
  const calls: Array<[number, number]> = [];
  const threads: boolean[] = [];
  let inner = '';
  const distance = await mylib.levenshteinAsync(a, b, {
    onProgress: (done, total) => {
      calls.push([done, total]);
      threads.push(isMainThread);
      inner = mylib.getResult('inside');
    },
  });
  assert.equal(distance, mylib.levenshtein(a, b));
  assert.ok(calls.length >= 2, `progress ran ${calls.length} times`);
  assert.equal(calls.at(-1)?.[0], calls.at(-1)?.[1]);
  assert.ok(threads.every(Boolean), 'progress runs on the main thread');
  assert.equal(inner, 'Rust says: inside');
  await assertLevenshteinAsyncStops(a, b);
  await assert.rejects(mylib.levenshteinAsync(a, b, { signal: AbortSignal.abort(new Error('early')) }), /early/);
});

test('errors: panic, ABI mismatch, missing symbol', () => {
  assert.throws(
    () => probes.debugPanic('kaboom'),
    (error: unknown) => {
      assert.ok(error instanceof mylib.MylibError);
      assert.equal(error.code, 'MYLIB_ERR_PANIC');
      assert.match(error.message, /kaboom/);
      return true;
    },
  );
  const mismatch = compileLibrary('#[unsafe(no_mangle)]\npub extern "C" fn mylib_abi_version() -> u32 { 999 }\n', 'abi_mismatch');
  assert.throws(() => mylib.open({ path: mismatch, engine: expectedEngine as never }), /ABI version mismatch: the library has ABI version 999/);
  const missing = compileLibrary(`#[unsafe(no_mangle)]\npub extern "C" fn mylib_abi_version() -> u32 { ${ABI_VERSION} }\n`, 'missing_symbol');
  assert.throws(() => mylib.open({ path: missing, engine: expectedEngine as never }), /mylib_(?!abi_version)\w+/);
  assert.throws(() => mylib.open({ path: '/lib/x86_64-linux-gnu/libm.so.6', engine: expectedEngine as never }), /mylib_abi_version/);
});

test('unload: handles freed, calls refused, pending async call finishes first', async () => {
  const library = mylib.open({ engine: expectedEngine as never });
  assert.equal(library.engine, expectedEngine);
  const counter = new mylib.WordCounter({ library });
  counter.feed('a b a');
  const index = new mylib.FuzzyIndex(['abc'], { library });
  assert.equal(liveObjects(library), 2);
  const pending = library.levenshteinAsync('kitten', 'sitting');
  library.unload();
  library.unload();
  assert.equal(await pending, 3);
  assert.equal(liveObjects(library), 0);
  assert.equal(counter.closed, true);
  assert.equal(index.closed, true);
  assert.throws(() => probes.unsafeAccess(library).add(1, 2), /add was called after unload\(\)/);
  await assert.rejects(library.statsAsync(new Float64Array(1)), /after unload\(\)/);
});

let failed = 0;
for (const [name, body] of cases) {
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}\n${(error as Error).stack ?? error}`);
  }
}
rmSync(scratchDir, { recursive: true, force: true });
console.log(
  `${cases.length - failed}/${cases.length} passed (engine ${expectedEngine}, ${process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.version}`})`,
);
process.exitCode = failed ? 1 : 0;
