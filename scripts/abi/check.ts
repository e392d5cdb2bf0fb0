/**
 * The comparison: Rust exports vs the declaration tables vs the built library's symbols.
 * Every problem is one line that names the function (or struct/callback), the parameter or
 * field, the Rust type, the C type it maps to, and what the table declares.
 */
import type { DeclarationTables } from './declarations.ts';
import { type NamedTypes, type RustApi, type RustEnum, type RustCallback, type RustParam, type RustStruct, type Token, rustToC, typeText } from './rust.ts';
import type { LibrarySymbols } from './symbols.ts';
import { type NamedFunction, Scope, parseFunction, parseType } from '../../bindings/ffi/grammar.ts';
import { type CType, type HostModel, type Param, VOID, baseOf, formatType, layoutOf, sameType } from '../../bindings/ffi/types.ts';
import { tableScope } from '../../bindings/raw.ts';

export type ProblemKind =
  | 'param-type'
  | 'param-name'
  | 'param-missing'
  | 'param-extra'
  | 'return-type'
  | 'rust-type'
  | 'not-extern-c'
  | 'duplicate-export'
  | 'export-undeclared'
  | 'declaration-unexported'
  | 'declaration-invalid'
  | 'symbol-missing'
  | 'symbol-extra'
  | 'type-undeclared'
  | 'opaque-invalid'
  | 'struct-unknown'
  | 'struct-field'
  | 'struct-layout'
  | 'callback-undeclared'
  | 'callback-unknown'
  | 'status-missing'
  | 'status-extra'
  | 'status-number'
  | 'constant'
  | 'doc-errors';

export interface Problem {
  kind: ProblemKind;
  /** The function, `struct X`, `callback X` or table entry the problem is about. */
  subject: string;
  message: string;
}

export interface CheckInput {
  rust: RustApi;
  tables: DeclarationTables;
  /** Omit to skip the binary checks (no library built). */
  symbols?: LibrarySymbols;
  /** Pointer size of the target (8 on 64-bit hosts). */
  pointerSize?: number;
}

export interface CheckResult {
  problems: Problem[];
  counts: {
    exports: number;
    declarations: number;
    symbols: number | undefined;
    structs: number;
    callbacks: number;
    opaques: number;
    statuses: number;
    constants: number;
  };
}

/** The data model of a host with `pointerSize`-byte pointers (`long` is 4 bytes on Windows). */
function hostWith(pointerSize: number): HostModel {
  const size = pointerSize === 4 ? 4 : 8;
  return { pointerSize: size, longSize: process.platform === 'win32' ? 4 : size };
}

/** The name of the type at the bottom of a pointer chain; undefined for scalars and void. */
function namedBase(type: CType): string | undefined {
  const { base } = baseOf(type);
  return base.kind === 'struct' || base.kind === 'union' || base.kind === 'function' || base.kind === 'enum' ? base.name : undefined;
}

function where(item: { file: string; line: number }): string {
  return `${item.file}:${item.line}`;
}

function quoteName(name: string | undefined): string {
  return name === undefined ? '' : ` '${name}'`;
}

/**
 * Pairs Rust parameters with declared ones. Positional when the counts agree or the declaration
 * has no names; otherwise by a longest common subsequence of names, so one missing or extra
 * parameter is reported as that, not as a cascade of type mismatches.
 */
function alignParams<R extends { name: string }, D extends { name: string | undefined }>(
  rust: R[],
  declared: D[],
): Array<{ r?: R; ri: number; d?: D; di: number }> {
  const positional = () => Array.from({ length: Math.max(rust.length, declared.length) }, (_, i) => ({ r: rust[i], ri: i, d: declared[i], di: i }));
  if (rust.length === declared.length || declared.some((d) => d.name === undefined)) return positional();
  const n = rust.length;
  const m = declared.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] =
        (rust[i] as R).name === (declared[j] as D).name
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }
  if ((lcs[0] as number[])[0] === 0) return positional();
  const out: Array<{ r?: R; ri: number; d?: D; di: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && (rust[i] as R).name === (declared[j] as D).name) {
      out.push({ r: rust[i], ri: i, d: declared[j], di: j });
      i++;
      j++;
    } else if (j >= m || (i < n && ((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number))) {
      out.push({ r: rust[i], ri: i, di: j });
      i++;
    } else {
      out.push({ ri: i, d: declared[j], di: j });
      j++;
    }
  }
  return out;
}

