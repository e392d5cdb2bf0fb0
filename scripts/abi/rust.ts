/**
 * Reads the C ABI that the Rust sources export: every `#[unsafe(no_mangle)]` (or
 * `#[no_mangle]`, `export_name`) `extern "C" fn`, every `#[repr(C)]` struct, every callback
 * alias `pub type Name = unsafe extern "C" fn(...)`, and other structs (candidate opaque
 * handles). A small tokenizer skips comments and string literals, keeps `///` doc comments and
 * source lines, so signatures split over many lines or carrying attributes read the same.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type CType, type FunctionType, type RecordType, VOID, pointer, scalar } from '../../bindings/ffi/types.ts';

/** Rust primitive -> the C scalar it is (resolved by the vocabulary of bindings/ffi/types.ts). */
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
};

export interface Token {
  kind: 'ident' | 'punct' | 'str' | 'char' | 'lifetime' | 'num' | 'doc';
  text: string;
  line: number;
}

export interface RustParam {
  name: string;
  /** The Rust spelling, normalised (`*const u8`, `Option<MylibProgressFn>`). */
  rust: string;
  tokens: Token[];
}

export interface RustFunction {
  /** The exported symbol (the fn name, or its `export_name`). */
  symbol: string;
  params: RustParam[];
  /** `()` when the function returns nothing. */
  result: string;
  resultTokens: Token[];
  doc: string;
  file: string;
  line: number;
  isExternC: boolean;
}

export interface RustField {
  name: string;
  rust: string;
  tokens: Token[];
  doc: string;
}

export interface RustStruct {
  name: string;
  fields: RustField[];
  reprC: boolean;
  packed: number | undefined;
  align: number | undefined;
  doc: string;
  file: string;
  line: number;
}

export interface RustCallback {
  name: string;
  params: RustParam[];
  result: string;
  resultTokens: Token[];
  /** `Option<unsafe extern "C" fn ...>`: the alias itself is nullable. */
  nullable: boolean;
  doc: string;
  file: string;
  line: number;
}

export interface RustVariant {
  name: string;
  /** The explicit discriminant (`Ok = 0`), undefined when implicit or not a literal. */
  value: number | undefined;
  doc: string;
  line: number;
}

/** A fieldless enum (`#[repr(i32)] pub enum Status { Ok = 0, ... }`). */
export interface RustEnum {
  name: string;
  /** The `repr` attribute's content (`i32`), or '' without one. */
  repr: string;
  variants: RustVariant[];
  doc: string;
  file: string;
  line: number;
}

/** A `const NAME: T = <integer literal>;` item (other consts are skipped). */
export interface RustConst {
  name: string;
  rust: string;
  value: number;
  doc: string;
  file: string;
  line: number;
}

export interface RustApi {
  functions: RustFunction[];
  structs: RustStruct[];
  callbacks: RustCallback[];
  enums: RustEnum[];
  consts: RustConst[];
  files: string[];
}

/** `1_023usize`, `0x10`, `7` -> the number; undefined for anything else. */
function integerLiteral(token: Token | undefined): number | undefined {
  if (token?.kind !== 'num') return undefined;
  const text = token.text.replace(/_/g, '').replace(/(?:[iu](?:8|16|32|64|128|size))$/, '');
  const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(value) ? value : undefined;
}

const MULTI_PUNCT = ['->', '::', '=>', '==', '!=', '<=', '>=', '&&', '||', '..'];

