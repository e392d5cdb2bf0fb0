// The Dockerfile's stages, checked offline with dockerfile-ast (scripts/ci/dockerfile-policy.ts):
// base images are build arguments, a Rust stage builds the library, the runtime stage has no
// Rust toolchain, gets the library from the Rust stage and production node_modules from a
// dependencies stage, and runs as a non-root user. Building and running the image is
// `npm run test:docker`; this file checks the text.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkDockerfile, dockerStages } from '../scripts/ci/dockerfile-policy.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const good = readFileSync(new URL('fixtures/dockerfile/good.Dockerfile', import.meta.url), 'utf8');
const realDockerfile = `${root}Dockerfile`;
const realExists = existsSync(realDockerfile);

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
    ['the Rust base image is not a build argument', edit('FROM ${RUST_IMAGE} AS rust', 'FROM rust:1-slim-bookworm AS rust'),
      [/:6: FROM rust:1-slim-bookworm: base images must be build arguments/]],
    ['the runtime base image is not a build argument', edit('FROM ${NODE_IMAGE} AS runtime', 'FROM node:20-bookworm-slim AS runtime'),
      [/:17: FROM node:20-bookworm-slim: base images must be build arguments/, /runtime stage "runtime": starts from node:20-bookworm-slim, not \$\{NODE_IMAGE\}/]],
    ['FROM an ARG declared after the first FROM', edit('FROM ${NODE_IMAGE} AS deps', 'ARG DEPS_IMAGE=node:20\nFROM ${DEPS_IMAGE} AS deps'),
      [/FROM \$\{DEPS_IMAGE\}: DEPS_IMAGE is not an ARG declared before the first FROM/]],
    ['a base image ARG without a default', edit('ARG NODE_IMAGE=node:20-bookworm-slim', 'ARG NODE_IMAGE'),
      [/ARG NODE_IMAGE has no default/]],
    ['a base image ARG defaulting to a private registry', edit('ARG RUST_IMAGE=rust:1-slim-bookworm', 'ARG RUST_IMAGE=registry.example.com/rust:1'),
      [/ARG RUST_IMAGE defaults to "registry\.example\.com\/rust:1"; expected a public rust:\.\.\. image/]],
    ['no RUST_IMAGE argument at all', edit('ARG RUST_IMAGE=rust:1-slim-bookworm\n', '').replace('FROM ${RUST_IMAGE} AS rust', 'FROM ${NODE_IMAGE} AS rust'),
      [/no "ARG RUST_IMAGE=<public default>" before the first FROM/]],
    ['cargo copied into the runtime stage', edit('USER node', 'COPY --from=rust /usr/local/cargo/bin/cargo /usr/local/bin/cargo\nUSER node'),
      [/:23: the runtime stage mentions the Rust toolchain \(COPY \/usr\/local\/cargo\/bin\/cargo/]],
    ['cargo run in the runtime stage', edit('USER node', 'RUN apt-get update && apt-get install -y cargo\nUSER node'),
      [/the runtime stage mentions the Rust toolchain \(RUN apt-get update && apt-get install -y cargo\)/]],
    ['the runtime stage starts from the Rust image', edit('FROM ${NODE_IMAGE} AS runtime', 'FROM ${RUST_IMAGE} AS runtime'),
      [/runtime stage "runtime": starts from the Rust image/]],
    ['the runtime stage starts from the Rust stage', edit('FROM ${NODE_IMAGE} AS runtime', 'FROM rust AS runtime'),
      [/runtime stage "runtime": starts from the Rust image/]],
    ['the library is not copied from the Rust stage', edit(LIB_COPY, ''),
      [/runtime stage "runtime": does not get the library from the Rust stage/]],
    ['only a non-library file is copied from the Rust stage', edit(LIB_COPY, 'COPY --from=rust /src/Cargo.toml ./\n'),
      [/does not get the library from the Rust stage/]],
    ['no stage builds the library', edit('RUN cargo build --release --lib --locked', 'RUN echo no build'),
      [/no stage runs "cargo build"/]],
    ['node_modules from a stage with dev dependencies', edit('npm ci --omit=dev --ignore-scripts', 'npm ci --ignore-scripts'),
      [/does not copy node_modules from a stage that runs "npm ci --omit=dev"/]],
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
  it.skipIf(!realExists)(`./Dockerfile follows the rules${realExists ? '' : ' (SKIPPED: no ./Dockerfile in this tree yet)'}`, () => {
    expect(checkDockerfile(readFileSync(realDockerfile, 'utf8'), 'Dockerfile')).toEqual([]);
  });
});
