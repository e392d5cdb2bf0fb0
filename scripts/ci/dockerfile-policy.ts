// The project's rules for its multi-stage Dockerfile, checked offline with dockerfile-ast
// (test/tooling/dockerfile.test.ts). hadolint cannot be installed here; these are the rules that matter
// for this image:
//   - every base image is a build argument with a public default (RUST_IMAGE, NODE_IMAGE), so
//     the same file builds on any Docker host and with local images where a registry is out of reach;
//   - a Rust stage builds the library with cargo;
//   - a dependencies stage installs production node_modules (npm ci --omit=dev);
//   - the runtime stage (the last one) starts from NODE_IMAGE, has no cargo/rustc/rustup, gets
//     the library from the Rust stage (directly or through other stages) and node_modules from
//     the dependencies stage, runs as a non-root user, EXPOSEs a port and has a HEALTHCHECK.
// checkDockerfile returns one message per broken rule; none means the file follows them.
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

export const RUST_IMAGE_ARG = 'RUST_IMAGE';
export const NODE_IMAGE_ARG = 'NODE_IMAGE';

export interface Stage {
  index: number;
  /** `AS name`, or undefined. */
  name?: string;
  /** The FROM image as written: `${RUST_IMAGE}`, `rust`, `node:20-slim`... */
  image: string;
  line: number;
  instructions: Instruction[];
}

interface CopyFrom {
  line: number;
  from: string;
  sources: string[];
}

const TOOLCHAIN = /\b(cargo|rustc|rustup)\b/;
const LIBRARY_FILE = /\.(so|dylib|dll)$|(^|\/)artifacts(\/|$)|(^|\/)lib[\w-]*\.(so|dylib)/;
const PRODUCTION_INSTALL = /\bnpm\s+ci\b[^\n]*(--omit[= ]dev|--production|--only[= ]prod)/;

