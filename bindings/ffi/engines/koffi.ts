/**
 * The koffi engine: the default on Node, and usable wherever koffi's native module loads (Node,
 * Bun, Deno). koffi is loaded on first use, so other engines never load it.
 *
 * koffi 3 already presents the calling convention of engine.ts for the types below (checked in
 * test/ffi/koffi-engine.test.ts): a data pointer parameter takes an ArrayBuffer, any
 * ArrayBufferView, null, a BigInt or a Number address; pointer results are BigInts, NULL is null;
 * 64-bit results are Numbers when safe, else BigInts; `const char *` converts strings both ways;
 * a JS function passed for a callback pointer is a transient C callback valid during the call
 * (from koffi's worker threads too, during async calls: the call is queued to the main thread;
 * an exception it throws gives C 0 and is rethrown when the call returns). So a bound function's
 * `call` IS koffi's function: no wrapper, no per-call cost.
 *
 * The vocabulary (types.ts) is mapped to koffi types ONCE, by `koffiType` below: scalars by
 * PRIMITIVES, records to koffi.struct/union (cached per record), opaque records to koffi.opaque,
 * arrays (record fields) to koffi.array, function types to koffi.proto. Data pointers are all
 * `void *`: koffi then accepts any buffer and never marshals a JS object behind a pointer.
 */
import { createRequire } from 'node:module';
import type { LibraryHandle, TypeObject } from 'koffi';
import { type BoundFunction, type Engine, type NativeLibrary, registerEngine } from '../engine.ts';
import { type CType, type FunctionType, PassingError, type RecordType, type ScalarName, formatType, layoutOf, passing } from '../types.ts';

type Koffi = typeof import('koffi');
type KoffiFunction = ((...args: unknown[]) => unknown) & { async(...args: unknown[]): void };

let koffiModule: Koffi | undefined;

/** koffi's module, required on first use. */
export function loadKoffi(): Koffi {
  koffiModule ??= createRequire(import.meta.url)('koffi') as Koffi;
  return koffiModule;
}

/**
 * The one table from the vocabulary's scalars to koffi's primitives. koffi has no `ssize_t` or
 * `ptrdiff_t`: `intptr_t` has their size and sign on every host koffi supports.
 */
const PRIMITIVES: Readonly<Record<ScalarName, string>> = {
  bool: 'bool',
  char: 'char',
  int8_t: 'int8_t',
  uint8_t: 'uint8_t',
  int16_t: 'int16_t',
  uint16_t: 'uint16_t',
  int32_t: 'int32_t',
  uint32_t: 'uint32_t',
  int64_t: 'int64_t',
  uint64_t: 'uint64_t',
  float: 'float',
  double: 'double',
  size_t: 'size_t',
  ssize_t: 'intptr_t',
  intptr_t: 'intptr_t',
  uintptr_t: 'uintptr_t',
  ptrdiff_t: 'intptr_t',
  long: 'long',
  'unsigned long': 'unsigned long',
};

/** koffi types per record and per function type, by identity (records are shared by identity). */
const records = new WeakMap<RecordType, TypeObject>();
const protos = new WeakMap<FunctionType, TypeObject>();

/**
 * koffi's type names are process-wide and a name can be declared once: `name`, else `name_2`,
 * `name_3`... (another copy of these bindings, or the caller's own koffi code, may hold it).
 */
