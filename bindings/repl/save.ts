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
 * The module is written by bind/emit.ts, the one writer `mylib-rust bind` uses too. Struct fields
 * live in the C text only.
 */
import { emitModule, moduleProblem, type ModuleSpec } from '../bind/emit.ts';
import type { Workbench } from './workbench.ts';

/** The session as the declarations of a module (bind/emit.ts writes it). */
function sessionSpec(workbench: Workbench, generatedBy: string): ModuleSpec {
  return {
    intro: [
      `${generatedBy}: the declarations typed at the mylib REPL's prompt.`,
      "Check them against the library's header before relying on them: a wrong prototype can crash the process.",
    ],
    types: workbench.types.map((t) => ({ label: t.command === 'platform' ? 'platform typedefs' : `.${t.command}`, text: t.text })),
    libraries: [...workbench.libraries.values()].map((l) => ({
      name: l.name,
      spec: l.spec,
      file: l.file ?? l.resolved.load,
      functions: [...l.functions.values()].map((d) => ({ name: d.type.name, text: d.text })),
    })),
  };
}

/** Why the session cannot be saved, or undefined. */
export function saveProblem(workbench: Workbench): string | undefined {
  const problem = moduleProblem(sessionSpec(workbench, ''));
  return problem && `${problem}: .close close, then .open it again as another name`;
}

/** The module text; `generatedBy` names the command for the header comment. */
export function savedModule(workbench: Workbench, generatedBy: string): string {
  const problem = saveProblem(workbench);
  if (problem) throw new Error(problem);
  return emitModule(sessionSpec(workbench, generatedBy), 'ts');
}
