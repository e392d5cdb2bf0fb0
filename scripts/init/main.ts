#!/usr/bin/env -S npx tsx
/**
 * `npm run init -- --name fuzzlib --package @me/fuzzlib [--keep-examples] [--author ..]
 * [--repository URL] [--dry-run]`: turns a fresh clone of the template into the user's project.
 * Renames by content over `git ls-files` (identity.ts holds today's spellings), drops the demo
 * kernels unless --keep-examples (scripts/init/starter/), then formats and regenerates the derived files.
 * Refuses bad names, a dirty work tree and a second run before touching anything.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IDENTITY } from './identity.ts';
import { readOptions, USAGE } from './options.ts';
import { renamer } from './rename.ts';
import { reasonFor } from './spelled.ts';
import { planStarter, readManifest } from './starter.ts';
import { git, trackedFiles, treeProblem } from './tree.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IDENTITY_FILE = 'scripts/init/identity.ts';
const MANIFEST = fileURLToPath(new URL('./starter/', import.meta.url));

function refuse(message: string, code = 1): never {
  console.error(`init: ${message}`);
  process.exit(code);
}

function step(command: string, args: string[]): void {
  console.log(`init: ${[command, ...args].join(' ')}`);
  execFileSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

const options = readOptions(process.argv.slice(2));
if ('error' in options) refuse(`${options.error}\n\n${USAGE}`, 2);
if (!IDENTITY.template) {
  refuse(`this project is already ${IDENTITY.package} (library ${IDENTITY.name}): init runs once, on a fresh clone of the template`);
}
if (options.identity.name === IDENTITY.name && options.identity.package === IDENTITY.package) {
  refuse(`'${IDENTITY.name}' and '${IDENTITY.package}' are the template's own names; choose yours`);
}
const problem = treeProblem(ROOT);
if (problem) refuse(problem);

const { dryRun } = options;
const plan = options.keepExamples ? { drop: [], edits: new Map<string, string>() } : planStarter(ROOT, readManifest(MANIFEST));
if ('stale' in plan) {
  refuse(`scripts/init/starter/*.json no longer matches the tree (update it, or use --keep-examples):\n  ${plan.stale.join('\n  ')}`);
}

// 1. The starter: drop the demo kernels (in the template's names, before renaming).
const dropped = new Set(plan.drop);
if (!dryRun) {
  for (const file of plan.drop) rmSync(join(ROOT, file));
  for (const [file, text] of plan.edits) writeFileSync(join(ROOT, file), text);
}

// 2. Rename by content and by path, every tracked text file.
const rename = renamer(IDENTITY, options.identity);
let changed = 0;
let occurrences = 0;
const moved: Array<[string, string]> = [];
for (const file of trackedFiles(ROOT)) {
  if (dropped.has(file)) continue;
  const bytes = readFileSync(join(ROOT, file));
  const target = rename.path(file);
  if (target !== file) moved.push([file, target]);
  if (bytes.includes(0)) continue;
  const before = plan.edits.get(file) ?? bytes.toString('utf8');
  let after = rename.text(file, before);
  if (file === IDENTITY_FILE) after = after.replace(/^ {2}template: true,$/m, '  template: false,');
  if (after === before) continue;
  changed++;
  occurrences += rename.count(before);
  if (dryRun) continue;
  writeFileSync(join(ROOT, file), after);
}
if (!dryRun) {
  for (const [from, to] of moved) {
    mkdirSync(dirname(join(ROOT, to)), { recursive: true });
    renameSync(join(ROOT, from), join(ROOT, to));
  }
}

const to = options.identity;
console.log(
  `init: ${dryRun ? 'would rename' : 'renamed'} ${IDENTITY.name} -> ${to.name}, ${IDENTITY.package} -> ${to.package}: ` +
    `${occurrences} occurrences in ${changed} files, ${moved.length} files moved` +
    (options.keepExamples ? '' : `; starter: ${plan.drop.length} files dropped, ${plan.edits.size} files trimmed`),
);
for (const [from, target] of moved) console.log(`  ${from} -> ${target}`);
if (dryRun) process.exit(0);

// 3. Lines changed length: format; the derived files name the library: regenerate them.
git(ROOT, ['add', '-A']);
if (plan.edits.size > 0) {
  // Imports that only the dropped code used: biome removes them, so the manifest need not list them.
  const edited = [...plan.edits.keys()].filter((file) => /\.(?:[cm]?[jt]s)$/.test(file)).map((file) => rename.path(file));
  step('npx', ['biome', 'lint', '--write', '--unsafe', '--only=correctness/noUnusedImports', ...edited]);
}
step('cargo', ['fmt']);
step('npx', ['biome', 'format', '--write', '.']);
step('npm', ['run', '--silent', 'gen']);
git(ROOT, ['add', '-A']);

// 4. What still spells a name, and why.
const grep = (word: string) => {
  try {
    return git(ROOT, ['grep', '-il', '--cached', word]).split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
const leftovers = grep(IDENTITY.name);
if (leftovers.length > 0) console.log(`init: ${leftovers.length} files still spell '${IDENTITY.name}':\n  ${leftovers.join('\n  ')}`);
const spelled = grep(to.name);
const byReason = new Map<string, number>();
for (const file of spelled) byReason.set(reasonFor(file), (byReason.get(reasonFor(file)) ?? 0) + 1);
console.log(`init: ${spelled.length} files spell '${to.name}' (git grep -il ${to.name}):`);
for (const [why, count] of [...byReason].sort((x, y) => y[1] - x[1])) console.log(`  ${String(count).padStart(3)}  ${why}`);
console.log(`
init: done; the changes are staged for review. Next:
  npm install          # rebuilds lib${to.name} and dist/, refreshes package-lock.json
  npm run package      # its packages, and docs/packaging.md's size table for them
  npm test
  git commit -m "${to.package} from the ${IDENTITY.package} template"`);
