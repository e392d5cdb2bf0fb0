/**
 * The typed API as written in bindings/library.ts, read from its source: the public methods of
 * its exported classes with their JSDoc. The REPL's `.help` lists them, and `npm run gen` derives
 * from the methods of Mylib the module-level functions (bindings/functions.generated.ts) and the function
 * table of the package README (npm/README.md), so a new method is written once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TypedMethod {
  /** `mylib.getResult`, `new FuzzyIndex`, `FuzzyIndex#closest`. */
  label: string;
  name: string;
  className: string;
  signature: string;
  /** The parameter list as written, without the parentheses. */
  params: string;
  /** The return type as written (`Promise<Match[]>`), '' when there is none. */
  returns: string;
  isAsync: boolean;
  jsdoc: string;
  /** The C exports its body calls. */
  symbols: string[];
}

/** Public methods (and constructors) of the exported classes of a TypeScript source. */
export function readTypedMethods(source: string): TypedMethod[] {
  const lines = source.split('\n');
  const methods: TypedMethod[] = [];
  let className: string | undefined;
  let jsdoc: string[] = [];
  let inDoc = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const classMatch = /^export class (\w+)/.exec(line);
    if (classMatch) {
      className = classMatch[1];
      jsdoc = [];
      continue;
    }
    if (line === '}') {
      className = undefined;
      continue;
    }
    if (!className) continue;
    if (/^ {2}\/\*\*/.test(line)) {
      inDoc = !line.includes('*/');
      jsdoc = [line.replace(/^\s*\/\*\*\s?/, '').replace(/\s*\*\/\s*$/, '')];
      continue;
    }
    if (inDoc) {
      if (line.includes('*/')) inDoc = false;
      jsdoc.push(line.replace(/^\s*\*\/?\s?/, '').replace(/\s*\*\/\s*$/, ''));
      continue;
    }
    const start = /^ {2}(async )?(constructor|[a-z]\w*)\(/.exec(line);
    if (!start) {
      if (/^ {2}\S/.test(line)) jsdoc = [];
      continue;
    }
    // The signature may span lines: read up to the body's `{`.
    let signature = line.trim().replace(/^async /, '');
    let k = i;
    while (!/\)(?::\s*.+?)?\s*\{$/.test(signature) && k + 1 < lines.length) signature += ` ${(lines[++k] as string).trim()}`;
    signature = signature
      .replace(/\s*\{$/, '')
      .replace(/\(\s+/, '(')
      .replace(/,\s*\)/, ')');
    let end = k + 1;
    while (end < lines.length && lines[end] !== '  }') end++;
    const body = lines.slice(k + 1, end).join('\n');
    const doc = jsdoc.join('\n').trim();
    const name = start[2] as string;
    jsdoc = [];
    i = end;
    if (doc.includes('@internal') || (className === 'Mylib' && name === 'constructor')) continue;
    const { params, returns } = splitSignature(signature, name);
    const symbols = [...new Set(body.match(/mylib_[a-z0-9_]+/g) ?? [])];
    const label = className === 'Mylib' ? `mylib.${name}` : name === 'constructor' ? `new ${className}` : `${className}#${name}`;
    const shown = name === 'constructor' ? signature.replace(/^constructor/, `new ${className}`) : signature;
    const owner = className === 'Mylib' ? 'mylib.' : name === 'constructor' ? '' : `${className}#`;
    methods.push({ label, name, className, signature: `${owner}${shown}`, params, returns, isAsync: start[1] !== undefined, jsdoc: doc, symbols });
  }
  return methods;
}

/** `name(a: A, b?: B): R` -> params `a: A, b?: B`, returns `R` (brackets counted, so `(x) => y` types stay whole). */
function splitSignature(signature: string, name: string): { params: string; returns: string } {
  const open = signature.indexOf('(');
  let depth = 0;
  for (let i = open; i < signature.length; i++) {
    const c = signature[i];
    if (c === '(' || c === '<' || c === '{' || c === '[') depth++;
    else if ((c === ')' || c === '>' || c === '}' || c === ']') && signature[i - 1] !== '=') depth--;
    if (depth === 0) {
      const rest = signature.slice(i + 1).trim();
      return { params: signature.slice(open + 1, i).trim(), returns: rest.startsWith(':') ? rest.slice(1).trim() : '' };
    }
  }
  throw new Error(`bindings/library.ts: cannot read the parameters of ${name}: ${signature}`);
}

/** Top-level comma split of a parameter list. */
function splitParams(params: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < params.length; i++) {
    const c = params[i] as string;
    if ('(<{['.includes(c)) depth++;
    else if (')>}]'.includes(c) && params[i - 1] !== '=') depth--;
    if (c === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Derived files

export const TYPED_SOURCE = 'bindings/library.ts';
export const FUNCTIONS_MODULE = 'bindings/functions.generated.ts';
export const PACKAGE_README = 'npm/README.md';
export const FUNCTIONS_BEGIN = '<!-- functions: generated by npm run gen from bindings/library.ts; do not edit -->';
export const FUNCTIONS_END = '<!-- /functions -->';

/** Methods of Mylib that act on the instance itself: the module has its own unload(). */
const INSTANCE_ONLY = new Set(['unload']);

/** The methods of Mylib that become module-level functions. */
export function moduleFunctions(source: string): TypedMethod[] {
  return readTypedMethods(source).filter((m) => m.className === 'Mylib' && !INSTANCE_ONLY.has(m.name));
}

/** The names a type text refers to (`Promise<Match[]>` -> Promise, Match). */
function typeNames(text: string): string[] {
  return [...new Set(text.match(/\b[A-Z]\w*/g) ?? [])];
}

/** Where library.ts imports each named type from: `{ Match: './types.ts' }`. */
function importedTypes(source: string): Map<string, string> {
  const from = new Map<string, string>();
  for (const m of source.matchAll(/^import (?:type )?\{([^}]*)\} from '([^']+)';/gm)) {
    for (const item of (m[1] as string).split(',')) {
      const name = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop();
      if (name) from.set(name, m[2] as string);
    }
  }
  return from;
}

function docBlock(doc: string): string[] {
  const lines = doc.split('\n');
  if (lines.length === 1) return [`/** ${lines[0]} */`];
  return ['/**', ...lines.map((line) => (line === '' ? ' *' : ` * ${line}`)), ' */'];
}

/** bindings/functions.generated.ts: one forwarder per Mylib method, with the method's signature and doc. */
export function generateFunctionsModule(source: string): string {
  const methods = moduleFunctions(source);
  const imports = importedTypes(source);
  const needed = new Map<string, Set<string>>();
  const out: string[] = [];
  for (const method of methods) {
    const declared = splitParams(method.params).map((param) => {
      const match = /^(\w+)(\?)?\s*([:=])/.exec(param);
      if (!match) throw new Error(`${TYPED_SOURCE}: Mylib#${method.name}: cannot forward the parameter '${param}' (write 'name: Type')`);
      return { name: match[1] as string, optional: match[2] === '?' || match[3] === '=' || /=/.test(param.replace(/=>/g, '')) };
    });
    const params = declared.map((param) => param.name);
    const lastRequired = declared.filter((param) => !param.optional).at(-1)?.name;
    if (method.returns === '') throw new Error(`${TYPED_SOURCE}: Mylib#${method.name} needs a written return type`);
    for (const name of typeNames(`${method.params} ${method.returns}`)) {
      if (name in globalThis) continue;
      const module = name === 'Mylib' ? './library.ts' : imports.get(name);
      if (!module) throw new Error(`${TYPED_SOURCE}: Mylib#${method.name} uses the type ${name}, which library.ts neither imports nor has as a global`);
      if (!needed.has(module)) needed.set(module, new Set());
      needed.get(module)?.add(name);
    }
    // The declared signature as an overload; the implementation adds a rest parameter that only
    // a call with too many arguments fills (Function.length stays the method's). Only its length
    // is read, so engines need not allocate it. The common path: no excess, the last required
    // parameter given; else passed() rebuilds the call for the method to report.
    const common = ['excess.length === 0', ...(lastRequired ? [`${lastRequired} !== undefined`] : [])].join(' && ');
    out.push(
      '',
      ...docBlock(method.jsdoc || `The default library's ${method.name}().`),
      `export function ${method.name}(${method.params}): ${method.returns};`,
      `export function ${method.name}(${[method.params, '...excess: unknown[]'].filter((p) => p !== '').join(', ')}): ${method.returns} {`,
      '  const lib = library();',
      `  return ${common}`,
      `    ? lib.${method.name}(${params.join(', ')})`,
      `    : (Reflect.apply(lib.${method.name}, lib, passed([${params.join(', ')}], excess.length)) as ${method.returns});`,
      '}',
    );
  }
  const typeImports = [...needed]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([module, names]) => `import type { ${[...names].sort().join(', ')} } from '${module}';`);
  const head = [
    '// GENERATED by `npm run gen` from the public methods of Mylib (bindings/library.ts); do not edit.',
    '// A method added there becomes a module-level function here; `npm run check:abi` fails while this',
    '// file is stale.',
    '/**',
    ' * The module-level functions: each calls the method of the same name on the default library',
    ' * (library(), loaded on first use) with its declared parameters, no `arguments` object and no',
    ' * per-call lookup beyond library(). A call with too many arguments, or without its last required',
    ' * one, takes a cold path that passes the method as many arguments as it can tell were given, so',
    ' * the method reports the count.',
    ' */',
    "import { library } from './default-library.ts';",
    ...typeImports,
    '',
    '/**',
    ' * The arguments of a call off the common path, as far as fixed parameters tell: with `excess`',
    ' * more, the declared ones and as many placeholders; else the declared ones up to the last that',
    ' * is not undefined (a missing argument and an explicit undefined look alike: both are reported',
    ' * as missing).',
    ' */',
    'function passed(declared: unknown[], excess: number): unknown[] {',
    '  if (excess > 0) return [...declared, ...Array(excess)];',
    '  let count = declared.length;',
    '  while (count > 0 && declared[count - 1] === undefined) count--;',
    '  return declared.slice(0, count);',
    '}',
  ];
  return formatTypeScript([...head, ...out, ''].join('\n'), FUNCTIONS_MODULE);
}