/** Splits Rust source into tokens; comments vanish except outer doc comments (`///` lines and `/**` blocks). */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = source.length;
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (source.charCodeAt(k) === 10) line++;
    i = to;
  };
  while (i < n) {
    const c = source[i] as string;
    if (c === '\n' || c === ' ' || c === '\t' || c === '\r') {
      advance(i + 1);
      continue;
    }
    if (source.startsWith('//', i)) {
      const end = source.indexOf('\n', i) === -1 ? n : source.indexOf('\n', i);
      const text = source.slice(i, end);
      if (text.startsWith('///') && !text.startsWith('////')) {
        tokens.push({ kind: 'doc', text: text.slice(3).replace(/^ /, ''), line });
      }
      advance(end);
      continue;
    }
    if (source.startsWith('/*', i)) {
      let depth = 0;
      let k = i;
      while (k < n) {
        if (source.startsWith('/*', k)) {
          depth++;
          k += 2;
        } else if (source.startsWith('*/', k)) {
          depth--;
          k += 2;
          if (depth === 0) break;
        } else k++;
      }
      const text = source.slice(i, k);
      if (text.startsWith('/**') && !text.startsWith('/***') && text !== '/**/') {
        const body = text
          .slice(3, -2)
          .split('\n')
          .map((l) => l.replace(/^\s*\*? ?/, ''));
        tokens.push({ kind: 'doc', text: body.join('\n').trim(), line });
      }
      advance(k);
      continue;
    }
    // Raw strings: r"..", r#".."#, br#".."#, cr".."
    const raw = /^(?:b|c)?r(#*)"/.exec(source.slice(i, i + 40));
    if (raw) {
      const hashes = raw[1] as string;
      const close = `"${hashes}`;
      const end = source.indexOf(close, i + raw[0].length);
      const stop = end === -1 ? n : end + close.length;
      tokens.push({ kind: 'str', text: source.slice(i, stop), line });
      advance(stop);
      continue;
    }
    if (c === '"' || ((c === 'b' || c === 'c') && source[i + 1] === '"')) {
      let k = c === '"' ? i + 1 : i + 2;
      while (k < n && source[k] !== '"') k += source[k] === '\\' ? 2 : 1;
      tokens.push({ kind: 'str', text: source.slice(i, k + 1), line });
      advance(k + 1);
      continue;
    }
    if (c === "'" || (c === 'b' && source[i + 1] === "'")) {
      const start = c === "'" ? i + 1 : i + 2;
      // A char literal: 'x', '\n', '\u{1F600}', '\''. Otherwise a lifetime or label.
      const charLiteral = /^(?:\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'/su.exec(source.slice(start, start + 12));
      if (charLiteral) {
        const stop = start + charLiteral[0].length;
        tokens.push({ kind: 'char', text: source.slice(i, stop), line });
        advance(stop);
        continue;
      }
      const life = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(start));
      const stop = start + (life ? life[0].length : 0);
      tokens.push({ kind: 'lifetime', text: source.slice(i, stop), line });
      advance(stop);
      continue;
    }
    const ident = /^(?:r#)?[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 200));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0].replace(/^r#/, ''), line });
      advance(i + ident[0].length);
      continue;
    }
    const num = /^[0-9][0-9A-Za-z_]*/.exec(source.slice(i, i + 100));
    if (num) {
      tokens.push({ kind: 'num', text: num[0], line });
      advance(i + num[0].length);
      continue;
    }
    const multi = MULTI_PUNCT.find((p) => source.startsWith(p, i));
    const text = multi ?? c;
    tokens.push({ kind: 'punct', text, line });
    advance(i + text.length);
  }
  return tokens;
}

/** Joins type tokens the way rustfmt writes them: `*const u8`, `Option<Fn>`, `[u8; 4]`. */
export function typeText(tokens: Token[]): string {
  let out = '';
  let previous: Token | undefined;
  for (const token of tokens) {
    if (previous) {
      const glued = ['<', '::', '(', '[', '&', '*'].includes(previous.text) || ['>', '::', ',', ')', ']', ';', '<', '(', ':'].includes(token.text);
      if (!glued) out += ' ';
    }
    out += token.text;
    previous = token;
  }
  return out;
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };

