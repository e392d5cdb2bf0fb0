// Static checks of the Dockerfile (parsed with dockerfile-ast); `npm run test:docker` builds
// and runs it for real.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type From, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = DockerfileParser.parse(readFileSync(`${root}/Dockerfile`, 'utf8'));
const froms: From[] = dockerfile.getFROMs();
const instructions: Instruction[] = dockerfile.getInstructions();
const args = (i: Instruction) => i.getArgumentsContent() ?? '';
/** A COPY with its flags in front: `--from=deps /app/node_modules ./node_modules`. */
const copy = (i: Instruction) =>
  [...(i as unknown as { getFlags(): Array<{ getName(): string; getValue(): string | null }> }).getFlags().map((f) => `--${f.getName()}=${f.getValue()}`), args(i)].join(' ');

/** The instructions of the stage named `name`. */
function stage(name: string): Instruction[] {
  const index = froms.findIndex((f) => f.getBuildStage() === name);
  expect(index, `stage ${name}`).toBeGreaterThanOrEqual(0);
  const start = froms[index]!.getRange().start.line;
  const end = froms[index + 1]?.getRange().start.line ?? Number.POSITIVE_INFINITY;
  return instructions.filter((i) => i.getRange().start.line > start && i.getRange().start.line < end);
}
const keyword = (list: Instruction[], word: string) => list.filter((i) => i.getKeyword() === word);

describe('Dockerfile', () => {
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
    const toml = readFileSync(`${root}/Cargo.toml`, 'utf8');
    expect(toml.split('[dependencies]')[1]?.split('[')[0]?.trim()).toBe(''); // std only
  });

  it('installs production modules with optional packages (koffi native code) and checks koffi', () => {
    const run = keyword(stage('deps'), 'RUN').map(args).join('\n');
    expect(run).toMatch(/npm ci --omit=dev/);
    expect(readFileSync(`${root}/Dockerfile`, 'utf8')).not.toMatch(/--omit=optional|--no-optional/);
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
    const copies = keyword(runtime, 'COPY').map(copy).map((c) => c.replace(/\s+/g, ' '));
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
    const allowed = readFileSync(`${root}/.dockerignore`, 'utf8')
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
      expect(existsSync(`${root}/${source}`), source).toBe(true);
      // The source itself or a folder above it is let through (`!service/` covers service/package.json).
      expect(allowed.some((a) => source === a || source.startsWith(`${a}/`)), source).toBe(true);
    }
  });
});
