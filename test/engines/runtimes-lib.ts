/** scripts/runtimes/lib.mjs (plain JavaScript), typed for the engine tests: where the runtimes are and how each runs a script. */
interface RuntimesLib {
  root: string;
  installed(name: 'bun' | 'node26'): boolean;
  runtimeBinary(name: 'bun' | 'node26'): string;
  runtimeCommand(name: 'bun' | 'node26', script: string): { bin: string; args: string[] };
}
const LIB: string = '../../scripts/runtimes/lib.mjs';
export const { installed, root, runtimeBinary, runtimeCommand } = (await import(LIB)) as RuntimesLib;
