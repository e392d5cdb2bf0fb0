/**
 * The one C type vocabulary of mylib-rust/ffi. The grammar (grammar.ts) turns C text into these
 * values; every engine maps them to its own FFI once (engines/*.ts, by `passing()` and the scalar
 * name); layouts, the C header, the drift check and the REPL read them.
 *
 * Types are plain immutable values, except records, enums and named function types, which are
 * shared by identity (a struct can point to itself). Qualifiers that do not change the ABI
 * (top-level `const`, `volatile`, `restrict`) are not kept; a pointer keeps whether its target is
 * `const` (`const uint8_t *` vs `uint8_t *`), because the drift check compares that with Rust.
 */

/** Scalars, each listed once with what decides its ABI. `ptr` sizes follow the host's pointers. */
const SCALAR_TABLE = {
  bool: { size: 1, signed: false, float: false },
  char: { size: 1, signed: true, float: false },
  int8_t: { size: 1, signed: true, float: false },
  uint8_t: { size: 1, signed: false, float: false },
  int16_t: { size: 2, signed: true, float: false },
  uint16_t: { size: 2, signed: false, float: false },
  int32_t: { size: 4, signed: true, float: false },
  uint32_t: { size: 4, signed: false, float: false },
  int64_t: { size: 8, signed: true, float: false },
  uint64_t: { size: 8, signed: false, float: false },
  float: { size: 4, signed: true, float: true },
  double: { size: 8, signed: true, float: true },
  size_t: { size: 'ptr', signed: false, float: false },
  ssize_t: { size: 'ptr', signed: true, float: false },
  intptr_t: { size: 'ptr', signed: true, float: false },
  uintptr_t: { size: 'ptr', signed: false, float: false },
  ptrdiff_t: { size: 'ptr', signed: true, float: false },
  long: { size: 'long', signed: true, float: false },
  'unsigned long': { size: 'long', signed: false, float: false },
} as const;

export type ScalarName = keyof typeof SCALAR_TABLE;

/**
 * Other spellings of the same scalars. `size_t`, `uint64_t` and `unsigned long` stay distinct:
 * they differ on 32-bit hosts and on Windows.
 */
export const SCALAR_ALIASES: Readonly<Record<string, ScalarName>> = {
  _Bool: 'bool',
  'signed char': 'int8_t',
  'unsigned char': 'uint8_t',
  short: 'int16_t',
  'short int': 'int16_t',
  'signed short': 'int16_t',
  'signed short int': 'int16_t',
  'unsigned short': 'uint16_t',
  'unsigned short int': 'uint16_t',
  int: 'int32_t',
  signed: 'int32_t',
  'signed int': 'int32_t',
  unsigned: 'uint32_t',
  'unsigned int': 'uint32_t',
  'long int': 'long',
  'signed long': 'long',
  'signed long int': 'long',
  'unsigned long int': 'unsigned long',
  'long long': 'int64_t',
  'long long int': 'int64_t',
  'signed long long': 'int64_t',
  'signed long long int': 'int64_t',
  'unsigned long long': 'uint64_t',
  'unsigned long long int': 'uint64_t',
};

export interface HostModel {
  /** Bytes per pointer (and size_t): 8 or 4. */
  pointerSize: 4 | 8;
  /** Bytes per `long`: 4 on Windows and 32-bit hosts, else the pointer size. */
  longSize: 4 | 8;
}

function currentHost(): HostModel {
  const processLike = (globalThis as { process?: { arch?: string; platform?: string } }).process;
  const arch = processLike?.arch ?? 'x64';
  const pointerSize = arch === 'ia32' || arch === 'arm' || arch === 'wasm32' ? 4 : 8;
  return { pointerSize, longSize: processLike?.platform === 'win32' ? 4 : pointerSize };
}

/** The host this process runs on. */
export const HOST: Readonly<HostModel> = Object.freeze(currentHost());

export interface VoidType {
  readonly kind: 'void';
}
export interface ScalarType {
  readonly kind: 'scalar';
  readonly name: ScalarName;
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
  readonly float: boolean;
}
export interface PointerType {
  readonly kind: 'pointer';
  readonly to: CType;
  /** The target is `const` (`const T *`): the callee does not write through it. */
  readonly constTarget: boolean;
}
export interface Field {
  readonly name: string;
  readonly type: CType;
}
/** A struct or union. `fields` undefined: opaque (declared, never defined; used behind pointers). */
export interface RecordType {
  readonly kind: 'struct' | 'union';
  /** The tag (`tm` of `struct tm`), or the typedef name of an anonymous record. */
  name: string;
  /** The first typedef name given to it: how C code spells it (`MylibTextOut`), else `struct tag`. */
  typedefName?: string | undefined;
  fields: readonly Field[] | undefined;
}
export interface ArrayType {
  readonly kind: 'array';
  readonly of: CType;
  readonly length: number;
}
export interface EnumType {
  readonly kind: 'enum';
  readonly name: string;
  /** Enumerators and their values; the type is passed as an `int` (int32_t). */
  readonly values: Readonly<Record<string, number>>;
}
export interface Param {
  readonly name: string | undefined;
  readonly type: CType;
}
/** A function type: a declared function, or the target of a callback pointer. */
export interface FunctionType {
  readonly kind: 'function';
  /** The function's or the typedef's name, when it has one. */
  readonly name: string | undefined;
  readonly result: CType;
  readonly params: readonly Param[];
}