/** Compares one Rust signature (export or callback alias) with its declared prototype. */
function compareSignature(
  subject: string,
  rustParams: RustParam[],
  rustResult: { text: string; tokens: Token[] },
  proto: NamedFunction,
  named: NamedTypes,
  problems: Problem[],
  used: Map<string, string>,
): void {
  const toC = (tokens: Token[], what: string): CType | undefined => {
    try {
      const type = rustToC(tokens, named);
      const base = namedBase(type);
      if (base !== undefined && !used.has(base)) used.set(base, `${subject} ${what}`);
      return type;
    } catch (error) {
      problems.push({ kind: 'rust-type', subject, message: `${subject}: ${what}: ${(error as Error).message}` });
      return undefined;
    }
  };
  const counts = `Rust has ${rustParams.length} parameter(s), declared ${proto.params.length}`;
  for (const { r, ri, d, di } of alignParams<RustParam, Param>(rustParams, [...proto.params])) {
    if (r && !d) {
      const c = toC(r.tokens, `parameter ${ri + 1} '${r.name}'`);
      problems.push({
        kind: 'param-missing',
        subject,
        message: `${subject}: parameter ${ri + 1} '${r.name}' (Rust ${r.rust} -> ${c ? formatType(c) : '?'}) is missing from the declaration (${counts})`,
      });
      continue;
    }
    if (d && !r) {
      problems.push({
        kind: 'param-extra',
        subject,
        message: `${subject}: declared parameter ${di + 1}${quoteName(d.name)} (${formatType(d.type)}) has no Rust parameter (${counts})`,
      });
      continue;
    }
    if (!r || !d) continue;
    const label = `parameter ${ri + 1} '${r.name}'`;
    const c = toC(r.tokens, label);
    if (!c) continue;
    if (!sameType(c, d.type)) {
      problems.push({ kind: 'param-type', subject, message: `${subject}: ${label}: Rust ${r.rust} -> ${formatType(c)}, declared ${formatType(d.type)}` });
    } else if (d.name !== undefined && d.name !== r.name) {
      problems.push({
        kind: 'param-name',
        subject,
        message: `${subject}: parameter ${ri + 1}: Rust name '${r.name}', declared '${d.name}' (both ${formatType(c)}; swapped parameters?)`,
      });
    }
  }
  const result = rustResult.tokens.length === 0 ? VOID : toC(rustResult.tokens, 'return type');
  if (result && !sameType(result, proto.result)) {
    const rustText = rustResult.tokens.length === 0 ? '() (no return value)' : rustResult.text;
    problems.push({
      kind: 'return-type',
      subject,
      message: `${subject}: return type: Rust ${rustText} -> ${formatType(result)}, declared ${formatType(proto.result)}`,
    });
  }
}

interface Layout {
  size: number;
  alignment: number;
  offsets: Map<string, number>;
}

/** The C layout of a field type: pointers, primitives, nested #[repr(C)] structs, arrays. */
function typeLayout(tokens: Token[], named: NamedTypes, pointerSize: number, seen: Set<string>): { size: number; alignment: number } {
  if (tokens[0]?.text === '[') {
    const semi = tokens.findIndex((t) => t.text === ';');
    const count = Number(tokens[semi + 1]?.text.replace(/_/g, '').replace(/usize$/, ''));
    if (semi === -1 || !Number.isInteger(count)) throw new Error(`array length of '${typeText(tokens)}' is not a literal`);
    const element = typeLayout(tokens.slice(1, semi), named, pointerSize, seen);
    return { size: element.size * count, alignment: element.alignment };
  }
  const c = rustToC(tokens, named);
  if (c.kind === 'pointer' || c.kind === 'scalar') {
    return layoutOf(c, hostWith(pointerSize));
  }
  const struct = c.kind === 'struct' ? named.structs.get(c.name) : undefined;
  if (struct?.reprC) {
    const layout = structLayout(struct, named, pointerSize, seen);
    return { size: layout.size, alignment: layout.alignment };
  }
  throw new Error(`no C layout for '${typeText(tokens)}'`);
}

