// The Dockerfile's stages, checked offline with dockerfile-ast (scripts/ci/dockerfile-policy.ts):
// base images are build arguments, a Rust stage builds the library, the runtime stage has no
// Rust toolchain, gets the library from the Rust stage and production node_modules from a
// dependencies stage, and runs as a non-root user. Then the project's own Dockerfile in detail:
// its stages, where the library goes, the runtime stage, the extra CA, .dockerignore. Building
// and running the image is `npm run test:docker`; this file checks the text.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type From, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { checkDockerfile, dockerStages } from '../../scripts/ci/dockerfile-policy.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const good = readFileSync(new URL('fixtures/dockerfile/good.Dockerfile', import.meta.url), 'utf8');
const realDockerfile = `${root}Dockerfile`;

/** The good fixture with `from` replaced by `to`; throws if `from` is not in it (a stale case). */
function edit(from: string, to: string): string {
  if (!good.includes(from)) throw new Error(`fixture edit: "${from}" is not in good.Dockerfile`);
  return good.replace(from, to);
}

const LIB_COPY = 'COPY --from=rust /src/target/release/libmylib.so ./dist/artifacts/mylib.linux-x64-gnu.so\n';

describe('checkDockerfile', () => {
  it('the good fixture passes, and has the three stages', () => {
    expect(checkDockerfile(good)).toEqual([]);
    expect(dockerStages(good).stages.map((stage) => stage.name)).toEqual(['rust', 'deps', 'runtime']);
  });

  it('the library may reach the runtime through another stage (rust -> build -> runtime)', () => {
    const indirect = edit(
      'FROM ${NODE_IMAGE} AS runtime',
      'FROM ${NODE_IMAGE} AS build\nCOPY --from=rust /src/target/release/libmylib.so /out/mylib.linux-x64-gnu.so\n\nFROM ${NODE_IMAGE} AS runtime',
    ).replace(LIB_COPY, 'COPY --from=build /out ./dist/artifacts\n');
    expect(checkDockerfile(indirect)).toEqual([]);
  });

  // Each case: the good fixture with one edit, and every message it must produce (and no other).
  it.each([
    [
      'the Rust base image is not a build argument',
      edit('FROM ${RUST_IMAGE} AS rust', 'FROM rust:1-slim-bookworm AS rust'),
      [/:6: FROM rust:1-slim-bookworm: base images must be build arguments/],
    ],
    [
      'the runtime base image is not a build argument',
      edit('FROM ${NODE_IMAGE} AS runtime', 'FROM node:20-bookworm-slim AS runtime'),
      [
        /:17: FROM node:20-bookworm-slim: base images must be build arguments/,
        /runtime stage "runtime": starts from node:20-bookworm-slim, not \$\{NODE_IMAGE\}/,
      ],
    ],
    [
      'FROM an ARG declared after the first FROM',
      edit('FROM ${NODE_IMAGE} AS deps', 'ARG DEPS_IMAGE=node:20\nFROM ${DEPS_IMAGE} AS deps'),
      [/FROM \$\{DEPS_IMAGE\}: DEPS_IMAGE is not an ARG declared before the first FROM/],
    ],
    ['a base image ARG without a default', edit('ARG NODE_IMAGE=node:20-bookworm-slim', 'ARG NODE_IMAGE'), [/ARG NODE_IMAGE has no default/]],
    [
      'a base image ARG defaulting to a private registry',
      edit('ARG RUST_IMAGE=rust:1-slim-bookworm', 'ARG RUST_IMAGE=registry.example.com/rust:1'),
      [/ARG RUST_IMAGE defaults to "registry\.example\.com\/rust:1"; expected a public rust:\.\.\. image/],
    ],
    [
      'no RUST_IMAGE argument at all',
      edit('ARG RUST_IMAGE=rust:1-slim-bookworm\n', '').replace('FROM ${RUST_IMAGE} AS rust', 'FROM ${NODE_IMAGE} AS rust'),
      [/no "ARG RUST_IMAGE=<public default>" before the first FROM/],
    ],
    [
      'cargo copied into the runtime stage',
      edit('USER node', 'COPY --from=rust /usr/local/cargo/bin/cargo /usr/local/bin/cargo\nUSER node'),
      [/:23: the runtime stage mentions the Rust toolchain \(COPY \/usr\/local\/cargo\/bin\/cargo/],
    ],
    [
      'cargo run in the runtime stage',
      edit('USER node', 'RUN apt-get update && apt-get install -y cargo\nUSER node'),
      [/the runtime stage mentions the Rust toolchain \(RUN apt-get update && apt-get install -y cargo\)/],
    ],
    [
      'the runtime stage starts from the Rust image',
      edit('FROM ${NODE_IMAGE} AS runtime', 'FROM ${RUST_IMAGE} AS runtime'),
      [/runtime stage "runtime": starts from the Rust image/],
    ],
    [
      'the runtime stage starts from the Rust stage',
      edit('FROM ${NODE_IMAGE} AS runtime', 'FROM rust AS runtime'),
      [/runtime stage "runtime": starts from the Rust image/],
    ],
    ['the library is not copied from the Rust stage', edit(LIB_COPY, ''), [/runtime stage "runtime": does not get the library from the Rust stage/]],
    [
      'only a non-library file is copied from the Rust stage',
      edit(LIB_COPY, 'COPY --from=rust /src/Cargo.toml ./\n'),
      [/does not get the library from the Rust stage/],
    ],
    ['no stage builds the library', edit('RUN cargo build --release --lib --locked', 'RUN echo no build'), [/no stage runs "cargo build"/]],
    [
      'node_modules from a stage with dev dependencies',
      edit('npm ci --omit=dev --ignore-scripts', 'npm ci --ignore-scripts'),
      [/does not copy node_modules from a stage that runs "npm ci --omit=dev"/],
    ],
    ['no USER: runs as root', edit('USER node\n', ''), [/runtime stage "runtime": no USER; the service would run as root/]],
    ['USER root', edit('USER node', 'USER root'), [/USER root is root/]],
    ['USER 0:0', edit('USER node', 'USER 0:0'), [/USER 0:0 is root/]],
    ['no EXPOSE', edit('EXPOSE 8000\n', ''), [/no EXPOSE/]],
    ['no HEALTHCHECK', good.replace(/^HEALTHCHECK.*\n/m, ''), [/no HEALTHCHECK/]],
  ])('rejects: %s', (_, text, expected) => {
    const problems = checkDockerfile(text);
    expect(expected.filter((pattern) => !problems.some((problem) => pattern.test(problem))).map(String), problems.join('\n')).toEqual([]);
    expect(problems.filter((problem) => !expected.some((pattern) => pattern.test(problem)))).toEqual([]);
  });

  it('rejects text with no stages', () => {
    expect(checkDockerfile('')).toEqual(['Dockerfile: 0 stage(s); expected a Rust stage, a dependencies stage and a runtime stage']);
  });
});

describe('the real ./Dockerfile', () => {
  it('./Dockerfile follows the rules', () => {
    expect(checkDockerfile(readFileSync(realDockerfile, 'utf8'), 'Dockerfile')).toEqual([]);
  });
});

// The project's Dockerfile beyond the generic rules.
const dockerfile = DockerfileParser.parse(readFileSync(realDockerfile, 'utf8'));
const froms: From[] = dockerfile.getFROMs();
const instructions: Instruction[] = dockerfile.getInstructions();
const args = (i: Instruction) => i.getArgumentsContent() ?? '';
/** A COPY with its flags in front: `--from=deps /app/node_modules ./node_modules`. */
const copy = (i: Instruction) =>
  [
    ...(i as unknown as { getFlags(): Array<{ getName(): string; getValue(): string | null }> }).getFlags().map((f) => `--${f.getName()}=${f.getValue()}`),
    args(i),
  ].join(' ');

/** The instructions of the stage named `name`. */
function stage(name: string): Instruction[] {
  const index = froms.findIndex((f) => f.getBuildStage() === name);
  expect(index, `stage ${name}`).toBeGreaterThanOrEqual(0);
  const start = froms[index]!.getRange().start.line;
  const end = froms[index + 1]?.getRange().start.line ?? Number.POSITIVE_INFINITY;
  return instructions.filter((i) => i.getRange().start.line > start && i.getRange().start.line < end);
}
const keyword = (list: Instruction[], word: string) => list.filter((i) => i.getKeyword() === word);

describe('the real ./Dockerfile in detail', () => {
  it('has the stages rust -> build -> deps -> runtime, the last one being the image', () => {
    expect(froms.map((f) => f.getBuildStage())).toEqual(['rust', 'build', 'deps', 'runtime']);
  });

  it('takes its base images from build arguments with public defaults', () => {
    const defaults = Object.fromEntries(dockerfile.getInitialARGs().map((a) => [a.getProperty()!.getName(), a.getProperty()!.getValue()]));
    expect(defaults.RUST_IMAGE).toMatch(/^rust:\S+$/);
    expect(defaults.NODE_IMAGE).toMatch(/^node:20\S*-slim$/);
    expect(froms.map((f) => f.getImage())).toEqual(['${RUST_IMAGE}', '${NODE_IMAGE}', '${NODE_IMAGE}', '${NODE_IMAGE}']);
  });

  it('builds the library in the Rust stage without downloading crates', () => {
    const run = keyword(stage('rust'), 'RUN').map(args).join('\n');
    expect(run).toMatch(/cargo build --release --lib --locked/);
    const toml = readFileSync(`${root}Cargo.toml`, 'utf8');
    expect(toml.split('[dependencies]')[1]?.split('[')[0]?.trim()).toBe(''); // std only
  });

  it('installs production modules with optional packages (koffi native code) and checks koffi', () => {
    const run = keyword(stage('deps'), 'RUN').map(args).join('\n');
    expect(run).toMatch(/npm ci --omit=dev/);
    expect(readFileSync(realDockerfile, 'utf8')).not.toMatch(/--omit=optional|--no-optional/);
    expect(run).toMatch(/require\('koffi'\)/);
  });

  it('names the library through bindings/names.ts and puts it where the compiled loader looks', () => {
    const run = keyword(stage('build'), 'RUN').map(args).join('\n');
    expect(run).toMatch(/libraryFileName\(hostPlatform\(\)\)/);
    expect(run).toMatch(/ARTIFACTS_DIR !== '\/app\/artifacts\/'/); // the build fails if the loader looks elsewhere
    expect(keyword(stage('runtime'), 'COPY').map(copy)).toContain('--from=build /app/artifacts ./artifacts');
  });

  it('runtime: copies from the other stages, non-root, EXPOSE, HEALTHCHECK, signals, CMD', () => {
    const runtime = stage('runtime');
    const copies = keyword(runtime, 'COPY')
      .map(copy)
      .map((c) => c.replace(/\s+/g, ' '));
    expect(copies).toContain('--from=deps /app/node_modules ./node_modules');
    expect(copies).toContain('--from=build /app/dist ./dist');
    const user = keyword(runtime, 'USER').map(args);
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(keyword(runtime, 'EXPOSE').map(args)).toEqual(['8000']);
    expect(keyword(runtime, 'HEALTHCHECK').map(args)[0]).toMatch(/\/healthz/);
    expect(keyword(runtime, 'STOPSIGNAL').map(args)).toEqual(['SIGTERM']);
    expect(keyword(runtime, 'CMD').map(args)).toEqual(['["node", "dist/service/main.js"]']);
    expect(keyword(runtime, 'ENV').map(args).join(' ')).toMatch(/HOST=0\.0\.0\.0/);
    // No toolchain or npm run in the final stage beyond creating the user.
    expect(keyword(runtime, 'RUN').map(args).join('\n')).not.toMatch(/npm|cargo|apt/);
  });

  it('passes the optional extra CA only to the npm steps', () => {
    for (const name of ['build', 'deps']) {
      expect(keyword(stage(name), 'ARG').map(args)).toContain('EXTRA_CA_CERTS=""');
      expect(keyword(stage(name), 'RUN').map(args).join('\n')).toMatch(/NODE_EXTRA_CA_CERTS=\/tmp\/extra-ca\.pem/);
    }
    expect(keyword(stage('runtime'), 'ARG')).toHaveLength(0);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const allowed = readFileSync(`${root}.dockerignore`, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1).replace(/\/$/, ''));
    const sources = keyword(instructions, 'COPY')
      .map(copy)
      .filter((a) => !a.startsWith('--from'))
      .flatMap((a) => a.split(/\s+/).slice(0, -1))
      .map((source) => source.replace(/\/$/, ''));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(`${root}${source}`), source).toBe(true);
      // The source itself or a folder above it is let through (`!service/` covers service/package.json).
      expect(
        allowed.some((a) => source === a || source.startsWith(`${a}/`)),
        source,
      ).toBe(true);
    }
  });
});
