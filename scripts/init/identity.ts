/**
 * The one place the project's name is written for `npm run init`: the spellings it uses today.
 * Init rewrites every tracked file by content from these values, this file included, and sets
 * `template` to false, so a second run knows the project is already someone's own.
 */
export const IDENTITY = {
  /** C identifier: crate and library file (`libmylib.so`), export prefix, header, clients. */
  name: 'mylib',
  /** npm package name; the platform packages are `<package>-<platform>-<arch>[-<abi>]`. */
  package: 'mylib-rust',
  repository: 'https://github.com/mylib-rust/mylib-rust',
  /** The copyright holder in LICENSE. */
  holder: 'mylib-rust contributors',
  /** True until `npm run init` has made the project someone's own. */
  template: true,
};

export type Identity = Omit<typeof IDENTITY, 'template'>;

/** The spellings of one identity, each as it appears in the tree. */
export type Spellings = {
  lower: string;
  upper: string;
  pascal: string;
  package: string;
  /** The package name without its scope, where a path or file name needs one segment. */
  slug: string;
  /** The repository URL without `https://` and a trailing `.git`. */
  repository: string;
  holder: string;
};

export function spellings(identity: Identity): Spellings {
  const parts = identity.name.split('_').filter((part) => part !== '');
  return {
    lower: identity.name,
    upper: identity.name.toUpperCase(),
    pascal: parts.map((part) => part[0]!.toUpperCase() + part.slice(1)).join(''),
    package: identity.package,
    slug: identity.package.replace(/^@[^/]+\//, ''),
    repository: identity.repository.replace(/^(git\+)?https?:\/\//, '').replace(/\.git$/, ''),
    holder: identity.holder,
  };
}
