/**
 * `mylib-rust bind <library> <header.h> [--only <regex>] [-I dir] [-D NAME[=value]] -o <file>.ts`:
 * a C header to a typed module in one command. The header is read and bound by `lib.include()`
 * (so every function written is one the library exports and the engine accepts), then written by
 * emit.ts: `<file>.ts` (TypeScript), or `<file>.js` with `<file>.d.ts` beside it.
 */
import { writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { CommandIo } from '../commands.ts';
import { open } from '../ffi/library.ts';
import { resolveLibrary } from '../ffi/names.ts';
import { emitModule } from './emit.ts';
import { type BindFigures, figuresText, headerModule } from './header-module.ts';

export const USAGE = `Usage: mylib-rust bind <library> <header.h> [--only <regex>] [-I dir] [-D NAME[=value]] -o <file>.ts|<file>.js

Reads <header.h> (preprocessed by the C compiler when there is one: cc -E, with -I and -D), binds
every function it declares that <library> exports, and writes a typed module that imports only
mylib-rust/ffi (Node, Bun, Deno). <file>.js is written with <file>.d.ts beside it.
<library> is a path or a platform name (z, sqlite3, m). --only keeps the functions, constants and
types whose name matches. Prints what was read, skipped (with the reasons) and bound.
`;

interface BindArgs {
  library: string;
  header: string;
  output: string;
  only: RegExp | undefined;
  include: string[];
  define: string[];
}

/** The arguments, or a usage error message. */
export function parseArgs(args: readonly string[]): BindArgs | string {
  const positional: string[] = [];
  const include: string[] = [];
  const define: string[] = [];
  let output: string | undefined;
  let only: RegExp | undefined;
  for (let k = 0; k < args.length; k++) {
    const arg = args[k] as string;
    const value = (flag: string): string | undefined => {
      if (arg.length > flag.length && !arg.startsWith('--')) return arg.slice(flag.length);
      const next = args[++k];
      return next;
    };
    if (arg === '--only') {
      const source = args[++k];
      if (source === undefined) return '--only needs a regular expression';
      try {
        only = new RegExp(source);
      } catch (error) {
        return `--only ${source}: ${(error as Error).message}`;
      }
    } else if (arg === '-o' || arg === '--output') {
      output = args[++k];
      if (output === undefined) return `${arg} needs a file name`;
    } else if (arg.startsWith('-I')) {
      const dir = value('-I');
      if (!dir) return '-I needs a directory';
      include.push(dir);
    } else if (arg.startsWith('-D')) {
      const macro = value('-D');
      if (!macro) return '-D needs NAME or NAME=value';
      define.push(macro);
    } else if (arg.startsWith('-')) return `unknown option '${arg}'`;
    else positional.push(arg);
  }
  if (positional.length !== 2) return `expected <library> <header.h>, got ${positional.length === 0 ? 'nothing' : positional.join(' ')}`;
  if (output === undefined) return '-o <file>.ts (or <file>.js) is required';
  if (!/\.(ts|js|mts|mjs)$/.test(output) || /\.d\.ts$/.test(output)) return `-o ${output}: the file name ends in .ts or .js`;
  return { library: positional[0] as string, header: positional[1] as string, output, only, include, define };
}

export async function main(args: string[], io: CommandIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE);
    return 0;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.err(`mylib-rust bind: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  let written: string[];
  let figures: BindFigures;
  try {
    const resolved = resolveLibrary(parsed.library);
    const spec = /[/\\]/.test(parsed.library) ? resolve(parsed.library) : parsed.library;
    using lib = open(spec);
    const included = lib.include(parsed.header, { include: parsed.include, define: parsed.define });
    const { spec: moduleSpec, figures: counted } = headerModule(included, {
      only: parsed.only,
      library: { name: resolved.name, spec, file: resolved.file ?? resolved.load },
      generatedBy: `Written by mylib-rust bind ${parsed.library} ${parsed.header}${parsed.only ? ` --only ${parsed.only.source}` : ''}.`,
    });
    figures = counted;
    const output = isAbsolute(parsed.output) ? parsed.output : resolve(parsed.output);
    if (/\.m?ts$/.test(output)) {
      writeFileSync(output, emitModule(moduleSpec, 'ts'));
      written = [output];
    } else {
      const types = output.replace(/\.(m?)js$/, '.d.$1ts');
      writeFileSync(output, emitModule(moduleSpec, 'js'));
      writeFileSync(types, emitModule(moduleSpec, 'dts'));
      written = [output, types];
    }
  } catch (error) {
    io.err(`mylib-rust bind: ${(error as Error).message}\n`);
    return 1;
  }
  io.out(`${parsed.header} -> ${written.join(', ')}\n${figuresText(figures)}\n`);
  return 0;
}
