// The shipped declarations, as a consumer meets them: run by test-package.mjs INSIDE a throw-away
// project where mylib-rust and typescript@5 (whose compiler API this uses; TypeScript 7 ships
// none) are installed.   node declarations.cjs   -> one line per problem, exit 1 if any.
// Checks:
//   - no shipped .d.ts holds `@internal` (stripInternal removed them) or a private/protected
//     member other than `private constructor();` (a parameterless private constructor names no type);
//   - the entry points of the exports map compile alone, with no @types at all (no Node globals);
//   - no entry exports an internal name (a `_` name, the known internals, and in the main entry
//     the probes and raw access, which belong to mylib-rust/unsafe), and no public class or
//     interface has a member with such a name;
//   - no public declaration is declared in an internal module (`_*.d.ts`);
//   - every type a public signature mentions (parameters, results, properties, heritage) that is
//     declared in the package is exported by some entry point: a consumer can name it.
'use strict';
const { readFileSync, readdirSync } = require('node:fs');
const { basename, join, relative, resolve } = require('node:path');
const ts = require('typescript');

const packageDir = resolve(process.argv[2] ?? join('node_modules', 'mylib-rust'));
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const entries = Object.entries(manifest.exports)
  .filter(([, target]) => typeof target === 'object' && target.types)
  .map(([subpath, target]) => ({ subpath, file: resolve(packageDir, target.types) }));

/** Names that are internals of the bindings, whatever entry or class would expose them. */
const INTERNAL = new Set([
  'guardCallbacks',
  'check',
  'syncBuffers',
  'encode',
  'pack',
  'callAsync',
  'checkCancellable',
  'objects',
  'candidatePaths',
  'createMylib',
  'registerContext',
  'contextOf',
  'liveObjects',
  'loadLibrary',
  'loadOptionsArgument',
  'asyncGate',
  'asyncCallStats',
  'setDefaultLibraryProvider',
  'defaultLibrary',
  'NativeObjects',
  'NativeScratch',
  'Scratch',
  'copies',
  'freshBuffers',
  'packCandidates',
  'readMatches',
  'closestOptions',
  'progressAdapter',
  'errorFrom',
  'LoadedLibrary',
  'Candidate',
  'LibraryContext',
  'EngineLibrary',
  'OpenedLibrary',
]);
/** Not in the main entry: probes, panic triggers and raw access live in mylib-rust/unsafe. */
const MAIN_FORBIDDEN = new Set(['add', 'debugPanic', 'raw', 'rawFunctions', 'unsafeAccess', 'DECLARATIONS', 'RawFunctions']);

const problems = [];
const inPackage = (file) => resolve(file).startsWith(packageDir);
const rel = (file) => relative(packageDir, file).split('\\').join('/');

// 1. Text of every shipped declaration file.
function* declarationFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* declarationFiles(full);
    else if (entry.name.endsWith('.d.ts')) yield full;
  }
}
let files = 0;
for (const file of declarationFiles(packageDir)) {
  files++;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (/@internal\b/.test(line)) problems.push(`${rel(file)}:${i + 1}: @internal survived the build (stripInternal): ${line.trim()}`);
      if (/^\s*(private|protected)\s/.test(line) && line.trim() !== 'private constructor();') {
        problems.push(`${rel(file)}:${i + 1}: a private or protected member in the declarations: ${line.trim()}`);
      }
    });
}

// 2. The entry points, compiled alone with no @types.
const program = ts.createProgram(
  entries.map((e) => e.file),
  {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ESNext,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    skipLibCheck: false,
  },
);
for (const d of ts.getPreEmitDiagnostics(program)) {
  const where = d.file ? `${rel(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
  problems.push(`${where}does not compile without @types: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}
const checker = program.getTypeChecker();
const resolveAlias = (symbol) => (symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);

