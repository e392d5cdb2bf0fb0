/**
 * mylib-rust/ffi: open any shared library by path or platform name, list its exports, declare its
 * functions from C text, and call them with the same values on Node (koffi, node:ffi), Bun
 * (bun:ffi) and Deno (Deno.dlopen). See docs/ffi.md.
 */
export { ENGINES, ENGINE_ENV, type EngineName, currentRuntime, defaultEngine } from './engine.ts';
export type { ErrnoAccess } from './errno.ts';
export {
  DeclarationError,
  type Declared,
  type HeaderDeclarations,
  type NamedFunction,
  type ParseHeaderOptions,
  Scope,
  type SkipReason,
  type Skipped,
  type SourceSpan,
  parseDeclarations,
  parseFunction,
  parseHeader,
  parseType,
} from './grammar.ts';
export { CrashedError } from './isolate.ts';
export { type Header, type HeaderDeclaration, type HeaderOptions, readHeader } from './header.ts';
export { type Declarations, ForeignLibrary, type FuncOptions, type Included, type OpenOptions, open } from './library.ts';
export { type Address, MAX_LENGTH, type MemoryOptions, addressOf, readBytes, readCString, readRecord, writeBytes, writeRecord } from './memory.ts';
export { type ResolvedLibrary, resolveLibrary } from './names.ts';
export type { ExportedSymbol, SymbolKind } from './object-file.ts';
export { decodeRecord, encodeRecord } from './record.ts';
export type { AbortSignalLike, AsyncOptions, ForeignFunction, ParamsOf, PointerArgument, PointerResult, RecordValue, ResultOf } from './typed.ts';
export {
  type ArrayType,
  type CType,
  type EnumType,
  type Field,
  type FieldLayout,
  type FunctionType,
  type HostModel,
  type Layout,
  type Param,
  type PointerType,
  type RecordType,
  type ScalarName,
  type ScalarType,
  type VoidType,
  MAX_TYPE_DEPTH,
  formatType,
  layoutOf,
  sizeOf,
} from './types.ts';
