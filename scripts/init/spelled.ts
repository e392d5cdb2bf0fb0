/**
 * Why a file still spells the library's name after init. The name lives in one place per
 * language where the language allows (Cargo.toml, bindings/names.ts, package.json); these are
 * the places that cannot derive it. First matching rule wins; unmatched files are listed as such.
 */
export const REASONS: Array<{ pattern: RegExp; why: string }> = [
  { pattern: /^scripts\/init\//, why: 'init itself: the identity module holds the name, the rest reads it' },
  {
    pattern: /^(Cargo\.toml|Cargo\.lock|package\.json|package-lock\.json|service\/package\.json)$/,
    why: 'manifests: the crate and package names are literal in TOML and JSON',
  },
  { pattern: /^rustlib\//, why: 'Rust: #[unsafe(no_mangle)] needs each export name literally; C-visible type names' },
  { pattern: /^include\//, why: 'the generated C header and ABI description (npm run gen)' },
  { pattern: /^bindings\/raw\.ts$/, why: 'the declaration table is C text: prototypes name the exports' },
  { pattern: /^bindings\/(functions|names)\.ts$|^npm\//, why: 'generated module-level functions and package README; names.ts is the one TypeScript spelling' },
  { pattern: /^bindings\//, why: 'the typed API: the exported class name and the raw export names it calls' },
  { pattern: /^examples\/(c|python)\//, why: 'C and Python clients: the header, the library file and the exports by name' },
  { pattern: /^(test|bench|reference)\//, why: 'tests and benchmarks call exports and read messages by name' },
  { pattern: /^(service|examples)\//, why: 'the service and examples import the package and name the library' },
  { pattern: /^scripts\//, why: 'tooling: package names, library file names, messages' },
  { pattern: /^(\.github|\.ci|Dockerfile|\.dockerignore)/, why: 'CI and the Docker image name' },
  { pattern: /^build-from-source\.mjs$/, why: 'the install-time source build: the library file it builds' },
  { pattern: /^(biome|tsconfig)\.json$/, why: 'tool configuration: the generated header excluded from formatting, a comment' },
  { pattern: /\.md$|^LICENSE$/, why: 'documentation and the licence: prose names the project' },
];

export function reasonFor(file: string): string {
  return REASONS.find((r) => r.pattern.test(file))?.why ?? 'not classified';
}