/** Index just past the bracket that closes the one at `start` (`<` counts only in types). */
function skipBalanced(tokens: Token[], start: number): number {
  const stack: string[] = [];
  for (let k = start; k < tokens.length; k++) {
    const t = (tokens[k] as Token).text;
    if ((tokens[k] as Token).kind !== 'punct') continue;
    if (t in OPEN && (t !== '<' || (tokens[start] as Token).text === '<')) stack.push(OPEN[t] as string);
    else if (t === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return k + 1;
    }
  }
  return tokens.length;
}

/** Splits tokens on commas at bracket depth 0 (`->` is one token, so fn types do not confuse it). */
function splitTopLevel(tokens: Token[], separator = ','): Token[][] {
  const parts: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'punct') {
      if (['(', '[', '{', '<'].includes(token.text)) depth++;
      else if ([')', ']', '}', '>'].includes(token.text)) depth--;
      else if (token.text === separator && depth === 0) {
        parts.push(current);
        current = [];
        continue;
      }
    }
    current.push(token);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

function parseParams(tokens: Token[]): RustParam[] {
  return splitTopLevel(tokens).map((part, index) => {
    const colon = part.findIndex((t) => t.kind === 'punct' && t.text === ':');
    const pattern = colon === -1 ? [] : part.slice(0, colon).filter((t) => t.text !== 'mut');
    const typeTokens = colon === -1 ? part : part.slice(colon + 1);
    return { name: pattern.map((t) => t.text).join('') || `arg${index + 1}`, rust: typeText(typeTokens), tokens: typeTokens };
  });
}

function docText(docs: Token[]): string {
  return docs
    .map((d) => d.text)
    .join('\n')
    .trim();
}

interface Attribute {
  text: string;
}

