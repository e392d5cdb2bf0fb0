// The files of the throw-away consumer projects test-package.mjs installs the tarballs into.
// Each check script calls the installed package and writes its results as JSON to the file
// named by its first argument (wine cannot pipe a Windows node's stdout), or the error.

const body = (load) => `const out = process.argv[2];
const result = {};
try {
  const m = ${load};
  result.getResult = m.getResult('Hello from an installed package ✓');
  result.countDoubles = [m.countDoubles('aabbb'), m.countDoubles(Buffer.from('xxyyz'))];
  const counter = new m.WordCounter({ lowercase: true });
  counter.feed('The cat and the hat. ').feed(Buffer.from('THE END, the end'));
  result.top = counter.top(3);
  counter.close();
  result.path = m.library().path;
  result.abi = m.ABI_VERSION;
} catch (error) {
  result.error = { name: error?.name, message: String(error?.message ?? error), platformPackage: error?.platformPackage };
}
writeFileSync(out, JSON.stringify(result, null, 2));
process.exitCode = result.error ? 1 : 0;
`;

export const CONSUMER_FILES = {
  'check.mjs': `import { writeFileSync } from 'node:fs';\nimport * as mylib from 'mylib-rust';\n${body('mylib')}`,
  'check.cjs': `const { writeFileSync } = require('node:fs');\n${body("require('mylib-rust')")}`,
  // Type-checked against the installed .d.ts (tsc --noEmit): the types resolve through the exports map.
  'types.mts': `import { WordCounter, countDoubles, getResult, open, type Mylib } from 'mylib-rust';
const text: string = getResult('x');
const count: number = countDoubles(Buffer.from('aa')) + countDoubles('bb');
const top: Array<{ word: string; count: number }> = new WordCounter({ lowercase: true }).feed('a').top(1);
const lib: Mylib = open({ path: '/nowhere' });
// @ts-expect-error getResult takes a string
getResult(42);
// @ts-expect-error reference/ is test code, not exported
import('mylib-rust/reference/text');
export { count, lib, text, top };
`,
};

/** The expected WordCounter input, the same text as the check scripts feed. */
export const WORDS_INPUT = ['The cat and the hat. ', 'THE END, the end'];
export const GET_RESULT_INPUT = 'Hello from an installed package ✓';
/** @type {[string, string]} */
export const COUNT_INPUTS = ['aabbb', 'xxyyz'];
