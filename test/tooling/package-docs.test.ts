// What the published package says about itself: its own README (npm/README.md, shipped as the
// package's README.md) names every export of both entry points and links only absolutely (npmjs.com
// has no repository to resolve relative links against); the LICENSE is the MIT text; the size table
// of docs/packaging.md is the generated block, with one row per package.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as main from '../../bindings/index.ts';
import * as unsafe from '../../bindings/unsafe.ts';
// @ts-expect-error plain .mjs without types
import { PACKAGE_NAME, PACKAGE_README, PLATFORM_TARGETS, SIZES_BEGIN, SIZES_DOC, SIZES_END, readSizes } from '../../scripts/package/lib.mjs';
// @ts-expect-error plain .mjs without types
import { mergeSizes, sizesTable, withSizes } from '../../scripts/package/lib.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(PACKAGE_README, 'utf8');

/** The type-only exports of a source: `export type { A }`, `export { type B }`, `export interface C`, `export type D =`. */
function typeExports(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const names = new Set<string>();
  for (const m of source.matchAll(/^export type \{([^}]*)\}/gm)) for (const n of m[1]!.split(',')) if (n.trim()) names.add(n.trim());
  for (const m of source.matchAll(/^export \{([^}]*)\}/gm)) for (const n of m[1]!.matchAll(/\btype\s+(\w+)/g)) names.add(n[1]!);
  for (const m of source.matchAll(/^export (?:interface|type) (\w+)/gm)) names.add(m[1]!);
  return [...names].sort();
}

describe('the package README (npm/README.md)', () => {
  const entries = [
    { entry: PACKAGE_NAME, values: Object.keys(main), types: typeExports('bindings/index.ts') },
    { entry: `${PACKAGE_NAME}/unsafe`, values: Object.keys(unsafe), types: typeExports('bindings/unsafe.ts') },
  ];
  it.each(entries)('names every export of $entry', ({ values, types }) => {
    const missing = [...values, ...types].filter((name) => !new RegExp(`\\b${name}\\b`).test(readme));
    expect(missing, 'exports the package README does not mention').toEqual([]);
  });

  it('links only absolutely (npmjs.com resolves no relative link)', () => {
    const targets = [...readme.matchAll(/\]\(\s*<?([^)\s>]+)/g), ...readme.matchAll(/^\[[^\]]+\]:\s*<?(\S+?)>?$/gm)].map((m) => m[1]!);
    expect(targets.length).toBeGreaterThan(0);
    const relative = targets.filter((target) => !/^(https?:|mailto:|#)/.test(target));
    expect(relative).toEqual([]);
  });

  it('covers async, cancel, errors, loading by path, runtimes and platforms', () => {
    for (const heading of [
      '## Functions',
      '## Classes',
      '## Async calls and cancelling',
      '## Errors',
      '## Loading',
      '## Runtimes',
      '## Supported platforms',
      '## License',
    ]) {
      expect(readme).toContain(heading);
    }
    for (const p of PLATFORM_TARGETS as Array<{ name: string }>) expect(readme).toContain(`\`${p.name}\``);
  });
});

describe('LICENSE', () => {
  it('is the MIT license of the mylib-rust contributors, 2026, as package.json says', () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toContain('Copyright (c) 2026 mylib-rust contributors');
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).license).toBe('MIT');
  });
});

describe('the size table of docs/packaging.md', () => {
  it('is the generated block, with one row per package (npm run package writes it)', () => {
    const doc = readFileSync(SIZES_DOC, 'utf8');
    expect(doc).toContain(SIZES_BEGIN);
    expect(doc).toContain(SIZES_END);
    expect(
      readSizes(doc)
        .map((row: { name: string }) => row.name)
        .sort(),
    ).toEqual([PACKAGE_NAME, ...PLATFORM_TARGETS.map((p: { name: string }) => p.name)].sort());
    // No size typed by hand outside the block.
    const outside = doc.slice(0, doc.indexOf(SIZES_BEGIN)) + doc.slice(doc.indexOf(SIZES_END));
    expect(outside).not.toMatch(/^\| `mylib-rust[^|]*\| \d+ \|/m);
  });

  it('packing only some targets rewrites their rows and keeps the others as written', () => {
    const table = (rows: unknown[]) => withSizes(`${SIZES_BEGIN}\n${SIZES_END}`, sizesTable(rows));
    const documented = readSizes(
      table([
        { name: 'a', files: 3, packed: 2048, unpacked: 4096 },
        { name: 'b', files: 4, packed: 1024, unpacked: 3072 },
      ]),
    );
    const merged = mergeSizes(documented, [
      { name: 'b', files: 5, packed: 5120, unpacked: 6144 },
      { name: 'c', files: 1, packed: 1024, unpacked: 1024 },
    ]);
    expect(readSizes(table(merged))).toEqual([
      { name: 'a', files: 3, packed: 2, unpacked: 4 },
      { name: 'b', files: 5, packed: 5, unpacked: 6 },
      { name: 'c', files: 1, packed: 1, unpacked: 1 },
    ]);
  });
});
