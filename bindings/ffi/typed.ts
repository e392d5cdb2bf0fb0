/**
 * The TypeScript type of a C prototype, derived from its literal text at compile time: what
 * `lib.func('double cos(double x)')` returns is `(x: number) => number` for the type checker.
 * The run-time reading of the same text is the grammar's (grammar.ts); this file only gives the
 * type checker a faithful, conservative view of it:
 *
 * - integers up to 32 bits, `float`, `double`, enums: `number`;
 * - 64-bit and pointer-sized integers (`int64_t`, `size_t`, `long`...): `number | bigint`;
 * - `bool`: `boolean`; `void` results: `void`;
 * - `const char *`: `string | null`;
 * - other pointers: in, `ArrayBufferView | ArrayBuffer | bigint | null` (plus a plain object for
 *   a pointer to a `struct`/`union`); out, `bigint | null`;
 * - function pointers written out (`int (*cmp)(int, int)`): a JS function of the mapped types;
 * - records by value (`struct tm`): `Record<string, unknown>`;
 * - a name the type level cannot know (a typedef made by `lib.declare`): `unknown`.
 * A prototype that is not a literal (a `string`) gives `(...args: unknown[]) => unknown`.
 *
 * The splitting helpers (Trim, SplitParams, HeadOf, ArgsOf) are shared with bindings/raw.ts, which
 * maps the mylib table with its own, narrower types.
 */

/** `S` without leading and trailing spaces (and newlines, tabs). */
export type Trim<S extends string> = S extends ` ${infer R}` | `\n${infer R}` | `\t${infer R}`
  ? Trim<R>
  : S extends `${infer R} ` | `${infer R}\n` | `${infer R}\t`
    ? Trim<R>
    : S;

/** `S` without any `const ` prefix (`const const` included). */
export type Unconst<S extends string> = S extends `const ${infer R}` ? Unconst<R> : S;

/**
 * The parameter declarations of a parameter list, split at top-level commas only (a function
 * pointer parameter `int (*f)(int, int)` stays whole). `''` and `'void'` give no parameters.
 */
export type SplitParams<S extends string> = Trim<S> extends '' | 'void' ? [] : S extends `${string}(${string}` ? SplitNested<S> : SplitFlat<S>;

type SplitFlat<S extends string> = S extends `${infer Head},${infer Tail}` ? [Trim<Head>, ...SplitFlat<Tail>] : [Trim<S>];

/** Character by character, counting parentheses (tail-recursive: prototypes up to ~900 characters). */
type SplitNested<S extends string, Depth extends unknown[] = [], Current extends string = '', Out extends string[] = []> = S extends `${infer C}${infer Rest}`
  ? C extends '('
    ? SplitNested<Rest, [...Depth, unknown], `${Current}${C}`, Out>
    : C extends ')'
      ? SplitNested<Rest, Depth extends [unknown, ...infer Less] ? Less : [], `${Current}${C}`, Out>
      : C extends ','
        ? Depth extends []
          ? SplitNested<Rest, Depth, '', [...Out, Trim<Current>]>
          : SplitNested<Rest, Depth, `${Current}${C}`, Out>
        : SplitNested<Rest, Depth, `${Current}${C}`, Out>
  : [...Out, Trim<Current>];

/** The text before the parameter list: the result type and the name (`double cos`). */
export type HeadOf<P extends string> = P extends `${infer Head}(${string}` ? Head : never;

/** The text of the parameter list (`double x`), from a prototype with or without a final `;`. */
export type ArgsOf<P extends string> = StripEnd<P> extends `${string}(${infer Args})` ? Args : never;

type StripEnd<P extends string> = Trim<P> extends `${infer Body};` ? StripEnd<Body> : Trim<P>;

// ---------------------------------------------------------------------------------------------
// C names -> TypeScript types

type NumberScalar =
  | 'char'
  | 'signed char'
  | 'unsigned char'
  | 'short'
  | 'short int'
  | 'signed short'
  | 'signed short int'
  | 'unsigned short'
  | 'unsigned short int'
  | 'int'
  | 'signed'
  | 'signed int'
  | 'unsigned'
  | 'unsigned int'
  | 'float'
  | 'double'
  | 'int8_t'
  | 'uint8_t'
  | 'int16_t'
  | 'uint16_t'
  | 'int32_t'
  | 'uint32_t';
type WideScalar =
  | 'long'
  | 'long int'
  | 'signed long'
  | 'signed long int'
  | 'unsigned long'
  | 'unsigned long int'
  | 'long long'
  | 'long long int'
  | 'signed long long'
  | 'signed long long int'
  | 'unsigned long long'
  | 'unsigned long long int'
  | 'int64_t'
  | 'uint64_t'
  | 'size_t'
  | 'ssize_t'
  | 'intptr_t'
  | 'uintptr_t'
  | 'ptrdiff_t';
/** Words that are part of a type's spelling, never a parameter's name. */
type TypeWord = 'char' | 'short' | 'int' | 'long' | 'signed' | 'unsigned' | 'float' | 'double' | 'void' | 'bool' | '_Bool';

/** A pointer argument: memory borrowed for the call, an address, or NULL. */
export type PointerArgument = ArrayBufferView | ArrayBuffer | bigint | null;
/** A pointer result: an address, or null for NULL. */
export type PointerResult = bigint | null;
/** A struct or union as a plain object (field names are not known at the type level). */
export type RecordValue = Record<string, unknown>;

