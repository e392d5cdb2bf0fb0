/**
 * The REPL's foreign-library workbench, on mylib-rust/ffi (bindings/ffi): `.open` any shared
 * library next to mylib (`open()`), `.symbols` from its own symbol table (the one object-file
 * reader), `.declare` C prototypes (`lib.func()`) and call them as `m.cos(0)` or
 * `await m.cos.async(0)`, `.struct`, `.callback`, `.typedef` (C text read by the one grammar into
 * a workbench-wide Scope every library's declarations see), `.save` as a TypeScript module that
 * runs on Node, Bun and Deno (save.ts). Independent of mylib's loader, so `.rebuild` and `.load`
 * leave it alone.
 *
 * Safety rails: a declaration is refused when the symbol table says the name is missing or is
 * data; a call through a closed library is refused by the API (it would jump into unmapped
 * code). Libraries are isolated by default (`open(spec, { isolate: true })`: a child process
 * hosts each), so a prototype that does not match the real function costs an error (CRASHED),
 * not the session; with `.open --direct` it can still crash the process, and the first
 * declaration says so once.
 */
import { inspect } from 'node:util';
import {
  type CType,
  DeclarationError,
  type ForeignFunction,
  type ForeignLibrary,
  type RecordType,
  Scope,
  formatType,
  layoutOf,
  open,
  parseDeclarations,
  parseFunction,
  parseType,
  sizeOf,
} from '../ffi/index.ts';
import type { NamedFunction } from '../ffi/grammar.ts';
import { type ResolvedLibrary, mappedFile, resolveLibrary } from '../ffi/names.ts';
import { type ExportedSymbol, type ObjectFile, inspectObjectFile } from '../ffi/object-file.ts';
import { declaration } from '../ffi/types.ts';
import { figuresText, headerDeclarations } from '../bind/header-module.ts';

/** A message for the user (printed in red, no stack). */
export class WorkbenchError extends Error {}

export interface Declared {
  /** The prototype as typed (trimmed, without the trailing `;`): what `.save` writes. */
  text: string;
  type: NamedFunction;
  fn: ForeignFunction;
  /** The symbol-table entry the declaration was checked against, if there is a table. */
  symbol: ExportedSymbol | undefined;
}

export interface OpenLibrary {
  /** The name at the prompt (`m`). */
  name: string;
  /** What `.open` was given, for `.save`: a platform name stays a name, a path becomes absolute. */
  spec: string;
  library: ForeignLibrary;
  resolved: ResolvedLibrary;
  /** The file the symbol table is read from, when there is one on disk. */
  file: string | undefined;
  functions: Map<string, Declared>;
  /** The object bound to the library's name at the prompt (`m`): its declared functions. No prototype: `__proto__` is a name like any other. */
  namespace: Record<string, unknown>;
  table?: SymbolTable | Error;
}

/** One `.struct`, `.callback` or `.typedef` (or the platform typedefs): C text the grammar read, in order. */
export interface TypeText {
  command: 'platform' | 'struct' | 'callback' | 'typedef' | 'include';
  text: string;
  /** What it declared: `struct tm`, `CmpFn`, `time_t`. */
  names: string[];
}

export interface SymbolTable {
  /** `ELF`, `PE`, `Mach-O`, `wasm`. */
  format: string;
  machine: string;
  /** The table read: `.dynsym`, `export table`, `export trie`, `symtab`, `export section`. */
  source: string;
  symbols: ExportedSymbol[];
}

export interface WorkbenchHost {
  /** Binds `name` at the prompt (undefined removes it). */
  bind(name: string, value: unknown): void;
  /** Whether `name` is taken at the prompt by something that is not a workbench library. */
  taken(name: string): boolean;
  /** The current mylib library file, for `.symbols mylib`. */
  mylibPath(): string | undefined;
}

export const PAGE_SIZE = 40;
const ISOLATED_NOTE = 'isolated: its calls run in a child process; .open --direct to call it in this one';
const ISOLATED_WARNING =
  'note: the library is isolated: a call that crashes (a prototype that does not match the real function) fails with CRASHED\n' +
  '      and ends its host process only; the next call starts a new one, with what was declared.';
