/**
 * The subcommands of the `mylib-rust` command (bindings/cli.ts, package.json "bin"): one module
 * per subcommand, loaded when it runs, each exporting `main(args, io)`. A subcommand is added
 * here with one entry.
 */

/** Where a subcommand writes its usage and errors (the process's stdout and stderr from the CLI). */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * A subcommand's module: `main` returns the exit code, or undefined when the command goes on
 * running after it returns (the REPL) and exits the process itself.
 */
export interface CommandModule {
  main(args: string[], io: CommandIo): Promise<number | undefined>;
}

export interface Command {
  /** One line for the usage. */
  summary: string;
  load(): Promise<CommandModule>;
}

export const COMMANDS: Readonly<Record<string, Command>> = {
  repl: {
    summary: 'a REPL with mylib loaded and a workbench for any shared library (.open, .symbols, .declare, .save)',
    load: () => import('./repl/main.ts'),
  },
  // `bind` (typed bindings from a C header, issue 22) is added here, as bindings/bind/main.ts.
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: mylib-rust <command> [arguments]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'mylib-rust <command> --help shows the arguments of a command.',
    '',
  ].join('\n');
}

/** Runs `mylib-rust <args>`: the exit code, or undefined while a command (the REPL) runs on. */
export async function dispatch(args: readonly string[], io: CommandIo): Promise<number | undefined> {
  const [name, ...rest] = args;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return 0;
  }
  if (name === undefined) {
    io.err(`mylib-rust: no command given\n\n${usage()}`);
    return 2;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`mylib-rust: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const module = await command.load();
  return module.main(rest, io);
}
