/**
 * The workbench's C declarations: function prototypes (`.declare`, `.callback`) and structs
 * (`.struct`), in the grammar of bindings/raw.ts (DECLARATIONS, CALLBACKS, STRUCTS). Types are
 * read by the drift check's parser (scripts/abi/types.ts parseCDeclarator); this module adds what
 * a prompt needs on top: the column of every token, so an error can put a caret under the token
 * that failed, and the parts koffi needs (variadic `...`, arrays in struct fields).
 */
import { type CType, baseOf, formatC, parseCDeclarator } from '../abi/types.ts';

/** A parse error at a column (0-based) of the text. */
export class DeclarationError extends Error {
  readonly column: number;
  readonly text: string;
  readonly reason: string;
  constructor(text: string, column: number, reason: string) {
    super(`${reason} (column ${column + 1})`);
    this.text = text;
    this.column = column;
    this.reason = reason;
  }
  /** The text, a caret under the failing column, and the reason. */
  pretty(indent = '  '): string {
    return `${indent}${this.text}\n${indent}${' '.repeat(this.column)}^ ${this.reason}`;
  }
}

export interface Token {
  text: string;
  column: number;
}

const TOKEN = /\s*(\.\.\.|[A-Za-z_][A-Za-z0-9_]*|\d+|[*(),;{}[\]]|\S)/gy;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match !== null; match = TOKEN.exec(text)) {
    const token = match[1] as string;
    tokens.push({ text: token, column: match.index + match[0].length - token.length });
  }
  for (const token of tokens) {
    if (!/^(\.\.\.|[A-Za-z_]\w*|\d+|[*(),;{}[\]])$/.test(token.text)) throw new DeclarationError(text, token.column, `unexpected '${token.text}'`);
  }
  return tokens;
}

export interface Declarator {
  /** The declarator as koffi reads it (`struct`/`enum` keywords removed). */
  text: string;
  type: CType;
  name: string | undefined;
  /** Column of the declarator, and of its base type name (for "unknown type" carets). */
  column: number;
  baseColumn: number;
}

export interface Prototype {
  /** The declaration as typed (trimmed, without the trailing `;`). */
  source: string;
  name: string;
  nameColumn: number;
  result: Declarator;
  params: Declarator[];
  variadic: boolean;
}

const KEYWORDS_DROPPED = new Set(['struct', 'enum', 'union', 'extern', 'static', 'inline', 'restrict', '__restrict', 'volatile']);

/** Parses one declarator from tokens (columns kept); `allowName` false for a result type. */
function declarator(source: string, tokens: Token[], at: number, what: string): Declarator {
  const kept = tokens.filter((t) => !KEYWORDS_DROPPED.has(t.text));
  const column = tokens[0]?.column ?? at;
  if (kept.length === 0) throw new DeclarationError(source, column, `missing ${what}`);
  for (const token of kept) {
    if (token.text === '(' || token.text === ')') {
      throw new DeclarationError(source, token.column, `function pointers are declared with .callback Name(...), then written \`Name *\``);
    }
    if (token.text === '[') throw new DeclarationError(source, token.column, `arrays are passed as pointers here: write \`type *name\``);
    if (!/^([A-Za-z_]\w*|\*)$/.test(token.text)) throw new DeclarationError(source, token.column, `unexpected '${token.text}' in ${what}`);
  }
  const spaced = kept.map((t) => t.text).join(' ');
  try {
    const parsed = parseCDeclarator(spaced, what);
    return { text: joinTokens(kept), type: parsed.type, name: parsed.name, column, baseColumn: (kept[0] as Token).column };
  } catch (error) {
    // The drift check's parser names the problem but not where: find the first token it could not place.
    const reason = (error as Error).message.replace(/^[^:]*: /, '');
    const bad = kept.find((t) => reason.includes(`'${t.text}'`)) ?? strayWord(kept) ?? kept.at(-1) ?? { column };
    throw new DeclarationError(source, bad.column, `cannot read ${what}: ${reason}`);
  }
}

const TYPE_WORDS = new Set(['unsigned', 'signed', 'long', 'short', 'char', 'int']);

/** In `dou ble x`, the word that cannot be part of the type: the second word, unless both are C type words. */
function strayWord(tokens: Token[]): Token | undefined {
  const words = tokens.filter((t) => /^[A-Za-z_]\w*$/.test(t.text) && !['const', '_In_', '_Out_', '_Inout_'].includes(t.text));
  for (let i = 1; i < words.length - 1; i++) {
    if (!words.slice(0, i + 1).every((w) => TYPE_WORDS.has(w.text))) return words[i];
  }
  return undefined;
}

/** Tokens back to C: `const char *s`, `char **argv`, `uint8_t *const p`. */
function joinTokens(tokens: Token[]): string {
  let text = '';
  let previous = '';
  for (const { text: t } of tokens) {
    if (t === '*') text += previous === '*' ? '*' : ' *';
    else text += previous === '' || previous === '*' ? t : ` ${t}`;
    previous = t;
  }
  return text.trim();
}