const CRASH_WARNING =
  'note: a prototype that does not match the real function can crash this process (the whole REPL, and the session with it).\n' +
  '      `.save <file.ts>` keeps the declarations made so far.';
const UNKNOWN_TYPE_HINT = 'declare it first (.struct struct X { ... }, .struct X for an opaque type, .typedef X <type>, or .callback)';

/** Platform typedefs, as C (64-bit hosts: LP64, and LLP64 on Windows). */
export function platformTypedefs(arch: string = process.arch, platform: string = process.platform): string {
  if (!['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'].includes(arch)) return '';
  const lines = ['typedef int64_t time_t;'];
  if (platform !== 'win32') {
    lines.push(
      'typedef int64_t off_t;',
      'typedef int32_t pid_t;',
      'typedef uint32_t uid_t;',
      'typedef uint32_t gid_t;',
      `typedef ${platform === 'darwin' ? 'uint16_t' : 'uint32_t'} mode_t;`,
    );
  }
  return lines.join('\n');
}

const FORMATS: Record<ObjectFile['format'], string> = { elf: 'ELF', pe: 'PE', macho: 'Mach-O', 'macho-fat': 'Mach-O', wasm: 'wasm' };

/** `cos@@GLIBC_2.2.5`, `memcpy@GLIBC_2.2.5`, or the bare name. */
export function displayName(symbol: ExportedSymbol): string {
  if (!symbol.version) return symbol.name;
  return `${symbol.name}${symbol.defaultVersion === false ? '@' : '@@'}${symbol.version}`;
}

/** The exports of a file, with what the header of `.symbols` shows. */
export function readSymbolTable(file: string): SymbolTable {
  const object = inspectObjectFile(file);
  return { format: FORMATS[object.format], machine: object.machine, source: object.exportSource, symbols: object.exports };
}

/** A DeclarationError with another reason (same text and position). */
function withReason(error: DeclarationError, reason: string): DeclarationError {
  return new DeclarationError(error.text, error.offset, reason);
}

/** The error of a text read with `prefix` before it: positions inside the typed text point into it. */
function typedPosition(error: DeclarationError, typed: string, prefix: string): DeclarationError {
  const offset = error.offset - prefix.length;
  if (prefix === '' || offset < 0 || offset > typed.length) return error;
  return new DeclarationError(typed, offset, error.reason);
}

export class Workbench {
  readonly libraries = new Map<string, OpenLibrary>();
  /** The types every library's declarations see: platform typedefs, `.struct`, `.callback`, `.typedef`. */
  readonly scope = new Scope();
  /** The C text of those types, in declaration order, for `.save`. */
  readonly types: TypeText[] = [];
  #host: WorkbenchHost;
  #warned = false;
  #pending: { lines: string[]; next: number } | undefined;
  #tables = new Map<string, SymbolTable>();

  constructor(host: WorkbenchHost) {
    this.#host = host;
    const platform = platformTypedefs();
    if (platform) {
      const declared = parseDeclarations(platform, this.scope);
      this.types.push({ command: 'platform', text: platform, names: declared.map((d) => d.name) });
    }
  }

  // -------------------------------------------------------------------------------------------
  // .open / .libs / .close