/** The layout rustc gives a `#[repr(C)]` (optionally `packed(n)`/`align(n)`) struct. */
export function structLayout(struct: RustStruct, named: NamedTypes, pointerSize: number, seen = new Set<string>()): Layout {
  if (seen.has(struct.name)) throw new Error(`struct ${struct.name} contains itself`);
  const inner = new Set(seen).add(struct.name);
  let offset = 0;
  let alignment = 1;
  const offsets = new Map<string, number>();
  for (const field of struct.fields) {
    const layout = typeLayout(field.tokens, named, pointerSize, inner);
    const fieldAlign = struct.packed !== undefined ? Math.min(layout.alignment, struct.packed) : layout.alignment;
    offset = Math.ceil(offset / fieldAlign) * fieldAlign;
    offsets.set(field.name, offset);
    offset += layout.size;
    alignment = Math.max(alignment, fieldAlign);
  }
  if (struct.align !== undefined) alignment = Math.max(alignment, struct.align);
  return { size: Math.ceil(offset / alignment) * alignment, alignment, offsets };
}

/** The C type of a struct field's Rust type (arrays included). */
function rustFieldType(tokens: Token[], named: NamedTypes): CType {
  if (tokens[0]?.text === '[') {
    const semi = tokens.findIndex((t) => t.text === ';');
    const length = Number(tokens[semi + 1]?.text.replace(/_/g, '').replace(/usize$/, ''));
    return { kind: 'array', of: rustFieldType(tokens.slice(1, semi), named), length };
  }
  return rustToC(tokens, named);
}

function checkStruct(
  name: string,
  rust: RustStruct | undefined,
  tables: DeclarationTables,
  scope: Scope,
  named: NamedTypes,
  pointerSize: number,
  problems: Problem[],
) {
  const subject = `struct ${name}`;
  const push = (kind: ProblemKind, message: string) => problems.push({ kind, subject, message: `${subject}: ${message}` });
  if (!rust) {
    push('struct-unknown', `in STRUCTS but no struct ${name} in the Rust sources`);
    return;
  }
  if (!rust.reprC) {
    push('struct-unknown', `${where(rust)} is not #[repr(C)] (its layout is unspecified); add #[repr(C)] or make it opaque`);
    return;
  }
  const declared = Object.entries(tables.STRUCTS[name] ?? {});
  const rustNames = rust.fields.map((f) => f.name);
  const declaredNames = declared.map(([field]) => field);
  const sameSet = rustNames.length === declaredNames.length && [...rustNames].sort().join() === [...declaredNames].sort().join();
  if (sameSet && rustNames.join() !== declaredNames.join()) {
    push('struct-field', `field order differs: Rust (${rustNames.join(', ')}), declared (${declaredNames.join(', ')})`);
  }
  const declaredByName = new Map(declared);
  for (const [index, field] of rust.fields.entries()) {
    const declaredType = declaredByName.get(field.name);
    if (declaredType === undefined) {
      push('struct-field', `field ${index + 1} '${field.name}' (Rust ${field.rust}) is missing from STRUCTS.${name}`);
      continue;
    }
    let rustC: string;
    let declC: string;
    try {
      rustC = formatType(rustFieldType(field.tokens, named));
      declC = formatType(parseType(declaredType, scope));
    } catch (error) {
      push('struct-field', `field '${field.name}': ${(error as Error).message}`);
      continue;
    }
    if (rustC !== declC) push('struct-field', `field ${index + 1} '${field.name}': Rust ${field.rust} -> ${rustC}, declared ${declC}`);
  }
  for (const [index, field] of declaredNames.entries()) {
    if (!rustNames.includes(field))
      push('struct-field', `declared field ${index + 1} '${field}' (${declaredByName.get(field)}) does not exist in Rust (${where(rust)})`);
  }
  let layout: Layout;
  try {
    layout = structLayout(rust, named, pointerSize);
  } catch (error) {
    push('struct-layout', `cannot compute the Rust layout: ${(error as Error).message}`);
    return;
  }
  const record = scope.type(name);
  if (record?.kind !== 'struct' || record.fields === undefined) return; // reported when the scope was read
  const table = layoutOf(record, hostWith(pointerSize));
  if (table.size !== layout.size) push('struct-layout', `size: Rust #[repr(C)] ${layout.size} bytes, table ${table.size} bytes`);
  if (table.alignment !== layout.alignment) push('struct-layout', `alignment: Rust #[repr(C)] ${layout.alignment}, table ${table.alignment}`);
  for (const [field, offset] of layout.offsets) {
    const tableOffset = table.fields.find((f) => f.name === field)?.offset;
    if (tableOffset !== undefined && tableOffset !== offset) push('struct-layout', `field '${field}' offset: Rust ${offset}, table ${tableOffset}`);
  }
}

