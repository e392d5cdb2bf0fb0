/**
 * Smoke test of one engine through the PUBLIC typed API (bindings/index.ts), compared with the
 * pure-TypeScript references. Written for the node:ffi engine; run it with koffi to compare:
 *
 *   MYLIB_FFI_ENGINE=node:ffi node --import tsx test/engines/node-ffi-smoke.ts   # Node >= 26.1
 *   MYLIB_FFI_ENGINE=koffi    node --import tsx test/engines/node-ffi-smoke.ts
 *
 * On a Node without node:ffi it checks that choosing the engine fails with a clear Error.
 * Needs the built library (npm run build) and rustc (two small fixture libraries).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import * as mylib from '../../bindings/index.ts';
import { assertLevenshteinAsyncStops } from './async-stops.ts';
import { ABI_VERSION, FuzzyIndex, MylibError, WordCounter, open } from '../../bindings/index.ts';
import * as probes from '../../bindings/unsafe.ts';
import * as refLevenshtein from '../../reference/levenshtein.ts';
import * as refStats from '../../reference/stats.ts';
import * as refText from '../../reference/text.ts';
import * as refWords from '../../reference/words.ts';
import { compileFixtureLibrary, randomLetters } from '../helpers.ts';

const engine = process.env.MYLIB_FFI_ENGINE || 'koffi';
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const checks: string[] = [];
/** Stats equal up to summation order (relative 1e-9). */
function assertStats(actual: mylib.Stats, expected: mylib.Stats): void {
  for (const key of ['count', 'mean', 'variance', 'min', 'max'] as const) {
    const [a, e] = [actual[key], expected[key]];
    assert.ok(Object.is(a, e) || Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)), `${key}: ${a} vs ${e}`);
  }
}
async function check(name: string, body: () => void | Promise<void>): Promise<void> {
  await body();
  checks.push(name);
}

if (engine === 'node:ffi' && (major < 26 || (major === 26 && minor < 1))) {
  assert.throws(() => open({ engine: 'node:ffi' }), {
    message: `mylib: engine node:ffi needs Node >= 26.1 (this is Node ${process.versions.node})`,
  });
  console.log(`node:ffi smoke: Node ${process.versions.node} refuses the engine with a clear error (ok)`);
  process.exit(0);
}

await check('engine', () => {
  assert.equal(mylib.library().engine, engine);
});

await check('add', () => {
  assert.equal(probes.add(20, 22), 42);
  assert.equal(probes.add(0x7fffffff, 1), -0x80000000);
  for (let i = 0; i < 1000; i++) assert.equal(probes.add(i, -2 * i), 0 - i || 0);
  assert.equal(probes.add(-0, -0), 0);
});

await check('getResult (address form and buffer path)', () => {
  // Short ASCII, UTF-8, U+0000, lone surrogate, empty, and 5 MB (beyond the kept scratch block).
  for (const text of ['', 'x', 'hello world', 'héllo wörld 🦀', 'a\0b', 'lone \ud800 high', 'y'.repeat(70_000), 'z'.repeat(5_000_000)]) {
    assert.equal(mylib.getResult(text), refText.getResult(text).toWellFormed());
  }
});

await check('buffers: countDoubles, levenshtein, stats, histogram', () => {
  const bytes = Buffer.from('xaabbbcccc');
  assert.equal(mylib.countDoubles(bytes), refText.countDoubles(bytes));
  // A view with a byteOffset: the engine must pass its first byte, not the buffer's.
  assert.equal(mylib.countDoubles(bytes.subarray(3, 6)), refText.countDoubles(bytes.subarray(3, 6)));
  assert.equal(mylib.countDoubles(new Uint8Array(0)), 0);
  for (const text of ['aabbb', '🦀🦀x', randomLetters(5000, 3, 'ab')]) assert.equal(mylib.countDoubles(text), refText.countDoubles(text));
  for (const [a, b] of [
    ['kitten', 'sitting'],
    ['', 'abc'],
    ['🦀a', 'a🦀'],
    [randomLetters(300, 1), randomLetters(280, 2)],
  ] as const) {
    assert.equal(mylib.levenshtein(a, b), refLevenshtein.levenshtein(a, b));
  }
  const values = new Float64Array([3, 1, NaN, 4, 1, 5, 9, 2, 6]);
  // MylibStats is written into a Float64Array (a struct out-param).
  assertStats(mylib.stats(values), refStats.stats(values));
  assertStats(mylib.stats(values.subarray(3)), refStats.stats(values.subarray(3)));
  assert.deepEqual(mylib.histogram(values, new Uint32Array(4), { min: 0, max: 10 }), refStats.histogram(values, new Uint32Array(4), 0, 10));
});

