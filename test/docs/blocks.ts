// The fenced code blocks of the documentation, and what each one's info string asks of the
// docs test (test/docs/code-blocks.test.ts). Convention (docs/testing.md#code-blocks-in-the-docs):
//   ts | typescript [run]   type-checked; `run`: also run with tsx
//   c [run]                 compiled with -Wall -Wextra -Werror against include/; `run`: linked and run
//   python                  run with the ctypes client (examples/python) on the path
//   sh | bash               every `npm run X` names a script, every repository path exists
//   console                 a transcript: each `$ command` is run and its output compared
//   text                    illustration or sample output, not checked
// `<!-- checked-by: <test file> -->` right above a block (other comment lines may sit between)
// hands it to that test, whatever its tag (the guide's Rust, the ffi example).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CHECKED_TAGS = ['ts', 'typescript', 'c', 'python', 'sh', 'bash', 'console', 'text'] as const;
export type Tag = (typeof CHECKED_TAGS)[number];
const FLAGS: Record<string, string[]> = { ts: ['run'], typescript: ['run'], c: ['run'] };

export interface Block {
  /** The Markdown file, relative to the root. */
  file: string;
  /** 1-based line of the opening fence; body line k is at `line + k`. */
  line: number;
  /** The whole info string, trimmed. */
  info: string;
  /** The first word of the info string ('' when untagged). */
  tag: string;
  /** The other words of the info string. */
  flags: string[];
  /** The body, with the fence's indentation removed, ending with a newline. */
  body: string;
  /** The test file a `<!-- checked-by: ... -->` comment above the block names. */
  checkedBy?: string;
}

/** README.md and every docs/**\/*.md, relative to `root`, sorted. */
export function docFiles(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith('.md') ? [path] : [];
    });
  return ['README.md', ...walk('docs').sort()];
}

/** Every fenced block of `markdown` (backtick or tilde fences, indented up to a list item's depth). */
export function extractBlocks(markdown: string, file: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const [, indent = '', fence = '', rest = ''] = open;
    const body: string[] = [];
    let end = i + 1;
    for (; end < lines.length; end++) {
      const close = /^ *(`{3,}|~{3,})\s*$/.exec(lines[end] as string);
      if (close?.[1] && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push((lines[end] as string).startsWith(indent) ? (lines[end] as string).slice(indent.length) : (lines[end] as string).trimStart());
    }
    const info = rest.trim();
    const [tag = '', ...flags] = info.split(/\s+/).filter(Boolean);
    let checkedBy: string | undefined;
    for (let above = i - 1; above >= 0 && /^\s*<!--.*-->\s*$/.test(lines[above] as string); above--) {
      checkedBy ??= /^\s*<!-- checked-by: (\S+) -->\s*$/.exec(lines[above] as string)?.[1];
    }
    blocks.push({ file, line: i + 1, info, tag, flags, body: body.length ? `${body.join('\n')}\n` : '', ...(checkedBy ? { checkedBy } : {}) });
    i = end;
  }
  return blocks;
}

/** Problems of the info string: untagged, an unknown tag, an unknown flag. Blocks checked elsewhere may carry any tag. */
export function tagProblems(block: Block): string[] {
  const where = `${block.file}:${block.line}`;
  if (block.checkedBy !== undefined) return block.tag === '' ? [`${where}: untagged block (checked by ${block.checkedBy}: tag it with its language)`] : [];
  if (block.tag === '') return [`${where}: untagged block: tag it with one of ${CHECKED_TAGS.join(', ')} (text for illustration)`];
  if (!(CHECKED_TAGS as readonly string[]).includes(block.tag)) {
    return [
      `${where}: unknown tag '${block.tag}': use one of ${CHECKED_TAGS.join(', ')} (text for illustration), or name the test that checks it (<!-- checked-by: ... -->)`,
    ];
  }
  const allowed = FLAGS[block.tag] ?? [];
  return block.flags
    .filter((flag) => !allowed.includes(flag))
    .map((flag) => `${where}: unknown flag '${flag}' for ${block.tag} (allowed: ${allowed.join(', ') || 'none'})`);
}

/** The blocks of every documentation file under `root`. */
export function readDocBlocks(root: string): Block[] {
  return docFiles(root).flatMap((file) => extractBlocks(readFileSync(join(root, file), 'utf8'), file));
}
