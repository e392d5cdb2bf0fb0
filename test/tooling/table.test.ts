// scripts/table.mjs: the summary table the cross, package and runtimes scripts print.
import { describe, expect, it } from 'vitest';

const { table } = (await import(new URL('../../scripts/table.mjs', import.meta.url).href)) as {
  table(header: string[], rows: unknown[][], options?: { numbers?: boolean }): string;
};

describe('table', () => {
  it('pads columns, rules the header and trims trailing spaces', () => {
    expect(
      table(
        ['name', 'n'],
        [
          ['ab', 1],
          ['c', 22],
        ],
      ),
    ).toBe('name  n\n----  --\nab    1\nc     22');
  });

  it('right-aligns all but the first column with numbers: true', () => {
    expect(
      table(
        ['name', 'n'],
        [
          ['ab', 1],
          ['c', 22],
        ],
        { numbers: true },
      ),
    ).toBe('name   n\n----  --\nab     1\nc     22');
  });

  it('pads a short row instead of throwing', () => {
    expect(table(['a', 'b'], [['x']])).toBe('a  b\n-  -\nx');
  });
});