/** `NullArgument` -> `NULL_ARGUMENT`, `InvalidUtf8` -> `INVALID_UTF8`: a Rust variant's name in the table. */
export function screamingSnake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

/** The table's Status (names and numbers) against the Rust `enum Status`. */
function checkStatus(rustEnums: RustEnum[], tables: DeclarationTables, problems: Problem[]): void {
  const rust = rustEnums.find((e) => e.name === 'Status');
  const table = tables.Status;
  const subject = 'Status';
  if (!rust && !table) return;
  if (!rust) {
    problems.push({
      kind: 'status-missing',
      subject,
      message: `Status: the table (${tables.source}) has a Status table but the Rust sources have no \`enum Status\``,
    });
    return;
  }
  if (!table) {
    problems.push({ kind: 'status-missing', subject, message: `Status: enum Status at ${where(rust)} has no Status table in ${tables.source}` });
    return;
  }
  if (!/^i32$|(^|,)\s*i32\s*(,|$)/.test(rust.repr)) {
    problems.push({ kind: 'status-number', subject, message: `Status: ${where(rust)} is not #[repr(i32)] (exports return int32_t)` });
  }
  const rustByName = new Map(rust.variants.map((v) => [screamingSnake(v.name), v]));
  for (const [name, variant] of rustByName) {
    const declared = table[name];
    if (variant.value === undefined) {
      problems.push({
        kind: 'status-number',
        subject,
        message: `Status: Rust variant ${variant.name} (${rust.file}:${variant.line}) has no explicit number; statuses need stable numbers`,
      });
    } else if (declared === undefined) {
      problems.push({
        kind: 'status-missing',
        subject,
        message: `Status: Rust variant ${variant.name} = ${variant.value} (${rust.file}:${variant.line}) is missing from the table as ${name}`,
      });
    } else if (declared !== variant.value) {
      problems.push({
        kind: 'status-number',
        subject,
        message: `Status.${name}: Rust ${variant.name} = ${variant.value} (${rust.file}:${variant.line}), table ${declared}`,
      });
    }
  }
  for (const [name, value] of Object.entries(table)) {
    if (!rustByName.has(name))
      problems.push({ kind: 'status-extra', subject, message: `Status.${name} = ${value}: in the table but enum Status (${where(rust)}) has no such variant` });
  }
}

/** Every CONSTANTS entry against the Rust `const` of the same name. */
function checkConstants(rust: RustApi, tables: DeclarationTables, problems: Problem[]): void {
  for (const [name, value] of Object.entries(tables.CONSTANTS)) {
    const found = rust.consts.filter((c) => c.name === name);
    if (found.length === 0) {
      problems.push({
        kind: 'constant',
        subject: name,
        message: `${name}: in CONSTANTS (${value}) but no \`const ${name}: T = <integer>;\` in the Rust sources`,
      });
    } else if (found[0]!.value !== value) {
      problems.push({ kind: 'constant', subject: name, message: `${name}: Rust ${found[0]!.value} (${where(found[0]!)}), CONSTANTS ${value}` });
    }
  }
}

/**
 * A fallible export (one with an `err` buffer) documents its errors: an `Errors:` list naming
 * MYLIB_ERR_PANIC at least; every status its doc names must exist in the Status table.
 */