await check('errors: a Rust panic as MylibError', () => {
  assert.throws(
    () => probes.debugPanic('boom'),
    (error: unknown) => {
      assert.ok(error instanceof MylibError);
      assert.equal(error.code, 'MYLIB_ERR_PANIC');
      assert.match(error.message, /boom/);
      return true;
    },
  );
});

const list = Array.from({ length: 10_000 }, (_, i) => randomLetters(8 + (i % 5), i + 10));

await check('closest, callbacks, cancel', () => {
  for (const options of [{}, { limit: 5 }, { maxDistance: 6, limit: 20 }]) {
    assert.deepEqual(mylib.closest('query', list.slice(0, 500), options), refLevenshtein.closest('query', list.slice(0, 500), options));
  }
  const seen: Array<[number, number]> = [];
  const result = mylib.closest('query', list, { limit: 3, onProgress: (done, total) => void seen.push([done, total]) });
  assert.equal(result.length, 3);
  assert.ok(seen.length >= 3);
  assert.deepEqual(seen.at(-1), [10_000, 10_000]);
  let calls = 0;
  assert.throws(() => mylib.closest('query', list, { onProgress: () => ++calls < 2 }), { code: 'MYLIB_ERR_CANCELLED' });
  assert.equal(calls, 2);
  const boom = new Error('callback failed');
  assert.throws(
    () =>
      mylib.closest('query', list, {
        onProgress: () => {
          throw boom;
        },
      }),
    (error) => error === boom,
  );
  // Re-entrant: the callback calls into the library.
  let inner = 0;
  mylib.closest('query', list, {
    onProgress: () => {
      inner += probes.add(1, 0) + mylib.countDoubles('aa');
    },
  });
  assert.ok(inner >= 6);
});

await check('handles: FuzzyIndex, WordCounter (library-owned result)', () => {
  const index = new FuzzyIndex(list);
  assert.deepEqual(index.closest('query', { limit: 10 }), refLevenshtein.closest('query', list, { limit: 10 }));
  index.close();
  index.close();
  assert.throws(() => index.closest('query'), /FuzzyIndex.closest: the FuzzyIndex is closed/);

  const text = `The cat and the hat. THE END, the end? 🦀 crab crab Crab ${randomLetters(20_000, 7, 'ab c')}`;
  for (const lowercase of [false, true]) {
    using counter = new WordCounter({ lowercase });
    const reference = new refWords.WordCounter({ lowercase });
    const bytes = Buffer.from(text);
    // Chunks split UTF-8 characters anywhere.
    for (let at = 0; at < bytes.length; at += 777) {
      counter.feed(bytes.subarray(at, at + 777));
      reference.feed(bytes.subarray(at, at + 777));
    }
    assert.deepEqual(counter.top(25), reference.top(25));
  }
  const empty = new WordCounter();
  assert.deepEqual(empty.top(), []);
  empty.close();
  assert.throws(() => empty.top(), /WordCounter.top: the WordCounter is closed/);
});