function uniqueName(name: string, declare: (candidate: string) => TypeObject): TypeObject {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${name}_${n}`;
    try {
      return declare(candidate);
    } catch (error) {
      if (!/Duplicate type name/.test((error as Error).message)) throw error;
    }
  }
}

function recordType(koffi: Koffi, record: RecordType): TypeObject {
  const cached = records.get(record);
  if (cached) return cached;
  const fields = record.fields;
  let type: TypeObject;
  if (fields === undefined) {
    type = uniqueName(record.name, (name) => koffi.opaque(name));
  } else {
    const members: Record<string, TypeObject | string> = {};
    for (const field of fields) members[field.name] = koffiType(koffi, field.type, 'field');
    const declare = (name: string | null) => (record.kind === 'struct' ? koffi.struct(name, members) : koffi.union(name, members));
    type = record.name === '' ? declare(null) : uniqueName(record.name, declare);
    const layout = layoutOf(record);
    if (type.size !== layout.size || type.alignment !== layout.alignment) {
      throw new Error(
        `mylib: koffi lays out ${record.kind} ${record.name} in ${type.size} bytes (alignment ${type.alignment}), the C rules in ${layout.size} (${layout.alignment})`,
      );
    }
  }
  records.set(record, type);
  return type;
}

function protoType(koffi: Koffi, fn: FunctionType): TypeObject {
  const cached = protos.get(fn);
  if (cached) return cached;
  const result = koffiType(koffi, fn.result, 'result');
  const params = fn.params.map((p) => koffiType(koffi, p.type, 'param'));
  const type = fn.name === undefined ? koffi.proto(result, params) : uniqueName(fn.name, (name) => koffi.proto(name, result, params));
  protos.set(fn, type);
  return type;
}

/** The koffi type of `type` as a parameter, a result or a record field. */
function koffiType(koffi: Koffi, type: CType, place: 'param' | 'result' | 'field'): TypeObject | string {
  switch (type.kind) {
    case 'array':
      if (place !== 'field') break;
      // 'Array': elements as a JS Array whatever their type (koffi makes char arrays strings by default).
      return koffi.array(koffiType(koffi, type.of, 'field'), type.length, 'Array');
    case 'struct':
    case 'union':
      // By value: a field here, a parameter or result through passing() (which refuses opaque ones).
      if (place !== 'field' || type.fields === undefined) break;
      return recordType(koffi, type);
    case 'enum':
      return PRIMITIVES.int32_t;
    default:
      break;
  }
  const crossing = passing(type, place === 'result' ? 'result' : 'param');
  switch (crossing.as) {
    case 'void':
      return 'void';
    case 'number':
    case 'wide':
      return PRIMITIVES[crossing.scalar.name];
    case 'bool':
      return PRIMITIVES.bool;
    case 'string':
      return 'const char *';
    case 'pointer':
      return 'void *';
    case 'handle':
      return koffi.pointer(recordType(koffi, crossing.record));
    case 'callback':
      return koffi.pointer(protoType(koffi, crossing.fn));
    case 'record':
      return recordType(koffi, crossing.record);
  }
}

/** koffi's result and parameter types of `fn`; an Error names `what` and the construct refused. */
function signature(koffi: Koffi, fn: FunctionType, what: string): { result: TypeObject | string; params: Array<TypeObject | string> } {
  try {
    return { result: koffiType(koffi, fn.result, 'result'), params: fn.params.map((p) => koffiType(koffi, p.type, 'param')) };
  } catch (error) {
    if (error instanceof PassingError) throw new Error(`mylib: engine koffi cannot bind ${what}: ${error.message}`, { cause: error });
    throw error;
  }
}

function bound(fn: KoffiFunction): BoundFunction {
  return {
    call: fn,
    callAsync: (args) =>
      new Promise((resolve, reject) => {
        fn.async(...args, (error: unknown, result: unknown) => (error ? reject(error) : resolve(result)));
      }),
  };
}

class KoffiLibrary implements NativeLibrary {
  readonly engine = 'koffi' as const;
  readonly path: string;
  readonly #koffi: Koffi;
  readonly #handle: LibraryHandle;

  constructor(koffi: Koffi, path: string) {
    this.#koffi = koffi;
    this.path = path;
    this.#handle = koffi.load(path);
  }

  bind(type: FunctionType & { name: string }): BoundFunction {
    const { result, params } = signature(this.#koffi, type, type.name);
    return bound(this.#handle.func(type.name, result, params) as KoffiFunction);
  }

  bindAddress(address: bigint, type: FunctionType): BoundFunction {
    // koffi.decode of a pointer as a prototype gives a function (with .async) calling that address.
    signature(this.#koffi, type, `a function pointer of type ${formatType(type)}`);
    return bound(this.#koffi.decode(address, protoType(this.#koffi, type)) as KoffiFunction);
  }

  symbol(name: string): bigint {
    return this.#handle.symbol(name) as bigint;
  }

  close(): void {
    this.#handle.unload();
  }
}

export const koffiEngine: Engine = {
  name: 'koffi',
  open: (path) => new KoffiLibrary(loadKoffi(), path),
  view: (address, length) => loadKoffi().view(address, length),
  addressOf: (view) => loadKoffi().address(view),
};

/** Makes the engine selectable (called by the loader). */
export function registerKoffiEngine(): void {
  registerEngine('koffi', () => koffiEngine);
}
