/** stats, statsAsync, histogram against the references. */
import assert from 'node:assert/strict';
import { histogram, stats, statsAsync } from '../../bindings/index.ts';
import * as ref from '../../reference/stats.ts';
import { each, group, random, test } from './harness.ts';

/** Equal within a few ulps (summation order may differ from the reference). */
function close(actual: number, expected: number, what: string): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${what}: ${actual} is not NaN`);
    return;
  }
  if (!Number.isFinite(expected)) {
    assert.equal(actual, expected, what);
    return;
  }
  const tolerance = 1e-12 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

function sameStats(actual: ref.Stats, expected: ref.Stats): void {
  assert.deepEqual(Object.keys(actual).sort(), ['count', 'max', 'mean', 'min', 'variance']);
  assert.equal(actual.count, expected.count);
  for (const key of ['mean', 'variance', 'min', 'max'] as const) close(actual[key], expected[key], key);
}

function randomValues(seed: number, length: number): Float64Array {
  const next = random(seed);
  return Float64Array.from({ length }, () => (next() - 0.3) * 1000);
}

const ARRAYS: Array<[string, Float64Array]> = [
  ['empty', new Float64Array(0)],
  ['one value', Float64Array.of(42)],
  ['with NaN', Float64Array.of(1, NaN, 3, NaN)],
  ['only NaN', Float64Array.of(NaN, NaN)],
  ['with infinities', Float64Array.of(-Infinity, 1, 2)],
  ['negative zero', Float64Array.of(-0, 0)],
  ['100 000 random', randomValues(6, 100_000)],
];

group('stats', () => {
  each(
    ARRAYS,
    ([name]) => name,
    ([, values]) => sameStats(stats(values), ref.stats(values)),
  );

  test('a view with an offset reads only its window', () => {
    const whole = Float64Array.of(1000, 1, 2, 3, -1000);
    sameStats(stats(whole.subarray(1, 4)), ref.stats(Float64Array.of(1, 2, 3)));
  });
});

group('statsAsync', () => {
  test('matches stats() on every array', async () => {
    for (const [name, values] of ARRAYS) {
      const actual = await statsAsync(values);
      try {
        sameStats(actual, ref.stats(values));
      } catch (error) {
        throw new Error(`${name}: ${(error as Error).message}`);
      }
    }
  });

  test('the input is copied at the call: overwriting it afterwards changes nothing', async () => {
    const values = Float64Array.of(1, 2, 3, 4);
    const pending = statsAsync(values);
    values.fill(100);
    sameStats(await pending, ref.stats(Float64Array.of(1, 2, 3, 4)));
  });
});

group('histogram', () => {
  test('explicit range against the reference; returns the bins it was given', () => {
    const values = randomValues(7, 10_000);
    const bins = new Uint32Array(17);
    assert.equal(histogram(values, bins, { min: -100, max: 400 }), bins);
    assert.deepEqual(bins, ref.histogram(values, new Uint32Array(17), -100, 400));
  });

  test('default range is the finite min and max; max lands in the last bin', () => {
    const values = Float64Array.of(0, 1, 2, 3, 4, NaN, 10);
    const bins = histogram(values, new Uint32Array(5));
    assert.deepEqual([...bins], [...ref.histogram(values, new Uint32Array(5), 0, 10)]);
    assert.equal(bins[4], 1);
  });

  test('overwrites earlier contents; values outside the range are not counted', () => {
    const bins = new Uint32Array([9, 9]);
    histogram(Float64Array.of(-5, 0, 0.5, 1, 7), bins, { min: 0, max: 1 });
    assert.deepEqual([...bins], [1, 2]);
  });

  test('no finite value: all bins zero', () => {
    assert.deepEqual([...histogram(Float64Array.of(NaN, Infinity), new Uint32Array([3, 3]))], [0, 0]);
  });

  test('all values equal: they land in the first bin', () => {
    assert.deepEqual([...histogram(Float64Array.of(5, 5, 5), new Uint32Array(3))], [3, 0, 0]);
  });

  test('bins as a view with an offset: only the view is written', () => {
    const all = new Uint32Array([77, 0, 0, 77]);
    histogram(Float64Array.of(0, 1), all.subarray(1, 3), { min: 0, max: 1 });
    assert.deepEqual([...all], [77, 1, 1, 77]);
  });
});
