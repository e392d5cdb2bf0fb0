// The shell side of the docs test: what `sh`/`bash` blocks name (npm scripts, npx commands,
// repository paths) and how `console` transcripts split into commands and expected output.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Block } from './blocks.ts';

/** One logical command line: `\`-continued lines joined, the `# comment` removed. */
export interface CommandLine {
  /** 1-based line in the Markdown file. */
  line: number;
  text: string;
}

/** Cuts a `#` comment that starts a word outside quotes. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) return text.slice(0, i);
  }
  return text;
}

/** Words, with quotes kept together and removed. */
export function words(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** The command lines of an `sh` block body starting at Markdown line `first`. */
export function commandLines(body: string, first: number): CommandLine[] {
  const out: CommandLine[] = [];
  let pending: CommandLine | undefined;
  body.split('\n').forEach((raw, i) => {
    const text = pending ? raw : stripComment(raw);
    const joined = pending ? `${pending.text} ${text.trim()}` : text.trim();
    const start = pending?.line ?? first + i;
    if (joined.endsWith('\\')) {
      pending = { line: start, text: joined.slice(0, -1).trim() };
      return;
    }
    pending = undefined;
    if (joined !== '') out.push({ line: start, text: joined });
  });
  return out;
}

export interface Repository {
  root: string;
  scripts: Record<string, string>;
  /** Commands `npx` can run here: node_modules/.bin and the package's own bin. */
  hasBin: (name: string) => boolean;
  /** Top-level names tracked by git: a path starting with one of them is a repository path. */
  topLevel: Set<string>;
}

export function readRepository(root: string, topLevel: string[]): Repository {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; bin?: Record<string, string> };
  return {
    root,
    scripts: manifest.scripts ?? {},
    hasBin: (name) => Object.hasOwn(manifest.bin ?? {}, name) || existsSync(join(root, 'node_modules', '.bin', name)),
    topLevel: new Set(topLevel),
  };
}

/** Problems of one command line: unknown npm scripts and npx commands, repository paths that do not exist. */
export function commandProblems(command: CommandLine, file: string, repo: Repository): string[] {
  const where = `${file}:${command.line}`;
  const problems: string[] = [];
  const w = words(command.text);
  w.forEach((word, i) => {
    if (word === 'npm') {
      const verb = w[i + 1];
      const script =
        verb === 'run' || verb === 'run-script' ? w.slice(i + 2).find((x) => !x.startsWith('-')) : verb === 'start' || verb === 'test' ? verb : undefined;
      if (script !== undefined && !Object.hasOwn(repo.scripts, script)) problems.push(`${where}: npm script '${script}' does not exist in package.json`);
    }
    if (word === 'npx') {
      const bin = w.slice(i + 1).find((x) => !x.startsWith('-'));
      if (bin !== undefined && !repo.hasBin(bin)) problems.push(`${where}: npx ${bin}: no such command in node_modules/.bin or the package's bin`);
    }
    const path = word.replace(/^\.\//, '').replace(/^@/, '');
    const head = path.split('/')[0] as string;
    if (!path.includes('/') || /[*<>$`{}]/.test(path) || !repo.topLevel.has(head)) return;
    if (!existsSync(join(repo.root, path))) problems.push(`${where}: ${word}: no such path in the repository`);
  });
  return problems;
}

/** One `$ command` of a transcript and the output lines that follow it. */
export interface TranscriptStep {
  line: number;
  command: string;
  expected: string[];
}

/** `$ command` lines (with `\` continuations) and their output, trailing blank lines dropped. */
export function readTranscript(block: Block): TranscriptStep[] {
  const steps: TranscriptStep[] = [];
  const lines = block.body.replace(/\n$/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const current = steps.at(-1);
    if (!line.startsWith('$ ')) {
      if (!current) throw new Error(`${block.file}:${block.line + 1 + i}: a console block starts with a '$ ' command`);
      current.expected.push(line);
      continue;
    }
    let command = line.slice(2);
    const first = i;
    while (command.endsWith('\\') && i + 1 < lines.length) command = `${command.slice(0, -1).trimEnd()} ${(lines[++i] as string).trim()}`;
    steps.push({ line: block.line + 1 + first, command, expected: [] });
  }
  for (const step of steps) while (step.expected.at(-1) === '') step.expected.pop();
  return steps;
}

/**
 * Whether `actual` output matches the transcript's lines: `/path/to/mylib-rust` stands for the
 * repository root and `~1234` for any whole number (a sample value); npm's `> pkg@version script`
 * banner is not part of a transcript.
 */
export function outputMatches(expected: string[], actual: string, root: string): boolean {
  const lines = actual
    .replaceAll(root.replace(/\/$/, ''), '/path/to/mylib-rust')
    .replace(/^\n*(> .*\n)+\n/, '')
    .replace(/\n+$/, '')
    .split('\n');
  if (lines.length !== expected.length) return false;
  return expected.every((want, i) => {
    const pattern = want
      .split(/(~\d+)/)
      .map((part, k) => (k % 2 === 1 ? '\\d+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return new RegExp(`^${pattern}$`).test(lines[i] as string);
  });
}