/** Splits tokens at depth-0 commas. */
function splitTop(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(') depth++;
    if (token.text === ')') depth--;
    if (token.text === ',' && depth === 0) parts.push([]);
    else (parts.at(-1) as Token[]).push(token);
  }
  return parts;
}

/** Parses `double cos(double x)`, `int printf(const char *fmt, ...)`; errors carry the column. */
export function parsePrototype(input: string): Prototype {
  const source = input.trim().replace(/;\s*$/, '');
  const tokens = tokenize(source);
  if (tokens.length === 0) throw new DeclarationError(source, 0, 'empty declaration: write a C prototype like `double cos(double x)`');
  const open = tokens.findIndex((t) => t.text === '(');
  if (open === -1) throw new DeclarationError(source, source.length, "expected '(' and the parameters after the function name");
  const nameToken = tokens[open - 1];
  if (!nameToken || !/^[A-Za-z_]\w*$/.test(nameToken.text) || nameToken.text === 'const') {
    throw new DeclarationError(source, (tokens[open] as Token).column, "expected the function's name before '('");
  }
  let depth = 0;
  let close = -1;
  for (let i = open; i < tokens.length; i++) {
    const text = (tokens[i] as Token).text;
    if (text === '(') depth++;
    if (text === ')' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close === -1) throw new DeclarationError(source, source.length, "missing ')' at the end of the parameters");
  const extra = tokens[close + 1];
  if (extra) throw new DeclarationError(source, extra.column, `unexpected '${extra.text}' after the parameters`);
  const resultTokens = tokens.slice(0, open - 1);
  if (resultTokens.filter((t) => !KEYWORDS_DROPPED.has(t.text)).length === 0) {
    throw new DeclarationError(source, nameToken.column, 'missing the result type before the name (`void` if it returns nothing)');
  }
  const result = declarator(source, resultTokens, nameToken.column, 'the result type');
  if (result.name !== undefined) {
    // `double double cos(`: the drift check's parser read the second `double` as a name.
    const stray = resultTokens.findLast((t) => t.text === result.name) ?? nameToken;
    throw new DeclarationError(source, stray.column, `cannot read the result type: '${stray.text}' is one word too many`);
  }
  const inside = tokens.slice(open + 1, close);
  const params: Declarator[] = [];
  let variadic = false;
  const parts = inside.length === 0 ? [] : splitTop(inside);
  if (parts.length === 1 && parts[0]?.length === 1 && parts[0][0]?.text === 'void') parts.length = 0;
  parts.forEach((part, index) => {
    const first = part[0];
    if (!first) {
      const comma = inside.filter((t) => t.text === ',')[Math.max(0, index - 1)];
      throw new DeclarationError(source, comma?.column ?? (tokens[close] as Token).column, `parameter ${index + 1} is empty`);
    }
    if (first.text === '...') {
      if (index !== parts.length - 1) throw new DeclarationError(source, first.column, "'...' must be the last parameter");
      if (index === 0) throw new DeclarationError(source, first.column, "a variadic function needs one fixed parameter before '...'");
      if (part.length > 1) throw new DeclarationError(source, (part[1] as Token).column, `unexpected '${(part[1] as Token).text}' after '...'`);
      variadic = true;
      return;
    }
    const parsed = declarator(source, part, first.column, `parameter ${index + 1}`);
    if (baseOf(parsed.type).name === 'void' && parsed.type.kind === 'named')
      throw new DeclarationError(source, first.column, "a parameter cannot be 'void' (write `()` or `(void)` for none)");
    params.push(parsed);
  });
  return { source, name: nameToken.text, nameColumn: nameToken.column, result, params, variadic };
}

/** The prototype koffi binds: the parsed parts, normalized (`struct` keywords dropped). */
export function koffiPrototype(prototype: Prototype, resultText = prototype.result.text): string {
  const params = prototype.params.map((p) => p.text);
  if (prototype.variadic) params.push('...');
  return `${resultText}${resultText.endsWith('*') ? '' : ' '}${prototype.name}(${params.join(', ')})`;
}

/** A non-const `char *` result is caller-owned memory (strdup): bound as a pointer, not copied into a string. */
export function ownsResultString(prototype: Prototype): boolean {
  const type = prototype.result.type;
  return type.kind === 'pointer' && type.to.kind === 'named' && type.to.name === 'char' && !type.to.isConst;
}

/** The result type koffi binds (`void *` for a caller-owned `char *`). */
export function bindingResultText(prototype: Prototype): string {
  return ownsResultString(prototype) ? 'void *' : prototype.result.text;
}

export interface StructField {
  name: string;
  /** The field's C type as koffi reads it: `int`, `const char *`, `char [16]`. */
  type: string;
  column: number;
  baseColumn: number;
  base: string;
}

export interface StructDeclaration {
  source: string;
  name: string;
  nameColumn: number;
  /** undefined: an opaque type (`.struct FILE`), only used behind pointers. */
  fields: StructField[] | undefined;
}

/**
 * `.struct` accepts the C forms and the STRUCTS style:
 *   struct tm { int tm_sec; int tm_min; }      typedef struct { double x, y; } Point;
 *   Point { double x; double y; }              FILE (no body: opaque)
 */
export function parseStruct(input: string): StructDeclaration {
  const source = input.trim().replace(/;\s*$/, '');
  const tokens = tokenize(source);
  let i = 0;
  const at = (k: number) => tokens[k];
  if (at(i)?.text === 'typedef') i++;
  if (at(i)?.text === 'struct') i++;
  let name: Token | undefined;
  if (at(i) && /^[A-Za-z_]\w*$/.test((at(i) as Token).text)) name = tokens[i++];
  if (i === tokens.length) {
    if (!name) throw new DeclarationError(source, source.length, 'expected a struct name');
    return { source, name: name.text, nameColumn: name.column, fields: undefined };
  }
  const brace = at(i) as Token;
  if (brace.text !== '{') throw new DeclarationError(source, brace.column, `expected '{' and the fields${name ? ` of ${name.text}` : ''}`);
  const end = tokens.findIndex((t) => t.text === '}');
  if (end === -1) throw new DeclarationError(source, source.length, "missing '}' after the fields");
  const after = tokens.slice(end + 1).filter((t) => t.text !== ';');
  if (after.length > 1) throw new DeclarationError(source, (after[1] as Token).column, `unexpected '${(after[1] as Token).text}' after the struct`);
  if (after[0]) {
    if (!/^[A-Za-z_]\w*$/.test(after[0].text)) throw new DeclarationError(source, after[0].column, `unexpected '${after[0].text}' after the struct`);
    name = after[0]; // typedef struct tag { ... } Name: the typedef name is the one C code uses.
  }
  if (!name) throw new DeclarationError(source, brace.column, 'an anonymous struct needs a name (`typedef struct { ... } Name;`)');
  const body = tokens.slice(i + 1, end);
  const fields: StructField[] = [];
  let statement: Token[] = [];
  const finish = (terminator: Token | undefined) => {
    if (statement.length === 0) return;
    fields.push(...structFields(source, statement, terminator));
    statement = [];
  };
  for (const token of body) {
    if (token.text === ';') finish(token);
    else statement.push(token);
  }
  if (statement.length > 0) finish(undefined);
  if (fields.length === 0) throw new DeclarationError(source, brace.column, 'a struct needs at least one field (or no braces at all for an opaque type)');
  const seen = new Set<string>();
  for (const field of fields) {
    if (seen.has(field.name)) throw new DeclarationError(source, field.column, `duplicate field '${field.name}'`);
    seen.add(field.name);
  }
  return { source, name: name.text, nameColumn: name.column, fields };
}

/** `int a, b[4], *c` -> one field each, arrays as `int [4]`. */
function structFields(source: string, statement: Token[], terminator: Token | undefined): StructField[] {
  const colon = statement.find((t) => t.text === ':');
  if (colon) throw new DeclarationError(source, colon.column, 'bit-fields are not supported');
  const parts = splitTop(statement);
  const first = parts[0] as Token[];
  // The base type is the first part minus its declarator (the trailing stars, name and array).
  const nameIndex = first.findLastIndex((t) => /^[A-Za-z_]\w*$/.test(t.text) && t.text !== 'const');
  let baseEnd = nameIndex;
  while (baseEnd > 0 && first[baseEnd - 1]?.text === '*') baseEnd--;
  const base = first.slice(0, baseEnd);
  if (base.length === 0) throw new DeclarationError(source, (first[0] ?? terminator ?? { column: source.length }).column, 'expected a field type and name');
  return parts.map((part, index) => {
    const own = index === 0 ? part.slice(baseEnd) : part;
    const bracket = own.findIndex((t) => t.text === '[');
    const declTokens = bracket === -1 ? own : own.slice(0, bracket);
    let arrayLength: number | undefined;
    if (bracket !== -1) {
      const size = own[bracket + 1];
      const closing = own[bracket + 2];
      if (!size || !/^\d+$/.test(size.text))
        throw new DeclarationError(source, (size ?? terminator ?? (own[bracket] as Token)).column, 'expected an array length (a number)');
      if (closing?.text !== ']') throw new DeclarationError(source, (closing ?? size).column, "expected ']'");
      const extra = own[bracket + 3];
      if (extra) throw new DeclarationError(source, extra.column, `unexpected '${extra.text}'`);
      arrayLength = Number(size.text);
    }
    const parsed = declarator(source, [...base, ...declTokens], (own[0] ?? (base[0] as Token)).column, `field ${index + 1}`);
    if (parsed.name === undefined) throw new DeclarationError(source, (own.at(-1) ?? terminator ?? { column: source.length }).column, 'expected a field name');
    const type = formatC(parsed.type);
    return {
      name: parsed.name,
      type: arrayLength === undefined ? type : `${type} [${arrayLength}]`,
      column: (own[0] ?? (base[0] as Token)).column,
      baseColumn: parsed.baseColumn,
      base: baseOf(parsed.type).name,
    };
  });
}
