/**
 * The N-API reference addon (bench/napi/addon.c): built on demand with node-gyp into
 * bench/napi/build/, loaded with require. If the build fails the column is absent and says why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NapiAddon {
  noop(): undefined;
  add(a: number, b: number): number;
  getResult(text: string): string;
  countDoubles(bytes: Uint8Array): number;
}

export type NapiLoad = { addon: NapiAddon; path: string } | { addon: undefined; reason: string };

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const napiDir = join(root, 'bench', 'napi');
const built = join(napiDir, 'build', 'Release', 'mylib_napi_ref.node');

/** Node's headers: npm's nodedir if set, else the prefix of this node binary if it ships them. */
function nodedir(): string | undefined {
  const configured = process.env.npm_config_nodedir;
  if (configured) return configured;
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function upToDate(): boolean {
  if (!existsSync(built)) return false;
  const output = statSync(built).mtimeMs;
  return ['addon.c', 'binding.gyp'].every((file) => statSync(join(napiDir, file)).mtimeMs <= output);
}

/** Builds (if needed) and loads the addon. Never throws: failure gives the reason. */
export function loadNapi(log: (line: string) => void): NapiLoad {
  if (!upToDate()) {
    const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (!existsSync(gyp)) return { addon: undefined, reason: 'node-gyp is not installed (npm ci installs it as a devDependency)' };
    const dir = nodedir();
    const args = [gyp, 'rebuild', '--directory', napiDir, ...(dir ? [`--nodedir=${dir}`] : [])];
    log(`building the N-API reference addon: node ${args.slice(1).join(' ')}`);
    try {
      execFileSync(process.execPath, args, { stdio: 'pipe', timeout: 180_000 });
    } catch (error) {
      const e = error as { stderr?: Buffer; message: string };
      const detail = (e.stderr?.toString() ?? e.message).trim().split('\n').slice(-6).join(' | ');
      return {
        addon: undefined,
        reason: `node-gyp rebuild failed (${dir ? `nodedir ${dir}` : 'no local Node headers; node-gyp would download them'}): ${detail}`,
      };
    }
  }
  try {
    const addon = createRequire(import.meta.url)(built) as NapiAddon;
    return { addon, path: built };
  } catch (error) {
    return { addon: undefined, reason: `cannot load ${built}: ${(error as Error).message}` };
  }
}
