/**
 * The one writer of binding modules: declarations in, a module out that imports only
 * `mylib-rust/ffi`, so it runs unchanged on Node (koffi), Bun (bun:ffi) and Deno (Deno.dlopen).
 * The REPL's `.save` (bindings/repl/save.ts) and `mylib-rust bind` (bind/main.ts) both write
 * through it:
 * - `TYPES`: one C text block, read by `lib.declare()` on every library;
 * - one binder per library: `lib.func('<prototype>')` per function, so each function's
 *   TypeScript type is derived from its C text by mylib-rust/ffi (typed.ts);
 * - `load(paths?, options?)`: opens every library (closing those already open when one fails) and
 *   returns them with `close()` and `[Symbol.dispose]` (`using libs = load()`);
 * - optionally `CONSTANTS` and TypeScript types of the C records and enums.
 * Three forms: `ts` (erasable TypeScript only: no enum, no namespace, so Node's type stripping runs
 * it), `js` (the same code without types) and `dts` (its declarations: each function typed as
 * `ForeignFunction<'<prototype>'>`, the same type `lib.func` gives).
 *
 * Names are data, never syntax: a library or function called `__proto__` (or `constructor`) is an
 * own property of the objects `load()` builds (computed keys, a null-prototype object).
 */

export type ModuleForm = 'ts' | 'js' | 'dts';

export interface ModuleFunction {
  /** The exported name. */
  name: string;
  /** The C prototype given to `lib.func()`. */
  text: string;
  doc?: string | undefined;
}

export interface ModuleLibrary {
  /** The property of `load()`'s result (`m`, `z`). */
  name: string;
  /** What `open()` is given: a platform name stays a name, a path is absolute. */
  spec: string;
  /** The file it was opened from, for the comment. */
  file: string;
  functions: readonly ModuleFunction[];
}

export interface ModuleConstant {
  name: string;
  value: number | string;
  doc?: string | undefined;
}

/** A TypeScript type written out (`export type <name> = <type>;`). */
export interface ModuleType {
  name: string;
  type: string;
  doc?: string | undefined;
}

export interface ModuleSpec {
  /** The comment at the top, one line each (without `//`). */
  intro: readonly string[];
  /** C text blocks, each with a label, declared on every library before its functions. */
  types: ReadonlyArray<{ label: string; text: string }>;
  libraries: readonly ModuleLibrary[];
  constants?: readonly ModuleConstant[];
  tsTypes?: readonly ModuleType[];
  /** Comment lines at the end (what was not bound, and why). */
  notes?: readonly string[];
}

/** A single-quoted string literal. */
export const quote = (value: string): string =>
  `'${value
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)}'`;
/** A template literal's body (for the C text block). */
const template = (value: string) => value.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** An object-literal key: an identifier, else a computed string (never `__proto__:`, which sets the prototype). */
const key = (name: string) => (IDENTIFIER.test(name) && name !== '__proto__' ? name : `[${quote(name)}]`);
/** A property key in a type: an identifier or a quoted name (types have no prototype to set). */
const typeKey = (name: string) => (IDENTIFIER.test(name) ? name : quote(name));
/** A doc comment, indented; nothing when there is no doc. */
function doc(text: string | undefined, indent: string): string[] {
  if (text === undefined || text.trim() === '') return [];
  const lines = text.replace(/\*\//g, '*\\/').split('\n');
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((l) => `${indent} *${l === '' ? '' : ` ${l}`}`), `${indent} */`];
}

/** Why the declarations cannot be written, or undefined. */
export function moduleProblem(spec: ModuleSpec): string | undefined {
  if (spec.libraries.some((l) => l.name === 'close')) return "a library is named 'close', which is the module's close()";
  return undefined;
}

