/**
 * A header, read and bound by `lib.include()`, as the declarations of a module (emit.ts writes
 * it): every bound function as `lib.func('<prototype>')` in the expanded spelling (`struct tag`,
 * function pointers written out, no typedef names), so typed.ts derives its TypeScript type from
 * the text; TYPES with every record and enum those prototypes reach (dependencies first); the
 * header's typedefs; CONSTANTS; TypeScript types of the records and enums; doc comments from the
 * header.
 */
import type { Included } from '../ffi/library.ts';
import { type CType, type EnumType, type RecordType, declaration } from '../ffi/types.ts';
import type { ModuleConstant, ModuleFunction, ModuleSpec, ModuleType } from './emit.ts';

export interface HeaderModuleOptions {
  /** Only the functions, constants and types whose name matches. */
  only?: RegExp | undefined;
  /** The library as the module opens it. */
  library: { name: string; spec: string; file: string };
  /** The intro's first line (who wrote the module). */
  generatedBy: string;
}

/** How many declarations were read, skipped (by reason) and bound. */
export interface BindFigures {
  read: number;
  functions: number;
  bound: number;
  unexported: number;
  /** Declarations left out, by reason (`variadic`, `macro`...). */
  skipped: Record<string, number>;
  /** Pieces dropped from declarations that were read (attributes, `__extension__`). */
  dropped: Record<string, number>;
  constants: number;
  types: number;
}

const TS_RESERVED = new Set([
  'Libraries',
  'LibraryName',
  'string',
  'number',
  'boolean',
  'object',
  'symbol',
  'bigint',
  'any',
  'unknown',
  'never',
  'void',
  'undefined',
  'null',
]);

const anonymous = (record: RecordType) => record.name.startsWith('(anonymous');

/** The C text that declares, in an order the grammar reads, what the bound functions and the header's typedefs reach. */
class TypeText {
  readonly lines: string[] = [];
  readonly #done = new Set<CType>();

  /** Every record and enum `type` reaches, defined before it is needed by value. */
  need(type: CType): void {
    switch (type.kind) {
      case 'pointer':
        // A record behind a pointer keeps its fields (a pointer to a known struct takes an object).
        this.need(type.to);
        return;
      case 'array':
        this.need(type.of);
        return;
      case 'function':
        this.need(type.result);
        for (const p of type.params) this.need(p.type);
        return;
      case 'struct':
      case 'union':
        if (!anonymous(type)) this.record(type);
        else for (const f of type.fields ?? []) this.need(f.type);
        return;
      case 'enum':
        this.enumeration(type);
        return;
      default:
        return;
    }
  }

  record(record: RecordType): void {
    if (this.#done.has(record)) return;
    this.#done.add(record);
    if (record.fields === undefined) {
      this.lines.push(`${record.kind} ${record.name};`);
      return;
    }
    // Records by value first; behind pointers, the tag alone is enough until later.
    this.lines.push(`${record.kind} ${record.name};`);
    for (const f of record.fields) this.byValue(f.type);
    this.lines.push(`${record.kind} ${record.name} ${body(record)};`);
    for (const f of record.fields) this.need(f.type);
  }

  byValue(type: CType): void {
    if (type.kind === 'array') this.byValue(type.of);
    else if ((type.kind === 'struct' || type.kind === 'union') && !anonymous(type)) this.record(type);
    else if (type.kind === 'struct' || type.kind === 'union') for (const f of type.fields ?? []) this.byValue(f.type);
    else if (type.kind === 'enum') this.enumeration(type);
  }

