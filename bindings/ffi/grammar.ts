/**
 * The one C declaration grammar of mylib-rust/ffi: C text -> the type vocabulary of types.ts.
 *
 * Read: function prototypes (named or unnamed parameters), `struct`, `union` (nested, forward
 * declared, self-referencing through pointers), `enum` (enumerators become integer constants; the
 * type passes as an `int`), `typedef` (including function types and pointers to them), `extern`
 * variables, fixed-size arrays, `const`, pointers to pointers, comments. Refused with the position
 * and the construct: variadic functions, bit-fields, function bodies, initializers, `long double`,
 * `_Complex`, attributes, preprocessor lines, anything else that is not in that list.
 */
import {
  type CType,
  type EnumType,
  type Field,
  type FunctionType,
  type Param,
  type RecordType,
  SCALAR_ALIASES,
  SCALAR_NAMES,
  VOID,
  pointer,
  scalar,
} from './types.ts';

/** A declaration the grammar refuses or cannot read, at a position of the text. */
export class DeclarationError extends Error {
  readonly text: string;
  /** 0-based offset into `text`. */
  readonly offset: number;
  /** 1-based line and 0-based column of `offset`. */
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(text: string, offset: number, reason: string) {
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1);
    super(`${reason} (${text.includes('\n') ? `line ${line}, ` : ''}column ${column + 1})`);
    this.name = 'DeclarationError';
    this.text = text;
    this.offset = offset;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
  /** The line of the text, a caret under the failing column, and the reason. */
  pretty(indent = '  '): string {
    const lineText = this.text.split('\n')[this.line - 1] ?? '';
    return `${indent}${lineText}\n${indent}${' '.repeat(this.column)}^ ${this.reason}`;
  }
}

/** A function with the name it is exported under. */
export type NamedFunction = FunctionType & { readonly name: string };

/** One thing a text declared, in the order of the text. */
export type Declared =
  | { readonly kind: 'function'; readonly name: string; readonly type: NamedFunction }
  | { readonly kind: 'variable'; readonly name: string; readonly type: CType }
  | { readonly kind: 'typedef'; readonly name: string; readonly type: CType }
  | { readonly kind: 'record'; readonly name: string; readonly type: RecordType }
  | { readonly kind: 'enum'; readonly name: string; readonly type: EnumType }
  | { readonly kind: 'constant'; readonly name: string; readonly value: number };

/**
 * The names declarations are read against: typedef names, `struct`/`union`/`enum` tags,
 * functions, variables and constants. A child scope sees its parent's names and adds its own.
 */
