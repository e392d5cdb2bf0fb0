/**
 * The REPL's foreign-library workbench: `.open` any shared library next to mylib, `.symbols`
 * from its own symbol table, `.declare` C prototypes and call them as `m.cos(0)`, `.struct`,
 * `.callback`, `.typedef`, `.save` as a TypeScript module. Independent of mylib's loader, so
 * `.rebuild` and `.load` leave it alone.
 *
 * Safety rails: a declaration is refused when the symbol table says the name is missing or is
 * data; a call through a closed library is refused (koffi would jump into unmapped code). A
 * prototype that does not match the real function can still crash the process: the first
 * declaration says so once.
 */
import { inspect } from 'node:util';
import type { LibraryHandle } from 'koffi';
import { baseOf } from '../abi/types.ts';
import {
  DeclarationError,
  type Prototype,
  type StructDeclaration,
  bindingResultText,
  koffiPrototype,
  ownsResultString,
  parsePrototype,
  parseStruct,
} from './cdecl.ts';
import { type ResolvedLibrary, mappedFile, resolveLibrary } from '../../bindings/ffi/names.ts';
import { type ExportedSymbol, type ObjectFile, inspectObjectFile } from '../../bindings/ffi/object-file.ts';

type Koffi = typeof import('koffi').default;

/** A message for the user (printed in red, no stack). */
export class WorkbenchError extends Error {}

export interface Declared {
  prototype: Prototype;
  /** The symbol-table entry the declaration was checked against, if there is a table. */
  symbol: ExportedSymbol | undefined;
  call: (...args: unknown[]) => unknown;
}

export interface ForeignLibrary {
  name: string;
  resolved: ResolvedLibrary;
  handle: LibraryHandle;
  functions: Map<string, Declared>;
  /** The object bound to the library's name at the prompt (`m`): its declared functions. */
  namespace: Record<string, unknown>;
  closed: boolean;
  table?: ObjectFile | Error;
}

export type TypeDeclaration =
  | { kind: 'struct'; name: string; fields: Record<string, string>; source: string }
  | { kind: 'opaque'; name: string; source: string }
  | { kind: 'callback'; name: string; prototype: string; parsed: Prototype }
  | { kind: 'typedef'; name: string; target: string };

export interface WorkbenchHost {
  /** Binds `name` at the prompt (undefined removes it). */
  bind(name: string, value: unknown): void;
  /** Whether `name` is taken at the prompt by something that is not a workbench library. */
  taken(name: string): boolean;
  /** The current mylib library file, for `.symbols mylib`. */
  mylibPath(): string | undefined;
}

export const PAGE_SIZE = 40;
const CRASH_WARNING =
  'note: a prototype that does not match the real function can crash this process (the whole REPL, and the session with it).\n' +
  '      `.save <file.ts>` keeps the declarations made so far.';

/** Platform typedefs koffi does not know, registered on first use (64-bit hosts: LP64, and LLP64 on Windows). */
function platformTypedefs(): Record<string, string> {
  if (!['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'].includes(process.arch)) return {};
  const posix = process.platform !== 'win32';
  return {
    time_t: 'int64_t',
    ...(posix
      ? { off_t: 'int64_t', pid_t: 'int32_t', uid_t: 'uint32_t', gid_t: 'uint32_t', mode_t: process.platform === 'darwin' ? 'uint16_t' : 'uint32_t' }
      : {}),
  };
}

export class Workbench {
  readonly libraries = new Map<string, ForeignLibrary>();
  /** Types in declaration order (structs can use earlier ones), for `.save`. */
  readonly types: TypeDeclaration[] = [];
  #koffi: Koffi;
  #host: WorkbenchHost;
  #warned = false;
  #pending: { lines: string[]; next: number } | undefined;
  #tables = new Map<string, ObjectFile>();