  /**
   * `.open <path|name> [as <name>] [--direct]`: isolated by default (the library runs in a child
   * process, so a crashing call costs an error line, not the session); `--direct` opens it in
   * this process. Windows has no isolation: there the library is opened directly.
   */
  open(args: string): string {
    const direct = /(^|\s)--direct(\s|$)/.test(args) || process.platform === 'win32';
    const match = /^\s*(\S+)(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*$/.exec(args.replace(/(^|\s)--direct(?=\s|$)/, ' '));
    if (!match) throw new WorkbenchError('usage: .open <path | name like m, c, z> [as <name>] [--direct]');
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
    let library: ForeignLibrary;
    try {
      library = open(spec, { isolate: !direct });
    } catch (error) {
      const tried = resolved.file === undefined && resolved.tried.length > 1 ? `\n  looked for: ${resolved.tried.join('\n              ')}` : '';
      throw new WorkbenchError(`.open ${spec}: ${(error as Error).message.replace(/^open: /, '')}${tried}`);
    }
    // Found by the loader only (its cache): the file it mapped.
    const file = resolved.file ?? mappedFile(resolved.load);
    const isPath = /[/\\]/.test(spec);
    const opened: OpenLibrary = {
      name,
      spec: isPath ? resolved.load : spec,
      library,
      resolved,
      file,
      functions: new Map(),
      namespace: makeNamespace(name),
    };
    this.libraries.set(name, opened);
    this.#host.bind(name, opened.namespace);
    const table = this.#table(opened);
    const summary =
      table instanceof Error
        ? `no symbol table: ${table.message} (declarations are not checked)`
        : `${table.format} ${table.machine}, ${table.symbols.length} exported symbols (${table.source})`;
    return (
      `opened ${resolved.load}${file && file !== resolved.load ? ` (${file})` : ''} as \`${name}\` (engine ${library.engine}, ${library.isolated ? ISOLATED_NOTE : 'in this process'}): ${summary}.\n` +
      `Next: .symbols ${name} [filter], .declare ${name} <C prototype>`
    );
  }

  libs(): string {
    if (this.libraries.size === 0) return 'No foreign library is open (.open <path | name>). mylib is `mylib`/`raw`.';
    const rows = [...this.libraries.values()].map((l) => {
      const table = this.#table(l);
      const count = table instanceof Error ? 'no symbol table' : `${table.symbols.length} symbols`;
      return `  ${l.name.padEnd(10)} ${l.file ?? l.resolved.load}  (${count}, ${l.functions.size} declared: ${[...l.functions.keys()].join(', ') || 'none'})`;
    });
    return ['Open libraries:', ...rows].join('\n');
  }

  close(args: string): string {
    const name = args.trim();
    const opened = this.#library(name, '.close');
    this.libraries.delete(name);
    this.#host.bind(name, undefined);
    opened.library.close();
    return `closed ${name} (${opened.resolved.load}); its ${opened.functions.size} function(s) now refuse calls. Its declarations are dropped from .save.`;
  }

  /** Closes every library (the REPL's exit). */
  dispose(): void {
    for (const opened of this.libraries.values()) opened.library.close();
    this.libraries.clear();
  }

  #library(name: string, command: string): OpenLibrary {
    if (!name) throw new WorkbenchError(`usage: ${command} <name> (open libraries: ${[...this.libraries.keys()].join(', ') || 'none'})`);
    const opened = this.libraries.get(name);
    if (!opened)
      throw new WorkbenchError(
        `${command}: no open library named '${name}' (open: ${[...this.libraries.keys()].join(', ') || 'none'}; .open <path | name> first)`,
      );
    return opened;
  }

