/**
 * One C type model for both sides of the drift check. Rust types (`*const u8`,
 * `Option<MylibProgressFn>`) and koffi prototype types (`const uint8_t *`, `MylibProgressFn *`)
 * are both turned into a CType and compared by their canonical spelling.
 */

/** A C type: a named type (primitive, struct, opaque or callback) or a pointer to one. */
export type CType = { kind: 'named'; name: string; isConst: boolean } | { kind: 'pointer'; to: CType; isConst: boolean };

/** Rust primitive -> C type name (64-bit and 32-bit hosts alike). */
export const RUST_TO_C: Readonly<Record<string, string>> = {
  u8: 'uint8_t',
  i8: 'int8_t',
  u16: 'uint16_t',
  i16: 'int16_t',
  u32: 'uint32_t',
  i32: 'int32_t',
  u64: 'uint64_t',
  i64: 'int64_t',
  usize: 'size_t',
  isize: 'intptr_t',
  f32: 'float',
  f64: 'double',
  bool: 'bool',
  c_char: 'char',
  c_schar: 'int8_t',
  c_uchar: 'uint8_t',
  c_int: 'int',
  c_uint: 'unsigned int',
  c_long: 'long',
  c_ulong: 'unsigned long',
  c_longlong: 'int64_t',
  c_ulonglong: 'uint64_t',
  c_float: 'float',
  c_double: 'double',
  c_void: 'void',
  '()': 'void',
};

/**
 * koffi's spellings of the same primitive, mapped to one canonical name. `size_t` and
 * `uint64_t` stay distinct on purpose: they differ on 32-bit hosts.
 */
const C_ALIASES: Readonly<Record<string, string>> = {
  int8: 'int8_t',
  'signed char': 'int8_t',
  uint8: 'uint8_t',
  uchar: 'uint8_t',
  'unsigned char': 'uint8_t',
  int16: 'int16_t',
  short: 'int16_t',
  'signed short': 'int16_t',
  uint16: 'uint16_t',
  ushort: 'uint16_t',
  'unsigned short': 'uint16_t',
  int32: 'int32_t',
  int: 'int32_t',
  'signed int': 'int32_t',
  uint32: 'uint32_t',
  uint: 'uint32_t',
  'unsigned int': 'uint32_t',
  int64: 'int64_t',
  'long long': 'int64_t',
  longlong: 'int64_t',
  'signed long long': 'int64_t',
  uint64: 'uint64_t',
  ulonglong: 'uint64_t',
  'unsigned long long': 'uint64_t',
  ulong: 'unsigned long',
  float32: 'float',
  float64: 'double',
  _Bool: 'bool',
  ssize_t: 'intptr_t',
};

/** Primitive sizes; `long`, `size_t`, `intptr_t` and pointers follow the host's pointer size. */
export function primitiveLayout(name: string, pointerSize: number): { size: number; alignment: number } | undefined {
  const fixed: Record<string, number> = {
    bool: 1,
    char: 1,
    int8_t: 1,
    uint8_t: 1,
    int16_t: 2,
    uint16_t: 2,
    int32_t: 4,
    uint32_t: 4,
    float: 4,
    int64_t: 8,
    uint64_t: 8,
    double: 8,
    size_t: pointerSize,
    intptr_t: pointerSize,
    uintptr_t: pointerSize,
    long: process.platform === 'win32' ? 4 : pointerSize,
    'unsigned long': process.platform === 'win32' ? 4 : pointerSize,
  };
  const size = fixed[name];
  return size === undefined ? undefined : { size, alignment: size };
}

export function canonicalCName(name: string): string {
  const spaced = name.replace(/\s+/g, ' ').trim();
  return C_ALIASES[spaced] ?? spaced;
}

/** The canonical C spelling: `const uint8_t *`, `uint8_t **`, `const uint8_t *const *`. */
export function formatC(type: CType): string {
  if (type.kind === 'named') return `${type.isConst ? 'const ' : ''}${type.name}`;
  const inner = formatC(type.to);
  const star = type.to.kind === 'pointer' && !type.to.isConst ? '*' : ' *';
  return `${inner}${star}${type.isConst ? 'const' : ''}`;
}