  constructor(koffi: Koffi, host: WorkbenchHost) {
    this.#koffi = koffi;
    this.#host = host;
    for (const [name, target] of Object.entries(platformTypedefs())) {
      try {
        koffi.alias(name, target);
        this.types.push({ kind: 'typedef', name, target });
      } catch {
        // Already known to koffi (another workbench, or the user's own alias).
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // .open / .libs / .close

  /** `.open <path|name> [as <name>]` */
  open(args: string): string {
    const match = /^\s*(\S+)(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*$/.exec(args);
    if (!match) throw new WorkbenchError('usage: .open <path | name like m, c, z> [as <name>]');
    const spec = match[1] as string;
    let resolved: ResolvedLibrary;
    try {
      resolved = resolveLibrary(spec);
    } catch (error) {
      throw new WorkbenchError(`.open ${spec}: ${(error as Error).message}`);
    }
    const name = match[2] ?? resolved.name;
    if (this.libraries.has(name))
      throw new WorkbenchError(
        `.open: '${name}' is open already (${this.libraries.get(name)?.resolved.load}); .close ${name} first, or .open ${spec} as <another name>`,
      );
    if (this.#host.taken(name)) throw new WorkbenchError(`.open: the name '${name}' is taken at the prompt; choose one: .open ${spec} as <name>`);
    let handle: LibraryHandle;
    try {
      handle = this.#koffi.load(resolved.load);
    } catch (error) {
      const tried = resolved.tried.length > 1 ? `\n  looked for: ${resolved.tried.join('\n              ')}` : '';
      throw new WorkbenchError(`.open ${spec}: ${(error as Error).message} (loading ${resolved.load})${tried}`);
    }
    if (resolved.file === undefined) resolved.file = mappedFile(resolved.load);
    const library: ForeignLibrary = { name, resolved, handle, functions: new Map(), namespace: makeNamespace(name), closed: false };
    this.libraries.set(name, library);
    this.#host.bind(name, library.namespace);
    const table = this.#table(library);
    const summary =
      table instanceof Error
        ? `no symbol table: ${table.message} (declarations are not checked)`
        : `${formatOf(table)}, ${table.exports.length} exported symbols (${table.exportSource})`;
    return (
      `opened ${resolved.load}${resolved.file && resolved.file !== resolved.load ? ` (${resolved.file})` : ''} as \`${name}\`: ${summary}.\n` +
      `Next: .symbols ${name} [filter], .declare ${name} <C prototype>`
    );
  }

  libs(): string {
    if (this.libraries.size === 0) return 'No foreign library is open (.open <path | name>). mylib is `mylib`/`raw`.';
    const rows = [...this.libraries.values()].map((l) => {
      const table = this.#table(l);
      const count = table instanceof Error ? 'no symbol table' : `${table.exports.length} symbols`;
      return `  ${l.name.padEnd(10)} ${l.resolved.file ?? l.resolved.load}  (${count}, ${l.functions.size} declared: ${[...l.functions.keys()].join(', ') || 'none'})`;
    });
    return ['Open libraries:', ...rows].join('\n');
  }

  close(args: string): string {
    const name = args.trim();
    const library = this.#library(name, '.close');
    library.closed = true;
    this.libraries.delete(name);
    this.#host.bind(name, undefined);
    library.handle.unload();
    return `closed ${name} (${library.resolved.load}); its ${library.functions.size} function(s) now refuse calls. Its declarations are dropped from .save.`;
  }

  #library(name: string, command: string): ForeignLibrary {
    if (!name) throw new WorkbenchError(`usage: ${command} <name> (open libraries: ${[...this.libraries.keys()].join(', ') || 'none'})`);
    const library = this.libraries.get(name);
    if (!library)
      throw new WorkbenchError(
        `${command}: no open library named '${name}' (open: ${[...this.libraries.keys()].join(', ') || 'none'}; .open <path | name> first)`,
      );
    return library;
  }

  #table(library: ForeignLibrary): ObjectFile | Error {
    if (library.table === undefined) {
      const file = library.resolved.file;
      if (file === undefined)
        library.table = new Error(`${library.resolved.load} has no file on disk to read (dyld shared cache, or found by the loader only)`);
      else library.table = this.#readTable(file);
    }
    return library.table;
  }

  #readTable(file: string): ObjectFile | Error {
    const cached = this.#tables.get(file);
    if (cached) return cached;
    try {
      const table = inspectObjectFile(file);
      this.#tables.set(file, table);
      return table;
    } catch (error) {
      return error as Error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // .symbols / .more

  /** `.symbols <name | path | mylib> [filter] [--all]`: a filter is a substring, or a glob with * and ?. */
  symbols(args: string): string {
    const words = args.trim().split(/\s+/).filter(Boolean);
    const all = words.includes('--all');
    const [target, filter] = words.filter((w) => w !== '--all');
    if (!target) throw new WorkbenchError('usage: .symbols <open library | path to a .so/.dll/.dylib/.wasm | mylib> [filter] [--all]');
    let file: string;
    let table: ObjectFile | Error;
    const library = this.libraries.get(target);
    if (library) {
      table = this.#table(library);
      file = library.resolved.file ?? library.resolved.load;
    } else if (target === 'mylib') {
      const path = this.#host.mylibPath();
      if (!path) throw new WorkbenchError('.symbols mylib: no mylib library is loaded (.rebuild or .load first)');
      file = path;
      table = this.#readTable(path);
    } else if (/[/\\.]/.test(target)) {
      file = target;
      table = this.#readTable(target);
    } else {
      throw new WorkbenchError(`.symbols: '${target}' is not an open library (${[...this.libraries.keys()].join(', ') || 'none open'}), 'mylib', or a path`);
    }
    if (table instanceof Error) throw new WorkbenchError(`.symbols ${target}: ${table.message}`);
    // The name itself first, then names starting with the filter, then the rest; alphabetical within each.
    const rank = (s: ExportedSymbol) => (!filter ? 0 : s.name === filter ? 0 : s.name.startsWith(filter) ? 1 : 2);
    const matches = table.exports
      .filter(symbolFilter(filter))
      .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || displayName(a).localeCompare(displayName(b)));
    const counts = { function: 0, data: 0, other: 0 };
    for (const s of matches) counts[s.kind]++;
    const header =
      `${library || target === 'mylib' ? `${target}: ` : ''}${file} (${formatOf(table)}, ${table.exportSource}): ` +
      `${filter ? `${matches.length} of ${table.exports.length} symbols match '${filter}'` : `${table.exports.length} symbols`}` +
      ` (${counts.function} functions, ${counts.data} data, ${counts.other} other)`;
    const lines = matches.map((s) => `  ${s.kind.padEnd(8)}  ${displayName(s)}${s.detail ? `  (${s.detail})` : ''}`);
    this.#pending = { lines, next: 0 };
    return `${header}\n${this.#page(all ? lines.length : PAGE_SIZE)}`;
  }

  more(): string {
    if (!this.#pending || this.#pending.next >= this.#pending.lines.length) return 'Nothing more to show (.symbols <name> [filter] starts a listing).';
    return this.#page(PAGE_SIZE);
  }

  #page(size: number): string {
    const pending = this.#pending as { lines: string[]; next: number };
    const page = pending.lines.slice(pending.next, pending.next + size);
    pending.next += page.length;
    const rest = pending.lines.length - pending.next;
    const footer = rest > 0 ? `\n-- ${pending.next} of ${pending.lines.length} shown; .more for the next ${Math.min(rest, PAGE_SIZE)}, or add a filter` : '';
    return `${page.join('\n') || '  (none)'}${footer}`;
  }

  // -------------------------------------------------------------------------------------------
  // .declare / .struct / .callback / .typedef

  /** `.declare <library> <C prototype>` */
  declare(args: string): string {
    const match = /^\s*([A-Za-z_$][\w$]*)\s+(.*)$/s.exec(args);
    if (!match) throw new WorkbenchError('usage: .declare <library> <C prototype>, e.g. .declare m double cos(double x)');
    const library = this.#library(match[1] as string, '.declare');
    const text = (match[2] as string).trim();
    const prototype = this.#parse(() => parsePrototype(text));
    this.#checkTypes(
      prototype.source,
      [prototype.result, ...prototype.params].map((d) => ({ type: d.type, column: d.baseColumn })),
    );

    // The symbol table's word on the name, before koffi resolves it.
    const table = this.#table(library);
    let symbol: ExportedSymbol | undefined;
    let tableNote = '';
    if (table instanceof Error) {
      tableNote = ' (not checked: no symbol table)';
    } else {
      const entries = table.exports.filter((s) => s.name === prototype.name);
      if (entries.length === 0) {
        throw new WorkbenchError(
          `.declare refused: ${library.name} (${library.resolved.file}) exports no symbol '${prototype.name}'.${suggest(prototype.name, table)}`,
        );
      }
      symbol = entries.find((s) => s.defaultVersion !== false) ?? entries[0];
      const data = entries.find((s) => s.kind === 'data');
      if (data && !entries.some((s) => s.kind === 'function')) {
        throw new WorkbenchError(
          `.declare refused: '${displayName(data)}' in ${library.name} is a data symbol (${data.detail ?? 'object'}), not a function; ` +
            'calling it would jump into data. Read it with mem.* on a pointer instead.',
        );
      }
    }
    const bound = koffiPrototype(prototype, bindingResultText(prototype));
    let fn: (...args: unknown[]) => unknown;
    try {
      fn = library.handle.func(bound) as (...args: unknown[]) => unknown;
    } catch (error) {
      throw new WorkbenchError(`.declare: koffi refused '${bound}': ${(error as Error).message}`);
    }
    const call = makeCall(library, prototype, fn);
    const replaced = library.functions.has(prototype.name);
    library.functions.set(prototype.name, { prototype, symbol, call });
    library.namespace[prototype.name] = call;
    const lines = [
      `${replaced ? 'redeclared' : 'declared'} ${library.name}.${prototype.name}: ${prototype.source}${symbol ? `  [${displayName(symbol)}, ${symbol.kind}${symbol.detail ? ` (${symbol.detail})` : ''}]` : tableNote}`,
    ];
    if (ownsResultString(prototype)) {
      lines.push(
        `  its 'char *' result comes back as a pointer (BigInt): read it with mem.cstring(p, maxLen), free it with the library's own free. Declare 'const char *' to get a JS string copy instead.`,
      );
    }
    if (!this.#warned) {
      this.#warned = true;
      lines.push(CRASH_WARNING);
    }
    return lines.join('\n');
  }

  /** `.struct <C struct>` or `.struct Name` (opaque). */
  struct(args: string): string {
    const declaration: StructDeclaration = this.#parse(() => parseStruct(args));
    const koffi = this.#koffi;
    if (declaration.fields === undefined) {
      this.#register(declaration.source, declaration.nameColumn, () => koffi.opaque(declaration.name));
      this.types.push({ kind: 'opaque', name: declaration.name, source: declaration.source });
      return `opaque type ${declaration.name}: use it behind a pointer (${declaration.name} *).`;
    }
    this.#checkTypes(
      declaration.source,
      declaration.fields.map((f) => ({ name: f.base, column: f.baseColumn })),
    );
    const fields = Object.fromEntries(declaration.fields.map((f) => [f.name, f.type]));
    const type = this.#register(declaration.source, declaration.nameColumn, () => koffi.struct(declaration.name, fields));
    this.types.push({ kind: 'struct', name: declaration.name, fields, source: declaration.source });
    const layout = declaration.fields.map((f) => `${f.name}@${koffi.offsetof(type, f.name)} ${f.type}`).join(', ');
    return `struct ${declaration.name}: ${koffi.sizeof(type)} bytes, alignment ${koffi.alignof(type)} (${layout}). Read one with mem.struct(ptr, '${declaration.name}').`;
  }

  /** `.callback <C prototype>`: a function type, used as `Name *` in declarations. */
  callback(args: string): string {
    const prototype = this.#parse(() => parsePrototype(args));
    this.#checkTypes(
      prototype.source,
      [prototype.result, ...prototype.params].map((d) => ({ type: d.type, column: d.baseColumn })),
    );
    const text = koffiPrototype(prototype);
    this.#register(prototype.source, prototype.nameColumn, () => this.#koffi.proto(text));
    this.types.push({ kind: 'callback', name: prototype.name, prototype: prototype.source, parsed: prototype });
    return `callback ${prototype.name}: ${prototype.source}. Declare parameters as \`${prototype.name} *\` and pass a JS function (valid during the call only).`;
  }

