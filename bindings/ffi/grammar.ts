/**
 * The one C declaration grammar of mylib-rust/ffi: C text -> the type vocabulary of types.ts.
 *
 * Read: function prototypes (named or unnamed parameters), `struct`, `union` (nested, forward
 * declared, self-referencing through pointers), `enum` (enumerators become integer constants; the
 * type passes as an `int`), `typedef` (including function types and pointers to them), `extern`
 * variables, fixed-size arrays, `const`, pointers to pointers, comments. Refused with the position
 * and the construct: variadic functions, bit-fields, function bodies, initializers, `long double`,
 * `_Complex`, attributes, preprocessor lines, anything else that is not in that list.
 *
 * Header mode (`parseHeader`): the same grammar over a whole header, preprocessed (`cc -E -dD`
 * output, whose line markers give each declaration its file and line) or raw. A declaration the
 * grammar refuses is recorded with its reason and reading resumes after it (at the next top-level
 * `;`, or after the balanced `}` of a function body). Attributes (`__attribute__((...))`,
 * `__declspec(...)`, `_Noreturn`) and `__extension__` are dropped from the declaration they are in,
 * and recorded. `#define NAME <integer constant expression | string literal>` declares a constant;
 * every other preprocessor line is recorded as skipped, with the reason. Raw text only: an empty
 * object-like macro (`#define SQLITE_API`) is removed from the declarations that follow, and one
 * that stands for words (`#define ZEXTERN extern`) is replaced by them.
 */
import {
  type CType,
  type EnumType,
  type Field,
  type FunctionType,
  type Param,
  type RecordType,
  SCALAR_NAMES,
  VOID,
  MAX_TYPE_DEPTH,
  pointer,
  scalar,
  applyStars,
  typeDepth,
  canonicalOrder,
  sameShape,
} from './types.ts';
import { type DroppedPiece, HeaderText, SCALAR_WORDS, declaredNameIn, prepareTokens, resyncIndex } from './_header-text.ts';
import {
  DeclarationError,
  type Directive,
  type HeaderDeclarations,
  type ParseHeaderOptions,
  type SkipReason,
  type Skipped,
  type SourceSpan,
  type Token,
  cString,
  skipReason,
  stripComments,
  tokenize,
  tokenizeHeader,
} from './c-lexer.ts';

import { type Declared, type NamedFunction, Scope } from './scope.ts';

export { type Declared, type NamedFunction, Scope };
export { DeclarationError, type HeaderDeclarations, type ParseHeaderOptions, type SkipReason, type Skipped, type SourceSpan };

// ---------------------------------------------------------------------------------------------
// The parser

/** The most parentheses and unary operators one constant expression nests. */
const MAX_EXPRESSION_DEPTH = 256;
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

/** Header mode's state: the directives, the line markers, and what was skipped. */
interface HeaderState {
  readonly text: HeaderText;
  readonly directives: readonly Directive[];
  readonly skipped: Skipped[];
  /** Parallel to `declared`: the text range of the declaration each item came from. */
  readonly spans: Array<{ from: number; to: number }>;
  /** Dropped pieces (attributes, `__extension__`), until their declaration's name is known. */
  readonly dropped: DroppedPiece[];
}

class Parser {
  readonly #text: string;
  readonly #tokens: Token[];
  readonly #scope: Scope;
  readonly #header: HeaderState | undefined;
  #i = 0;
  readonly declared: Declared[] = [];

  constructor(text: string, scope: Scope, header?: ParseHeaderOptions) {
    this.#text = text;
    this.#scope = scope;
    if (!header) {
      this.#tokens = tokenize(text);
      this.#header = undefined;
      return;
    }
    const { tokens, directives } = tokenizeHeader(text);
    this.#header = { text: new HeaderText(text, directives, header.file ?? '<text>'), directives, skipped: [], spans: [], dropped: [] };
    this.#tokens = prepareTokens(tokens, directives, this.#header.text.preprocessed, this.#header.dropped);
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
    if (this.#header) {
      this.#headerDeclarations(this.#header);
      return;
    }
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
      if (this.peek.text === '__asm__') this.error(this.peek, REFUSED.__asm__ as string);
      if (this.peek.text === '=') this.error(this.peek, 'initializers are not read here');
      if (this.peek.text === '{') this.error(this.peek, 'function bodies are not read here: give the prototype only');
      if (isTypedef) this.addTypedef(name, type);
      else if (type.kind === 'function') this.addFunction(name, type);
      else this.addVariable(name, type);
      if (!this.accept(',')) break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Header mode

  #skip(why: SkipReason, reason: string, name: string | undefined, from: number, to: number, part: Skipped['part'] = 'declaration'): void {
    let text = this.#text.slice(from, to).replace(/\s+/g, ' ').trim();
    if (text.length > 160) text = `${text.slice(0, 157)}...`;
    const header = this.#header as HeaderState;
    header.skipped.push({ ...header.text.span(from, to), why, reason, name, part, text });
  }

