// A busy loop for the loaded-machine benchmark cases (bench/lib/anchor.ts starts two and kills
// them): keeps one core busy until the process is killed.
let x = 0;
for (;;) x = (Math.imul(x, 1103515245) + 12345) | 0;