  /** `.typedef <name> <existing type>` (koffi.alias). */
  typedef(args: string): string {
    const match = /^\s*([A-Za-z_]\w*)\s+(.+?)\s*;?\s*$/.exec(args);
    if (!match) throw new WorkbenchError('usage: .typedef <new name> <existing C type>, e.g. .typedef time_t int64_t');
    const [, name, target] = match as unknown as [string, string, string];
    try {
      this.#koffi.alias(name, target);
    } catch (error) {
      throw new WorkbenchError(`.typedef ${name}: ${(error as Error).message}`);
    }
    this.types.push({ kind: 'typedef', name, target });
    return `typedef ${target} ${name} (${this.#koffi.sizeof(name)} bytes).`;
  }

  #parse<T>(parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      if (error instanceof DeclarationError) throw new WorkbenchError(`cannot parse the declaration:\n${error.pretty()}`);
      throw error;
    }
  }

  /** Every base type must be known to koffi; a caret under the first one that is not. */
  #checkTypes(source: string, uses: Array<{ type?: import('../abi/types.ts').CType; name?: string; column: number }>): void {
    for (const use of uses) {
      const name = use.name ?? (use.type ? baseOf(use.type).name : 'void');
      if (name === 'void') continue;
      try {
        this.#koffi.type(name);
      } catch {
        const error = new DeclarationError(
          source,
          use.column,
          `unknown type '${name}': declare it first (.struct ${name} { ... }, .struct ${name} for an opaque type, .typedef ${name} <type>, or .callback)`,
        );
        throw new WorkbenchError(`cannot use the declaration:\n${error.pretty()}`);
      }
    }
  }

  #register<T>(source: string, column: number, define: () => T): T {
    try {
      return define();
    } catch (error) {
      const message = (error as Error).message;
      const reason = /Duplicate type name/.test(message)
        ? `${message}: koffi types cannot be redefined in a process; pick another name (or restart the REPL)`
        : message;
      throw new WorkbenchError(`cannot define the type:\n${new DeclarationError(source, column, reason).pretty()}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // .help

  /** The workbench part of `.help`; empty when nothing is open. */
  helpList(): string {
    if (this.libraries.size === 0 && !this.types.some((t) => t.kind !== 'typedef')) return '';
    const out = ['Foreign libraries (.open; functions declared with .declare, called as <library>.<function>(...)):'];
    for (const library of this.libraries.values()) {
      out.push(`  ${library.name}: ${library.resolved.file ?? library.resolved.load}`);
      for (const [name, declared] of library.functions)
        out.push(
          `    ${declared.prototype.source}`,
          `        ${library.name}.${name}(${declared.prototype.params
            .map((p, i) => p.name ?? `arg${i}`)
            .concat(declared.prototype.variadic ? ['...'] : [])
            .join(', ')})${declared.symbol ? `  [${displayName(declared.symbol)}]` : ''}`,
        );
      if (library.functions.size === 0) out.push(`    (nothing declared yet: .declare ${library.name} <C prototype>)`);
    }
    for (const type of this.types) {
      if (type.kind === 'struct')
        out.push(
          `  struct ${type.name} { ${Object.entries(type.fields)
            .map(([f, t]) => `${t}${t.endsWith('*') ? '' : ' '}${f};`)
            .join(' ')} }`,
        );
      if (type.kind === 'opaque') out.push(`  opaque ${type.name}`);
      if (type.kind === 'callback') out.push(`  callback ${type.prototype}`);
    }
    return out.join('\n');
  }

  /** `.help m.cos`, `.help cos`, `.help m`; undefined when the name is not the workbench's. */
  helpFor(name: string): string | undefined {
    const [libraryName, functionName] = name.includes('.') ? name.split('.', 2) : [undefined, name];
    if (libraryName === undefined && this.libraries.has(name)) {
      const library = this.libraries.get(name) as ForeignLibrary;
      return `${library.name}: ${library.resolved.file ?? library.resolved.load}\n${[...library.functions.values()].map((d) => `  ${d.prototype.source}`).join('\n') || '  (nothing declared)'}`;
    }
    const out: string[] = [];
    for (const library of this.libraries.values()) {
      if (libraryName !== undefined && library.name !== libraryName) continue;
      const declared = library.functions.get(functionName as string);
      if (!declared) continue;
      out.push(`${library.name}.${functionName}: ${declared.prototype.source}`);
      out.push(
        `  from ${library.resolved.file ?? library.resolved.load}${declared.symbol ? ` (${displayName(declared.symbol)}, ${declared.symbol.kind})` : ''}`,
      );
      out.push(`  koffi binds: ${koffiPrototype(declared.prototype, bindingResultText(declared.prototype))}`);
    }
    const type = this.types.find((t) => t.name === name && t.kind !== 'typedef');
    if (type?.kind === 'struct') out.push(`struct ${type.name}: ${type.source}`);
    if (type?.kind === 'callback') out.push(`callback ${type.prototype}`);
    return out.length ? out.join('\n') : undefined;
  }
}

function makeNamespace(name: string): Record<string, unknown> {
  const namespace: Record<string, unknown> = {};
  Object.defineProperty(namespace, inspect.custom, {
    value: () => {
      const names = Object.keys(namespace);
      return `[foreign library ${name}: ${names.length ? names.map((n) => `${n}()`).join(', ') : 'nothing declared yet'}]`;
    },
  });
  return namespace;
}

/** The function the prompt calls: refuses calls after .close (koffi would call into unmapped code). */
function makeCall(library: ForeignLibrary, prototype: Prototype, fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const call = {
    [prototype.name](...args: unknown[]) {
      if (library.closed) throw new Error(`${library.name}.${prototype.name}: ${library.name} is closed (.open it again)`);
      return fn(...args);
    },
  }[prototype.name] as (...args: unknown[]) => unknown;
  Object.defineProperty(call, 'cdecl', { value: prototype.source });
  Object.defineProperty(call, inspect.custom, { value: () => `[Function ${library.name}.${prototype.name}: ${prototype.source}]` });
  return call;
}

/** `cos@@GLIBC_2.2.5`, `memcpy@GLIBC_2.2.5`, or the bare name. */
export function displayName(symbol: ExportedSymbol): string {
  if (!symbol.version) return symbol.name;
  return `${symbol.name}${symbol.defaultVersion === false ? '@' : '@@'}${symbol.version}`;
}

const FORMAT_NAMES = { elf: 'ELF', pe: 'PE', macho: 'Mach-O', 'macho-fat': 'Mach-O', wasm: 'wasm' } as const;

/** `ELF x86_64`, `Mach-O aarch64 (universal: x86_64, aarch64)`. */
export function formatOf(file: ObjectFile): string {
  const universal = file.slices ? ` (universal: ${file.slices.map((s) => s.machine).join(', ')})` : '';
  return `${FORMAT_NAMES[file.format]} ${file.machine}${universal}`;
}

function symbolFilter(filter: string | undefined): (s: ExportedSymbol) => boolean {
  if (!filter) return () => true;
  if (/[*?]/.test(filter)) {
    const pattern = new RegExp(
      `^${filter
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    );
    return (s) => pattern.test(s.name) || pattern.test(displayName(s));
  }
  const needle = filter.toLowerCase();
  return (s) => displayName(s).toLowerCase().includes(needle);
}

/** ` Did you mean: cos, cosf?` from names that contain the wanted one or differ by little. */
function suggest(name: string, table: ObjectFile): string {
  const lower = name.toLowerCase();
  const names = [...new Set(table.exports.filter((s) => s.kind !== 'data').map((s) => s.name))];
  const near = names
    .map((n) => ({
      n,
      d: n.toLowerCase().includes(lower) || lower.includes(n.toLowerCase()) ? Math.abs(n.length - name.length) : distance(lower, n.toLowerCase()) + 1,
    }))
    .filter((x) => x.d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, 5)
    .map((x) => x.n);
  return near.length ? ` Did you mean: ${near.join(', ')}?` : ` (.symbols ${'<library>'} ${name.slice(0, 3)} lists similar names)`;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length] as number;
}