await check('async calls (buffers off the main thread, progress on the main thread)', async () => {
  const texts = Array.from({ length: 40 }, (_, i) => randomLetters(1000 + i, i, 'aab'));
  const counts = await Promise.all(texts.map((text, i) => mylib.countDoublesAsync(i % 2 ? text : Buffer.from(text))));
  assert.deepEqual(
    counts,
    texts.map((text) => refText.countDoubles(text)),
  );
  const values = new Float64Array(100_000).map((_, i) => Math.sin(i));
  assertStats(await mylib.statsAsync(values), refStats.stats(values));

  let progressCalls = 0;
  let onMainThread = true;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const big = Array.from({ length: 200_000 }, (_, i) => randomLetters(12, i));
  const matches = await mylib.closestAsync('queryquery', big, {
    limit: 5,
    onProgress: () => {
      progressCalls++;
      onMainThread &&= isMainThread;
    },
  });
  clearInterval(timer);
  assert.deepEqual(matches, refLevenshtein.closest('queryquery', big, { limit: 5 }));
  assert.ok(progressCalls >= 3, `progress ran ${progressCalls} times`);
  assert.ok(onMainThread);
  assert.ok(ticks > 0, 'the event loop turned during the async call');

  const controller = new AbortController();
  const reason = new Error('stop');
  const pending = mylib.closestAsync('queryquery', big, { signal: controller.signal, onProgress: () => controller.abort(reason) });
  await assert.rejects(pending, (error) => error === reason);

  const boom = new Error('async callback failed');
  await assert.rejects(
    mylib.closestAsync('query', list, {
      onProgress: () => {
        throw boom;
      },
    }),
    (error) => error === boom,
  );

  const index = new FuzzyIndex(list);
  const [a, b] = await Promise.all([index.closestAsync('query', { limit: 4 }), index.closestAsync('other', { limit: 4 })]);
  assert.deepEqual(a, refLevenshtein.closest('query', list, { limit: 4 }));
  assert.deepEqual(b, refLevenshtein.closest('other', list, { limit: 4 }));
  index.close();
});

await check('levenshteinAsync (main-thread progress, re-entrant call, cancel, throw, AbortSignal)', async () => {
  // 64 pattern blocks x 300k text code points: more than one progress step.
  const a = randomLetters(4096, 91, 'ab');
  const b = randomLetters(300_000, 92, 'ab');
  const calls: Array<[number, number]> = [];
  let onMainThread = true;
  let inner = 0;
  const distance = await mylib.levenshteinAsync(a, b, {
    onProgress: (done, total) => {
      calls.push([done, total]);
      onMainThread &&= isMainThread;
      inner += probes.add(1, 0) + mylib.countDoubles('aa');
    },
  });
  assert.equal(distance, mylib.levenshtein(a, b));
  assert.ok(calls.length >= 2, `progress ran ${calls.length} times`);
  assert.equal(calls.at(-1)?.[0], calls.at(-1)?.[1]);
  assert.ok(onMainThread);
  assert.equal(inner, 2 * calls.length);
  await assertLevenshteinAsyncStops(a, b);
});

await check('unload (instances, in-flight async)', async () => {
  const library = open({ engine: engine as 'koffi' });
  assert.equal(library.engine, engine);
  assert.equal(library.getResult('x'), 'Rust says: x');
  const pending = library.statsAsync(new Float64Array([1, 2, 3]));
  library.unload();
  library.unload();
  // The call made before unload() still completes; the file is unmapped when it settles.
  assertStats(await pending, refStats.stats(new Float64Array([1, 2, 3])));
  assert.throws(() => library.getResult('x'), /getResult was called after unload\(\)/);
  assert.throws(() => probes.unsafeAccess(library).add(1, 2), /after unload\(\)/);
  await assert.rejects(library.countDoublesAsync('aa'), /after unload\(\)/);
  // Reopen after unload.
  const again = open();
  assert.equal(probes.unsafeAccess(again).add(1, 2), 3);
  again.unload();
});

await check('ABI handshake and missing symbols', () => {
  const mismatch = join(tmpdir(), `smoke-abi-${process.pid}.rs`);
  writeFileSync(mismatch, '#[unsafe(no_mangle)]\npub extern "C" fn mylib_abi_version() -> u32 { 999 }\n');
  assert.throws(() => open({ path: compileFixtureLibrary(mismatch, 'smoke_abi') }), {
    message: new RegExp(`ABI version mismatch: the library has ABI version 999, these bindings were written for ABI version ${ABI_VERSION}`),
  });
  const missing = join(tmpdir(), `smoke-missing-${process.pid}.rs`);
  writeFileSync(missing, `#[unsafe(no_mangle)]\npub extern "C" fn mylib_abi_version() -> u32 { ${ABI_VERSION} }\n`);
  // koffi: "Cannot find function 'mylib_add'"; node:ffi: "... undefined symbol: mylib_add".
  assert.throws(() => open({ path: compileFixtureLibrary(missing, 'smoke_missing') }), {
    message: /mylib_(?!abi_version)\w+/,
  });
});

console.log(`${engine} smoke on Node ${process.versions.node}: ${checks.length} checks passed (${checks.join('; ')})`);