  enumeration(type: EnumType): void {
    if (this.#done.has(type) || !type.name.startsWith('enum ')) return;
    this.#done.add(type);
    const values = Object.entries(type.values).map(([k, v]) => `${k} = ${v}`);
    this.lines.push(`${type.name} { ${values.join(', ')} };`);
  }
}

/** `{ int a; struct { int x; } inner; }`: fields in the expanded spelling, anonymous records inline. */
function body(record: RecordType): string {
  const fields = (record.fields ?? []).map((f) => {
    let base = f.type;
    let dims = '';
    while (base.kind === 'array') {
      dims += `[${base.length}]`;
      base = base.of;
    }
    if ((base.kind === 'struct' || base.kind === 'union') && anonymous(base)) return `${base.kind} ${body(base)} ${f.name}${dims};`;
    return `${declaration(f.type, f.name, true)};`;
  });
  return `{ ${fields.join(' ')} }`;
}

/** The TypeScript type of a value of `type` (a record's field, as record.ts decodes it). */
function tsType(type: CType, names: ReadonlyMap<CType, string>): string {
  switch (type.kind) {
    case 'void':
      return 'undefined';
    case 'scalar':
      if (type.name === 'bool') return 'boolean';
      return type.size === 8 && !type.float ? 'number | bigint' : 'number';
    case 'enum':
      return names.get(type) ?? 'number';
    case 'pointer':
      return 'bigint | null';
    case 'array':
      return `Array<${tsType(type.of, names)}>`;
    case 'struct':
    case 'union': {
      const named = names.get(type);
      if (named) return named;
      if (type.fields === undefined) return 'never';
      return `{ ${type.fields.map((f) => `${f.name}: ${tsType(f.type, names)};`).join(' ')} }`;
    }
    case 'function':
      return 'never';
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The bound functions (those `keep` keeps) as prototypes in the expanded spelling, and the C text
 * of what they and the header's typedefs reach: records and enums, then typedefs.
 */
export function headerDeclarations(
  included: Included,
  keep: (name: string) => boolean = () => true,
): { functions: Array<{ name: string; text: string; type: CType }>; records: string[]; typedefs: string[] } {
  const { header } = included;
  const text = new TypeText();
  const functions: Array<{ name: string; text: string; type: CType }> = [];
  const declared = new Map<string, CType>();
  for (const { item } of header.declarations) if (item.kind === 'function') declared.set(item.name, item.type);
  for (const name of Object.keys(included.functions)) {
    if (!keep(name)) continue;
    const type = declared.get(name) as CType;
    text.need(type);
    functions.push({ name, text: declaration(type, name, true), type });
  }
  // The header's typedefs (for `lib.func('<prototype with typedef names>')` on the loaded library).
  const typedefs: string[] = [];
  const seen = new Set<string>();
  for (const { item } of header.declarations) {
    if (item.kind === 'record' || item.kind === 'enum') {
      if (keep(item.name) || item.kind === 'enum') text.need(item.type);
    }
    if (item.kind !== 'typedef' || seen.has(item.name)) continue;
    seen.add(item.name);
    text.need(item.type);
    const type = item.type;
    if ((type.kind === 'struct' || type.kind === 'union') && type.name === item.name) typedefs.push(`typedef ${type.kind} ${type.name} ${item.name};`);
    else if (type.kind === 'function') typedefs.push(`typedef ${declaration({ ...type, name: undefined }, item.name, true)};`);
    else typedefs.push(`typedef ${declaration(type, item.name, true)};`);
  }
  return { functions, records: text.lines, typedefs };
}

/** The module's declarations, and the figures of the header. */
export function headerModule(included: Included, options: HeaderModuleOptions): { spec: ModuleSpec; figures: BindFigures } {
  const { header } = included;
  const only = options.only;
  const keep = (name: string) => only === undefined || only.test(name);
  const docs = new Map<string, string | undefined>();
  for (const d of header.declarations) if (d.doc !== undefined && !docs.has(`${d.item.kind} ${d.item.name}`)) docs.set(`${d.item.kind} ${d.item.name}`, d.doc);
  const reached = headerDeclarations(included, keep);
  const functions: ModuleFunction[] = reached.functions.map((f) => ({ name: f.name, text: f.text, doc: docs.get(`function ${f.name}`) }));
  const { records, typedefs } = reached;

  const constants = new Map<string, ModuleConstant>();
  for (const { item, doc } of header.declarations) {
    if ((item.kind === 'constant' || item.kind === 'string') && keep(item.name)) constants.set(item.name, { name: item.name, value: item.value, doc });
  }

  // TypeScript types: the header's records (by typedef name, else tag) and named enums.
  const names = new Map<CType, string>();
  const taken = new Set<string>();
  const candidates: Array<{ type: RecordType | EnumType; name: string; doc: string | undefined }> = [];
  for (const { item, doc } of header.declarations) {
    let type: CType | undefined;
    let name: string | undefined;
    if (item.kind === 'typedef' && (item.type.kind === 'struct' || item.type.kind === 'union' || item.type.kind === 'enum')) {
      type = item.type;
      name = item.name;
    } else if (item.kind === 'record' || item.kind === 'enum') {
      type = item.type;
      name = item.kind === 'record' ? (item.type.typedefName ?? item.name) : item.name;
    }
    if (!type || !name || names.has(type) || taken.has(name) || TS_RESERVED.has(name) || /^Library\d+$/.test(name) || !IDENTIFIER.test(name)) continue;
    if (type.kind !== 'enum' && (type as RecordType).fields === undefined) continue;
    if (!keep(name)) continue;
    names.set(type, name);
    taken.add(name);
    candidates.push({ type: type as RecordType | EnumType, name, doc });
  }
  const tsTypes: ModuleType[] = candidates.map(({ type, name, doc }) => ({
    name,
    doc,
    type:
      type.kind === 'enum'
        ? [...new Set(Object.values(type.values))].join(' | ') || 'number'
        : `{ ${(type.fields ?? []).map((f) => `${IDENTIFIER.test(f.name) ? f.name : JSON.stringify(f.name)}: ${tsType(f.type, names)};`).join(' ')} }`,
  }));

  const skipped: Record<string, number> = {};
  const dropped: Record<string, number> = {};
  for (const s of included.skipped) {
    const into = s.part === 'declaration' ? skipped : dropped;
    into[s.why] = (into[s.why] ?? 0) + 1;
  }
  const functionCount = header.declarations.filter((d) => d.item.kind === 'function').length;
  const figures: BindFigures = {
    read: header.declarations.length,
    functions: functionCount,
    bound: functions.length,
    unexported: included.unexported.length,
    skipped,
    dropped,
    constants: constants.size,
    types: tsTypes.length,
  };
  const counts = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([why, n]) => `${n} ${why}`)
      .join(', ') || 'none';
  const spec: ModuleSpec = {
    intro: [
      `${options.generatedBy}`,
      `From ${header.file}${header.preprocessor ? ` (${header.preprocessor})` : ' (raw text)'}: ${figures.read} declarations read, ${figures.bound} of ${functionCount} functions bound${only ? ` (--only ${only.source})` : ''}.`,
      `Skipped: ${counts(skipped)}; not exported by ${options.library.file}: ${figures.unexported}. The list is at the end of this file.`,
    ],
    types: [
      { label: `records and enums the functions reach (${header.file})`, text: records.join('\n') },
      ...(typedefs.length > 0 ? [{ label: 'typedefs', text: typedefs.join('\n') }] : []),
    ],
    libraries: [{ ...options.library, functions }],
    constants: [...constants.values()],
    tsTypes,
  };
  const notes = [
    ...included.skipped
      .filter((s) => s.part === 'declaration' && s.why !== 'macro' && s.why !== 'preprocessor')
      .map((s) => `${s.name ?? s.text}: ${s.why}: ${s.reason} (${s.file}:${s.line})`),
    ...included.unexported.map((u) => `${u.name}: not exported: ${u.reason} (${u.file}:${u.line})`),
  ];
  return { spec: { ...spec, notes }, figures };
}

/** The figures as lines: read, skipped by reason, bound. */
export function figuresText(figures: BindFigures): string {
  const list = (record: Record<string, number>) =>
    Object.entries(record)
      .sort((a, b) => b[1] - a[1])
      .map(([why, n]) => `${why} ${n}`)
      .join(', ') || 'none';
  return [
    `  read: ${figures.read} declarations (${figures.functions} functions, ${figures.constants} constants, ${figures.types} record and enum types)`,
    `  skipped: ${list(figures.skipped)}`,
    `  dropped from declarations that were read: ${list(figures.dropped)}`,
    `  bound: ${figures.bound} functions; not exported by the library: ${figures.unexported}`,
  ].join('\n');
}