  #table(opened: OpenLibrary): SymbolTable | Error {
    if (opened.table === undefined) {
      if (opened.file === undefined)
        opened.table = new Error(`${opened.resolved.load} has no file on disk to read (dyld shared cache, or found by the loader only)`);
      else opened.table = this.#readTable(opened.file);
    }
    return opened.table;
  }

  #readTable(file: string): SymbolTable | Error {
    const cached = this.#tables.get(file);
    if (cached) return cached;
    try {
      const table = readSymbolTable(file);
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
    let table: SymbolTable | Error;
    const opened = this.libraries.get(target);
    if (opened) {
      table = this.#table(opened);
      file = opened.file ?? opened.resolved.load;
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
    const matches = table.symbols
      .filter(symbolFilter(filter))
      .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || displayName(a).localeCompare(displayName(b)));
    const counts = { function: 0, data: 0, other: 0 };
    for (const s of matches) counts[s.kind]++;
    const header =
      `${opened || target === 'mylib' ? `${target}: ` : ''}${file} (${table.format} ${table.machine}, ${table.source}): ` +
      `${filter ? `${matches.length} of ${table.symbols.length} symbols match '${filter}'` : `${table.symbols.length} symbols`}` +
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
  // .declare

  /** `.declare <library> <C prototype>` */
  declare(args: string): string {
    const match = /^\s*([A-Za-z_$][\w$]*)\s+(.*)$/s.exec(args);
    if (!match) throw new WorkbenchError('usage: .declare <library> <C prototype>, e.g. .declare m double cos(double x)');
    const opened = this.#library(match[1] as string, '.declare');
    const text = (match[2] as string).trim().replace(/\s*;\s*$/, '');
    const library = opened.library;
    this.#share(library);
    let type: NamedFunction;
    try {
      type = parseFunction(text, library.scope);
    } catch (error) {
      throw new WorkbenchError(`cannot read the declaration:\n${this.#explain(error, text, library.scope).pretty()}`);
    }

    // The symbol table's word on the name, before the engine resolves it.
    const table = this.#table(opened);
    let symbol: ExportedSymbol | undefined;
    let tableNote = '';
    if (table instanceof Error) {
      tableNote = ' (not checked: no symbol table)';
    } else {
      const entries = table.symbols.filter((s) => s.name === type.name);
      if (entries.length === 0) {
        throw new WorkbenchError(
          `.declare refused: ${opened.name} (${opened.file}) exports no symbol '${type.name}'.${suggest(type.name, table, opened.name)}`,
        );
      }
      symbol = entries.find((s) => s.defaultVersion !== false) ?? entries[0];
      const data = entries.find((s) => s.kind === 'data');
      if (data && !entries.some((s) => s.kind === 'function')) {
        throw new WorkbenchError(
          `.declare refused: '${displayName(data)}' in ${opened.name} is a data symbol (${data.detail ?? 'object'}), not a function; ` +
            'calling it would jump into data. Read it with mem.* on a pointer instead.',
        );
      }
    }
    let fn: ForeignFunction;
    try {
      fn = library.func(text);
    } catch (error) {
      if (error instanceof DeclarationError) throw new WorkbenchError(`cannot read the declaration:\n${error.pretty()}`);
      throw new WorkbenchError(`.declare: engine ${library.engine} refused '${declaration(type, type.name)}': ${(error as Error).message}`);
    }
    Object.defineProperty(fn, inspect.custom, { value: () => `[Function ${opened.name}.${type.name}: ${text}]`, configurable: true });
    const replaced = opened.functions.has(type.name);
    opened.functions.set(type.name, { text, type, fn, symbol });
    opened.namespace[type.name] = fn;
    const lines = [
      `${replaced ? 'redeclared' : 'declared'} ${opened.name}.${type.name}: ${text}${symbol ? `  [${displayName(symbol)}, ${symbol.kind}${symbol.detail ? ` (${symbol.detail})` : ''}]` : tableNote}`,
    ];
    const result = type.result;
    if (result.kind === 'pointer' && !result.constTarget && result.to.kind === 'scalar' && result.to.name === 'char') {
      lines.push(
        library.isolated
          ? `  its 'char *' result comes back as a pointer (BigInt) into the library's host process, which mem.* cannot read here. Declare 'const char *' to get a JS string copy, or .open --direct.`
          : `  its 'char *' result comes back as a pointer (BigInt): read it with mem.cstring(p, maxLen), free it with the library's own free. Declare 'const char *' to get a JS string copy instead.`,
      );
    }
    if (!this.#warned) {
      this.#warned = true;
      lines.push(library.isolated ? ISOLATED_WARNING : CRASH_WARNING);
      lines.push(`      ${opened.name}.${type.name}.async(...) makes the same call off the main thread (a Promise).`);
    }
    return lines.join('\n');
  }

  /** The workbench's types, seen by `library`'s declarations (the same objects: a struct is one type). */
  #share(library: ForeignLibrary): void {
    const into = library.scope;
    for (const [k, v] of this.scope.typedefs) into.typedefs.set(k, v);
    for (const [k, v] of this.scope.tags) into.tags.set(k, v);
    for (const [k, v] of this.scope.constants) into.constants.set(k, v);
  }

  /** A grammar error with the workbench's hints; anything else is rethrown. */
  #explain(error: unknown, text: string, scope: Scope): DeclarationError {
    if (!(error instanceof DeclarationError)) throw error;
    if (error.reason.startsWith('unknown type')) return withReason(error, `${error.reason}: ${UNKNOWN_TYPE_HINT}`);
    if (error.reason === 'expected exactly one function prototype') {
      // `struct foo *f(void)` with `struct foo` never declared: the grammar reads a forward declaration too.
      try {
        const declared = parseDeclarations(text, new Scope(scope));
        const record = declared.find((d) => d.kind === 'record');
        if (record && declared.some((d) => d.kind === 'function')) {
          const at = text.search(new RegExp(`\\b(struct|union)\\s+${record.name}\\b`));
          return new DeclarationError(
            text,
            Math.max(at, 0),
            `${record.type.kind} ${record.name} is not declared: .struct ${record.type.kind} ${record.name} { ... } first (or .struct ${record.type.kind} ${record.name} for an opaque type)`,
          );
        }
      } catch {
        // The original error says more.
      }
    }
    return error;
  }

  // -------------------------------------------------------------------------------------------
  // .struct / .callback / .typedef: C text read into the workbench's scope

  /**
   * Reads `text` into the workbench's scope, all or nothing: the grammar adds as it reads, so the
   * scope is restored when it fails half way. `prefix` is what the command put before the typed
   * text (its error positions are moved back into the typed text).
   */
  #read(
    command: TypeText['command'],
    typed: string,
    prefix = '',
    suffix = '',
    refuse?: (declared: ReturnType<typeof parseDeclarations>) => string | undefined,
  ): ReturnType<typeof parseDeclarations> {
    const text = `${prefix}${typed}${suffix}`;
    const saved = {
      typedefs: new Map(this.scope.typedefs),
      tags: new Map(this.scope.tags),
      functions: new Map(this.scope.functions),
      variables: new Map(this.scope.variables),
      constants: new Map(this.scope.constants),
    };
    let declared: ReturnType<typeof parseDeclarations>;
    try {
      declared = parseDeclarations(text, this.scope);
      const fn = declared.find((d) => d.kind === 'function' || d.kind === 'variable');
      if (fn) {
        const at = text.search(new RegExp(`\\b${fn.name}\\b`));
        throw new DeclarationError(text, Math.max(at, 0), `'${fn.name}' is a ${fn.kind}: declare it on its library with .declare <library> <C prototype>`);
      }
      // Nothing declared: the same definitions again (a header read twice), which C allows.
      const reason = declared.length === 0 ? undefined : refuse?.(declared);
      if (reason) throw new DeclarationError(text, Math.max(text.search(/\S/), 0), reason);
    } catch (error) {
      for (const key of Object.keys(saved) as Array<keyof typeof saved>) {
        const map = this.scope[key] as Map<string, unknown>;
        map.clear();
        for (const [k, v] of saved[key]) map.set(k, v);
      }
      if (error instanceof DeclarationError) {
        throw new WorkbenchError(`cannot read the declaration:\n${this.#explain(typedPosition(error, typed, prefix), typed, this.scope).pretty()}`);
      }
      throw error;
    }
    if (declared.length === 0) return declared;
    const names = declared
      .filter((d) => d.kind !== 'constant')
      .map((d) => (d.kind === 'record' ? `${d.type.kind} ${d.name}` : d.kind === 'enum' ? `enum ${d.name}` : d.name));
    this.types.push({ command, text: `${text.trim().replace(/;?\s*$/, '')};`, names: [...new Set(names)] });
    return declared;
  }

  /**
   * `.struct <C>`: `struct tm { int tm_sec; ... }`, `typedef struct { double x, y; } Point`,
   * unions and enums too; `.struct Name { fields }` (also usable as `Name`); `.struct FILE`
   * (opaque, used behind pointers).
   */
  struct(args: string): string {
    const typed = args.trim().replace(/\s*;\s*$/, '');
    if (!typed) throw new WorkbenchError('usage: .struct struct tm { int tm_sec; ... }, .struct Point { double x; double y; }, or .struct FILE (opaque)');
    let declared: ReturnType<typeof parseDeclarations>;
    const shorthand = /^([A-Za-z_]\w*)\s*(\{|$)/.exec(typed);
    if (/^(typedef|struct|union|enum)\b/.test(typed) || !shorthand) declared = this.#read('struct', typed);
    else {
      // `Name { ... }` and `Name`: a struct usable as `Name` and `struct Name`.
      const name = shorthand[1] as string;
      declared = this.#read('struct', typed, 'typedef struct ', ` ${name}`);
    }
    const out: string[] = [];
    const shown = new Set<RecordType>();
    for (const item of declared) {
      // An anonymous record is declared by its typedef only.
      const anonymous =
        item.kind === 'typedef' &&
        (item.type.kind === 'struct' || item.type.kind === 'union') &&
        !declared.some((d) => d.kind === 'record' && d.type === item.type);
      if (item.kind === 'record' || anonymous) {
        const record = item.type as RecordType;
        if (shown.has(record)) continue;
        shown.add(record);
        if (record.fields === undefined) {
          const alias = declared.find((d) => d.kind === 'typedef' && d.type === record)?.name;
          out.push(`opaque type ${alias ?? `${record.kind} ${record.name}`}: use it behind a pointer (${alias ?? `${record.kind} ${record.name}`} *).`);
          continue;
        }
        const layout = layoutOf(record);
        const fields = layout.fields.map((f) => `${f.name}@${f.offset} ${formatType(f.type)}`).join(', ');
        out.push(
          `${record.kind} ${record.name}: ${layout.size} bytes, alignment ${layout.alignment} (${fields}). Read one with mem.struct(ptr, '${record.typedefName ?? record.name}').`,
        );
      } else if (item.kind === 'enum') {
        out.push(
          `enum ${item.name}: ${Object.entries(item.type.values)
            .map(([k, v]) => `${k} = ${v}`)
            .join(', ')} (passed as an int).`,
        );
      } else if (item.kind === 'typedef' && item.type.kind !== 'struct' && item.type.kind !== 'union') {
        out.push(`typedef ${declaration(item.type, item.name)}.`);
      }
    }
    return out.join('\n') || 'nothing new: declared already, with the same definition.';
  }

  /**
   * `.callback <C prototype>` (`int CmpFn(const void *a, const void *b)`: a function type, used as
   * `CmpFn *`), or a C typedef (`typedef int cmp(const void *, const void *)`, `typedef int (*cmp_fn)(int)`).
   */
  callback(args: string): string {
    const typed = args.trim().replace(/\s*;\s*$/, '');
    if (!typed)
      throw new WorkbenchError('usage: .callback int CmpFn(const void *a, const void *b), or .callback typedef int (*cmp_fn)(const void *, const void *)');
    const isTypedef = /^typedef\b/.test(typed);
    const declared = isTypedef ? this.#readCallback(typed, '') : this.#readCallback(typed, 'typedef ');
    if (declared.length === 0) return 'nothing new: declared already, with the same definition.';
    const item = declared[0] as { name: string; type: CType };
    const fn = (item.type.kind === 'pointer' ? item.type.to : item.type) as CType;
    const usage = item.type.kind === 'pointer' ? item.name : `${item.name} *`;
    return `callback ${item.name}: ${declaration(fn, item.name)}. Declare parameters as \`${usage}\` and pass a JS function (valid during the call only).`;
  }

  #readCallback(typed: string, prefix: string): ReturnType<typeof parseDeclarations> {
    return this.#read('callback', typed, prefix, '', (declared) =>
      declared.length === 1 && declared[0]?.kind === 'typedef' && isFunctionType(declared[0].type)
        ? undefined
        : 'a callback is one function type: int CmpFn(const void *a, const void *b), or typedef int (*cmp_fn)(const void *, const void *)',
    );
  }

  /** `.typedef <new name> <existing type>` (`.typedef time_t int64_t`), or a C typedef (`.typedef typedef unsigned long ino_t`). */
  typedef(args: string): string {
    const typed = args.trim().replace(/\s*;\s*$/, '');
    if (/^typedef\b/.test(typed)) {
      const declared = this.#read('typedef', typed);
      if (declared.length === 0) return 'nothing new: declared already, with the same definition.';
      return declared
        .filter((d) => d.kind === 'typedef')
        .map((d) => `typedef ${declaration(d.type as CType, d.name)}${sizeText(d.type as CType)}.`)
        .join('\n');
    }
    const match = /^([A-Za-z_]\w*)\s+(.+)$/s.exec(typed);
    if (!match) throw new WorkbenchError('usage: .typedef <new name> <existing C type>, e.g. .typedef time_t int64_t (or C: .typedef typedef int64_t time_t)');
    const [, name, target] = match as unknown as [string, string, string];
    let type: CType;
    try {
      type = parseType(target, this.scope);
    } catch (error) {
      throw new WorkbenchError(`cannot read the type:\n${this.#explain(error, target, this.scope).pretty()}`);
    }
    this.#read('typedef', `typedef ${declaration(type, name)}`);
    return `typedef ${declaration(type, name)}${sizeText(type)}.`;
  }

  // -------------------------------------------------------------------------------------------
  // .include

  /**
   * `.include [<library>] <header> [-I dir] [-D X=1]`: every function of a C header the library
   * exports, declared (`lib.include()`); its records, enums and typedefs join the workbench's
   * types (and `.save`). The library may be left out when one is open.
   */
  include(args: string): string {
    const words = args.trim().split(/\s+/).filter(Boolean);
    const include: string[] = [];
    const define: string[] = [];
    const positional: string[] = [];
    for (let k = 0; k < words.length; k++) {
      const word = words[k] as string;
      if (word === '-I' || word === '-D') {
        const value = words[++k];
        if (value === undefined) throw new WorkbenchError(`.include: ${word} needs a value`);
        (word === '-I' ? include : define).push(value);
      } else if (/^-[ID]./.test(word)) (word[1] === 'I' ? include : define).push(word.slice(2));
      else positional.push(word);
    }
    const usage = 'usage: .include [<library>] <header.h> [-I dir] [-D NAME=value]';
    let name: string | undefined;
    let header: string | undefined;
    if (positional.length === 2) [name, header] = positional;
    else if (positional.length === 1 && this.libraries.size === 1) [name, header] = [[...this.libraries.keys()][0], positional[0]];
    else throw new WorkbenchError(positional.length === 1 ? `${usage} (name the library: ${[...this.libraries.keys()].join(', ') || 'none open'})` : usage);
    const opened = this.#library(name as string, '.include');
    this.#share(opened.library);
    let included: ReturnType<ForeignLibrary['include']>;
    try {
      included = opened.library.include(header as string, { include, define });
    } catch (error) {
      throw new WorkbenchError(`.include ${header}: ${(error as Error).message.replace(/^include: /, '')}`);
    }
    const reached = headerDeclarations(included);
    const text = [...reached.records, ...reached.typedefs].join('\n');
    if (text !== '') {
      try {
        const declared = parseDeclarations(text, this.scope);
        this.types.push({ command: 'include', text, names: [...new Set(declared.map((d) => d.name))] });
      } catch (error) {
        throw new WorkbenchError(`.include ${header}: its types clash with the workbench's: ${(error as Error).message}`);
      }
    }
    const table = this.#table(opened);
    for (const fn of reached.functions) {
      const bound = included.functions[fn.name] as ForeignFunction;
      const symbol = table instanceof Error ? undefined : table.symbols.find((s) => s.name === fn.name && s.defaultVersion !== false);
      opened.functions.set(fn.name, { text: fn.text, type: fn.type as NamedFunction, fn: bound, symbol });
      opened.namespace[fn.name] = bound;
    }
    const functionCount = included.header.declarations.filter((d) => d.item.kind === 'function').length;
    const count = (part: string) => {
      const by: Record<string, number> = {};
      for (const s of included.skipped) if (s.part === part) by[s.why] = (by[s.why] ?? 0) + 1;
      return by;
    };
    const lines = [
      `included ${included.header.file}${included.header.preprocessor ? '' : ` (raw text${included.header.note ? `: ${included.header.note}` : ''})`} into ${opened.name}:`,
      figuresText({
        read: included.header.declarations.length,
        functions: functionCount,
        bound: reached.functions.length,
        unexported: included.unexported.length,
        skipped: count('declaration'),
        dropped: count('syntax'),
        constants: Object.keys(included.constants).length,
        types: Object.keys(included.types).length,
      }),
      `  call them as ${opened.name}.<function>(...); the constants are in ${opened.name}.constants.`,
    ];
    opened.namespace.constants ??= Object.freeze({ ...included.constants });
    if (!this.#warned) {
      this.#warned = true;
      lines.push(CRASH_WARNING);
    }
    return lines.join('\n');
  }

  // -------------------------------------------------------------------------------------------
  // .help

  /** The workbench part of `.help`; empty when nothing is open or declared. */
  helpList(): string {
    const own = this.types.filter((t) => t.command !== 'platform');
    if (this.libraries.size === 0 && own.length === 0) return '';
    const out = ['Foreign libraries (.open; functions declared with .declare, called as <library>.<function>(...) or <library>.<function>.async(...)):'];
    for (const opened of this.libraries.values()) {
      out.push(`  ${opened.name}: ${opened.file ?? opened.resolved.load}`);
      for (const [name, declared] of opened.functions)
        out.push(
          `    ${declared.text}`,
          `        ${opened.name}.${name}(${declared.type.params.map((p, i) => p.name ?? `arg${i}`).join(', ')})${declared.symbol ? `  [${displayName(declared.symbol)}]` : ''}`,
        );
      if (opened.functions.size === 0) out.push(`    (nothing declared yet: .declare ${opened.name} <C prototype>)`);
    }
    if (own.length) out.push('  Types (seen by every library):');
    for (const type of own) out.push(`    ${type.text.replace(/\s*\n\s*/g, ' ')}`);
    return out.join('\n');
  }

  /** `.help m.cos`, `.help cos`, `.help m`, `.help tm`; undefined when the name is not the workbench's. */
  helpFor(name: string): string | undefined {
    const [libraryName, functionName] = name.includes('.') ? name.split('.', 2) : [undefined, name];
    if (libraryName === undefined && this.libraries.has(name)) {
      const opened = this.libraries.get(name) as OpenLibrary;
      return `${opened.name}: ${opened.file ?? opened.resolved.load} (engine ${opened.library.engine})\n${[...opened.functions.values()].map((d) => `  ${d.text}`).join('\n') || '  (nothing declared)'}`;
    }
    const out: string[] = [];
    for (const opened of this.libraries.values()) {
      if (libraryName !== undefined && opened.name !== libraryName) continue;
      const declared = opened.functions.get(functionName as string);
      if (!declared) continue;
      out.push(`${opened.name}.${functionName}: ${declared.text}`);
      out.push(`  from ${opened.file ?? opened.resolved.load}${declared.symbol ? ` (${displayName(declared.symbol)}, ${declared.symbol.kind})` : ''}`);
      out.push(`  read as: ${declared.fn.declaration}; ${opened.name}.${functionName}.async(...) for the call off the main thread`);
    }
    for (const type of this.types) {
      if (type.names.includes(name) || type.names.includes(`struct ${name}`) || type.names.includes(`union ${name}`)) out.push(`${type.command}: ${type.text}`);
    }
    return out.length ? out.join('\n') : undefined;
  }
}

