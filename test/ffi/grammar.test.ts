import { describe, expect, it } from 'vitest';
import { DeclarationError, Scope, parseDeclarations, parseFunction, parseType } from '../../bindings/ffi/grammar.ts';
import { MAX_TYPE_DEPTH, type RecordType, declaration, formatType, layoutOf, passing, typeDepth } from '../../bindings/ffi/types.ts';

/** Parses `text` and prints it back in canonical C. */
function roundTrip(text: string, scope = new Scope()): string {
  const fn = parseFunction(text, scope);
  return declaration(fn, fn.name);
}

function refusal(text: string): { reason: string; column: number; pretty: string } {
  try {
    parseDeclarations(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DeclarationError);
    const e = error as DeclarationError;
    return { reason: e.reason, column: e.column, pretty: e.pretty('') };
  }
  throw new Error(`accepted: ${text}`);
}

describe('grammar: prototypes', () => {
  it.each([
    ['double cos(double x)', 'double cos(double x)'],
    ['double cos(double);', 'double cos(double)'],
    ['void f(void)', 'void f(void)'],
    ['void f()', 'void f(void)'],
    ['int abs(int)', 'int32_t abs(int32_t)'],
    ['unsigned long long int f(long unsigned x)', 'uint64_t f(unsigned long x)'],
    ['char const *getenv(const char *name)', 'const char *getenv(const char *name)'],
    ['const uint8_t *const *f(uint8_t **out)', 'const uint8_t *const *f(uint8_t **out)'],
    ['size_t strlen(const char *restrict s)', 'size_t strlen(const char *s)'],
    ['int main(int argc, char *argv[])', 'int32_t main(int32_t argc, char **argv)'],
    [
      'void qsort(void *base, size_t n, size_t size, int (*compar)(const void *, const void *))',
      'void qsort(void *base, size_t n, size_t size, int32_t (*compar)(const void *, const void *))',
    ],
    ['void (*signal(int sig, void (*handler)(int)))(int)', 'void (*signal(int32_t sig, void (*handler)(int32_t)))(int32_t)'],
    ['extern _Bool f(volatile short s)', 'bool f(int16_t s)'],
  ])('%s', (text, expected) => {
    expect(roundTrip(text)).toBe(expected);
  });

  it('a struct first named in a prototype is an incomplete type, not a second declaration', () => {
    const fn = parseFunction('struct foo *make_foo(const struct foo *from)');
    expect(declaration(fn, fn.name)).toBe('struct foo *make_foo(const struct foo *from)');
    expect(passing(fn.result, 'result')).toMatchObject({ as: 'handle' });
  });

  it('reads named types from the scope, across calls', () => {
    const scope = new Scope();
    parseDeclarations('typedef bool MylibProgressFn(uint64_t done, uint64_t total, void *user_data); typedef struct MylibWordCounter MylibWordCounter;', scope);
    const fn = parseFunction('int32_t g(const MylibWordCounter *index, MylibProgressFn *progress, void *user_data)', scope);
    expect(declaration(fn, fn.name)).toBe('int32_t g(const MylibWordCounter *index, MylibProgressFn *progress, void *user_data)');
    expect(fn.params.map((p) => passing(p.type).as)).toEqual(['handle', 'callback', 'pointer']);
  });
});