  /** Declarations one by one: a refused one is recorded and reading resumes after it. */
  #headerDeclarations(header: HeaderState): void {
    let d = 0;
    const directivesBefore = (offset: number) => {
      for (; d < header.directives.length && (header.directives[d] as Directive).at < offset; d++) this.#directive(header.directives[d] as Directive);
    };
    const scope = this.#scope;
    const maps = [scope.typedefs, scope.tags, scope.functions, scope.variables, scope.constants] as Array<Map<string, unknown>>;
    const refused: Array<{ from: number; to: number }> = [];
    while (!this.atEnd) {
      directivesBefore(this.peek.at);
      if (this.accept(';')) continue;
      const start = this.#i;
      const from = this.peek.at;
      const before = this.declared.length;
      const sizes = maps.map((m) => m.size);
      try {
        this.declaration();
        if (!this.atEnd) this.expect(';', 'after the declaration');
        const last = this.#tokens[this.#i - 1] as Token;
        for (let k = before; k < this.declared.length; k++) header.spans.push({ from, to: last.at + last.text.length });
      } catch (error) {
        if (!(error instanceof DeclarationError)) throw error;
        this.declared.length = before;
        maps.forEach((map, k) => {
          for (const key of [...map.keys()].slice(sizes[k])) map.delete(key);
        });
        const end = resyncIndex(this.#tokens, start);
        this.#i = end;
        const last = this.#tokens[end - 1] as Token;
        const name = declaredNameIn(this.#tokens, start, end);
        this.#skip(skipReason(error.reason), error.reason, name, from, last.at + last.text.length);
        refused.push({ from, to: last.at + last.text.length });
      }
    }
    directivesBefore(Number.POSITIVE_INFINITY);
    // Each dropped piece is reported with the declaration it was in.
    // A piece belongs to the first declaration that ends after it; none is reported for a refused one.
    for (const piece of header.dropped) {
      if (refused.some((range) => range.from <= piece.at && piece.at < range.to)) continue;
      const k = header.spans.findIndex((span) => piece.at < span.to);
      const name = k === -1 ? undefined : (this.declared[k] as Declared).name;
      const text = this.#text.slice(piece.at, piece.to);
      const reason =
        piece.why === 'extension'
          ? '__extension__ dropped (it only silences compiler warnings)'
          : `attribute dropped: ${text.replace(/\s+/g, ' ')} (attributes do not change how the declaration is called)`;
      this.#skip(piece.why, reason, name, piece.at, piece.to, 'syntax');
    }
  }

  /** A preprocessor line: `#define NAME <constant>` declares a constant; the others are recorded as skipped. */
  #directive(directive: Directive): void {
    const text = stripComments(directive.text).replace(/\\\n/g, ' ').trim();
    const to = directive.at + directive.text.length;
    const word = /^#\s*([A-Za-z_]\w*|\d+)?/.exec(text)?.[1];
    if (word === undefined || /^\d+$/.test(word) || word === 'line') return; // line markers, the null directive
    if (word !== 'define') {
      const reasons: Record<string, string> = {
        include: '#include is not followed without a C compiler (cc -E follows it)',
        pragma: '#pragma is for the compiler',
        undef: '#undef: the constant keeps the value it was read with',
      };
      const reason = reasons[word] ?? `#${word}: conditionals and other preprocessor lines are not evaluated without a C compiler (both branches are read)`;
      this.#skip('preprocessor', reason, undefined, directive.at, to);
      return;
    }
    const define = /^#\s*define\s+([A-Za-z_]\w*)(\()?\s*([\s\S]*)$/.exec(text);
    if (!define) {
      this.#skip('preprocessor', '#define without a name', undefined, directive.at, to);
      return;
    }
    const name = define[1] as string;
    const value = (define[3] as string).trim();
    if (define[2]) {
      this.#skip('macro', 'function-like macro: expanded by the compiler, there is no symbol to bind', name, directive.at, to);
      return;
    }
    if (value === '') {
      this.#skip('macro', 'empty macro: a marker for the preprocessor', name, directive.at, to);
      return;
    }
    const at = (this.#header as HeaderState).spans.length;
    const span = { from: directive.at, to };
    if (/^("(?:[^"\\]|\\.)*"\s*)+$/.test(value)) {
      this.declared.push({ kind: 'string', name, value: cString(value) });
      (this.#header as HeaderState).spans[at] = span;
      return;
    }
    let number: number;
    try {
      const inner = new Parser(value, this.#scope, { file: '' });
      number = inner.constantExpression();
      if (!inner.atEnd) inner.error(inner.peek, `unexpected '${inner.peek.text}'`);
    } catch (error) {
      if (!(error instanceof DeclarationError)) throw error;
      this.#skip('macro', `not an integer or string constant (${error.reason})`, name, directive.at, to);
      return;
    }
    if (!Number.isSafeInteger(number)) {
      this.#skip('macro', `${value} does not fit a JavaScript number exactly`, name, directive.at, to);
      return;
    }
    this.#scope.constants.set(name, number);
    this.declared.push({ kind: 'constant', name, value: number });
    (this.#header as HeaderState).spans[at] = span;
  }

  /** The declarations read, each with where it is; what was skipped. */
  headerResult(): HeaderDeclarations {
    const header = this.#header as HeaderState;
    return {
      declared: this.declared.map((item, k) => {
        const span = header.spans[k] as { from: number; to: number };
        return { item, at: header.text.span(span.from, span.to) };
      }),
      skipped: header.skipped,
    };
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
        // Header mode: an unnamed parameter of an unknown type (`f(const char *, va_list)`).
        if (this.#header && what.startsWith('parameter') && (after.text === ',' || after.text === ')')) this.error(token, `unknown type '${token.text}'`);
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
    this.#bodies++;
    try {
      if (this.#bodies > MAX_TYPE_DEPTH + 1)
        this.error(this.peek, `${kind} ${name}: struct and union definitions are nested deeper than ${MAX_TYPE_DEPTH} levels (MAX_TYPE_DEPTH)`);
      return this.#fields(kind, name);
    } finally {
      this.#bodies--;
    }
  }

  /** Struct and union bodies open now: bounded like declarators. */
  #bodies = 0;

  #fields(kind: string, name: string): Field[] {
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
    this.#operators++;
    try {
      return this.#unary();
    } finally {
      this.#operators--;
    }
  }

  /** Unary operators and parentheses open now in a constant expression: bounded like declarators. */
  #operators = 0;

  #unary(): number {
    if (this.#operators > MAX_EXPRESSION_DEPTH)
      this.error(this.peek, `the constant expression nests more than ${MAX_EXPRESSION_DEPTH} parentheses and unary operators (MAX_EXPRESSION_DEPTH)`);
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
    const start = this.peek;
    this.#nesting++;
    try {
      return this.#declarator(mode, start);
    } finally {
      this.#nesting--;
    }
  }

  /** Declarators and parameter lists open now: bounded, so that hostile input cannot exhaust the stack. */
  #nesting = 0;

  #tooDeep(token: Token): never {
    this.error(token, `the type is nested deeper than ${MAX_TYPE_DEPTH} levels of pointers, arrays and functions (MAX_TYPE_DEPTH)`);
  }

  #declarator(mode: 'named' | 'optional' | 'abstract', start: Token): Declarator {
    if (this.#nesting > MAX_TYPE_DEPTH + 1) this.#tooDeep(start);
    const constBase = this.#constBaseFlag;
    const stars: Array<{ constSelf: boolean }> = [];
    for (let token = this.accept('*'); token; token = this.accept('*')) {
      if (stars.length >= MAX_TYPE_DEPTH) this.#tooDeep(token);
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
      if ((this.peek.text === '[' || this.peek.text === '(') && stars.length + suffixes.length >= MAX_TYPE_DEPTH) this.#tooDeep(this.peek);
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
      const derived = inner ? inner.derive(type) : type;
      // Typedefs compose: a 40-level typedef under 40 more stars is refused here.
      if (typeDepth(derived) > MAX_TYPE_DEPTH) this.#tooDeep(start);
      return derived;
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

/**
 * Header mode: every declaration of a header's text (preprocessed by `cc -E -dD`, or raw), read
 * into `scope`. A declaration the grammar refuses is recorded in `skipped` with its reason and
 * position, and reading goes on after it; nothing is left out silently.
 */
export function parseHeader(text: string, scope: Scope = new Scope(), options: ParseHeaderOptions = {}): HeaderDeclarations {
  const parser = new Parser(text, scope, { file: options.file ?? '<text>' });
  parser.declarations();
  return parser.headerResult();
}