/** Parses the tokens of one file. */
export function parseRustSource(source: string, file: string): RustApi {
  const tokens = tokenize(source);
  const api: RustApi = { functions: [], structs: [], callbacks: [], enums: [], consts: [], files: [file] };
  let docs: Token[] = [];
  let attributes: Attribute[] = [];
  const reset = () => {
    docs = [];
    attributes = [];
  };
  let i = 0;
  const at = (k: number) => tokens[k] as Token | undefined;
  while (i < tokens.length) {
    const token = tokens[i] as Token;
    if (token.kind === 'doc') {
      docs.push(token);
      i++;
      continue;
    }
    if (token.text === '#' && at(i + 1)?.text === '!') {
      i = skipBalanced(tokens, i + 2);
      continue;
    }
    if (token.text === '#' && at(i + 1)?.text === '[') {
      const end = skipBalanced(tokens, i + 1);
      attributes.push({
        text: tokens
          .slice(i + 2, end - 1)
          .map((t) => t.text)
          .join(''),
      });
      i = end;
      continue;
    }
    // Visibility and qualifiers before an item.
    let k = i;
    if (at(k)?.text === 'pub') {
      k++;
      if (at(k)?.text === '(') k = skipBalanced(tokens, k);
    }
    let isExternC = false;
    while (['const', 'async', 'unsafe', 'extern', 'safe'].includes(at(k)?.text ?? '') && at(k + 1)?.text !== '{') {
      if (at(k)?.text === 'extern') {
        const abi = at(k + 1);
        if (abi?.kind === 'str') {
          isExternC = /^"C(-unwind)?"$/.test(abi.text);
          k++;
        } else isExternC = true;
      }
      if (at(k)?.text === 'const' && at(k + 1)?.kind === 'ident' && at(k + 1)?.text !== 'fn' && at(k + 1)?.text !== 'unsafe') break;
      k++;
    }
    const keyword = at(k)?.text;
    if (keyword === 'fn' && at(k + 1)?.kind === 'ident') {
      const name = (at(k + 1) as Token).text;
      let p = k + 2;
      if (at(p)?.text === '<') p = skipBalanced(tokens, p);
      const paramsEnd = skipBalanced(tokens, p);
      const params = parseParams(tokens.slice(p + 1, paramsEnd - 1));
      let q = paramsEnd;
      let resultTokens: Token[] = [];
      if (at(q)?.text === '->') {
        const start = q + 1;
        q = start;
        while (q < tokens.length && !['{', ';', 'where'].includes((tokens[q] as Token).text)) {
          q = ['<', '(', '['].includes((tokens[q] as Token).text) ? skipBalanced(tokens, q) : q + 1;
        }
        resultTokens = tokens.slice(start, q);
      }
      while (q < tokens.length && !['{', ';'].includes((tokens[q] as Token).text)) q++;
      const bodyEnd = at(q)?.text === '{' ? skipBalanced(tokens, q) : q + 1;
      const exportName = exportedName(attributes, name);
      if (exportName !== undefined) {
        api.functions.push({
          symbol: exportName,
          params,
          result: resultTokens.length === 0 ? '()' : typeText(resultTokens),
          resultTokens,
          doc: docText(docs),
          file,
          line: (at(k + 1) as Token).line,
          isExternC,
        });
      }
      i = bodyEnd;
      reset();
      continue;
    }
    if (keyword === 'struct' && at(k + 1)?.kind === 'ident') {
      const name = (at(k + 1) as Token).text;
      let p = k + 2;
      if (at(p)?.text === '<') p = skipBalanced(tokens, p);
      const fields: RustField[] = [];
      let end = p;
      if (at(p)?.text === '{') {
        end = skipBalanced(tokens, p);
        for (const withDocs of splitTopLevel(stripAttributes(tokens.slice(p + 1, end - 1)))) {
          const part = withDocs.filter((t) => t.kind !== 'doc');
          const fieldDoc = docText(withDocs.filter((t) => t.kind === 'doc'));
          let f = 0;
          if (part[f]?.text === 'pub') {
            f++;
            if (part[f]?.text === '(') f = skipBalanced(part, f);
          }
          const fieldName = part[f]?.text ?? '?';
          const typeTokens = part.slice(f + 2);
          fields.push({ name: fieldName, rust: typeText(typeTokens), tokens: typeTokens, doc: fieldDoc });
        }
      } else if (at(p)?.text === '(') {
        end = skipBalanced(tokens, p);
        while (end < tokens.length && at(end)?.text !== ';') end++;
        end++;
      } else {
        while (end < tokens.length && at(end)?.text !== ';') end++;
        end++;
      }
      const repr = attributes.map((a) => /^repr\((.*)\)$/.exec(a.text)?.[1]).find((r) => r !== undefined) ?? '';
      const reprParts = repr.split(',').map((s) => s.trim());
      const packed = reprParts.find((r) => r.startsWith('packed'));
      const align = reprParts.find((r) => r.startsWith('align('));
      api.structs.push({
        name,
        fields,
        reprC: reprParts.includes('C'),
        packed: packed === undefined ? undefined : Number(/\((\d+)\)/.exec(packed)?.[1] ?? 1),
        align: align === undefined ? undefined : Number(/\((\d+)\)/.exec(align)?.[1]),
        doc: docText(docs),
        file,
        line: (at(k + 1) as Token).line,
      });
      i = end;
      reset();
      continue;
    }
    if (keyword === 'enum' && at(k + 1)?.kind === 'ident' && at(k + 2)?.text === '{') {
      const name = (at(k + 1) as Token).text;
      const end = skipBalanced(tokens, k + 2);
      const variants: RustVariant[] = [];
      for (const part of splitTopLevel(stripAttributes(tokens.slice(k + 3, end - 1)))) {
        const variantDocs = part.filter((t) => t.kind === 'doc');
        const body = part.filter((t) => t.kind !== 'doc');
        const ident = body[0];
        if (ident?.kind !== 'ident') continue;
        const negative = body[2]?.text === '-';
        const literal = integerLiteral(body[negative ? 3 : 2]);
        const value = body[1]?.text === '=' && literal !== undefined ? (negative ? -literal : literal) : undefined;
        variants.push({ name: ident.text, value, doc: docText(variantDocs), line: ident.line });
      }
      const repr = attributes.map((a) => /^repr\((.*)\)$/.exec(a.text)?.[1]).find((r) => r !== undefined) ?? '';
      api.enums.push({ name, repr, variants, doc: docText(docs), file, line: (at(k + 1) as Token).line });
      i = end;
      reset();
      continue;
    }
    if (keyword === 'const' && at(k + 1)?.kind === 'ident' && at(k + 2)?.text === ':') {
      const name = (at(k + 1) as Token).text;
      let end = k + 3;
      while (end < tokens.length && at(end)?.text !== '=' && at(end)?.text !== ';') end++;
      const typeTokens = tokens.slice(k + 3, end);
      let stop = end;
      while (stop < tokens.length && at(stop)?.text !== ';') stop++;
      const value = at(end)?.text === '=' && stop === end + 2 ? integerLiteral(at(end + 1)) : undefined;
      if (value !== undefined) api.consts.push({ name, rust: typeText(typeTokens), value, doc: docText(docs), file, line: (at(k + 1) as Token).line });
      i = stop + 1;
      reset();
      continue;
    }
    if (keyword === 'type' && at(k + 1)?.kind === 'ident' && at(k + 2)?.text === '=') {
      const name = (at(k + 1) as Token).text;
      let end = k + 3;
      while (end < tokens.length && at(end)?.text !== ';') end++;
      const callback = parseFnPointer(tokens.slice(k + 3, end));
      if (callback) api.callbacks.push({ name, ...callback, doc: docText(docs), file, line: (at(k + 1) as Token).line });
      i = end + 1;
      reset();
      continue;
    }
    if (keyword === 'mod' && at(k + 1)?.kind === 'ident') {
      const isTest = attributes.some((a) => /^cfg\(.*\btest\b.*\)$/.test(a.text));
      // `mod x;` or an inline module: test modules are not in the built library.
      if (at(k + 2)?.text === '{') i = isTest ? skipBalanced(tokens, k + 2) : k + 3;
      else i = k + 3;
      reset();
      continue;
    }
    if (token.text === '{' && attributes.length + docs.length > 0) reset();
    if (token.kind === 'punct' && [';', '}'].includes(token.text)) reset();
    i++;
  }
  return api;
}