export type CType = VoidType | ScalarType | PointerType | RecordType | ArrayType | EnumType | FunctionType;

export const VOID: VoidType = Object.freeze({ kind: 'void' });

const SCALAR_CACHE = new Map<ScalarName, ScalarType>();

/** The scalar type of a canonical name or alias, or undefined. */
export function scalar(name: string, host: HostModel = HOST): ScalarType | undefined {
  // Own keys only: `constructor` or `__proto__` must not find Object.prototype's members.
  const canonical = (Object.hasOwn(SCALAR_TABLE, name) ? name : Object.hasOwn(SCALAR_ALIASES, name) ? SCALAR_ALIASES[name] : undefined) as
    | ScalarName
    | undefined;
  if (canonical === undefined) return undefined;
  const row = SCALAR_TABLE[canonical];
  const size = row.size === 'ptr' ? host.pointerSize : row.size === 'long' ? host.longSize : row.size;
  if (host === HOST) {
    const cached = SCALAR_CACHE.get(canonical);
    if (cached) return cached;
  }
  const type: ScalarType = Object.freeze({ kind: 'scalar', name: canonical, size, signed: row.signed, float: row.float });
  if (host === HOST) SCALAR_CACHE.set(canonical, type);
  return type;
}

/** Every canonical scalar name. */
export const SCALAR_NAMES = Object.keys(SCALAR_TABLE) as ScalarName[];

export function pointer(to: CType, constTarget = false): PointerType {
  return { kind: 'pointer', to, constTarget };
}

/** The `int` an enum is passed as. */
export const ENUM_SCALAR = scalar('int32_t') as ScalarType;

// ---------------------------------------------------------------------------------------------
// Layout: the C rules (natural alignment), for the host or for another data model.

export interface FieldLayout {
  readonly name: string;
  readonly type: CType;
  readonly offset: number;
}
export interface Layout {
  readonly size: number;
  readonly alignment: number;
  readonly fields: readonly FieldLayout[];
}

/** Thrown for a type that has no size (void, an opaque record, a function). */
export class LayoutError extends Error {}

export function sizeOf(type: CType, host: HostModel = HOST): number {
  return layoutOf(type, host).size;
}

export function alignOf(type: CType, host: HostModel = HOST): number {
  return layoutOf(type, host).alignment;
}

/** Size, alignment and (for records) field offsets of `type`. */
export function layoutOf(type: CType, host: HostModel = HOST): Layout {
  return layoutWithin(type, host, new Set());
}

function layoutWithin(type: CType, host: HostModel, open: Set<RecordType>): Layout {
  switch (type.kind) {
    case 'scalar': {
      const size = host === HOST ? type.size : (scalar(type.name, host) as ScalarType).size;
      return { size, alignment: size, fields: [] };
    }
    case 'enum':
      return { size: 4, alignment: 4, fields: [] };
    case 'pointer':
      return { size: host.pointerSize, alignment: host.pointerSize, fields: [] };
    case 'array': {
      const inner = layoutWithin(type.of, host, open);
      return { size: inner.size * type.length, alignment: inner.alignment, fields: [] };
    }
    case 'struct':
    case 'union': {
      if (type.fields === undefined) throw new LayoutError(`${type.kind} ${type.name} is opaque (declared without fields): it has no size`);
      if (open.has(type)) throw new LayoutError(`${type.kind} ${type.name} contains itself`);
      open.add(type);
      let offset = 0;
      let size = 0;
      let alignment = 1;
      const fields: FieldLayout[] = [];
      for (const field of type.fields) {
        const inner = layoutWithin(field.type, host, open);
        if (type.kind === 'struct') {
          offset = Math.ceil(offset / inner.alignment) * inner.alignment;
          fields.push({ name: field.name, type: field.type, offset });
          offset += inner.size;
          size = offset;
        } else {
          fields.push({ name: field.name, type: field.type, offset: 0 });
          size = Math.max(size, inner.size);
        }
        alignment = Math.max(alignment, inner.alignment);
      }
      open.delete(type);
      return { size: Math.ceil(size / alignment) * alignment, alignment, fields };
    }
    case 'void':
      throw new LayoutError('void has no size');
    case 'function':
      throw new LayoutError(`function type ${type.name ?? ''} has no size (pass a pointer to it)`.replace('  ', ' '));
  }
}