type Words<S extends string> = S extends `${infer W} ${infer Rest}` ? (W extends '' ? Words<Rest> : [W, ...Words<Rest>]) : S extends '' ? [] : [S];
type Join<W extends string[]> = W extends [infer A extends string]
  ? A
  : W extends [infer A extends string, ...infer R extends string[]]
    ? `${A} ${Join<R>}`
    : '';
type DropLast<W extends string[]> = W extends [...infer Init extends string[], string] ? Init : [];
type Last<W extends string[]> = W extends [...string[], infer L extends string] ? L : never;

/** The type part of a declaration without pointers (`unsigned int n` -> `unsigned int`). */
type TypePart<S extends string> =
  Words<Unconst<Trim<S>>> extends infer W extends string[]
    ? W extends [string]
      ? Join<W>
      : W extends ['struct' | 'union' | 'enum', string]
        ? Join<W>
        : Last<W> extends TypeWord
          ? Join<W>
          : Join<DropLast<W>>
    : never;

/** A value of a C type named without pointers, in one direction. */
type ValueOf<T extends string> = T extends 'void'
  ? // biome-ignore lint/suspicious/noConfusingVoidType: a C void result is a function that returns nothing
    void
  : T extends 'bool' | '_Bool'
    ? boolean
    : T extends NumberScalar
      ? number
      : T extends WideScalar
        ? number | bigint
        : T extends `enum ${string}`
          ? number
          : T extends `struct ${string}` | `union ${string}`
            ? RecordValue
            : unknown;

/** A pointer, from the text before its first `*` and whether there is more than one `*`. */
type PointerOf<Base extends string, Deep extends boolean, Result extends boolean> = Deep extends true
  ? Result extends true
    ? PointerResult
    : PointerArgument
  : Trim<Base> extends `const ${string}` | `${string} const`
    ? TypePart<Base> extends 'char'
      ? string | null
      : PointerTo<TypePart<Base>, Result>
    : PointerTo<TypePart<Base>, Result>;

type PointerTo<T extends string, Result extends boolean> = Result extends true
  ? T extends 'void' | 'bool' | '_Bool' | NumberScalar | WideScalar | `struct ${string}` | `union ${string}` | `enum ${string}`
    ? PointerResult
    : unknown
  : T extends `struct ${string}` | `union ${string}`
    ? PointerArgument | RecordValue
    : T extends 'void' | 'bool' | '_Bool' | NumberScalar | WideScalar | `enum ${string}`
      ? PointerArgument
      : unknown;

/**
 * The JS value of one C declaration (a parameter, or a result with its name): `Result` false for
 * what JS passes in, true for what JS receives.
 */
export type CValue<D extends string, Result extends boolean> = D extends `${infer Ret}(*${string})(${infer Args})${string}`
  ? Result extends true
    ? PointerResult
    : CallbackOf<Ret, Args> | bigint | null
  : D extends `${string}[${string}`
    ? PointerOf<D extends `${infer Base}[${string}` ? DropName<Base> : never, false, Result>
    : D extends `${infer Base}*${infer After}`
      ? PointerOf<Base, After extends `${string}*${string}` ? true : false, Result>
      : ValueOf<TypePart<D>>;

type DropName<S extends string> = Join<DropLast<Words<Trim<S>>>>;

/** A JS function for a C callback: it receives C values and returns one to C. */
type CallbackOf<Ret extends string, Args extends string> = (...args: MapValues<SplitParams<Args>, true>) => CValue<`${Trim<Ret>} r`, false>;

type MapValues<T, Result extends boolean> = T extends [infer Head extends string, ...infer Rest] ? [CValue<Head, Result>, ...MapValues<Rest, Result>] : [];

/** The arguments of prototype `P` as a tuple. */
export type ParamsOf<P extends string> = string extends P ? unknown[] : MapValues<SplitParams<ArgsOf<P>>, false>;

/** The result of prototype `P`. */
export type ResultOf<P extends string> = string extends P ? unknown : CValue<Trim<HeadOf<P>>, true>;

/**
 * The part of AbortSignal the library uses, declared here so that its types check without the
 * DOM or Node's types (a consumer with `lib: ["es2022"]` has no AbortSignal). Every AbortSignal
 * fits it; at run time an option `signal` must still be a real AbortSignal.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Options of an asynchronous call. */
export interface AsyncOptions {
  /** Rejects the promise with `signal.reason` when aborted; the native call runs on and its result is dropped. */
  signal?: AbortSignalLike;
}

/** A typed callable foreign function: `fn(...args)` calls it synchronously. */
export interface ForeignFunction<P extends string = string> {
  (...args: ParamsOf<P>): ResultOf<P>;
  /** The same call off the main thread: the engine's async call (koffi async, Deno nonblocking, a worker pool). */
  async(...args: ParamsOf<P>): Promise<ResultOf<P>>;
  async(...args: [...ParamsOf<P>, AsyncOptions]): Promise<ResultOf<P>>;
  /** With `{ errno: true }`: `errno` right after the last synchronous call (0 when the call did not set it); else undefined. */
  readonly errno: number | undefined;
  /** With `{ errno: true }` on Windows: GetLastError() right after the last synchronous call; else undefined. */
  readonly lastError: number | undefined;
  /** The exported name (or the prototype's name for `funcAt`). */
  readonly name: string;
  /** The prototype as the grammar read it (canonical C). */
  readonly declaration: string;
}