function stripAttributes(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    if ((tokens[k] as Token).text === '#' && tokens[k + 1]?.text === '[') {
      k = skipBalanced(tokens, k + 1) - 1;
      continue;
    }
    out.push(tokens[k] as Token);
  }
  return out;
}

/** `unsafe extern "C" fn(done: u64, total: u64) -> bool`, optionally inside `Option<...>`. */
function parseFnPointer(tokens: Token[]): Omit<RustCallback, 'name' | 'doc' | 'file' | 'line'> | undefined {
  let body = tokens;
  let nullable = false;
  const last = body[body.length - 1];
  if (body[0]?.text === 'Option' && body[1]?.text === '<' && last?.text === '>') {
    body = body.slice(2, -1);
    nullable = true;
  }
  const fnAt = body.findIndex((t) => t.text === 'fn');
  if (fnAt === -1 || body[fnAt + 1]?.text !== '(') return undefined;
  if (!body.slice(0, fnAt).some((t) => t.text === 'extern')) return undefined;
  const end = skipBalanced(body, fnAt + 1);
  const params = parseParams(body.slice(fnAt + 2, end - 1));
  const resultTokens = body[end]?.text === '->' ? body.slice(end + 1) : [];
  return { params, result: resultTokens.length === 0 ? '()' : typeText(resultTokens), resultTokens, nullable };
}

/** The exported symbol when the attributes make the fn an unmangled export. */
function exportedName(attributes: Attribute[], name: string): string | undefined {
  for (const { text } of attributes) {
    if (text === 'no_mangle' || text === 'unsafe(no_mangle)') return name;
    const exportName = /^(?:unsafe\()?export_name="([^"]*)"\)?$/.exec(text);
    if (exportName) return exportName[1];
  }
  return undefined;
}