// ---------------------------------------------------------------------------------------------
// Passing: what crosses the boundary for a parameter or a result, whatever the engine.

/**
 * How a value of a C type crosses the boundary. Each engine maps these (and the scalar name)
 * to its own FFI types once:
 * - `void`: results only, `undefined`;
 * - `number`: integers up to 32 bits, `float`, `double`, enums; a Number;
 * - `wide`: 64-bit and pointer-sized integers; a Number or a BigInt in, a Number out when it is
 *   a safe integer, else a BigInt;
 * - `bool`: a boolean;
 * - `string`: `const char *`: a JS string in (UTF-8, NUL-terminated, valid for the call); a JS
 *   string out (copied; NULL gives null). A non-const `char *` result is a `pointer`: the caller
 *   owns that memory and frees it with the library's own free;
 * - `pointer`: any other data pointer: an ArrayBuffer or TypedArray (borrowed for the call), null,
 *   or a BigInt address; results are a BigInt address, or null for NULL;
 * - `handle`: a pointer to an opaque record; a BigInt in and out (null for NULL);
 * - `callback`: a pointer to a function type: a JS function (a C callback valid for the call),
 *   null, or a BigInt address of a C function;
 * - `record`: a struct or union by value: a plain object in and out.
 */
export type Passing =
  | { readonly as: 'void' }
  | { readonly as: 'number'; readonly scalar: ScalarType }
  | { readonly as: 'wide'; readonly scalar: ScalarType }
  | { readonly as: 'bool' }
  | { readonly as: 'string' }
  | { readonly as: 'pointer'; readonly to: CType }
  | { readonly as: 'handle'; readonly record: RecordType }
  | { readonly as: 'callback'; readonly fn: FunctionType }
  | { readonly as: 'record'; readonly record: RecordType };

/** Thrown for a type that cannot cross the boundary in that place (an array parameter, void data). */
export class PassingError extends Error {}

export function passing(type: CType, place: 'param' | 'result' = 'param'): Passing {
  switch (type.kind) {
    case 'void':
      if (place === 'param') throw new PassingError("'void' cannot be a parameter (write () or (void) for none)");
      return { as: 'void' };
    case 'scalar':
      if (type.name === 'bool') return { as: 'bool' };
      return type.size === 8 && !type.float ? { as: 'wide', scalar: type } : { as: 'number', scalar: type };
    case 'enum':
      return { as: 'number', scalar: ENUM_SCALAR };
    case 'pointer': {
      const target = type.to;
      if (target.kind === 'function') return { as: 'callback', fn: target };
      if (target.kind === 'scalar' && target.name === 'char' && (type.constTarget || place === 'param')) {
        // A non-const `char *` parameter is a buffer the callee may write: passed as data.
        return type.constTarget ? { as: 'string' } : { as: 'pointer', to: target };
      }
      if ((target.kind === 'struct' || target.kind === 'union') && target.fields === undefined) return { as: 'handle', record: target };
      return { as: 'pointer', to: target };
    }
    case 'struct':
    case 'union':
      if (type.fields === undefined) throw new PassingError(`${type.kind} ${type.name} is opaque: pass a pointer to it`);
      return { as: 'record', record: type };
    case 'array':
      throw new PassingError('an array cannot be passed or returned by value in C (its parameter form is a pointer)');
    case 'function':
      throw new PassingError('a function cannot be passed by value (pass a pointer to it)');
  }
}

// ---------------------------------------------------------------------------------------------
// Spelling: the canonical C text of a type, for messages, the header and the drift check.

/** `const uint8_t *`, `uint8_t **`, `struct tm`, `MylibProgressFn *`, `char [16]`. */
export function formatType(type: CType): string {
  return declaration(type, '');
}

/**
 * A declaration of `name` with `type`: `double (*fn)(double x)`, `char name[16]`. `expanded`:
 * without typedef names, records spelled `struct tag` and function pointers written out (the
 * spelling typed.ts derives TypeScript types from).
 */
export function declaration(type: CType, name: string, expanded = false): string {
  return qualified(type, name, false, expanded);
}