describe('grammar: types and layouts', () => {
  it('structs, unions, arrays, nested and self-referencing records', () => {
    const scope = new Scope();
    const declared = parseDeclarations(
      `struct node { int value; struct node *next; };
       typedef union { int32_t i; double d; uint8_t bytes[12]; } Number;
       typedef struct { char name[16]; struct { uint16_t x, y; } at; Number n; } Item;`,
      scope,
    );
    expect(declared.map((d) => `${d.kind} ${d.name}`)).toEqual(['record node', 'typedef Number', 'typedef Item']);
    const node = scope.type('struct node') as RecordType;
    expect(node.fields?.[1]?.type).toEqual({ kind: 'pointer', to: node, constTarget: false });
    expect(layoutOf(node)).toMatchObject({ size: 16, alignment: 8 });
    expect(layoutOf(scope.type('Number')!)).toMatchObject({ size: 16, alignment: 8 });
    const item = layoutOf(scope.type('Item')!);
    expect(item.fields.map((f) => [f.name, f.offset])).toEqual([
      ['name', 0],
      ['at', 16],
      ['n', 24],
    ]);
    expect(item.size).toBe(40);
  });

  it('enums become integer constants', () => {
    const scope = new Scope();
    parseDeclarations('enum mode { READ = 1, WRITE = READ << 1, BOTH = READ | WRITE, NEXT, NEG = -(2 * 3) };', scope);
    expect(Object.fromEntries(scope.constants)).toEqual({ READ: 1, WRITE: 2, BOTH: 3, NEXT: 4, NEG: -6 });
    expect(passing(parseType('enum mode', scope))).toMatchObject({ as: 'number' });
  });

  it('C names that are JavaScript property names are ordinary names', () => {
    const scope = new Scope();
    parseDeclarations('enum e { __proto__ = 7, constructor }; struct constructor { int __proto__; };', scope);
    const type = parseType('enum e', scope);
    expect(type.kind === 'enum' && Object.entries(type.values)).toEqual([
      ['__proto__', 7],
      ['constructor', 8],
    ]);
    expect((scope.type('struct constructor') as RecordType).fields?.map((f) => f.name)).toEqual(['__proto__']);
  });

  it('an opaque record is completed by its later definition (same object)', () => {
    const scope = new Scope();
    parseDeclarations('struct later; struct later *make(void);', scope);
    const before = scope.type('struct later');
    parseDeclarations('struct later { int x; };', scope);
    expect(scope.type('struct later')).toBe(before);
    expect(passing(scope.function('make')!.result, 'result')).toMatchObject({ as: 'pointer' });
  });

  it('formats type names', () => {
    const scope = new Scope();
    parseDeclarations('typedef bool Fn(int); struct tm { int x; };', scope);
    expect(['const uint8_t *const *', 'char [16]', 'Fn *', 'struct tm *', 'void *(*)(size_t)'].map((t) => formatType(parseType(t, scope)))).toEqual([
      'const uint8_t *const *',
      'char [16]',
      'Fn *',
      'struct tm *',
      'void *(*)(size_t)',
    ]);
  });
});

describe('grammar: refusals name the construct and the position', () => {
  it.each([
    ['int printf(const char *fmt, ...);', 'variadic', 28],
    ['struct s { int a : 3; };', 'bit-fields', 17],
    ['long double f(void);', 'long double', 0],
    ['#define X 1', 'preprocessor', 0],
    ['int f(int x) { return x; }', 'function bodies', 13],
    ['int a = 3;', 'initializers', 6],
    ['foo bar(int);', "unknown type 'foo'", 0],
    ['int f(int x, int x);', "duplicate parameter 'x'", 17],
    ['void f(void x);', "cannot be 'void'", 7],
    ['struct { int x; };', 'declares nothing', 0],
    ['int f(int', "missing ')'", 9],
    ['struct s { int a; int a; };', "duplicate field 'a'", 22],
    ['struct s { struct t inner; };', 'incomplete type', 20],
    ['int __attribute__((cdecl)) f(void);', 'attributes', 4],
    ['double double cos(double);', "'double double' is not a C type", 0],
    ['int x[0];', 'positive integer', 5],
  ])('%s', (text, reason, column) => {
    const error = refusal(text);
    expect(error.reason).toContain(reason);
    expect(error.column).toBe(column);
    expect(error.pretty.split('\n')[1]).toBe(`${' '.repeat(column)}^ ${error.reason}`);
  });

  it('positions on later lines of a multi-line text', () => {
    try {
      parseDeclarations('int ok(void);\nstruct s {\n  int a : 1;\n};');
      throw new Error('accepted');
    } catch (error) {
      expect(error).toMatchObject({ line: 3, column: 8 });
      expect((error as Error).message).toContain('line 3, column 9');
    }
  });

  it('pointer depth is bounded by MAX_TYPE_DEPTH, refused at the first star past it', () => {
    const deep = `void f(int ${'*'.repeat(100_000)}p);`;
    expect(refusal(deep)).toMatchObject({ column: 'void f(int '.length + MAX_TYPE_DEPTH });
  });
});