/** Every `.rs` file under `dir`, sorted, so output order is stable. */
export function rustFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder).sort()) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.rs')) out.push(path);
    }
  };
  walk(dir);
  return out;
}

/** Parses every `.rs` file under `dir`; file names in the result are relative to `base`. */
export function readRustApi(dir: string, base = dir): RustApi {
  const api: RustApi = { functions: [], structs: [], callbacks: [], enums: [], consts: [], files: [] };
  for (const path of rustFiles(dir)) {
    const one = parseRustSource(readFileSync(path, 'utf8'), relative(base, path));
    api.functions.push(...one.functions);
    api.structs.push(...one.structs);
    api.callbacks.push(...one.callbacks);
    api.enums.push(...one.enums);
    api.consts.push(...one.consts);
    api.files.push(...one.files);
  }
  return api;
}

/** What the C side must know about a named Rust type. */
export interface NamedTypes {
  structs: ReadonlyMap<string, RustStruct>;
  callbacks: ReadonlyMap<string, RustCallback>;
}

/**
 * Maps a Rust FFI type to its C type. Throws with a reason for types that have no C
 * counterpart (references to slices, generics, inline fn pointers...).
 */
export function rustToC(tokens: Token[], named: NamedTypes): CType {
  const text = typeText(tokens);
  const first = tokens[0];
  if (!first) throw new Error('empty type');
  if (first.text === '*') {
    const qualifier = tokens[1]?.text;
    if (qualifier !== 'const' && qualifier !== 'mut') throw new Error(`raw pointer without const/mut: ${text}`);
    return pointer(rustToC(tokens.slice(2), named), qualifier === 'const');
  }
  if (first.text === '&') {
    const isMut = tokens[1]?.text === 'mut';
    const rest = tokens.slice(isMut ? 2 : 1);
    if (rest[0]?.text === '[' || rest[0]?.text === 'str' || rest[0]?.kind === 'lifetime') throw new Error(`no C equivalent for ${text}`);
    return pointer(rustToC(rest, named), !isMut);
  }
  if (first.text === 'Option' && tokens[1]?.text === '<') {
    const inner = tokens.slice(2, -1);
    const innerName = inner.length === 1 ? (inner[0] as Token).text : '';
    if (named.callbacks.has(innerName)) return rustToC(inner, named);
    if (inner[0]?.text === '&' || inner[0]?.text === 'NonNull') return rustToC(inner, named);
    throw new Error(`Option<...> is FFI-safe only around a fn pointer, reference or NonNull: ${text}`);
  }
  if (first.text === 'NonNull' && tokens[1]?.text === '<') return pointer(rustToC(tokens.slice(2, -1), named));
  if (first.text === '(' && tokens[1]?.text === ')' && tokens.length === 2) return VOID;
  if (tokens.some((t) => t.text === 'fn')) throw new Error(`inline fn pointer type '${text}': declare it as \`pub type Name = unsafe extern "C" fn(...)\``);
  // A path (std::ffi::c_char, crate::ffi::MylibTextOut): its last segment names it.
  const segments = tokens.filter((t) => t.text !== '::');
  if (segments.some((t) => t.kind !== 'ident') || segments.length === 0) throw new Error(`unsupported type '${text}'`);
  const name = (segments[segments.length - 1] as Token).text;
  if (name === 'c_void') return VOID;
  const primitive = RUST_TO_C[name];
  if (primitive) return scalar(primitive) as CType;
  // A Rust fn type is already the pointer that C spells `Name *`.
  if (named.callbacks.has(name)) return pointer(namedFunction(name));
  return namedRecord(name);
}

/** A callback type known by name only (its signature is compared on its own). */
function namedFunction(name: string): FunctionType {
  return { kind: 'function', name, result: VOID, params: [] };
}

/** A Rust struct as C code names it (`typedef struct Name Name`); fields are compared on their own. */
function namedRecord(name: string): RecordType {
  return { kind: 'struct', name, typedefName: name, fields: undefined };
}
