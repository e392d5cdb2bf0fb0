import { describe, expect, it } from 'vitest';
import { histogram, stats } from '../bindings/index.ts';
import * as reference from '../reference/stats.ts';
import { seededRandom } from './helpers.ts';

function randomValues(length: number, seed: number, scale = 1000): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length }, () => (random() - 0.5) * scale);
}

function expectClose(actual: number, expected: number): void {
  if (Number.isNaN(expected)) expect(actual).toBeNaN();
  else if (!Number.isFinite(expected)) expect(actual).toBe(expected);
  else expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

const inputs: Array<[string, Float64Array]> = [
  ['empty', new Float64Array(0)],
  ['one value', new Float64Array([42])],
  ['small', new Float64Array([1, 2, 3, 4])],
  ['NaN skipped', new Float64Array([NaN, 1, NaN, 3])],
  ['only NaN', new Float64Array([NaN, NaN])],
  ['with Infinity', new Float64Array([1, Infinity, 3])],
  ['negative zero and denormals', new Float64Array([-0, 5e-324, -5e-324])],
  ['7 values (less than a vector)', randomValues(7, 1)],
  ['1e6 random values', randomValues(1_000_000, 2)],
  ['large offset (two-pass variance)', randomValues(10_000, 3).map((x) => x + 1e9)],
];

describe('stats (struct out-param, read in place)', () => {
  it.each(inputs)('%s', (_name, values) => {
    const actual = stats(values);
    const expected = reference.stats(values);
    expect(actual.count).toBe(expected.count);
    for (const key of ['mean', 'variance', 'min', 'max'] as const) expectClose(actual[key], expected[key]);
  });

  it('reads a subarray at its offset', () => {
    const values = new Float64Array([100, 1, 2, 3, 100]);
    expect(stats(values.subarray(1, 4))).toEqual({ count: 3, mean: 2, variance: 2 / 3, min: 1, max: 3 });
  });

  it('rejects what is not a Float64Array', () => {
    expect(() => stats([1, 2] as never)).toThrow(/^stats: argument 'values' must be a Float64Array, got an array$/);
    expect(() => stats(new Float32Array(2) as never)).toThrow(/got an instance of Float32Array/);
  });
});

describe('histogram (into a caller-provided Uint32Array)', () => {
  const values = randomValues(100_000, 4);
  it.each([
    ['4 bins over [0, 1]', new Float64Array([0, 0.24, 0.25, 0.5, 1, 1.5, -0.1, NaN]), 4, 0, 1],
    ['10 bins over the data range', values, 10, -500, 500],
    ['1 bin', values, 1, -100, 100],
    ['1000 bins', values, 1000, -250, 250],
  ] as Array<[string, Float64Array, number, number, number]>)('%s', (_name, data, binCount, min, max) => {
    const bins = new Uint32Array(binCount).fill(7);
    expect(histogram(data, bins, { min, max })).toBe(bins);
    expect([...bins]).toEqual([...reference.histogram(data, new Uint32Array(binCount), min, max)]);
  });

  it('defaults the range to the finite min and max of the values', () => {
    const data = new Float64Array([1, 2, 3, 4]);
    expect([...histogram(data, new Uint32Array(3))]).toEqual([1, 1, 2]);
  });

  const bad: Array<[string, () => unknown, RegExp, ErrorConstructor]> = [
    ['no bins', () => histogram(values, new Uint32Array(0), { min: 0, max: 1 }), /histogram: argument 'bins' must hold at least one bin/, RangeError],
    [
      'bins not a Uint32Array',
      () => histogram(values, new Int32Array(2) as never, { min: 0, max: 1 }),
      /histogram: argument 'bins' must be a Uint32Array/,
      TypeError,
    ],
    ['NaN min', () => histogram(values, new Uint32Array(2), { min: NaN, max: 1 }), /histogram: argument 'min' must be finite, got NaN/, RangeError],
    ['min > max', () => histogram(values, new Uint32Array(2), { min: 2, max: 1 }), /histogram: 'min' must be less than 'max'/, RangeError],
    ['Infinity max', () => histogram(values, new Uint32Array(2), { min: 0, max: Infinity }), /argument 'max' must be finite/, RangeError],
  ];
  it.each(bad)('rejects %s', (_name, call, message, type) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