describe('grammar: the depth bound (MAX_TYPE_DEPTH)', () => {
  const stars = (n: number) => '*'.repeat(n);
  const TOO_DEEP = `nested deeper than ${MAX_TYPE_DEPTH} levels`;

  it.each([
    ['64 stars', `void ${stars(64)}`],
    ['64 nested parenthesised pointers', `int ${'(*'.repeat(64)}${')'.repeat(64)}`],
    ['64 array dimensions', `int ${'[1]'.repeat(64)}`],
  ])('accepts %s (depth 64)', (_, text) => {
    expect(typeDepth(parseType(text))).toBe(64);
  });

  it.each([
    ['65 stars', `void ${stars(65)}`, 5 + 64],
    ['100,000 stars', `void ${stars(100_000)}`, 5 + 64],
    ['65 array dimensions', `int ${'[1]'.repeat(65)}`, 4 + 64 * 3],
    ['65 nested parenthesised pointers', `int ${'(*'.repeat(65)}${')'.repeat(65)}`, undefined],
    ['100,000 nested parentheses', `int ${'(*'.repeat(100_000)}${')'.repeat(100_000)}`, undefined],
  ])('refuses %s with a DeclarationError at the position, not a stack overflow', (_, text, offset) => {
    let caught: unknown;
    try {
      parseType(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DeclarationError);
    expect((caught as DeclarationError).reason).toContain(TOO_DEEP);
    if (offset !== undefined) expect((caught as DeclarationError).offset).toBe(offset);
  });

  it('counts a function and its parameters: a 64-star parameter makes a 65-level prototype', () => {
    expect(roundTrip(`void f(void ${stars(63)}p)`)).toBe(`void f(void ${stars(63)}p)`);
    expect(refusal(`void f(void ${stars(64)}p);`).reason).toContain(TOO_DEEP);
    expect(parseDeclarations(`typedef void cb(void ${stars(9)}p); void g(cb *f, void ${stars(9)}q);`)).toHaveLength(2);
  });

  it('bounds nested struct and union definitions: 64 inside one accepted, 100,000 refused at the position', () => {
    const nested = (n: number) => `struct s { ${'struct { '.repeat(n)}int x; ${'} a;'.repeat(n)} };`;
    expect(parseDeclarations(nested(MAX_TYPE_DEPTH))).toHaveLength(1);
    const refused = refusal(nested(100_000));
    expect(refused.reason).toContain(`nested deeper than ${MAX_TYPE_DEPTH} levels (MAX_TYPE_DEPTH)`);
    expect(refused.column).toBe('struct s { '.length + (MAX_TYPE_DEPTH + 1) * 'struct { '.length);
  });

  it.each([
    ['parentheses', (n: number) => `${'('.repeat(n)}1${')'.repeat(n)}`],
    ['unary minus', (n: number) => `${'- '.repeat(n)}1`],
    ['unary ~', (n: number) => `${'~'.repeat(n)}1`],
  ])('bounds constant expressions: 256 nested %s accepted, 100,000 refused at the position', (_, expression) => {
    expect(parseDeclarations(`enum ok { B = ${expression(255)} };`)[0]).toEqual({ kind: 'constant', name: 'B', value: expect.any(Number) });
    const refused = refusal(`enum e { A = ${expression(100_000)} };`);
    expect(refused.reason).toContain('the constant expression nests more than 256 parentheses and unary operators');
    expect(refused.column).toBe('enum e { A = '.length + expression(256).indexOf('1'));
  });

  it('counts through typedefs: 40 levels under 40 more are refused', () => {
    const scope = new Scope();
    parseDeclarations(`typedef int ${stars(40)}T40;`, scope);
    expect(formatType(parseType(`T40 ${stars(24)}`, scope))).toMatch(/\*$/);
    let caught: unknown;
    try {
      parseDeclarations(`typedef T40 ${stars(40)}T80;`, scope);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DeclarationError);
    expect((caught as DeclarationError).reason).toContain(TOO_DEEP);
  });
});
