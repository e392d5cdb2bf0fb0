import { describe, expect, it } from 'vitest';
import { getResult } from '../bindings/index.ts';
import { forceGc } from './helpers.ts';

const MB = 1024 * 1024;

function rssGrowth(calls: number, text: string): number {
  const gc = forceGc();
  for (let i = 0; i < 1000; i++) getResult(text);
  gc();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < calls; i++) getResult(text);
  gc();
  return (process.memoryUsage().rss - before) / MB;
}

describe('no leaks in string marshalling', () => {
  it('1e6 getResult calls on 10 bytes grow RSS by less than 10 MB', () => {
    const growth = rssGrowth(1_000_000, 'ten bytes!');
    console.log(`RSS growth after 1e6 x 10 B: ${growth.toFixed(1)} MB`);
    expect(growth).toBeLessThan(10);
  });

  it('1e5 getResult calls on 64 KiB grow RSS by less than 10 MB', () => {
    const growth = rssGrowth(100_000, 'x'.repeat(64 * 1024));
    console.log(`RSS growth after 1e5 x 64 KiB: ${growth.toFixed(1)} MB`);
    expect(growth).toBeLessThan(10);
  });
});
