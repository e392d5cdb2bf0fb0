/**
 * The names C declarations are read against (part of the grammar, re-exported by grammar.ts):
 * typedef names, struct/union/enum tags, functions, variables and constants, and what a text
 * declared, in order.
 */
import { type CType, type EnumType, type FunctionType, type RecordType, VOID, scalar } from './types.ts';

/** A function with the name it is exported under. */
export type NamedFunction = FunctionType & { readonly name: string };

/** One thing a text declared, in the order of the text. */
export type Declared =
  | { readonly kind: 'function'; readonly name: string; readonly type: NamedFunction }
  | { readonly kind: 'variable'; readonly name: string; readonly type: CType }
  | { readonly kind: 'typedef'; readonly name: string; readonly type: CType }
  | { readonly kind: 'record'; readonly name: string; readonly type: RecordType }
  | { readonly kind: 'enum'; readonly name: string; readonly type: EnumType }
  | { readonly kind: 'constant'; readonly name: string; readonly value: number }
  /** Header mode only: `#define NAME "text"`. */
  | { readonly kind: 'string'; readonly name: string; readonly value: string };

/**
 * The names declarations are read against: typedef names, `struct`/`union`/`enum` tags,
 * functions, variables and constants. A child scope sees its parent's names and adds its own.
 */
export class Scope {
  readonly parent: Scope | undefined;
  readonly typedefs = new Map<string, CType>();
  /** Keyed `struct X`, `union X`, `enum X`. */
  readonly tags = new Map<string, RecordType | EnumType>();
  readonly functions = new Map<string, NamedFunction>();
  readonly variables = new Map<string, CType>();
  readonly constants = new Map<string, number>();
  constructor(parent?: Scope) {
    this.parent = parent;
  }
  typedef(name: string): CType | undefined {
    return this.typedefs.get(name) ?? this.parent?.typedef(name);
  }
  tag(key: string): RecordType | EnumType | undefined {
    return this.tags.get(key) ?? this.parent?.tag(key);
  }
  constant(name: string): number | undefined {
    return this.constants.get(name) ?? this.parent?.constant(name);
  }
  function(name: string): NamedFunction | undefined {
    return this.functions.get(name) ?? this.parent?.function(name);
  }
  /** A type by the name C code uses: a typedef name, `struct X`, or a scalar (`unsigned int`). */
  type(name: string): CType | undefined {
    const spaced = name.trim().replace(/\s+/g, ' ');
    if (/^(struct|union|enum) /.test(spaced)) return this.tag(spaced);
    if (spaced === 'void') return VOID;
    return scalar(spaced) ?? this.typedef(spaced);
  }
}