/** Formats generated TypeScript as `npm run lint` (Biome) expects it. */
function formatTypeScript(text: string, path: string): string {
  const root = join(import.meta.dirname, '..', '..');
  const biome = join(root, 'node_modules', '.bin', 'biome');
  if (!existsSync(biome)) throw new Error(`gen: ${biome} is missing: run npm install`);
  return execFileSync(biome, ['format', `--stdin-file-path=${path}`], { cwd: root, input: text, encoding: 'utf8' });
}

/** The first sentence of a doc: up to a period followed by a space and a capital, or the first paragraph. */
function firstSentence(doc: string): string {
  const paragraph = (doc.split(/\n\s*\n/)[0] ?? '').replace(/\s*\n\s*/g, ' ').trim();
  const end = /\.\s+(?=[A-Z`(])/.exec(paragraph);
  return end ? paragraph.slice(0, end.index + 1) : paragraph;
}

/** The README's function table rows. */
export function functionsTable(source: string): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = moduleFunctions(source).map((m) => `| \`${cell(`${m.name}(${m.params})`)}\` | \`${cell(m.returns)}\` | ${cell(firstSentence(m.jsdoc))} |`);
  return ['| function | returns | |', '| --- | --- | --- |', ...rows].join('\n');
}

/** npm/README.md with its generated function table replaced. */
export function withFunctionsTable(readme: string, source: string): string {
  const begin = readme.indexOf(FUNCTIONS_BEGIN);
  const end = readme.indexOf(FUNCTIONS_END);
  if (begin === -1 || end < begin) throw new Error(`${PACKAGE_README}: no ${FUNCTIONS_BEGIN} ... ${FUNCTIONS_END} block`);
  return `${readme.slice(0, begin + FUNCTIONS_BEGIN.length)}\n${functionsTable(source)}\n${readme.slice(end)}`;
}

/** The files derived from the typed API, as `npm run gen` would write them. */
export function generateTypedFiles(root: string): Array<{ path: string; text: string }> {
  const source = readFileSync(join(root, TYPED_SOURCE), 'utf8');
  return [
    { path: FUNCTIONS_MODULE, text: generateFunctionsModule(source) },
    { path: PACKAGE_README, text: withFunctionsTable(readFileSync(join(root, PACKAGE_README), 'utf8'), source) },
  ];
}