/** Top-level const (`size_t const n`, `uint8_t *const p`) does not change a parameter's ABI. */
export function withoutTopConst(type: CType): CType {
  return { ...type, isConst: false } as CType;
}

export function sameC(a: CType, b: CType): boolean {
  return formatC(withoutTopConst(a)) === formatC(withoutTopConst(b));
}

/** The named type at the bottom of a pointer chain. */
export function baseOf(type: CType): { name: string; depth: number } {
  let depth = 0;
  let current = type;
  while (current.kind === 'pointer') {
    current = current.to;
    depth++;
  }
  return { name: current.name, depth };
}

export interface CParam {
  name: string | undefined;
  type: CType;
  /** The declaration's own spelling, for messages. */
  text: string;
}

export interface CPrototype {
  name: string;
  result: CType;
  resultText: string;
  params: CParam[];
}

const DIRECTION_MARKERS = new Set(['_In_', '_Out_', '_Inout_']);
const MULTI_WORD = new Set(['unsigned', 'signed', 'long', 'short', 'char', 'int']);

/**
 * Parses one C declarator (`const uint8_t *text`, `_Out_ size_t *out_len`, `MylibProgressFn
 * *progress`) into its type and optional name. koffi's `str` is `const char *`.
 */
export function parseCDeclarator(text: string, where: string): { type: CType; name: string | undefined } {
  const tokens = text.match(/[A-Za-z_][A-Za-z0-9_]*|\*|\S/g) ?? [];
  const baseWords: string[] = [];
  let baseConst = false;
  const pointers: Array<{ isConst: boolean }> = [];
  let name: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (DIRECTION_MARKERS.has(token)) continue;
    if (token === 'const') {
      if (pointers.length > 0) (pointers[pointers.length - 1] as { isConst: boolean }).isConst = true;
      else baseConst = true;
      continue;
    }
    if (token === '*') {
      pointers.push({ isConst: false });
      continue;
    }
    if (!/^[A-Za-z_]/.test(token)) throw new Error(`${where}: unexpected '${token}' in '${text}'`);
    const isTypeWord = baseWords.length === 0 || (MULTI_WORD.has(token) && baseWords.every((w) => MULTI_WORD.has(w)));
    if (pointers.length === 0 && isTypeWord) baseWords.push(token);
    else if (name === undefined && i === tokens.length - 1) name = token;
    else throw new Error(`${where}: cannot read the type '${text}'`);
  }
  if (baseWords.length === 0) throw new Error(`${where}: no type in '${text}'`);
  const baseName = canonicalCName(baseWords.join(' '));
  let type: CType = { kind: 'named', name: baseName, isConst: baseConst };
  if (baseName === 'str' || baseName === 'string') type = { kind: 'pointer', to: { kind: 'named', name: 'char', isConst: true }, isConst: false };
  for (const pointer of pointers) type = { kind: 'pointer', to: type, isConst: pointer.isConst };
  return { type, name };
}

/** Parses a koffi prototype string: `int32_t mylib_x(const uint8_t *text, size_t text_len)`. */
export function parseCPrototype(text: string, where: string): CPrototype {
  const match = /^\s*(.*?)\s*\(\s*(.*)\s*\)\s*;?\s*$/s.exec(text);
  if (!match) throw new Error(`${where}: not a prototype: '${text}'`);
  const head = match[1] as string;
  const nameMatch = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(head);
  if (!nameMatch) throw new Error(`${where}: no function name in '${text}'`);
  const resultText = head.slice(0, nameMatch.index).trim();
  const result = parseCDeclarator(resultText, where).type;
  const paramsText = (match[2] as string).trim();
  const parts = paramsText === '' || paramsText === 'void' ? [] : paramsText.split(',');
  const params = parts.map((part, index) => {
    const parsed = parseCDeclarator(part.trim(), `${where} parameter ${index + 1}`);
    return { name: parsed.name, type: parsed.type, text: part.trim() };
  });
  return { name: nameMatch[1] as string, result, resultText, params };
}