/** The stages of a Dockerfile, in order, with their instructions (FROM excluded). */
export function dockerStages(text: string): { stages: Stage[]; globalArgs: Map<string, string | undefined> } {
  const dockerfile = DockerfileParser.parse(text);
  const globalArgs = new Map<string, string | undefined>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) globalArgs.set(property.getName(), property.getValue() ?? undefined);
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as unknown as { getImage(): string | null; getBuildStage(): string | null };
      const name = from.getBuildStage() ?? undefined;
      stages.push({
        index: stages.length,
        ...(name ? { name } : {}),
        image: from.getImage() ?? '',
        line: instruction.getRange().start.line + 1,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { stages, globalArgs };
}

function copiesFrom(stage: Stage): CopyFrom[] {
  const result: CopyFrom[] = [];
  for (const instruction of stage.instructions) {
    if (instruction.getKeyword() !== 'COPY' && instruction.getKeyword() !== 'ADD') continue;
    const flag = instruction.getKeyword() === 'COPY' ? (instruction as unknown as { getFromFlag(): { getValue(): string | null } | null }).getFromFlag() : null;
    const from = flag?.getValue();
    if (!from) continue;
    const args = instruction.getArguments().map((argument) => argument.getValue());
    result.push({ line: instruction.getRange().start.line + 1, from, sources: args.slice(0, -1) });
  }
  return result;
}

/** The stage a `--from=` or `FROM` value names (by alias or index), if it is a stage. */
function stageNamed(stages: Stage[], reference: string, before: number): Stage | undefined {
  if (/^\d+$/.test(reference)) return stages[Number(reference)];
  return stages.slice(0, before).find((stage) => stage.name?.toLowerCase() === reference.toLowerCase());
}

/** `${NAME}` or `$NAME` as the whole image reference -> NAME. */
function argReference(image: string): string | undefined {
  return /^\$\{?(\w+)\}?$/.exec(image)?.[1];
}

function runText(stage: Stage): string {
  return stage.instructions
    .filter((instruction) => instruction.getKeyword() === 'RUN')
    .map((instruction) => instruction.getRawArgumentsContent() ?? '')
    .join('\n');
}

/** A public image name: no registry host, no localhost. */
function isPublicDefault(image: string): boolean {
  const first = image.split('/')[0]!;
  return !image.includes('$') && !(image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost'));
}

export function checkDockerfile(text: string, path = 'Dockerfile'): string[] {
  const problems: string[] = [];
  const { stages, globalArgs } = dockerStages(text);
  if (stages.length < 3) problems.push(`${path}: ${stages.length} stage(s); expected a Rust stage, a dependencies stage and a runtime stage`);
  if (stages.length === 0) return problems;

  // Base images: build arguments with public defaults, or an earlier stage.
  for (const [name, prefix] of [
    [RUST_IMAGE_ARG, 'rust:'],
    [NODE_IMAGE_ARG, 'node:'],
  ] as const) {
    if (!globalArgs.has(name)) {
      problems.push(`${path}: no "ARG ${name}=<public default>" before the first FROM`);
      continue;
    }
    const value = globalArgs.get(name);
    if (!value) problems.push(`${path}: ARG ${name} has no default; "docker build ." must work without --build-arg`);
    else if (!value.startsWith(prefix) || !isPublicDefault(value)) {
      problems.push(`${path}: ARG ${name} defaults to "${value}"; expected a public ${prefix}... image`);
    }
  }
  for (const stage of stages) {
    const variable = argReference(stage.image);
    if (variable) {
      if (!globalArgs.has(variable)) problems.push(`${path}:${stage.line}: FROM ${stage.image}: ${variable} is not an ARG declared before the first FROM`);
    } else if (!stageNamed(stages, stage.image, stage.index)) {
      problems.push(
        `${path}:${stage.line}: FROM ${stage.image}: base images must be build arguments (FROM \${${RUST_IMAGE_ARG}} / \${${NODE_IMAGE_ARG}}), not fixed names`,
      );
    }
  }

  // Rust stages: FROM ${RUST_IMAGE}, running cargo build, or derived from such a stage.
  const rustStages = new Set<number>();
  for (const stage of stages) {
    const parent = stageNamed(stages, stage.image, stage.index);
    const builds = /\bcargo\s+build\b/.test(runText(stage));
    if (argReference(stage.image) === RUST_IMAGE_ARG || builds || (parent && rustStages.has(parent.index))) rustStages.add(stage.index);
  }
  if (!stages.some((stage) => /\bcargo\s+build\b/.test(runText(stage)))) problems.push(`${path}: no stage runs "cargo build"`);

  // The runtime stage.
  const runtime = stages.at(-1)!;
  const label = `${path}:${runtime.line}: runtime stage${runtime.name ? ` "${runtime.name}"` : ''}`;
  const runtimeParent = stageNamed(stages, runtime.image, runtime.index);
  if (argReference(runtime.image) === RUST_IMAGE_ARG || (runtimeParent && rustStages.has(runtimeParent.index))) {
    problems.push(`${label}: starts from the Rust image; the runtime must start from \${${NODE_IMAGE_ARG}}`);
  } else if (argReference(runtime.image) !== NODE_IMAGE_ARG && !stageNamed(stages, runtime.image, runtime.index)) {
    problems.push(`${label}: starts from ${runtime.image}, not \${${NODE_IMAGE_ARG}}`);
  }
  for (const instruction of runtime.instructions) {
    const line = instruction.getRange().start.line + 1;
    const content = instruction.getRawArgumentsContent() ?? '';
    if (['RUN', 'ENV', 'COPY', 'ADD'].includes(instruction.getKeyword()) && TOOLCHAIN.test(content)) {
      problems.push(`${path}:${line}: the runtime stage mentions the Rust toolchain (${instruction.getKeyword()} ${content.split('\n')[0]})`);
    }
  }

  // The library reaches the runtime from a Rust stage through COPY --from (possibly via other stages).
  const reachesRust = (stage: Stage, seen: Set<number>): boolean => {
    if (seen.has(stage.index)) return false;
    seen.add(stage.index);
    return copiesFrom(stage).some((copy) => {
      const source = stageNamed(stages, copy.from, stage.index);
      if (!source) return false;
      if (rustStages.has(source.index)) return copy.sources.some((file) => LIBRARY_FILE.test(file));
      return reachesRust(source, seen);
    });
  };
  if (!rustStages.has(runtime.index) && !reachesRust(runtime, new Set())) {
    problems.push(`${label}: does not get the library from the Rust stage (no COPY --from=<rust stage> of the .so, directly or through another stage)`);
  }

  // Production node_modules from a dependencies stage.
  const modules = copiesFrom(runtime).filter((copy) => copy.sources.some((file) => /node_modules/.test(file)));
  const fromDeps = modules.some((copy) => {
    const source = stageNamed(stages, copy.from, runtime.index);
    return source !== undefined && PRODUCTION_INSTALL.test(runText(source));
  });
  if (!fromDeps) {
    problems.push(`${label}: does not copy node_modules from a stage that runs "npm ci --omit=dev"`);
  }

  // Non-root, port, health check.
  const users = runtime.instructions.filter((instruction) => instruction.getKeyword() === 'USER');
  const user = users.at(-1)?.getArgumentsContent()?.trim();
  if (!user) problems.push(`${label}: no USER; the service would run as root`);
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`${label}: USER ${user} is root`);
  if (!runtime.instructions.some((instruction) => instruction.getKeyword() === 'EXPOSE')) problems.push(`${label}: no EXPOSE`);
  if (!runtime.instructions.some((instruction) => instruction.getKeyword() === 'HEALTHCHECK')) problems.push(`${label}: no HEALTHCHECK`);
  return problems;
}