export class Scope {
  readonly parent: Scope | undefined;
  readonly typedefs = new Map<string, CType>();
  /** Keyed `struct X`, `union X`, `enum X`. */
  readonly tags = new Map<string, RecordType | EnumType>();
  readonly functions = new Map<string, NamedFunction>();
  readonly variables = new Map<string, CType>();
  readonly constants = new Map<string, number>();
  constructor(parent?: Scope) {
    this.parent = parent;
  }
  typedef(name: string): CType | undefined {
    return this.typedefs.get(name) ?? this.parent?.typedef(name);
  }
  tag(key: string): RecordType | EnumType | undefined {
    return this.tags.get(key) ?? this.parent?.tag(key);
  }
  constant(name: string): number | undefined {
    return this.constants.get(name) ?? this.parent?.constant(name);
  }
  function(name: string): NamedFunction | undefined {
    return this.functions.get(name) ?? this.parent?.function(name);
  }
  /** A type by the name C code uses: a typedef name, `struct X`, or a scalar (`unsigned int`). */
  type(name: string): CType | undefined {
    const spaced = name.trim().replace(/\s+/g, ' ');
    if (/^(struct|union|enum) /.test(spaced)) return this.tag(spaced);
    if (spaced === 'void') return VOID;
    return scalar(spaced) ?? this.typedef(spaced);
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

interface Token {
  readonly text: string;
  readonly at: number;
  readonly kind: 'word' | 'number' | 'punct' | 'end';
}

const TOKEN = /(\s+|\/\*[\s\S]*?\*\/|\/\/[^\n]*)|([A-Za-z_][A-Za-z0-9_]*)|(0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*)|(\.\.\.|<<|>>|[*(),;{}[\]=:+\-|&^~/%<>])|(.)/gy;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match !== null && match[0] !== ''; match = TOKEN.exec(text)) {
    const at = match.index;
    if (match[1] !== undefined) {
      if (match[1].startsWith('/*') && !match[1].endsWith('*/')) throw new DeclarationError(text, at, 'unterminated comment');
      continue;
    }
    if (match[2] !== undefined) tokens.push({ text: match[2], at, kind: 'word' });
    else if (match[3] !== undefined) tokens.push({ text: match[3], at, kind: 'number' });
    else if (match[4] !== undefined) tokens.push({ text: match[4], at, kind: 'punct' });
    else {
      const char = match[5] as string;
      if (char === '#') throw new DeclarationError(text, at, 'preprocessor lines are not read here: give the declarations after preprocessing');
      if (char === '/' && text[at + 1] === '*') throw new DeclarationError(text, at, 'unterminated comment');
      throw new DeclarationError(text, at, `unexpected '${char}'`);
    }
  }
  tokens.push({ text: '', at: text.length, kind: 'end' });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// The parser

/** Words that make up the spelling of a built-in scalar (`unsigned long long int`). */
const SCALAR_WORDS = new Set(['void', 'char', 'short', 'int', 'long', 'signed', 'unsigned', 'float', 'double', 'bool', '_Bool']);
/** Qualifiers that do not change the ABI of what they qualify. */
const IGNORED_QUALIFIERS = new Set(['volatile', 'restrict', '__restrict', '__restrict__', 'extern']);
/** Constructs recognised only to be refused with a clear reason. */
const REFUSED: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  _Complex: 'complex numbers (_Complex) are not supported',
  __int128: '128-bit integers are not supported',
  __attribute__: 'attributes (__attribute__) are not read here: remove them',
  __declspec: 'attributes (__declspec) are not read here: remove them',
  __asm__: 'asm labels are not read here: remove them',
  asm: 'asm labels are not read here: remove them',
  inline: 'inline functions are not read here (they have no exported symbol)',
  static: 'static declarations are not read here (they have no exported symbol)',
  _Atomic: '_Atomic types are not supported',
});

/** A type in the making: its base, then the declarator's derivations applied inside out. */
type Derive = (type: CType) => CType;

interface Declarator {
  name: Token | undefined;
  derive: Derive;
  /** The outermost derivation is a function: this declares a function. */
  isFunction: boolean;
}

class Parser {
  readonly #text: string;
  readonly #tokens: Token[];
  readonly #scope: Scope;
  #i = 0;
  readonly declared: Declared[] = [];

  constructor(text: string, scope: Scope) {
    this.#text = text;
    this.#tokens = tokenize(text);
    this.#scope = scope;
  }