/** Every symbol some entry exports (resolved), with the entries and names it goes by. */
const exported = new Map();
const records = [];
for (const entry of entries) {
  const source = program.getSourceFile(entry.file);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) {
    problems.push(`${entry.subpath}: ${rel(entry.file)} is not a module`);
    continue;
  }
  for (const symbol of checker.getExportsOfModule(module)) {
    const target = resolveAlias(symbol);
    records.push({ entry: entry.subpath, name: symbol.getName(), target });
    exported.set(target, symbol.getName());
  }
}

const badName = (name, entry) => name.startsWith('_') || INTERNAL.has(name) || (entry === '.' && MAIN_FORBIDDEN.has(name));
const isPrivate = (node) =>
  (node.name && ts.isPrivateIdentifier(node.name)) ||
  (ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword));

/** Types named in `node` (a public declaration) that are the package's own but exported by no entry. */
function unnameable(node, owner, seen) {
  const visit = (n) => {
    if (ts.isTypeAliasDeclaration(n) && n !== node) return; // a helper's body is evaluated, not named
    let name;
    if (ts.isTypeReferenceNode(n)) name = n.typeName;
    else if (ts.isExpressionWithTypeArguments(n)) name = n.expression;
    else if (ts.isTypeQueryNode(n)) name = n.exprName;
    let symbol;
    if (name) symbol = resolveAlias(checker.getSymbolAtLocation(name));
    else if (ts.isImportTypeNode(n)) {
      const type = checker.getTypeFromTypeNode(n);
      symbol = type.aliasSymbol ?? type.getSymbol();
    }
    if (symbol) {
      const declaration = symbol?.declarations?.[0];
      if (symbol && declaration && !(symbol.flags & ts.SymbolFlags.TypeParameter) && inPackage(declaration.getSourceFile().fileName) && !exported.has(symbol)) {
        const key = `${owner} -> ${symbol.getName()}`;
        if (!seen.has(key)) {
          seen.add(key);
          problems.push(
            `${owner} refers to ${symbol.getName()} (${rel(declaration.getSourceFile().fileName)}), which no entry point exports: a consumer cannot name it`,
          );
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  // A type alias: only what it is called, not the helpers its body uses.
  if (ts.isTypeAliasDeclaration(node)) return;
  // A class or interface: its heritage here; its public members are checked one by one.
  if (ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) {
    for (const clause of node.heritageClauses ?? []) visit(clause);
    // Constructors are no property: their parameters are checked here (a private one has none).
    for (const member of node.members) if (ts.isConstructorDeclaration(member) && !isPrivate(member)) visit(member);
    return;
  }
  ts.forEachChild(node, visit);
}

const seen = new Set();
for (const { entry, name, target } of records) {
  const label = `${entry === '.' ? manifest.name : `${manifest.name}/${entry.slice(2)}`}: ${name}`;
  if (badName(name, entry)) problems.push(`${label} is an internal name and must not be exported here`);
  for (const declaration of target.declarations ?? []) {
    const file = declaration.getSourceFile().fileName;
    if (basename(file).startsWith('_')) problems.push(`${label} is declared in the internal module ${rel(file)}`);
    if (inPackage(file)) unnameable(declaration, label, seen);
  }
  if (target.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) {
    const members = [...checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(target))];
    if (target.flags & ts.SymbolFlags.Class)
      members.push(...checker.getPropertiesOfType(checker.getTypeOfSymbol(target)).filter((m) => m.getName() !== 'prototype'));
    for (const member of members) {
      const memberName = member.getName();
      const declarations = (member.declarations ?? []).filter((d) => inPackage(d.getSourceFile().fileName));
      // `__#...`: an ES private name; `__@...`: a well-known symbol member ([Symbol.dispose]).
      if (memberName.startsWith('__#') || memberName.startsWith('__@') || declarations.length === 0 || declarations.every(isPrivate)) continue;
      if (badName(memberName, entry)) problems.push(`${label}.${memberName} is an internal member`);
      for (const d of declarations) if (!isPrivate(d)) unnameable(d, `${label}.${memberName}`, seen);
    }
  }
}

for (const problem of problems) console.log(problem);
console.log(`declarations: ${files} .d.ts files, ${records.length} exports from ${entries.map((e) => e.subpath).join(', ')}, ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
