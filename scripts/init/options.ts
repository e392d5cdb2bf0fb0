/** The command line of `npm run init`, checked before anything is touched. */
import { parseArgs } from 'node:util';
import type { Identity } from './identity.ts';

export type Options = { identity: Identity; keepExamples: boolean; dryRun: boolean };

export const USAGE = `usage: npm run init -- --name <c_identifier> --package <npm-name> [--keep-examples] [--author <holder>] [--repository <url>] [--dry-run]

  --name           the library: crate, export prefix (<name>_), header include/<name>.h, clients
  --package        the npm package (scoped or not); platform packages are <package>-<platform>
  --keep-examples  keep the demo kernels (fuzzy search, words, stats), renamed; default: the starter
  --author         the copyright holder in LICENSE (default: "<package> contributors")
  --repository     the repository URL (default: https://github.com/<scope or name>/<name>)
  --dry-run        print what would change, write nothing`;

/** C keywords and names the Rust or C toolchains reserve; a library cannot be called that. */
const RESERVED = new Set(
  'auto break case char const continue default do double else enum extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while bool true false std core alloc self super crate test main'.split(
    ' ',
  ),
);

/** Why `name` cannot be the library name, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) return `'${name}' is not a lowercase C identifier (a-z, then a-z, 0-9, _)`;
  if (name.endsWith('_') || name.includes('__')) return `'${name}' has a trailing or doubled '_' (the export prefix is '${name}_')`;
  if (name.length > 32) return `'${name}' is longer than 32 characters`;
  if (RESERVED.has(name)) return `'${name}' is reserved in C or Rust`;
  return undefined;
}

/** Why `name` cannot be an npm package name, or undefined when it can (npm's rules for new packages). */
export function packageProblem(name: string): string | undefined {
  if (name.length > 214) return `'${name}' is longer than 214 characters`;
  if (name !== name.toLowerCase()) return `'${name}' has capital letters`;
  if (!/^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(name)) return `'${name}' is not a valid npm package name`;
  if (/^(?:node_modules|favicon\.ico)$/.test(name)) return `'${name}' is a name npm refuses`;
  return undefined;
}

function defaultRepository(name: string, pkg: string): string {
  const scope = /^@([^/]+)\//.exec(pkg)?.[1];
  const slug = pkg.replace(/^@[^/]+\//, '');
  return `https://github.com/${scope ?? slug}/${scope ? slug : name}`;
}

/** The options, or the reason they are refused. */
export function readOptions(args: string[]): Options | { error: string } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const { name, package: pkg, author, repository } = parsed.values;
  if (!name || !pkg) return { error: 'both --name and --package are required' };
  const problem = nameProblem(name) ?? packageProblem(pkg);
  if (problem) return { error: problem };
  const url = repository ?? defaultRepository(name, pkg);
  if (!/^https?:\/\/[^\s/]+\/\S+$/.test(url)) return { error: `'${url}' is not an http(s) repository URL` };
  return {
    identity: { name, package: pkg, repository: url.replace(/\.git$/, '').replace(/\/$/, ''), holder: author ?? `${pkg} contributors` },
    keepExamples: parsed.values['keep-examples'] ?? false,
    dryRun: parsed.values['dry-run'] ?? false,
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      name: { type: 'string' },
      package: { type: 'string' },
      author: { type: 'string' },
      repository: { type: 'string' },
      'keep-examples': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
  });
}
