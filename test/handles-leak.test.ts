import { describe, expect, it } from 'vitest';
import { FuzzyIndex, WordCounter, library } from '../bindings/index.ts';
import { liveObjects } from '../bindings/_context.ts';
import { forceGc, median, rssGrowthPerRound } from './helpers.ts';

const MB = 1024 * 1024;

async function settle(gc: () => void): Promise<void> {
  // FinalizationRegistry callbacks run after GC, on later turns of the event loop.
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('native handles do not leak', () => {
  it('WordCounter create/feed/top/close: 5 rounds of 2e4 cycles, median growth per round < 4 MB', async () => {
    const chunk = Buffer.from('the quick brown fox jumps over the lazy dog ');
    const growth = await rssGrowthPerRound(() => {
      for (let i = 0; i < 20_000; i++) {
        const counter = new WordCounter();
        counter.feed(chunk).feed(chunk);
        counter.top(3);
        counter.close();
      }
    });
    console.log(`RSS growth per round of 2e4 WordCounter cycles (MB): ${growth.map((g) => g.toFixed(1)).join(', ')}`);
    expect(median(growth)).toBeLessThan(4);
    expect(liveObjects(library())).toBe(0);
  });

  it('1e5 handles dropped without close() are freed by the GC safety net', async () => {
    const gc = forceGc();
    const drop = () => {
      new WordCounter().feed('some words here to hold memory');
    };
    for (let i = 0; i < 30_000; i++) drop();
    await settle(gc);
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 100_000; i++) {
      drop();
      // V8 does not see native memory, so nothing prompts a GC while only small JS objects
      // are dropped; collect as a busy application would, and let the finalizers run.
      if (i % 10_000 === 0) await settle(gc);
    }
    await settle(gc);
    const growth = (process.memoryUsage().rss - before) / MB;
    const live = liveObjects(library());
    console.log(`RSS growth after 1e5 dropped WordCounters: ${growth.toFixed(1)} MB, still live: ${live}`);
    expect(growth).toBeLessThan(20);
    expect(live).toBeLessThan(1000);
  });

  it('dropped FuzzyIndex handles are freed too', async () => {
    const gc = forceGc();
    const list = Array.from({ length: 100 }, (_, i) => `candidate-${i}`);
    for (let i = 0; i < 2000; i++) new FuzzyIndex(list);
    await settle(gc);
    expect(liveObjects(library())).toBeLessThan(100);
  });
});
