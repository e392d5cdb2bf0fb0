/** Internal to the object-file reader (object-file.ts): the wasm parser. */
import { type Draft, type ParseOptions, Problem, type Reader } from './_object-reader.ts';
import type { SymbolKind } from './object-file.ts';

const WASM_KINDS: Record<number, { kind: SymbolKind; detail?: string }> = {
  0: { kind: 'function' },
  1: { kind: 'other', detail: 'table' },
  2: { kind: 'other', detail: 'memory' },
  3: { kind: 'data', detail: 'global' },
  4: { kind: 'other', detail: 'tag' },
};

export function parseWasm(r: Reader, d: Draft, _options: ParseOptions): void {
  Object.assign(d, { machine: 'wasm32', machineCode: 0, bits: 32, byteOrder: 'LE', fileType: 0, sharedLibrary: false, exportSource: 'export section' });
  const version = r.view(0, 8, 'the wasm header').u32(4);
  if (version !== 1) throw new Problem(`wasm binary version ${version} (only 1 is known)`);
  const m = r.view(0, r.size, 'the module');
  d.imports = [];
  for (let at = 8; at < m.length; ) {
    r.spend(1, 'the sections');
    const id = m.u8(at, 'a section id');
    const [size, n] = m.uleb(at + 1, 'a section size');
    const s = m.sub(at + 1 + n, size, `section ${id}`);
    at += 1 + n + size;
    const name = (p: number, what: string): [string, number] => {
      const [length, l] = s.uleb(p, `${what} length`);
      return [s.utf8(p + l, length, what), p + l + length];
    };
    if (id === 2) {
      const [count, first] = s.uleb(0, 'the import count');
      let p = first;
      for (let i = 0; i < count; i++) {
        r.spend(1, 'the import section');
        const [module, afterModule] = name(p, 'an import module');
        const [field, afterField] = name(afterModule, 'an import name');
        const kind = s.u8(afterField, 'an import kind');
        p = afterField + 1;
        const limits = () => {
          const flags = s.u8(p, 'limits');
          p += 1 + s.uleb(p + 1, 'a minimum')[1];
          if (flags & 1) p += s.uleb(p, 'a maximum')[1];
        };
        if (kind === 0) p += s.uleb(p, 'a type index')[1];
        else if (kind === 1) {
          p++; // reftype
          limits();
        } else if (kind === 2) limits();
        else if (kind === 3)
          p += 2; // valtype, mutability
        else if (kind === 4) p += 1 + s.uleb(p + 1, 'a tag type')[1];
        else throw new Problem(`corrupt wasm: import ${module}.${field} has kind ${kind}`);
        if (!d.deps.includes(module)) d.deps.push(module);
        d.imports.push({ module, name: field });
      }
    } else if (id === 7) {
      const [count, first] = s.uleb(0, 'the export count');
      let p = first;
      for (let i = 0; i < count; i++) {
        r.spend(1, 'the export section');
        const [exported, afterName] = name(p, 'an export name');
        const kind = s.u8(afterName, 'an export kind');
        p = afterName + 1 + s.uleb(afterName + 1, 'an export index')[1];
        d.exports.push({ name: exported, ...(WASM_KINDS[kind] ?? { kind: 'other', detail: `kind ${kind}` }) });
      }
    }
  }
}