function isFunctionType(type: CType): boolean {
  return type.kind === 'function' || (type.kind === 'pointer' && type.to.kind === 'function');
}

function sizeText(type: CType): string {
  try {
    return ` (${sizeOf(type)} bytes)`;
  } catch {
    return '';
  }
}

function makeNamespace(name: string): Record<string, unknown> {
  const namespace: Record<string, unknown> = Object.create(null);
  Object.defineProperty(namespace, inspect.custom, {
    value: () => {
      const names = Object.keys(namespace);
      return `[foreign library ${name}: ${names.length ? names.map((n) => `${n}()`).join(', ') : 'nothing declared yet'}]`;
    },
  });
  return namespace;
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
function suggest(name: string, table: SymbolTable, library: string): string {
  const lower = name.toLowerCase();
  const names = [...new Set(table.symbols.filter((s) => s.kind !== 'data').map((s) => s.name))];
  const near = names
    .map((n) => ({
      n,
      d: n.toLowerCase().includes(lower) || lower.includes(n.toLowerCase()) ? Math.abs(n.length - name.length) : distance(lower, n.toLowerCase()) + 1,
    }))
    .filter((x) => x.d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, 5)
    .map((x) => x.n);
  return near.length ? ` Did you mean: ${near.join(', ')}?` : ` (.symbols ${library} ${name.slice(0, 3)} lists similar names)`;
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