  error(token: Token, reason: string): never {
    throw new DeclarationError(this.#text, token.at, reason);
  }
  get peek(): Token {
    return this.#tokens[this.#i] as Token;
  }
  peekAt(k: number): Token {
    return (this.#tokens[this.#i + k] ?? this.#tokens.at(-1)) as Token;
  }
  next(): Token {
    const token = this.peek;
    if (token.kind !== 'end') this.#i++;
    return token;
  }
  accept(text: string): Token | undefined {
    if (this.peek.text === text && this.peek.kind !== 'end') return this.next();
    return undefined;
  }
  expect(text: string, what: string): Token {
    const token = this.accept(text);
    if (!token) this.error(this.peek, `expected '${text}' ${what}${this.peek.kind === 'end' ? ' before the end' : `, found '${this.peek.text}'`}`);
    return token;
  }
  get atEnd(): boolean {
    return this.peek.kind === 'end';
  }

  /** Every declaration of the text, each ended by `;` (the last one may omit it). */
  declarations(): void {
    while (!this.atEnd) {
      if (this.accept(';')) continue;
      this.declaration();
      if (!this.atEnd) this.expect(';', 'after the declaration');
    }
  }

  declaration(): void {
    const start = this.peek;
    const isTypedef = this.accept('typedef') !== undefined;
    const base = this.specifiers(isTypedef ? 'typedef' : 'declaration');
    if (this.peek.text === ';' || this.atEnd) {
      if (isTypedef) this.error(this.peek, 'expected the name the typedef declares');
      const type = base.type;
      if (!base.tagged || ((type.kind === 'struct' || type.kind === 'union') && type.name.startsWith('(anonymous'))) {
        this.error(start, 'this declaration declares nothing');
      }
      return;
    }
    for (;;) {
      const declarator = this.withConstBase(base.constBase, () => this.declarator('named'));
      const name = declarator.name as Token;
      const type = declarator.derive(base.type);
      if (this.peek.text === '=') this.error(this.peek, 'initializers are not read here');
      if (this.peek.text === '{') this.error(this.peek, 'function bodies are not read here: give the prototype only');
      if (isTypedef) this.addTypedef(name, type);
      else if (type.kind === 'function') this.addFunction(name, type);
      else this.addVariable(name, type);
      if (!this.accept(',')) break;
    }
  }

  addTypedef(name: Token, type: CType): void {
    if ((type.kind === 'struct' || type.kind === 'union') && type.typedefName === undefined) {
      if (type.name.startsWith('(anonymous')) type.name = name.text;
      type.typedefName = name.text;
    }
    const named = type.kind === 'function' && type.name === undefined ? { ...type, name: name.text } : type;
    const existing = this.#scope.typedefs.get(name.text);
    if (existing !== undefined && existing !== named && !sameShape(existing, named)) this.error(name, `'${name.text}' is already a typedef of another type`);
    this.#scope.typedefs.set(name.text, named);
    this.declared.push({ kind: 'typedef', name: name.text, type: named });
  }

  addFunction(name: Token, type: FunctionType): void {
    const named: NamedFunction = { ...type, name: name.text };
    this.#scope.functions.set(name.text, named);
    this.declared.push({ kind: 'function', name: name.text, type: named });
  }

  addVariable(name: Token, type: CType): void {
    if (type.kind === 'void') this.error(name, `variable '${name.text}' cannot be void`);
    this.#scope.variables.set(name.text, type);
    this.declared.push({ kind: 'variable', name: name.text, type });
  }

  /** Declaration specifiers: the base type and its qualifiers. */
  specifiers(what: string): { type: CType; constBase: boolean; tagged: boolean } {
    const words: Token[] = [];
    let type: CType | undefined;
    let constBase = false;
    let tagged = false;
    const first = this.peek;
    for (;;) {
      const token = this.peek;
      if (token.kind !== 'word') break;
      const refused = REFUSED[token.text];
      if (refused) this.error(token, refused);
      if (token.text === 'const') {
        this.next();
        constBase = true;
        continue;
      }
      if (IGNORED_QUALIFIERS.has(token.text)) {
        this.next();
        continue;
      }
      if (token.text === 'struct' || token.text === 'union') {
        if (type || words.length) this.error(token, `unexpected '${token.text}' after the type`);
        type = this.record();
        tagged = true;
        continue;
      }
      if (token.text === 'enum') {
        if (type || words.length) this.error(token, "unexpected 'enum' after the type");
        type = this.enumeration();
        tagged = true;
        continue;
      }
      if (SCALAR_WORDS.has(token.text) || (words.length === 0 && type === undefined && (SCALAR_NAMES as readonly string[]).includes(token.text))) {
        if (type) this.error(token, `unexpected '${token.text}' after the type`);
        words.push(this.next());
        continue;
      }
      if (type === undefined && words.length === 0) {
        const named = this.#scope.typedef(token.text);
        if (named) {
          this.next();
          type = named;
          continue;
        }
      }
      break;
    }
    if (words.length > 0) type = this.scalarOf(words);
    if (!type) {
      const token = this.peek;
      if (token.kind === 'word' && words.length === 0) {
        const after = this.peekAt(1);
        if (after.kind === 'word' || after.text === '*') this.error(token, `unknown type '${token.text}'`);
      }
      this.error(first.kind === 'end' ? first : token, `expected a type in the ${what}${token.kind === 'end' ? '' : `, found '${token.text}'`}`);
    }
    return { type, constBase, tagged };
  }

  scalarOf(words: Token[]): CType {
    const spelled = words.map((w) => w.text).join(' ');
    if (spelled === 'void') return VOID;
    if (/\blong double\b|\bdouble long\b/.test(spelled)) this.error(words[0] as Token, 'long double is not supported');
    const type = scalar(canonicalOrder(spelled));
    if (!type) this.error(words[0] as Token, `'${spelled}' is not a C type`);
    return type;
  }

  /** `struct tag`, `struct tag { fields }`, `struct { fields }` (after `struct` or `union`). */
  record(): RecordType {
    const kind = this.next().text as 'struct' | 'union';
    const tag = this.peek.kind === 'word' ? this.next() : undefined;
    if (tag && REFUSED[tag.text]) this.error(tag, REFUSED[tag.text] as string);
    const key = tag ? `${kind} ${tag.text}` : undefined;
    const existing = key ? this.#scope.tag(key) : undefined;
    if (existing && existing.kind !== kind) this.error(tag as Token, `'${tag?.text}' is already a ${existing.kind}`);
    const known = existing as RecordType | undefined;
    if (this.peek.text !== '{') {
      if (!tag) this.error(this.peek, `expected a name or '{' after '${kind}'`);
      if (known) return known;
      const opaque: RecordType = { kind, name: tag.text, fields: undefined };
      this.#scope.tags.set(key as string, opaque);
      this.declared.push({ kind: 'record', name: tag.text, type: opaque });
      return opaque;
    }
    this.next();
    let target: RecordType;
    if (known && known.fields === undefined) target = known;
    else if (known) {
      // The same definition twice is harmless (a header read twice); another one is an error.
      const fields = this.fields(kind, known.name);
      if (sameShape({ kind, name: known.name, fields }, known)) return known;
      if (this.#scope.tags.get(key as string) === known) this.error(tag as Token, `${kind} ${known.name} is already defined with other fields`);
      target = { kind, name: known.name, fields };
      this.#scope.tags.set(key as string, target);
      this.declared.push({ kind: 'record', name: target.name, type: target });
      return target;
    } else {
      target = { kind, name: tag?.text ?? `(anonymous ${kind})`, fields: undefined };
      if (key) this.#scope.tags.set(key, target);
    }
    target.fields = this.fields(kind, target.name);
    if (tag) this.declared.push({ kind: 'record', name: tag.text, type: target });
    return target;
  }

  fields(kind: string, name: string): Field[] {
    const fields: Field[] = [];
    const names = new Set<string>();
    while (!this.accept('}')) {
      if (this.atEnd) this.error(this.peek, `missing '}' at the end of ${kind} ${name}`);
      const base = this.specifiers('field');
      if (this.peek.text === ';') this.error(this.peek, 'anonymous members are not supported: give the member a name');
      for (;;) {
        const declarator = this.withConstBase(base.constBase, () => this.declarator('named'));
        const field = declarator.name as Token;
        if (this.peek.text === ':') this.error(this.peek, 'bit-fields are not supported');
        const type = declarator.derive(base.type);
        if (type.kind === 'function') this.error(field, `field '${field.text}' cannot be a function (make it a pointer: (*${field.text}))`);
        if (type.kind === 'void') this.error(field, `field '${field.text}' cannot be void`);
        if ((type.kind === 'struct' || type.kind === 'union') && type.fields === undefined) {
          this.error(field, `field '${field.text}' has the incomplete type ${type.kind} ${type.name} (make it a pointer)`);
        }
        if (names.has(field.text)) this.error(field, `duplicate field '${field.text}'`);
        names.add(field.text);
        fields.push({ name: field.text, type });
        if (!this.accept(',')) break;
      }
      this.expect(';', 'after the field');
    }
    if (fields.length === 0) this.error(this.peek, `${kind} ${name} has no fields (leave out the braces for an opaque type)`);
    return fields;
  }

  enumeration(): EnumType {
    this.next();
    const tag = this.peek.kind === 'word' ? this.next() : undefined;
    const key = tag ? `enum ${tag.text}` : undefined;
    if (this.peek.text !== '{') {
      if (!tag) this.error(this.peek, "expected a name or '{' after 'enum'");
      const known = this.#scope.tag(key as string);
      if (known?.kind !== 'enum') this.error(tag, `unknown enum '${tag.text}'`);
      return known;
    }
    this.next();
    const values: Record<string, number> = Object.create(null);
    let value = -1;
    while (!this.accept('}')) {
      const name = this.next();
      if (name.kind !== 'word') this.error(name, `expected an enumerator name, found '${name.text || 'the end'}'`);
      value = this.accept('=') ? this.constantExpression() : value + 1;
      if (!Number.isSafeInteger(value) || value < -(2 ** 31) || value > 2 ** 32 - 1) this.error(name, `enumerator ${name.text} = ${value} does not fit an int`);
      values[name.text] = value;
      this.#scope.constants.set(name.text, value);
      this.declared.push({ kind: 'constant', name: name.text, value });
      if (!this.accept(',')) {
        this.expect('}', 'at the end of the enum');
        break;
      }
    }
    const type: EnumType = { kind: 'enum', name: tag ? `enum ${tag.text}` : 'int', values };
    if (key) {
      this.#scope.tags.set(key, type);
      this.declared.push({ kind: 'enum', name: tag?.text as string, type });
    }
    return type;
  }

  /** Integer constant expressions: literals, enumerators, ( ), unary - ~ +, * / % + - << >> & ^ |. */
  constantExpression(): number {
    const levels = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
    const apply = (op: Token, a: number, b: number): number => {
      switch (op.text) {
        case '|':
          return Number(BigInt(a) | BigInt(b));
        case '^':
          return Number(BigInt(a) ^ BigInt(b));
        case '&':
          return Number(BigInt(a) & BigInt(b));
        case '<<':
          return Number(BigInt(a) << BigInt(b));
        case '>>':
          return Number(BigInt(a) >> BigInt(b));
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        default:
          if (b === 0) this.error(op, 'division by zero');
          return op.text === '/' ? Math.trunc(a / b) : a % b;
      }
    };
    const level = (depth: number): number => {
      if (depth === levels.length) return this.unary();
      let value = level(depth + 1);
      while (this.peek.kind === 'punct' && (levels[depth] as string[]).includes(this.peek.text)) {
        const op = this.next();
        value = apply(op, value, level(depth + 1));
      }
      return value;
    };
    return level(0);
  }

  unary(): number {
    const token = this.next();
    if (token.text === '-') return -this.unary();
    if (token.text === '+') return this.unary();
    if (token.text === '~') return Number(~BigInt(this.unary()));
    if (token.text === '(') {
      const value = this.constantExpression();
      this.expect(')', 'in the expression');
      return value;
    }
    if (token.kind === 'number') return Number(token.text.replace(/[uUlL]+$/, ''));
    if (token.kind === 'word') {
      const value = this.#scope.constant(token.text);
      if (value === undefined) this.error(token, `unknown constant '${token.text}'`);
      return value;
    }
    this.error(token, `expected a number, found '${token.text || 'the end'}'`);
  }

  /**
   * A declarator: pointers, then a name or a parenthesised declarator, then array and parameter
   * suffixes. `mode`: a name is required, optional (parameters) or absent (type names).
   */
  declarator(mode: 'named' | 'optional' | 'abstract'): Declarator {
    const constBase = this.#constBaseFlag;
    const stars: Array<{ constSelf: boolean }> = [];
    while (this.accept('*')) {
      const star = { constSelf: false };
      while (this.peek.kind === 'word' && (this.peek.text === 'const' || IGNORED_QUALIFIERS.has(this.peek.text))) {
        if (this.next().text === 'const') star.constSelf = true;
      }
      stars.push(star);
    }
    let inner: Declarator | undefined;
    let name: Token | undefined;
    if (this.peek.text === '(' && (this.peekAt(1).text === '*' || (this.peekAt(1).text === '(' && mode !== 'abstract'))) {
      this.next();
      inner = this.withConstBase(false, () => this.declarator(mode));
      this.expect(')', 'after the declarator');
    } else if (this.peek.kind === 'word' && mode !== 'abstract') {
      const token = this.peek;
      const refused = REFUSED[token.text];
      if (refused) this.error(token, refused);
      if (token.text === 'const') this.error(token, "'const' here qualifies nothing: write it before the type or after a '*'");
      if (SCALAR_WORDS.has(token.text)) this.error(token, `'${token.text}' is a type: one type per declaration`);
      name = this.next();
    }
    if (mode === 'named' && !inner && !name)
      this.error(this.peek, `expected a name${this.peek.kind === 'end' ? ' before the end' : `, found '${this.peek.text}'`}`);
    const suffixes: Derive[] = [];
    let isFunction = false;
    for (;;) {
      if (this.peek.text === '[') {
        const open = this.next();
        if (this.accept(']')) {
          suffixes.push((t) => ({ kind: 'array', of: t, length: 0 }));
          continue;
        }
        const length = this.constantExpression();
        if (!Number.isSafeInteger(length) || length <= 0) this.error(open, `array length must be a positive integer, got ${length}`);
        this.expect(']', 'after the array length');
        suffixes.push((t) => ({ kind: 'array', of: t, length }));
        continue;
      }
      if (this.peek.text === '(') {
        if (suffixes.length === 0) isFunction = true;
        const params = this.parameters();
        suffixes.push((t) => {
          if (t.kind === 'array') this.error(this.peek, 'a function cannot return an array');
          if (t.kind === 'function') this.error(this.peek, 'a function cannot return a function (return a pointer to it)');
          return { kind: 'function', name: undefined, result: t, params };
        });
        continue;
      }
      break;
    }
    const outerName = inner ? inner.name : name;
    const derive: Derive = (base) => {
      let type = base;
      type = applyStars(type, stars, constBase);
      for (let k = suffixes.length - 1; k >= 0; k--) type = (suffixes[k] as Derive)(type);
      return inner ? inner.derive(type) : type;
    };
    return { name: outerName, derive, isFunction: inner ? inner.isFunction : isFunction };
  }

  #constBaseFlag = false;

  /** `(void)`, `()`, or parameters; arrays decay to pointers, functions to function pointers. */
  parameters(): Param[] {
    this.expect('(', 'before the parameters');
    const params: Param[] = [];
    if (this.peek.text === 'void' && this.peekAt(1).text === ')') {
      this.next();
      this.next();
      return params;
    }
    if (this.accept(')')) return params;
    const names = new Set<string>();
    for (;;) {
      const start = this.peek;
      if (start.text === '...') this.error(start, 'variadic functions (...) are not supported: declare one prototype per argument list you call');
      if (start.kind === 'end') this.error(start, "missing ')' at the end of the parameters");
      if (start.text === ',' || start.text === ')') this.error(start, `parameter ${params.length + 1} is empty`);
      const saved = this.#constBaseFlag;
      const base = this.specifiers(`parameter ${params.length + 1}`);
      this.#constBaseFlag = base.constBase;
      const declarator = this.declarator('optional');
      let type = declarator.derive(base.type);
      this.#constBaseFlag = saved;
      if (type.kind === 'void') this.error(start, "a parameter cannot be 'void' (write () or (void) for none)");
      if (type.kind === 'array') type = pointer(type.of, base.constBase && type.of.kind !== 'pointer');
      if (type.kind === 'function') type = pointer(type);
      const name = declarator.name?.text;
      if (name !== undefined) {
        if (names.has(name)) this.error(declarator.name as Token, `duplicate parameter '${name}'`);
        names.add(name);
      }
      params.push({ name, type });
      if (this.accept(')')) return params;
      if (this.atEnd) this.error(this.peek, "missing ')' at the end of the parameters");
      this.expect(',', 'between parameters');
    }
  }

  /** A type name: specifiers and an abstract declarator (`const uint8_t *`, `char [16]`). */
  typeName(): CType {
    const saved = this.#constBaseFlag;
    const base = this.specifiers('type');
    this.#constBaseFlag = base.constBase;
    const declarator = this.declarator('abstract');
    const type = declarator.derive(base.type);
    this.#constBaseFlag = saved;
    return type;
  }

  /** For declarations, the specifiers' const feeds the first star (set around each declarator). */
  withConstBase<T>(constBase: boolean, body: () => T): T {
    const saved = this.#constBaseFlag;
    this.#constBaseFlag = constBase;
    try {
      return body();
    } finally {
      this.#constBaseFlag = saved;
    }
  }
}

/** Applies `*`s: the first one's target is const when the base is; each next one's when the star before it is `*const`. */
function applyStars(base: CType, stars: ReadonlyArray<{ constSelf: boolean }>, constBase: boolean): CType {
  let type = base;
  let constTarget = constBase;
  for (const star of stars) {
    type = pointer(type, constTarget);
    constTarget = star.constSelf;
  }
  return type;
}

/** `long unsigned int` -> `unsigned long int` (C allows the words in any order). */
function canonicalOrder(spelled: string): string {
  const words = spelled.split(' ');
  const order = ['signed', 'unsigned', 'short', 'long', 'char', 'int', 'float', 'double', 'bool', '_Bool'];
  if (words.length === 1) return spelled;
  if (words.some((w) => !order.includes(w))) return spelled;
  const sorted = [...words].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const joined = sorted.join(' ');
  return joined in SCALAR_ALIASES || scalar(joined) ? joined : spelled;
}

/** Structural equality of two types, records compared by kind, name and fields. */
function sameShape(a: CType, b: CType): boolean {
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

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Reads declarations (separated by `;`) into `scope` and returns what they declared, in order.
 * Throws a DeclarationError at the first construct it cannot read; the scope keeps what was
 * read before it.
 */
export function parseDeclarations(text: string, scope: Scope = new Scope()): Declared[] {
  const parser = new Parser(text, scope);
  parser.declarations();
  return parser.declared;
}

/** One function prototype (`double cos(double x)`, with or without `;`), read against `scope`. */
export function parseFunction(text: string, scope: Scope = new Scope()): NamedFunction {
  const local = new Scope(scope);
  // A tag first named here (`struct foo *f(void)`) declares an incomplete type: not a second declaration.
  const declared = parseDeclarations(text, local).filter((d) => d.kind !== 'record' || d.type.fields !== undefined);
  const functions = declared.filter((d) => d.kind === 'function');
  const first = declared[0];
  if (functions.length !== 1 || declared.length !== 1 || !first) {
    const offset = text.search(/\S/);
    throw new DeclarationError(text, Math.max(0, offset), declared.length === 0 ? 'expected a function prototype' : 'expected exactly one function prototype');
  }
  return (first as Extract<Declared, { kind: 'function' }>).type;
}

/** One type name (`const uint8_t *`, `struct tm`, `MylibProgressFn *`, `char [16]`). */
export function parseType(text: string, scope: Scope = new Scope()): CType {
  const parser = new Parser(text, scope);
  const type = parser.typeName();
  if (!parser.atEnd) parser.error(parser.peek, `unexpected '${parser.peek.text}' after the type`);
  return type;
}
