/**
 * Worker programs are modules (bindings/ffi/engines/_pool-worker.ts and the engines' worker
 * modules beside it), never code in strings: nothing in bindings/ runs source text (`eval: true`
 * Workers, `new Function`, eval, node:vm, data: URL modules), every worker module an engine names
 * exists beside it, `workerModule` keeps the extension of the module that asks, and the compiled
 * bindings (tsc's output) start their workers from the .js modules: an async call on Bun
 * (bun:ffi) and on Node 26 (node:ffi), each from `npm run setup:runtimes` (a missing runtime
 * FAILS with the reason).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerModule } from '../../bindings/ffi/engines/_pool.ts';

import { installed, root, runtimeBinary, runtimeCommand } from './runtimes-lib.ts';

/** What runs source text, and why it is refused. */
const REFUSED: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  { pattern: /\beval\s*:\s*true\b/, why: 'a Worker evaluating a string (eval: true)' },
  { pattern: /(?<![\w$.])(?:new\s+)?(?:Async)?Function\s*\(/, why: 'a function made from source text (Function)' },
  { pattern: /(?<![\w$.])eval\s*\(/, why: 'eval()' },
  { pattern: /['"`]node:vm['"`]|['"`]vm['"`]/, why: 'node:vm' },
  { pattern: /data:(?:text|application)\/(?:javascript|ecmascript)|data:[^'"`]*;base64,/, why: 'a module in a data: URL' },
  { pattern: /new\s+Worker\s*\(\s*['"`]/, why: 'a Worker whose program is a string literal' },
];

/** The source without comments (line and block), so that prose naming these things is allowed. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** One problem per refused construct in `text`, and per worker module `workerModule` names that is not beside `file`. */
function problems(file: string, text: string): string[] {
  const found: string[] = [];
  const source = code(text);
  for (const { pattern, why } of REFUSED) {
    const match = pattern.exec(source);
    if (match) found.push(`${file}: ${why}: ${match[0]}`);
  }
  for (const named of source.matchAll(/workerModule\(\s*'([^']+)'/g)) {
    const stem = named[1] as string;
    if (!existsSync(join(dirname(file), `${stem}.ts`))) found.push(`${file}: names the worker module ${stem}, which is not beside it`);
  }
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(?:ts|mts|js|mjs|cjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('worker programs are modules', () => {
  it.each([
    ['an eval: true Worker', 'new Worker(program, { eval: true, workerData });', /eval: true/],
    ['new Function', 'const f = new Function("a", "return a");', /Function/],
    ['Function without new', 'const f = Function("return 1");', /Function/],
    ['eval', 'eval(text);', /eval\(\)/],
    ['node:vm', "import { runInThisContext } from 'node:vm';", /node:vm/],
    ['a data: URL module', "new Worker(new URL('data:text/javascript,postMessage(1)'));", /data: URL/],
    ['a template-literal program', 'new Worker(`postMessage(1)`, {});', /string literal/],
    ['a missing worker module', "new Worker(workerModule('_gone-worker', import.meta.url));", /_gone-worker, which is not beside it/],
  ])('the scan finds %s', (_name, sample, expected) => {
    const found = problems(join(root, 'bindings', 'ffi', 'engines', 'sample.ts'), sample);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });

  it('the scan leaves prose, member names and real worker modules alone', () => {
    const sample = [
      '/** Deno used new Function and eval: true here once. */',
      '// eval(text) in a comment',
      'const ok = library.getFunction(name, signature) ?? bunFfi.CFunction({ ptr });',
      "new Worker(workerModule('_bun-worker', import.meta.url), options);",
    ].join('\n');
    expect(problems(join(root, 'bindings', 'ffi', 'engines', 'sample.ts'), sample)).toEqual([]);
  });

  it('nothing in bindings/ runs source text, and every worker module named exists', () => {
    const files = sources(join(root, 'bindings'));
    expect(files.length).toBeGreaterThan(30);
    const found = files.flatMap((file) => problems(file, readFileSync(file, 'utf8')).map((problem) => relative(root, problem)));
    expect(found).toEqual([]);
    const named = files.flatMap((file) => [...code(readFileSync(file, 'utf8')).matchAll(/workerModule\(\s*'([^']+)'/g)].map((m) => m[1]));
    expect(named.sort()).toEqual(['_bun-worker', '_node-worker']);
  });

  it.each([
    ['file:///repo/bindings/ffi/engines/bun.ts', 'file:///repo/bindings/ffi/engines/_bun-worker.ts'],
    ['file:///repo/dist/bindings/ffi/engines/bun.js', 'file:///repo/dist/bindings/ffi/engines/_bun-worker.js'],
    ['file:///repo/bindings/ffi/engines/bun.ts?v=3', 'file:///repo/bindings/ffi/engines/_bun-worker.ts'],
    [
      'file:///C:/app/node_modules/mylib-rust/dist/bindings/ffi/engines/bun.js',
      'file:///C:/app/node_modules/mylib-rust/dist/bindings/ffi/engines/_bun-worker.js',
    ],
  ])('workerModule beside %s is %s', (base, expected) => {
    expect(workerModule('_bun-worker', base).href).toBe(expected);
  });
});

const RUNS = [
  { runtime: 'bun', engine: 'bun:ffi' },
  { runtime: 'node26', engine: 'node:ffi' },
] as const;

describe.runIf(process.platform === 'linux' || process.platform === 'darwin')('the compiled bindings start their workers', () => {
  const out = join(root, '.cache', 'test-dist-workers');

  it('tsc -p tsconfig.build.json writes every worker module as .js beside its engine', () => {
    rmSync(out, { recursive: true, force: true });
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(tsc.status, `${tsc.stdout}${tsc.stderr}`).toBe(0);
    const engines = join(out, 'bindings', 'ffi', 'engines');
    for (const stem of ['_pool-worker', '_bun-worker', '_node-worker']) expect(existsSync(join(engines, `${stem}.js`)), stem).toBe(true);
    expect(readdirSync(engines).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))).toEqual([]);
  }, 150_000);

  for (const { runtime, engine } of RUNS) {
    it(`an async call with ${engine} on ${runtime} runs on a worker started from the .js modules`, () => {
      if (!installed(runtime)) {
        throw new Error(`${runtime} is not installed at ${runtimeBinary(runtime)}: run \`npm run setup:runtimes\` (this test needs it to check ${engine})`);
      }
      expect(existsSync(join(out, 'bindings', 'ffi', 'engines', '_pool-worker.js')), 'the compile test above ran').toBe(true);
      const { bin, args } = runtimeCommand(runtime, join(root, 'test', 'engines', 'dist-async.ts'));
      const child = spawnSync(bin, [...(runtime === 'node26' ? ['--disable-warning=ExperimentalWarning'] : []), ...args, out], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, MYLIB_FFI_ENGINE: engine },
        timeout: 60_000,
      });
      const output = `${child.stdout}${child.stderr}`;
      const line = child.stdout.split('\n').find((l) => l.startsWith('DIST-ASYNC '));
      expect(line, output).toBeDefined();
      expect(JSON.parse((line as string).slice('DIST-ASYNC '.length))).toEqual({ engine, value: 1 });
      expect(child.status, output).toBe(0);
    }, 90_000);
  }
});
