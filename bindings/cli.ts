#!/usr/bin/env node
// The `mylib-rust` command (package.json "bin"; `npx mylib-rust repl`): runs a subcommand of
// commands.ts with the process's arguments, and exits with its code.
import { dispatch } from './commands.ts';

const code = await dispatch(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
if (code !== undefined) process.exitCode = code;
