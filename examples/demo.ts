// The original demo: load the library, call get_result and count_doubles.
import { randomInt } from 'node:crypto';
import { countDoubles, getResult, library } from '../bindings/index.ts';

const letters = 'abcdefghijklmnopqrstuvwxyz';
const text = Array.from({ length: 1_000_000 }, () => letters[randomInt(letters.length)]).join('');

console.log(getResult('Hello!'));
console.log(`count_doubles("aabbb") = ${countDoubles('aabbb')}`);
console.log(`count_doubles(1,000,000 random letters) = ${countDoubles(text)} (about 1,000,000 / 26 expected)`);
console.log(`loaded from ${library().path} (engine: ${library().engine})`);
