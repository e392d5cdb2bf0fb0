/**
 * The C header and its JSON twin are generated from the declaration table and the Rust docs
 * (scripts/abi/header.ts): `npm test` fails when the committed files are stale. The C and
 * Python clients themselves run in `npm run test:hosts` (they need cc, c++ and python3).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DECLARATIONS, CALLBACKS, CONSTANTS, OPAQUES, STATUS_NAMES, STRUCTS } from '../bindings/raw.ts';
import { CONSTANTS_FILE } from '../scripts/abi/constants.ts';
import { ABI_JSON, HEADER, ROOT, generate, staleFiles } from '../scripts/abi/header.ts';

describe('include/mylib.h', () => {
  it('is fresh (else: run `npm run gen` and commit)', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('holds every part of the table', () => {
    const header = readFileSync(join(ROOT, HEADER), 'utf8');
    for (const name of Object.keys(DECLARATIONS)) expect(header).toMatch(new RegExp(`[ *]${name}\\(`));
    for (const [code, name] of Object.entries(STATUS_NAMES)) expect(header).toContain(`#define ${name} ${code}\n`);
    for (const [name, value] of Object.entries(CONSTANTS)) expect(header).toContain(`#define ${name} ${value}\n`);
    for (const name of Object.keys(STRUCTS)) expect(header).toContain(`} ${name};`);
    for (const name of OPAQUES) expect(header).toContain(`typedef struct ${name} ${name};`);
    for (const prototype of Object.values(CALLBACKS)) expect(header).toContain(`typedef ${prototype};`);
    expect(header).toMatch(
      /^#ifndef MYLIB_H\n#define MYLIB_H\n\n#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern "C" \{/m,
    );
  });

  it('a stale file is reported with the line and how to regenerate', () => {
    const files = generate().map((file) =>
      file.path === HEADER ? { ...file, text: file.text.replace('#define MYLIB_ERR_PANIC 6', '#define MYLIB_ERR_PANIC 60') } : file,
    );
    const problems = staleFiles(ROOT, files);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^include\/mylib\.h is stale \(line \d+: committed "#define MYLIB_ERR_PANIC 6", generated "#define MYLIB_ERR_PANIC 60"\): run `npm run gen` and commit it$/,
    );
    expect(staleFiles(join(ROOT, 'no-such-folder'))).toEqual([
      `${HEADER} is missing: run \`npm run gen\` and commit it`,
      `${ABI_JSON} is missing: run \`npm run gen\` and commit it`,
      `${CONSTANTS_FILE} is missing: run \`npm run gen\` and commit it`,
    ]);
  });
});
