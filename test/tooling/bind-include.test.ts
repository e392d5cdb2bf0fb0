// The REPL's `.include`: a header's functions declared on an open library through lib.include(),
// its types joining the workbench (and `.save`, whose module declares them again).
import { afterAll, describe, expect, it } from 'vitest';
import { Scope, parseDeclarations } from '../../bindings/ffi/grammar.ts';
import { savedModule } from '../../bindings/repl/save.ts';
import { Workbench, WorkbenchError } from '../../bindings/repl/workbench.ts';

describe.runIf(process.platform === 'linux')('.include <header> on the REPL workbench', () => {
  const workbench = new Workbench({ bind() {}, taken: () => false, mylibPath: () => undefined });
  afterAll(() => workbench.dispose());

  it('declares the functions the library exports, with the figures', () => {
    workbench.open('z');
    const out = workbench.include('/usr/include/zlib.h -D Z_SOLO_NOT_SET=1');
    expect(out).toMatch(/^included \/usr\/include\/zlib.h into z:\n {2}read: \d+ declarations \(79 functions/);
    expect(out).toContain('bound: 79 functions; not exported by the library: 0');
    const z = workbench.libraries.get('z')?.namespace as Record<string, (...args: unknown[]) => unknown>;
    expect(Number(z.crc32?.(0, new TextEncoder().encode('abc'), 3))).toBe(0x352441c2);
    expect((z.constants as unknown as Record<string, unknown>).Z_OK).toBe(0);
  });

  it('.save writes them, and the TYPES block reads back', () => {
    const source = savedModule(workbench, 'test');
    expect(source).toContain("    crc32: lib.func('unsigned long crc32(unsigned long crc, const uint8_t *buf, uint32_t len)'),");
    const types = /export const TYPES = `\n([\s\S]*?)\n`;/.exec(source)?.[1] ?? '';
    expect(types).toContain('// .include');
    expect(() => parseDeclarations(types, new Scope())).not.toThrow();
  });

  it.each([
    ['', /usage: \.include/],
    ['z /no/such.h', /\.include \/no\/such.h: no header at \/no\/such.h/],
    ['nolib /usr/include/zlib.h', /no open library named 'nolib'/],
    ['z /usr/include/zlib.h -I', /-I needs a value/],
  ])('.include %s is an error line', (args, message) => {
    expect(() => workbench.include(args)).toThrow(WorkbenchError);
    expect(() => workbench.include(args)).toThrow(message);
  });
});