/** `isConst`: the object named is const (`const T`, or `*const` for a pointer). */
function qualified(type: CType, name: string, isConst: boolean, expanded = false): string {
  const named = (base: string) => `${isConst ? 'const ' : ''}${base}${name === '' ? '' : ` ${name}`}`;
  switch (type.kind) {
    case 'void':
    case 'scalar':
    case 'enum':
      return named(type.kind === 'void' ? 'void' : type.name);
    case 'struct':
    case 'union':
      return named(expanded ? `${type.kind} ${type.name}` : recordName(type));
    case 'pointer': {
      const star = isConst ? `*const${name === '' ? '' : ` ${name}`}` : `*${name}`;
      const target = type.to;
      if (target.kind === 'function' && target.name !== undefined && !expanded) return `${target.name} ${star}`;
      return qualified(target, target.kind === 'array' || target.kind === 'function' ? `(${star})` : star, type.constTarget, expanded);
    }
    case 'array':
      return qualified(type.of, `${name}[${type.length}]`, isConst, expanded);
    case 'function': {
      const params = type.params.length === 0 ? 'void' : type.params.map((p) => declaration(p.type, p.name ?? '', expanded)).join(', ');
      return qualified(type.result, `${name}(${params})`, false, expanded);
    }
  }
}

/** How C code names a record: its typedef name, else `struct tag`. */
export function recordName(record: RecordType): string {
  return record.typedefName ?? `${record.kind} ${record.name}`;
}

/** True when two types have the same ABI and const-ness of pointer targets. */
export function sameType(a: CType, b: CType): boolean {
  return formatType(a) === formatType(b);
}

/** The type at the bottom of a pointer chain, and how many pointers lead to it. */
export function baseOf(type: CType): { base: CType; depth: number } {
  let depth = 0;
  let current = type;
  while (current.kind === 'pointer') {
    current = current.to;
    depth++;
  }
  return { base: current, depth };
}

/** `long unsigned int` -> `unsigned long int` (C allows the words in any order). */
export function canonicalOrder(spelled: string): string {
  const words = spelled.split(' ');
  const order = ['signed', 'unsigned', 'short', 'long', 'char', 'int', 'float', 'double', 'bool', '_Bool'];
  if (words.length === 1) return spelled;
  if (words.some((w) => !order.includes(w))) return spelled;
  const sorted = [...words].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const joined = sorted.join(' ');
  return joined in SCALAR_ALIASES || scalar(joined) ? joined : spelled;
}

/** Structural equality of two types, records compared by kind, name and fields. */
export function sameShape(a: CType, b: CType): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'pointer':
      return b.kind === 'pointer' && a.constTarget === b.constTarget && sameShape(a.to, b.to);
    case 'array':
      return b.kind === 'array' && a.length === b.length && sameShape(a.of, b.of);
    case 'struct':
    case 'union': {
      const other = b as RecordType;
      if (a.name !== other.name) return false;
      if (a.fields === undefined || other.fields === undefined) return a.fields === other.fields;
      return (
        a.fields.length === other.fields.length &&
        a.fields.every((f, k) => f.name === other.fields?.[k]?.name && sameShape(f.type, other.fields?.[k]?.type as CType))
      );
    }
    case 'function': {
      const other = b as FunctionType;
      return (
        sameShape(a.result, other.result) &&
        a.params.length === other.params.length &&
        a.params.every((p, k) => sameShape(p.type, (other.params[k] as Param).type))
      );
    }
    case 'scalar':
      return b.kind === 'scalar' && a.name === b.name;
    case 'enum':
      return b.kind === 'enum' && a.name === b.name;
    case 'void':
      return true;
  }
}

/** Applies `*`s: the first one's target is const when the base is; each next one's when the star before it is `*const`. */
export function applyStars(base: CType, stars: ReadonlyArray<{ constSelf: boolean }>, constBase: boolean): CType {
  let type = base;
  let constTarget = constBase;
  for (const star of stars) {
    type = pointer(type, constTarget);
    constTarget = star.constSelf;
  }
  return type;
}

/**
 * The most nesting levels of pointers, arrays and function types one type may have. Deeper
 * declarations are refused with a DeclarationError: every consumer of a type (formatting,
 * layout, the engines' type construction) walks it recursively.
 */
export const MAX_TYPE_DEPTH = 64;

const DEPTHS = new WeakMap<CType, number>();

/**
 * Nesting levels of pointers, arrays and function types in `type` (records end a level: they are
 * named). Each type the grammar builds was measured when it was built, so the recursion only goes
 * through the levels of one declaration, which the grammar bounds.
 */
export function typeDepth(type: CType): number {
  const known = DEPTHS.get(type);
  if (known !== undefined) return known;
  let depth = 0;
  switch (type.kind) {
    case 'pointer':
      depth = 1 + typeDepth(type.to);
      break;
    case 'array':
      depth = 1 + typeDepth(type.of);
      break;
    case 'function':
      depth = typeDepth(type.result);
      for (const param of type.params) depth = Math.max(depth, typeDepth(param.type));
      depth += 1;
      break;
    default:
      depth = 0;
  }
  DEPTHS.set(type, depth);
  return depth;
}
