import { describe, expect, it } from 'vitest';
import { getResult } from '../bindings/index.ts';
import { median, rssGrowthPerRound } from './helpers.ts';

// Per round, a leak of one small native allocation per call (>= 32 bytes with malloc's header)
// would grow RSS by >= 15 MB at 5e5 calls, and >= 3 MB at 1e5 calls; the limits sit well below.
describe('no leaks in string marshalling', () => {
  it('getResult on 10 bytes: 5 rounds of 5e5 calls, median growth per round < 4 MB', async () => {
    const growth = await rssGrowthPerRound(() => {
      for (let i = 0; i < 500_000; i++) getResult('ten bytes!');
    });
    console.log(`RSS growth per round of 5e5 x 10 B (MB): ${growth.map((g) => g.toFixed(1)).join(', ')}`);
    expect(median(growth)).toBeLessThan(4);
  });

  it('getResult on 64 KiB: 5 rounds of 2e4 calls, median growth per round < 4 MB', async () => {
    const text = 'x'.repeat(64 * 1024);
    const growth = await rssGrowthPerRound(() => {
      for (let i = 0; i < 20_000; i++) getResult(text);
    });
    console.log(`RSS growth per round of 2e4 x 64 KiB (MB): ${growth.map((g) => g.toFixed(1)).join(', ')}`);
    expect(median(growth)).toBeLessThan(4);
  });
});
