// `.symbols` on every artifact format (ELF x64/arm64 gnu/musl, PE, Mach-O x64/arm64, wasm),
// driven through the REPL's stdin/stdout: each artifact must list exactly the exports the drift
// check knows (bindings/raw.ts DECLARATIONS keys), each as a function, with the right format and
// machine in the header.
//
// `npm test` runs the host's own artifact only (built by `npm run build` before vitest). The
// cross-built ones come from `npm run setup:cross && npm run build:cross` (about 10 minutes), which
// CI runs after `npm test`: `npm run test:repl-formats` (vitest --mode repl-formats) checks them
// all and FAILS on a missing artifact. No small fixture files stand in for them: the point is to
// read what the real toolchains write.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPlatform, libraryFileName } from '../../bindings/names.ts';
import { DECLARATIONS } from '../../bindings/raw.ts';
import { TARGETS } from '../../scripts/targets.ts';
import { ROOT } from '../../scripts/abi/index.ts';
import { Session } from './session.ts';

const ALL_FORMATS = process.env.MODE === 'repl-formats';
const HOST_FILE = libraryFileName(hostPlatform());
const EXPECTED = Object.keys(DECLARATIONS).sort();
const FORMAT_NAMES = { elf: 'ELF', pe: 'PE', macho: 'Mach-O', wasm: 'wasm' } as const;
const BUILD_HINT = 'build them with `npm run setup:cross && npm run build:cross` (about 10 minutes), then `npm run test:repl-formats`';

const cases = TARGETS.map((target) => ({ target, path: join(ROOT, 'artifacts', target.fileName), host: target.fileName === HOST_FILE }));
const skipped = ALL_FORMATS ? [] : cases.filter((c) => !c.host);
if (skipped.length > 0) {
  console.warn(
    `formats.test.ts: npm test checks .symbols on the host artifact (${HOST_FILE}) only; SKIPPED here: ` +
      `${skipped.map((c) => c.target.fileName).join(', ')}. They are checked by \`npm run test:repl-formats\` after \`npm run build:cross\`.`,
  );
}

describe('.symbols on the artifacts of every format', () => {
  let session: Session;

  beforeAll(async () => {
    session = new Session({ MYLIB_LIBRARY_PATH: join(ROOT, 'artifacts', HOST_FILE) });
    await session.waitFor(/mylib> $/, 0, 30_000);
  });
  afterAll(() => session?.child.kill());

  for (const { target, path, host } of cases) {
    const title = `${target.fileName} (${FORMAT_NAMES[target.format]} ${target.machine}) lists exactly DECLARATIONS' ${EXPECTED.length} exports, as functions`;
    const run = ALL_FORMATS || host ? it : it.skip;
    run(title, async () => {
      expect(existsSync(path), `${relative(ROOT, path)} is missing: ${host ? 'run `npm run build` first' : BUILD_HINT}`).toBe(true);
      const output = await session.send(`.symbols ${path} mylib_ --all`);
      const header = output.split('\n')[0] as string;
      expect(header).toContain(`${path} (${FORMAT_NAMES[target.format]} ${target.machine}`);
      const rows = [...output.matchAll(/^ {2}(function|data|other) +(\S+)/gm)].map((m) => ({ kind: m[1], name: (m[2] as string).replace(/@.*$/, '') }));
      const names = rows.map((r) => r.name).sort();
      const missing = EXPECTED.filter((n) => !names.includes(n));
      const extra = names.filter((n) => !EXPECTED.includes(n));
      expect(
        { missing, extra },
        `${target.fileName}: .symbols disagrees with bindings/raw.ts DECLARATIONS (a stale artifact? rebuild it: ${host ? 'npm run build' : 'npm run build:cross'})\n${output}`,
      ).toEqual({ missing: [], extra: [] });
      expect(
        rows.filter((r) => r.kind !== 'function'),
        output,
      ).toEqual([]);
    });
  }
});
