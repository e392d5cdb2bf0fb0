// Counts words in a file read as a stream, chunk by chunk, with the native WordCounter.
//   npm run example:words -- [file] [--top 10] [--lowercase]
// Without a file, generates a 50 MB text under .cache/ first.
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WordCounter } from '../bindings/index.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '10' }, lowercase: { type: 'boolean', default: false } },
});

async function generate(path: string, megabytes: number): Promise<void> {
  const words = ['Rust', 'node', 'koffi', 'bridge', 'café', 'naïve', 'über', '日本', 'the', 'a', 'of', 'and', 'to', 'in'];
  let state = 1;
  const out = createWriteStream(path);
  const target = megabytes * 1024 * 1024;
  let written = 0;
  while (written < target) {
    let line = '';
    while (line.length < 16_000) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      line += `${words[state % words.length]}${state % 7 === 0 ? ', ' : ' '}`;
    }
    line += '\n';
    written += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

let file = positionals[0];
if (!file) {
  const cache = fileURLToPath(new URL('../.cache/', import.meta.url));
  mkdirSync(cache, { recursive: true });
  file = `${cache}words-50mb.txt`;
  if (!existsSync(file)) {
    console.log(`generating ${file} (50 MB)...`);
    await generate(file, 50);
  }
}

const started = performance.now();
using counter = new WordCounter({ lowercase: values.lowercase });
for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) counter.feed(chunk as Buffer);
const top = counter.top(Number(values.top));
const seconds = (performance.now() - started) / 1000;
const megabytes = statSync(file).size / 1024 / 1024;
console.table(top);
console.log(`${megabytes.toFixed(1)} MB in ${seconds.toFixed(2)} s (${(megabytes / seconds).toFixed(0)} MB/s)`);
