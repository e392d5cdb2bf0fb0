/**
 * `.save <file.ts>`: the session's declarations as a TypeScript module, the step from experiment
 * to code. The module imports only `mylib-rust/ffi`, so it runs unchanged on Node (koffi), Bun
 * (bun:ffi) and Deno (Deno.dlopen):
 * - `TYPES`: one C text block (the platform typedefs, `.struct`, `.callback`, `.typedef`, in the
 *   order they were typed), read by `lib.declare()` on every library;
 * - one binder per library: `lib.func('<prototype as typed>')` per function, so each function's
 *   TypeScript type is derived from its text by mylib-rust/ffi;
 * - `load(paths?, options?)`: opens every library (closing those already open when one fails) and
 *   returns them with `close()` and `[Symbol.dispose]` (`using libs = load()`).
 *
 * Names are data, never syntax: a library or function called `__proto__` (or `constructor`) is an
 * own property of the objects `load()` builds (computed keys, a null-prototype object), and struct
 * fields live in the C text only. The module uses erasable TypeScript only (no enum, no
 * namespace), so Node's type stripping runs it too.
 */
import type { Workbench } from './workbench.ts';

/** A single-quoted string literal. */
const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\r?\n/g, '\\n')}'`;
/** A template literal's body (for the C text block). */
const template = (value: string) => value.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** An object-literal key: an identifier, else a computed string (never `__proto__:`, which sets the prototype). */
const key = (name: string) => (IDENTIFIER.test(name) && name !== '__proto__' ? name : `[${quote(name)}]`);
/** A property key in a type: an identifier or a quoted name (types have no prototype to set). */
const typeKey = (name: string) => (IDENTIFIER.test(name) ? name : quote(name));

/** Why the session cannot be saved, or undefined. */
export function saveProblem(workbench: Workbench): string | undefined {
  if (workbench.libraries.has('close'))
    return "a library is named 'close', which is the saved module's close(): .close close, then .open it again as another name";
  return undefined;
}

/** The module text; `generatedBy` names the command for the header comment. */
export function savedModule(workbench: Workbench, generatedBy: string): string {
  const problem = saveProblem(workbench);
  if (problem) throw new Error(problem);
  const libraries = [...workbench.libraries.values()];
  const types = workbench.types.map((t) => `// ${t.command === 'platform' ? 'platform typedefs' : `.${t.command}`}\n${t.text}`).join('\n');
  const out: string[] = [
    `// ${generatedBy}: the declarations typed at the mylib REPL's prompt.`,
    "// Check them against the library's header before relying on them: a wrong prototype can crash the process.",
    '// Runs on Node (koffi), Bun (bun:ffi) and Deno (Deno.dlopen --allow-ffi --allow-read --allow-env):',
    "//   import { load } from './this-file.ts';",
    '//   using libs = load(); // or load({ m: "/other/libm.so.6" }), load({}, { engine: "koffi" })',
    `//   ${libraries[0] ? `libs.${libraries[0].name}.${[...libraries[0].functions.keys()][0] ?? 'f'}(...), await libs.${libraries[0].name}.${[...libraries[0].functions.keys()][0] ?? 'f'}.async(...)` : 'libs.<library>.<function>(...)'}`,
    "import { type ForeignLibrary, type OpenOptions, open } from 'mylib-rust/ffi';",
    '',
    '/** The C types of the session, declared on every library before its functions. */',
    `export const TYPES = \`\n${template(types)}\n\`;`,
    '',
    '/** What each library name opened in the session: a platform name (`m`, `c`) stays a name, found again on every host. */',
    'export const LIBRARIES = {',
    ...libraries.map((l) => `  ${key(l.name)}: ${quote(l.spec)},`),
    '} as const;',
    '',
    'export type LibraryName = keyof typeof LIBRARIES;',
    '',
  ];
  libraries.forEach((library, index) => {
    out.push(`/** ${library.name}: ${library.file ?? library.resolved.load} */`, `function bind${index}(lib: ForeignLibrary) {`, '  return {');
    for (const declared of library.functions.values()) out.push(`    ${key(declared.type.name)}: lib.func(${quote(declared.text)}),`);
    out.push('  };', '}', '');
  });
  out.push(
    '/** Every library, opened and declared; `close()` (or `using`) closes them all. */',
    'export interface Libraries {',
    ...libraries.map((l, index) => `  readonly ${typeKey(l.name)}: ReturnType<typeof bind${index}>;`),
    '  /** dlclose every library (idempotent); their functions throw when called afterwards. */',
    '  close(): void;',
    '  [Symbol.dispose](): void;',
    '}',
    '',
    `const BINDERS: ReadonlyArray<readonly [LibraryName, (lib: ForeignLibrary) => object]> = [${libraries.map((l, index) => `[${quote(l.name)}, bind${index}]`).join(', ')}];`,
    '',
    '/**',
    ' * Opens every library (`paths` overrides LIBRARIES, own properties only), declares TYPES on it,',
    ' * then its functions. When one fails, the libraries opened before it are closed and the error',
    ' * is thrown. `options` go to open() (`{ engine }`).',
    ' */',
    'export function load(paths: { readonly [name in LibraryName]?: string } = {}, options?: OpenOptions): Libraries {',
    '  const opened: ForeignLibrary[] = [];',
    '  // No prototype: a library named `__proto__` is an own property like any other.',
    '  const libraries: Record<string, unknown> = Object.create(null);',
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
    '  const close = (): void => {',
    '    for (const lib of opened) lib.close();',
    '  };',
    "  Object.defineProperty(libraries, 'close', { value: close });",
    '  Object.defineProperty(libraries, Symbol.dispose, { value: close });',
    '  return libraries as unknown as Libraries;',
    '}',
  );
  return `${out.join('\n')}\n`;
}