/** The module's text, in one of its forms. */
export function emitModule(spec: ModuleSpec, form: ModuleForm = 'ts'): string {
  const problem = moduleProblem(spec);
  if (problem) throw new Error(problem);
  const { libraries } = spec;
  const ts = form === 'ts';
  const first = libraries[0];
  const firstFunction = first?.functions[0]?.name ?? 'f';
  const extension = form === 'ts' ? 'ts' : 'js';
  const out: string[] = [
    ...spec.intro.map((line) => `// ${line}`),
    `// Runs on Node (koffi), Bun (bun:ffi) and Deno (Deno.dlopen --allow-ffi --allow-read --allow-env):`,
    `//   import { load } from './this-file.${extension}';`,
    `//   using libs = load(); // or load({ ${first ? `${first.name}: "/other/path"` : 'name: "/other/path"'} }), load({}, { engine: "koffi" })`,
    `//   ${first ? `libs.${first.name}.${firstFunction}(...), await libs.${first.name}.${firstFunction}.async(...)` : 'libs.<library>.<function>(...)'}`,
  ];
  if (form === 'dts') out.push("import type { ForeignFunction, OpenOptions } from 'mylib-rust/ffi';");
  else out.push(ts ? "import { type ForeignLibrary, type OpenOptions, open } from 'mylib-rust/ffi';" : "import { open } from 'mylib-rust/ffi';");
  out.push('');

  out.push('/** The C types, declared on every library before its functions. */');
  if (form === 'dts') out.push('export declare const TYPES: string;');
  else out.push(`export const TYPES = \`\n${template(spec.types.map((t) => `// ${t.label}\n${t.text}`).join('\n'))}\n\`;`);
  out.push('');

  out.push('/** What each library name opens: a platform name (`m`, `c`, `z`) stays a name, found again on every host. */');
  if (form === 'dts') out.push('export declare const LIBRARIES: {', ...libraries.map((l) => `  readonly ${typeKey(l.name)}: ${quote(l.spec)};`), '};');
  else
    out.push(
      `export const LIBRARIES = ${ts ? '' : 'Object.freeze('}{`,
      ...libraries.map((l) => `  ${key(l.name)}: ${quote(l.spec)},`),
      `}${ts ? ' as const' : ')'};`,
    );
  out.push('');
  if (form !== 'js') out.push('export type LibraryName = keyof typeof LIBRARIES;', '');

  libraries.forEach((library, index) => {
    out.push(`/** ${library.name}: ${library.file} */`);
    if (form === 'dts') {
      out.push(`export interface Library${index} {`);
      for (const fn of library.functions) out.push(...doc(fn.doc, '  '), `  readonly ${typeKey(fn.name)}: ForeignFunction<${quote(fn.text)}>;`);
      out.push('}', '');
      return;
    }
    out.push(ts ? `function bind${index}(lib: ForeignLibrary) {` : `function bind${index}(lib) {`, '  return {');
    for (const fn of library.functions) out.push(...doc(fn.doc, '    '), `    ${key(fn.name)}: lib.func(${quote(fn.text)}),`);
    out.push('  };', '}', '');
  });

  if (form !== 'js') {
    out.push(
      '/** Every library, opened and declared; `close()` (or `using`) closes them all. */',
      'export interface Libraries {',
      ...libraries.map((l, index) => `  readonly ${typeKey(l.name)}: ${form === 'dts' ? `Library${index}` : `ReturnType<typeof bind${index}>`};`),
      '  /** dlclose every library (idempotent); their functions throw when called afterwards. */',
      '  close(): void;',
      '  [Symbol.dispose](): void;',
      '}',
      '',
    );
  }
  const loadDoc = [
    '/**',
    ' * Opens every library (`paths` overrides LIBRARIES, own properties only), declares TYPES on it,',
    ' * then its functions. When one fails, the libraries opened before it are closed and the error',
    ' * is thrown. `options` go to open() (`{ engine }`).',
    ' */',
  ];
  if (form === 'dts') {
    out.push(...loadDoc, 'export declare function load(paths?: { readonly [name in LibraryName]?: string }, options?: OpenOptions): Libraries;');
  } else {
    const binders = libraries.map((l, index) => `[${quote(l.name)}, bind${index}]`).join(', ');
    out.push(
      ts ? `const BINDERS: ReadonlyArray<readonly [LibraryName, (lib: ForeignLibrary) => object]> = [${binders}];` : `const BINDERS = [${binders}];`,
      '',
      ...loadDoc,
      ts
        ? 'export function load(paths: { readonly [name in LibraryName]?: string } = {}, options?: OpenOptions): Libraries {'
        : 'export function load(paths = {}, options) {',
      ts ? '  const opened: ForeignLibrary[] = [];' : '  const opened = [];',
      '  // No prototype: a library named `__proto__` is an own property like any other.',
      ts ? '  const libraries: Record<string, unknown> = Object.create(null);' : '  const libraries = Object.create(null);',
      '  try {',
      '    for (const [name, bind] of BINDERS) {',
      '      const path = Object.hasOwn(paths, name) ? paths[name] : LIBRARIES[name];',
      "      if (typeof path !== 'string') throw new TypeError('load: the path of ' + name + ' must be a string');",
      '      const lib = open(path, options);',
      '      opened.push(lib);',
      '      lib.declare(TYPES);',
      '      libraries[name] = bind(lib);',
      '    }',
      '  } catch (error) {',
      '    for (const lib of opened) lib.close();',
      '    throw error;',
      '  }',
      ts ? '  const close = (): void => {' : '  const close = () => {',
      '    for (const lib of opened) lib.close();',
      '  };',
      "  Object.defineProperty(libraries, 'close', { value: close });",
      '  Object.defineProperty(libraries, Symbol.dispose, { value: close });',
      ts ? '  return libraries as unknown as Libraries;' : '  return libraries;',
      '}',
    );
  }

  if (spec.constants && spec.constants.length > 0) {
    const literal = (value: number | string) => (typeof value === 'string' ? quote(value) : String(value));
    out.push('', '/** The constants of the header: enumerators and `#define`s of integers and strings. */');
    if (form === 'dts') {
      out.push('export declare const CONSTANTS: {');
      for (const c of spec.constants) out.push(...doc(c.doc, '  '), `  readonly ${typeKey(c.name)}: ${literal(c.value)};`);
      out.push('};');
    } else {
      out.push(`export const CONSTANTS = Object.freeze({`);
      for (const c of spec.constants) out.push(...doc(c.doc, '  '), `  ${key(c.name)}: ${literal(c.value)},`);
      out.push(`}${ts ? ' as const' : ''});`);
    }
  }
  if (form !== 'js' && spec.tsTypes && spec.tsTypes.length > 0) {
    out.push('');
    for (const t of spec.tsTypes) out.push(...doc(t.doc, ''), `export type ${t.name} = ${t.type};`);
  }
  if (spec.notes && spec.notes.length > 0) out.push('', '// Not bound:', ...spec.notes.map((n) => `//   ${n.replace(/\s+/g, ' ')}`));
  return `${out.join('\n')}\n`;
}
