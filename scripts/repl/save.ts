/**
 * `.save <file.ts>`: the session's declarations as a TypeScript module, the step from experiment
 * to code. The module holds a typed declaration table (in the shape of bindings/raw.ts:
 * LIBRARIES, TYPEDEFS, STRUCTS, OPAQUES, CALLBACKS, DECLARATIONS), an interface per library with
 * a TypeScript signature per function, and `load()` (koffi, no other import). It binds exactly
 * as the workbench did, including its one rule: a non-const `char *` result is a pointer
 * (caller-owned memory), a `const char *` result a JS string copy.
 */
import type { CType } from '../abi/types.ts';
import { type Prototype, koffiPrototype } from './cdecl.ts';
import type { Workbench } from './workbench.ts';

const NUMBER_TYPES = new Set(['int8_t', 'uint8_t', 'int16_t', 'uint16_t', 'int32_t', 'uint32_t', 'float', 'double', 'char', 'char16_t', 'char32_t', 'wchar_t']);
const WIDE_TYPES = new Set(['int64_t', 'uint64_t', 'size_t', 'intptr_t', 'uintptr_t', 'long', 'unsigned long', 'long long', 'unsigned long long']);

function tsType(type: CType, workbench: Workbench, position: 'param' | 'result', aliases: Map<string, string>): string {
  if (type.kind === 'named') {
    const name = aliases.get(type.name) ?? type.name;
    if (name === 'void') return 'void';
    if (name === 'bool') return 'boolean';
    if (NUMBER_TYPES.has(name)) return 'number';
    if (WIDE_TYPES.has(name)) return position === 'param' ? 'number | bigint' : 'number | bigint';
    const declared = workbench.types.find((t) => t.name === name);
    if (declared?.kind === 'struct') return `${name}Struct`;
    return 'unknown';
  }
  const to = type.to;
  if (to.kind === 'named' && to.name === 'char') {
    if (position === 'param') return 'string | Uint8Array | null';
    return to.isConst ? 'string | null' : 'bigint | null';
  }
  if (to.kind === 'named') {
    const declared = workbench.types.find((t) => t.name === to.name);
    if (declared?.kind === 'callback' && position === 'param') return `${to.name}Function | null`;
  }
  return position === 'param' ? 'bigint | ArrayBufferView | null' : 'bigint | null';
}

function signature(prototype: Prototype, workbench: Workbench, aliases: Map<string, string>): string {
  const params = prototype.params.map((p, i) => `${p.name && !RESERVED.has(p.name) ? p.name : `arg${i}`}: ${tsType(p.type, workbench, 'param', aliases)}`);
  if (prototype.variadic) params.push('...variadic: unknown[]');
  const result = tsType(prototype.result.type, workbench, 'result', aliases);
  return `(${params.join(', ')}) => ${result}`;
}

const RESERVED = new Set([
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'yield',
  'let',
  'static',
  'await',
]);

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : quote(name));

