/** The work tree as git sees it: tracked files, cleanliness, moves. */
import { execFileSync } from 'node:child_process';

export function git(root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** Why `root` cannot be changed safely (not a checkout, uncommitted changes), or undefined. */
export function treeProblem(root: string): string | undefined {
  let status: string;
  try {
    status = git(root, ['status', '--porcelain', '--untracked-files=normal']);
  } catch {
    return `${root} is not a git checkout: init renames the files git tracks (clone the template first)`;
  }
  const dirty = status.split('\n').filter((line) => line.trim() !== '');
  if (dirty.length === 0) return undefined;
  const shown = dirty.slice(0, 5).map((line) => `  ${line}`);
  if (dirty.length > 5) shown.push(`  ... and ${dirty.length - 5} more`);
  return `the work tree has uncommitted changes; commit or stash them first, so init's changes can be reviewed and undone:\n${shown.join('\n')}`;
}

export function trackedFiles(root: string): string[] {
  return git(root, ['ls-files', '-z'])
    .split('\0')
    .filter((file) => file !== '');
}