function checkErrorDocs(rust: RustApi, tables: DeclarationTables, problems: Problem[]): void {
  if (!tables.Status) return;
  const known = new Set(Object.keys(tables.Status).map((name) => (name === 'OK' ? 'MYLIB_OK' : `MYLIB_ERR_${name}`)));
  for (const fn of rust.functions) {
    if (!fn.symbol.startsWith('mylib_')) continue;
    for (const named of new Set(fn.doc.match(/\bMYLIB_(?:ERR_)?[A-Z0-9_]+\b/g) ?? [])) {
      if (/^MYLIB_(ABI_VERSION|ERR_MAX_LEN|ERR_UNKNOWN)$/.test(named) || named in tables.CONSTANTS) continue;
      if (!known.has(named))
        problems.push({
          kind: 'doc-errors',
          subject: fn.symbol,
          message: `${fn.symbol}: its doc (${where(fn)}) names ${named}, which is not in the Status table`,
        });
    }
    if (!fn.params.some((p) => p.name === 'err')) continue;
    if (!/\bErrors:/.test(fn.doc) || !fn.doc.includes('MYLIB_ERR_PANIC')) {
      problems.push({
        kind: 'doc-errors',
        subject: fn.symbol,
        message: `${fn.symbol}: takes 'err' but its doc (${where(fn)}) has no \`Errors:\` list naming MYLIB_ERR_PANIC and every other status it returns`,
      });
    }
  }
}