/** The module text; `generatedBy` names the command for the header comment. */
export function savedModule(workbench: Workbench, generatedBy: string): string {
  const aliases = new Map(workbench.types.flatMap((t) => (t.kind === 'typedef' ? [[t.name, t.target] as [string, string]] : [])));
  const libraries = [...workbench.libraries.values()];
  const out: string[] = [];
  out.push(
    `// ${generatedBy}. Declarations typed at the mylib REPL's prompt: check them against`,
    "// the library's header before relying on them; a wrong prototype can crash the process.",
    '//   import { load } from "./this-file.ts";  const libs = load();  libs.m.cos(0);  libs.close();',
    "import koffi from 'koffi';",
    '',
    '/** Library name -> what koffi.load opened in the session (override per library in load()). */',
    'export const LIBRARIES = {',
    ...libraries.map((l) => `  ${key(l.name)}: ${quote(l.resolved.load)},`),
    '} as const;',
    '',
    '/** C typedefs (koffi.alias), in declaration order. */',
    'export const TYPEDEFS = {',
    ...workbench.types.flatMap((t) => (t.kind === 'typedef' ? [`  ${key(t.name)}: ${quote(t.target)},`] : [])),
    '} as const satisfies Record<string, string>;',
    '',
    '/** Structs field by field (C types), like bindings/raw.ts STRUCTS. */',
    'export const STRUCTS = {',
    ...workbench.types.flatMap((t) =>
      t.kind === 'struct'
        ? [
            `  ${key(t.name)}: { ${Object.entries(t.fields)
              .map(([f, type]) => `${key(f)}: ${quote(type)}`)
              .join(', ')} },`,
          ]
        : [],
    ),
    '} as const satisfies Record<string, Record<string, string>>;',
    '',
    '/** Opaque types, only used behind pointers. */',
    `export const OPAQUES = [${workbench.types.flatMap((t) => (t.kind === 'opaque' ? [quote(t.name)] : [])).join(', ')}] as const;`,
    '',
    '/** Callback prototypes, used as `Name *` in DECLARATIONS. */',
    'export const CALLBACKS = {',
    ...workbench.types.flatMap((t) => (t.kind === 'callback' ? [`  ${key(t.name)}: ${quote(t.prototype)},`] : [])),
    '} as const satisfies Record<string, string>;',
    '',
    '/** The C prototype of every declared function, per library, as typed at the prompt. */',
    'export const DECLARATIONS = {',
    ...libraries.map(
      (l) =>
        `  ${key(l.name)}: {\n${[...l.functions.values()].map((d) => `    ${key(d.prototype.name)}: ${quote(koffiPrototype(d.prototype))},`).join('\n')}\n  },`,
    ),
    '} as const;',
    '',
  );
  for (const type of workbench.types) {
    if (type.kind === 'struct') {
      out.push(`export interface ${type.name}Struct {`);
      for (const [field, fieldType] of Object.entries(type.fields)) {
        const array = /\[(\d+)\]$/.exec(fieldType);
        const base = fieldType.replace(/\s*\[\d+\]$/, '');
        const parsed: CType = base.endsWith('*')
          ? {
              kind: 'pointer',
              to: { kind: 'named', name: base.replace(/^const\s+/, '').replace(/\s*\*+$/, ''), isConst: base.startsWith('const') },
              isConst: false,
            }
          : { kind: 'named', name: base, isConst: false };
        const ts = tsType(parsed, workbench, 'result', aliases);
        out.push(`  ${key(field)}: ${array ? (base === 'char' ? 'string' : `${ts.includes('|') ? `(${ts})` : ts}[]`) : ts};`);
      }
      out.push('}', '');
    }
    if (type.kind === 'callback') out.push(`export type ${type.name}Function = ${signature(type.parsed, workbench, aliases)};`, '');
  }
  for (const library of libraries) {
    out.push(`export interface ${interfaceName(library.name)} {`);
    for (const declared of library.functions.values())
      out.push(`  /** ${declared.prototype.source} */`, `  ${key(declared.prototype.name)}: ${signature(declared.prototype, workbench, aliases)};`);
    out.push('}', '');
  }
  out.push(
    'export interface Libraries {',
    ...libraries.map((l) => `  ${key(l.name)}: ${interfaceName(l.name)};`),
    '  /** Unloads every library; calls afterwards throw. */',
    '  close(): void;',
    '}',
    '',
    LOADER,
  );
  return `${out.join('\n')}\n`;
}

function interfaceName(name: string): string {
  return `${name.replace(/^[a-z]/, (c) => c.toUpperCase()).replace(/[^\w$]/g, '_')}Functions`;
}

const LOADER = `let typesDefined = false;

/** Registers the types once per process (koffi types are global; a name defined elsewhere is reused). */
function defineTypes(): void {
  if (typesDefined) return;
  const define = (name: string, make: () => unknown) => {
    try {
      make();
    } catch (error) {
      if (!/Duplicate type name/.test((error as Error).message)) throw error;
    }
  };
  for (const [name, target] of Object.entries(TYPEDEFS)) define(name, () => koffi.alias(name, target));
  for (const name of OPAQUES) define(name, () => koffi.opaque(name));
  for (const [name, fields] of Object.entries(STRUCTS)) define(name, () => koffi.struct(name, fields as Record<string, string>));
  for (const [name, prototype] of Object.entries(CALLBACKS)) define(name, () => koffi.proto(prototype as string));
  typesDefined = true;
}

/** A non-const \`char *\` result is caller-owned memory: bound as \`void *\` (a BigInt pointer), not copied. */
function bindingPrototype(prototype: string): string {
  return prototype.replace(/^\\s*(?:(?:struct|enum|union)\\s+)?char\\s*\\*(?!\\s*\\*)\\s*/, 'void *').replace(/\\b(?:struct|enum|union)\\s+/g, '');
}

/** Opens every library (paths override LIBRARIES) and binds its declarations. */
export function load(paths: Partial<Record<keyof typeof LIBRARIES, string>> = {}): Libraries {
  defineTypes();
  const handles: Array<ReturnType<typeof koffi.load>> = [];
  let closed = false;
  const result: Record<string, unknown> = {};
  try {
    for (const [name, table] of Object.entries(DECLARATIONS)) {
      const path = paths[name as keyof typeof LIBRARIES] ?? LIBRARIES[name as keyof typeof LIBRARIES];
      let handle: ReturnType<typeof koffi.load>;
      try {
        handle = koffi.load(path);
      } catch (error) {
        throw new Error(\`cannot load \${name} from \${path}: \${(error as Error).message}\`);
      }
      handles.push(handle);
      const functions: Record<string, unknown> = {};
      for (const [fn, prototype] of Object.entries(table as Record<string, string>)) {
        const bound = handle.func(bindingPrototype(prototype)) as (...args: unknown[]) => unknown;
        functions[fn] = (...args: unknown[]) => {
          if (closed) throw new Error(\`\${name}.\${fn}: the libraries are closed\`);
          return bound(...args);
        };
      }
      result[name] = functions;
    }
  } catch (error) {
    for (const handle of handles) handle.unload();
    throw error;
  }
  result.close = () => {
    if (closed) return;
    closed = true;
    for (const handle of handles) handle.unload();
  };
  return result as unknown as Libraries;
}`;
