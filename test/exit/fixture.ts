/**
 * Run in a child process by test/exit/exit.test.ts and scripts/runtimes/test.mjs: one way of
 * ending the process while async native calls are in flight (argument 1, one of WAYS), on the
 * engine MYLIB_FFI_ENGINE names (test/exit/ways.ts). Prints `EXIT-READY <engine>` once the calls
 * run; the parent asserts the exit code and how long the process took.
 */
import process from 'node:process';
import { levenshteinAsync, library } from '../../bindings/index.ts';
import { WAYS, type Way } from './ways.ts';

function letters(length: number, seed: number): string {
  let x = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += String.fromCharCode(97 + (x % 26));
  }
  return out;
}

const way = process.argv[2] as Way;
if (!(way in WAYS)) {
  console.error(`fixture: unknown way ${String(way)} (known: ${Object.keys(WAYS).join(', ')})`);
  process.exit(2);
}
const ready = () => {
  console.log(`EXIT-READY ${String((library() as unknown as { engine?: unknown }).engine)}`);
  // Registered while the calls run: it must still run, once, with the code.
  process.on('exit', (code) => console.log(`EXIT-LISTENER ${code}`));
};
// 600k x 600k: about 20 s of native work here; progress about every 0.3 s.
const long = () => levenshteinAsync(letters(600_000, 1), letters(600_000, 2));
const withProgress = (onProgress: () => void) => levenshteinAsync(letters(600_000, 3), letters(600_000, 4), { onProgress });

switch (way) {
  case 'in-progress': {
    let calls = 0;
    void withProgress(() => {
      if (++calls === 1) ready();
      if (calls === 2) process.exit(WAYS[way]);
    });
    break;
  }
  case 'timer-during-progress': {
    let calls = 0;
    for (let i = 0; i < 2; i++) {
      void withProgress(() => {
        if (++calls === 1) {
          ready();
          setTimeout(() => process.exit(WAYS[way]), 50);
        }
      });
    }
    break;
  }
  case 'long-call':
  case 'exit-code':
    void long();
    ready();
    setTimeout(() => {
      if (way === 'exit-code') {
        process.exitCode = WAYS[way];
        process.exit();
      } else process.exit(WAYS[way]);
    }, 300);
    break;
  case 'signal-handler':
    process.on('SIGTERM', () => process.exit(WAYS[way]));
    void long();
    ready();
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), 300);
    break;
  case 'natural':
    await levenshteinAsync(letters(20_000, 5), letters(20_000, 6), { onProgress: () => {} });
    ready();
    break;
}