/** Runs every comparison; returns the problems in a stable order. */
export function checkAbi({ rust, tables, symbols, pointerSize = 8 }: CheckInput): CheckResult {
  const problems: Problem[] = [];
  const structs = new Map<string, RustStruct>();
  for (const s of rust.structs) if (!structs.has(s.name) || s.reprC) structs.set(s.name, s);
  const callbacks = new Map<string, RustCallback>(rust.callbacks.map((c) => [c.name, c]));
  const named: NamedTypes = { structs, callbacks };
  /** Named types used by exports and callbacks -> where first seen. */
  const used = new Map<string, string>();

  const exports = new Map<string, (typeof rust.functions)[number]>();
  for (const fn of rust.functions) {
    const previous = exports.get(fn.symbol);
    if (previous) {
      problems.push({ kind: 'duplicate-export', subject: fn.symbol, message: `${fn.symbol}: exported twice, at ${where(previous)} and ${where(fn)}` });
      continue;
    }
    exports.set(fn.symbol, fn);
    if (!fn.isExternC) {
      problems.push({
        kind: 'not-extern-c',
        subject: fn.symbol,
        message: `${fn.symbol}: ${where(fn)} is #[no_mangle] but not extern "C" (Rust ABI; C callers would corrupt arguments)`,
      });
    }
  }

  const scope = tableScope(tables, (subject, error) =>
    problems.push({ kind: 'declaration-invalid', subject, message: `${subject}: cannot read the declaration: ${error.message}` }),
  );
  // Types Rust defines and the table does not: read as placeholders, so that the prototypes using
  // them are still compared and the missing table entry is reported once, with its first use.
  const reading = new Scope(scope);
  for (const name of structs.keys()) if (!scope.type(name)) reading.typedefs.set(name, { kind: 'struct', name, typedefName: name, fields: undefined });
  for (const name of callbacks.keys()) if (!scope.type(name)) reading.typedefs.set(name, { kind: 'function', name, result: VOID, params: [] });
  const declared = new Map<string, NamedFunction>();
  for (const [key, prototype] of Object.entries(tables.DECLARATIONS)) {
    try {
      const proto = parseFunction(prototype, reading);
      if (proto.name !== key) {
        problems.push({
          kind: 'declaration-invalid',
          subject: key,
          message: `${key}: the DECLARATIONS key names '${key}' but its prototype declares '${proto.name}'`,
        });
      }
      declared.set(key, proto);
    } catch (error) {
      problems.push({ kind: 'declaration-invalid', subject: key, message: `${key}: cannot read the declared prototype: ${(error as Error).message}` });
    }
  }

  for (const [symbol, fn] of exports) {
    const proto = declared.get(symbol);
    if (!proto) {
      if (!(symbol in tables.DECLARATIONS)) {
        problems.push({
          kind: 'export-undeclared',
          subject: symbol,
          message: `${symbol}: exported by ${where(fn)} but has no entry in DECLARATIONS (${tables.source})`,
        });
      }
      continue;
    }
    compareSignature(symbol, fn.params, { text: fn.result, tokens: fn.resultTokens }, proto, named, problems, used);
  }
  for (const symbol of Object.keys(tables.DECLARATIONS)) {
    if (!exports.has(symbol)) {
      problems.push({
        kind: 'declaration-unexported',
        subject: symbol,
        message: `${symbol}: in DECLARATIONS (${tables.source}) but no #[unsafe(no_mangle)] extern "C" fn ${symbol} in the Rust sources`,
      });
    }
  }

  // Callbacks: every declared one against its Rust alias.
  for (const [key, prototype] of Object.entries(tables.CALLBACKS)) {
    const subject = `callback ${key}`;
    let proto: NamedFunction;
    try {
      proto = parseFunction(prototype, reading);
    } catch (error) {
      problems.push({ kind: 'declaration-invalid', subject, message: `${subject}: cannot read the declared prototype: ${(error as Error).message}` });
      continue;
    }
    if (proto.name !== key) {
      problems.push({
        kind: 'declaration-invalid',
        subject,
        message: `${subject}: the CALLBACKS key names '${key}' but its prototype declares '${proto.name}'`,
      });
    }
    const alias = callbacks.get(key);
    if (!alias) {
      problems.push({
        kind: 'callback-unknown',
        subject,
        message: `${subject}: in CALLBACKS but no \`pub type ${key} = unsafe extern "C" fn(...)\` in the Rust sources`,
      });
      continue;
    }
    compareSignature(subject, alias.params, { text: alias.result, tokens: alias.resultTokens }, proto, named, problems, used);
  }

  // Named types used by the exports must be declared on the TS side, each in the right table.
  const opaques = new Set(tables.OPAQUES);
  for (const [name, firstUse] of used) {
    const struct = structs.get(name);
    if (callbacks.has(name)) {
      if (!(name in tables.CALLBACKS)) {
        const alias = callbacks.get(name) as RustCallback;
        problems.push({
          kind: 'callback-undeclared',
          subject: `callback ${name}`,
          message: `callback ${name}: used by ${firstUse}, defined at ${where(alias)}, but not in CALLBACKS`,
        });
      }
    } else if (struct?.reprC) {
      if (!(name in tables.STRUCTS)) {
        problems.push({
          kind: 'type-undeclared',
          subject: `struct ${name}`,
          message: `struct ${name}: #[repr(C)] at ${where(struct)}, used by ${firstUse}, but not in STRUCTS`,
        });
      }
    } else if (struct) {
      if (!opaques.has(name)) {
        problems.push({
          kind: 'type-undeclared',
          subject: name,
          message: `${name}: opaque handle type (${where(struct)}) used by ${firstUse} but not in OPAQUES`,
        });
      }
    } else {
      problems.push({
        kind: 'type-undeclared',
        subject: name,
        message: `${name}: used by ${firstUse} but no struct or callback type ${name} in the Rust sources`,
      });
    }
  }
  for (const name of tables.OPAQUES) {
    if (!structs.has(name)) {
      problems.push({ kind: 'opaque-invalid', subject: name, message: `${name}: in OPAQUES but no struct ${name} in the Rust sources` });
    }
  }

  // Structs: fields and layout, for everything declared.
  const pointer = pointerSize;
  for (const name of Object.keys(tables.STRUCTS)) checkStruct(name, structs.get(name), tables, scope, named, pointer, problems);

  checkStatus(rust.enums, tables, problems);
  checkConstants(rust, tables, problems);
  checkErrorDocs(rust, tables, problems);

  // The built library: every Rust export must be in it; with an ELF symbol table, nothing more.
  if (symbols) {
    for (const [symbol, fn] of exports) {
      if (!symbols.names.has(symbol)) {
        problems.push({
          kind: 'symbol-missing',
          subject: symbol,
          message: `${symbol}: exported by ${where(fn)} but missing from the built library ${symbols.path} (stale build? run \`npm run build\`)`,
        });
      }
    }
    if (symbols.method === 'elf') {
      for (const symbol of [...symbols.names].sort()) {
        if (!exports.has(symbol)) {
          problems.push({
            kind: 'symbol-extra',
            subject: symbol,
            message: `${symbol}: exported by the built library ${symbols.path} but by no Rust source (stale build? run \`npm run build\`)`,
          });
        }
      }
    }
  }

  return {
    problems,
    counts: {
      exports: exports.size,
      declarations: Object.keys(tables.DECLARATIONS).length,
      symbols: symbols?.names.size,
      structs: Object.keys(tables.STRUCTS).length,
      callbacks: Object.keys(tables.CALLBACKS).length,
      opaques: tables.OPAQUES.length,
      statuses: Object.keys(tables.Status ?? {}).length,
      constants: Object.keys(tables.CONSTANTS).length,
    },
  };
}
