/**
 * Native memory of an index, RSS-based: resident set growth of the process around one build,
 * after a forced GC, with the candidates packed beforehand (so no JS allocation falls inside the
 * measured span). Builds are kept alive until all are measured, then freed, so a later build
 * cannot simply reuse pages an earlier one returned to the allocator.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { median } from './measure.ts';

export interface IndexMemory {
  candidates: number;
  utf8Bytes: number;
  /** RSS growth per build, bytes. */
  builds: number[];
  medianBytes: number;
  /** The issue-14 limit: 2x the UTF-8 bytes + 16 B per candidate. */
  limitBytes: number;
  method: string;
}

let gcFn: (() => void) | undefined;

/** `gc()` whether or not Node was started with --expose-gc. */
export function forceGc(): void {
  if (!gcFn) {
    const global = (globalThis as { gc?: () => void }).gc;
    if (typeof global === 'function') gcFn = global;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

/** Median RSS growth over `count` builds of `build` (each returns a free function). */
export function measureIndexMemory(candidates: number, utf8Bytes: number, count: number, build: () => () => void): IndexMemory {
  const frees: (() => void)[] = [];
  const builds: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      forceGc();
      const before = process.memoryUsage.rss();
      frees.push(build());
      builds.push(process.memoryUsage.rss() - before);
    }
  } finally {
    for (const free of frees) free();
  }
  return {
    candidates,
    utf8Bytes,
    builds,
    medianBytes: median(builds),
    limitBytes: 2 * utf8Bytes + 16 * candidates,
    method: `RSS growth of the process around mylib_fuzzy_index_new (candidates packed beforehand, forced GC before each build), median of ${count} builds kept alive together`,
  };
}
