/**
 * The Deno engine: Deno.dlopen, Deno's own FFI (the default on Deno; needs --allow-ffi). Any
 * function type of the vocabulary (types.ts) is declared from `passing()` through ONE mapping,
 * `denoType`, used for functions, callbacks and record fields alike.
 *
 * - Data pointers (and `const char *` parameters) are declared `buffer` (a TypedArray, a DataView,
 *   an ArrayBuffer or null: Deno's fast path). A call that passes an address there (a BigInt or a
 *   Number), or an empty view, goes through the function's ADDRESS FORM, where every pointer is
 *   `usize` (the same register on every 64-bit ABI) and a view becomes its address. Opaque
 *   handles and pointer results are `usize` too, so they stay BigInts.
 * - 64-bit integer parameters are passed as BigInts: Deno's fast call takes a BigInt in ~5 ns and
 *   converts a Number in ~30 ns (labs(i64) under load: 41 ns with a BigInt, 158 with a Number). Each such parameter keeps its last
 *   Number and the BigInt made from it, so a repeated value (an address in a scratch block, a
 *   capacity) is converted once. 64-bit results come from Deno as BigInts and become Numbers
 *   when they are safe integers.
 * - A function whose values need no conversion (numbers and booleans only) is the Deno symbol.
 *   Any other is a fixed-arity closure over per-argument conversions (`fixedArity`): a
 *   rest-parameter wrapper with a loop over the arguments cost 100-170 ns more per call. The
 *   closures of one arity share their code, so V8 sees every Deno symbol they call at one call
 *   site: with one hot function of an arity a call costs what a wrapper of its own did; with two
 *   hot ones, each call cost 3-7x more on Deno 2.9 (get_result's fast and address forms).
 * - Records by value are Deno `{ struct: [...] }` types, whose values are the record's bytes
 *   (record.ts converts objects). Arrays in records are their elements repeated; a union is a
 *   struct of pieces of its alignment's size, each an integer when an integer member overlaps it
 *   and the members' float type otherwise, which classifies like the union on x86-64 SysV,
 *   AArch64 and Windows x64 (run on x86-64 SysV only); a union of floats and doubles without an
 *   integer member is refused when bound (its registers differ by ABI).
 * - Each function is declared by its own dlopen of the same file (the loader counts references;
 *   a missing symbol is refused when bound): the blocking symbol when bound; the address form
 *   and the `nonblocking` symbols (async calls, run on Deno's own threads) on first use.
 *   A function bound by address (`bindAddress`) that some loaded file exports (dladdr names
 *   it, and that file's symbol of that name has that address) is declared like the others;
 *   any other is a Deno.UnsafeFnPointer, Deno's slow path (about 1.5 us per call).
 * - Callbacks are `Deno.UnsafeCallback`s made for the call and closed after it. For async calls
 *   they are `UnsafeCallback.threadSafe`: Deno's thread waits while the callback runs on the main
 *   thread. A synchronous call cannot take a JS callback that a foreign thread calls (the main
 *   thread would wait for itself): with `foreignThreadCallbacks`, `call` refuses a JS function
 *   and `callAsync` takes it.
 */
import type { BindOptions, BoundFunction, Engine, NativeLibrary } from '../engine.ts';
import { registerEngine } from '../engine.ts';
import { decodeRecord, encodeRecord } from '../record.ts';
import { AS_IS, type Fast, SLOW, fixedArity } from './_fixed-arity.ts';
import { type CType, type FunctionType, HOST, type Passing, type RecordType, type ScalarName, formatType, layoutOf, passing } from '../types.ts';

// ---------------------------------------------------------------------------------------------
// The part of Deno's FFI used here (Deno's own types are not available to tsc).

type DenoPointer = object;
type DenoType = string | { struct: DenoType[] };
interface DenoSignature {
  parameters: DenoType[];
  result: DenoType;
}
interface DenoFunctionDefinition extends DenoSignature {
  name?: string;
  nonblocking?: boolean;
  optional?: boolean;
}
interface DenoStaticDefinition {
  name: string;
  type: 'pointer';
  optional?: boolean;
}
type DenoSymbol = (...args: unknown[]) => unknown;
interface DenoDynamicLibrary {
  symbols: Record<string, unknown>;
  close(): void;
}
interface DenoCallback {
  readonly pointer: DenoPointer;
  close(): void;
}
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, DenoFunctionDefinition | DenoStaticDefinition>): DenoDynamicLibrary;
  UnsafePointer: {
    of(value: ArrayBufferView | ArrayBuffer): DenoPointer | null;
    create(value: bigint): DenoPointer | null;
    value(pointer: DenoPointer | null): bigint | number;
  };
  UnsafePointerView: {
    getArrayBuffer(pointer: DenoPointer, length: number, offset?: number): ArrayBuffer;
    getCString(pointer: DenoPointer): string;
  };
  UnsafeCallback: {
    new (definition: DenoSignature, fn: (...args: never[]) => unknown): DenoCallback;
    threadSafe(definition: DenoSignature, fn: (...args: never[]) => unknown): DenoCallback;
  };
  UnsafeFnPointer: new (pointer: DenoPointer, definition: DenoFunctionDefinition) => { call(...args: unknown[]): unknown };
}

function deno(): DenoFfi {
  const global = globalThis as { Deno?: Partial<DenoFfi> };
  if (typeof global.Deno?.dlopen !== 'function') throw new Error("engine 'deno' needs Deno (Deno.dlopen is absent here)");
  return global.Deno as DenoFfi;
}

// ---------------------------------------------------------------------------------------------
// THE mapping from the vocabulary to Deno's types.

const SCALAR_TYPES: Readonly<Record<ScalarName, string>> = {
  bool: 'bool',
  char: 'i8',
  int8_t: 'i8',
  uint8_t: 'u8',
  int16_t: 'i16',
  uint16_t: 'u16',
  int32_t: 'i32',
  uint32_t: 'u32',
  int64_t: 'i64',
  uint64_t: 'u64',
  float: 'f32',
  double: 'f64',
  size_t: 'usize',
  ssize_t: 'isize',
  intptr_t: 'isize',
  uintptr_t: 'usize',
  ptrdiff_t: 'isize',
  long: HOST.longSize === 8 ? 'i64' : 'i32',
  'unsigned long': HOST.longSize === 8 ? 'u64' : 'u32',
};

/**
 * Which way a value crosses: `fast` and `address` are JS -> C (arguments, callback results) with
 * data pointers as `buffer` or as `usize`; `out` is C -> JS (results, callback arguments).
 */
type Direction = 'fast' | 'address' | 'out';

/** The Deno type of a value passed as `how`, going `direction`. */
function denoType(how: Passing, direction: Direction): DenoType {
  switch (how.as) {
    case 'void':
      return 'void';
    case 'number':
    case 'wide':
      return SCALAR_TYPES[how.scalar.name];
    case 'bool':
      return 'bool';
    case 'string':
      return direction === 'fast' ? 'buffer' : direction === 'address' ? 'usize' : 'pointer';
    case 'pointer':
      return direction === 'fast' ? 'buffer' : 'usize';
    case 'handle':
      return 'usize';
    case 'callback':
      return direction === 'out' ? 'usize' : 'function';
    case 'record':
      return { struct: recordFields(how.record) };
  }
}

/** The Deno struct fields of a record's bytes. */
function recordFields(record: RecordType): DenoType[] {
  if (record.kind === 'union') return unionPieces(record);
  return layoutOf(record).fields.flatMap((field) => fieldTypes(field.type));
}

/** A field as Deno struct members: scalars by the mapping, arrays repeated, records nested. */
function fieldTypes(type: CType): DenoType[] {
  switch (type.kind) {
    case 'array':
      return Array.from({ length: type.length }, () => fieldTypes(type.of)).flat();
    case 'struct':
    case 'union':
      return [{ struct: recordFields(type) }];
    case 'pointer':
      return ['pointer'];
    default:
      return [denoType(passing(type, 'param'), 'out')];
  }
}

/** The scalar leaves of a type: offset, size and whether they are floats. */
function leaves(type: CType, offset: number, out: Array<{ offset: number; size: number; float: string | undefined }>): void {
  switch (type.kind) {
    case 'scalar':
      out.push({ offset, size: type.size, float: type.float ? SCALAR_TYPES[type.name] : undefined });
      return;
    case 'enum':
    case 'pointer':
      out.push({ offset, size: layoutOf(type).size, float: undefined });
      return;
    case 'array': {
      const step = layoutOf(type.of).size;
      for (let i = 0; i < type.length; i++) leaves(type.of, offset + i * step, out);
      return;
    }
    case 'struct':
    case 'union':
      for (const field of layoutOf(type).fields) leaves(field.type, offset + field.offset, out);
      return;
    default:
      return;
  }
}

const INTEGER_OF_SIZE: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

/**
 * A union as pieces of its alignment's size. With an integer member anywhere the union is not a
 * homogeneous float aggregate (AArch64) and each eightbyte is INTEGER where an integer overlaps
 * it (x86-64 SysV): an integer piece where one does, a float piece elsewhere. Without integers,
 * all floats of one type: pieces of that type. Floats of two sizes and no integer: refused.
 */
function unionPieces(union: RecordType): DenoType[] {
  const { size, alignment } = layoutOf(union);
  const found: Array<{ offset: number; size: number; float: string | undefined }> = [];
  leaves(union, 0, found);
  const floats = new Set(found.flatMap((leaf) => (leaf.float === undefined ? [] : [leaf.float])));
  const hasInteger = found.some((leaf) => leaf.float === undefined);
  if (!hasInteger && floats.size > 1) {
    throw new Error(`union ${union.name} mixes float and double members without an integer one: its registers differ by ABI (pass it by pointer)`);
  }
  const pieces: DenoType[] = [];
  for (let start = 0; start < size; start += alignment) {
    const overlapping = found.filter((leaf) => leaf.offset < start + alignment && leaf.offset + leaf.size > start);
    const integer = overlapping.length === 0 || overlapping.some((leaf) => leaf.float === undefined);
    pieces.push(integer ? (INTEGER_OF_SIZE[alignment] as string) : alignment === 8 ? 'f64' : 'f32');
  }
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// Values: JS -> Deno and Deno -> JS, by passing kind.

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const encoder = new TextEncoder();

/** A BigInt from a 64-bit Deno value: a Number when safe. */
function wideOut(value: unknown): unknown {
  return typeof value === 'bigint' && value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** The fixed facts about one bound function, shared by its call paths. */
interface Plan {
  /** `engine deno: name` for messages. */
  label: string;
  params: Passing[];
  names: string[];
  result: Passing;
  /** Deno signatures of the callback parameters (undefined for others). */
  callbackSignatures: Array<{ signature: DenoSignature; wrap: (fn: (...args: never[]) => unknown) => (...args: never[]) => unknown } | undefined>;
  foreignThreads: boolean;
}

class Values {
  readonly ffi: DenoFfi;
  constructor(ffi: DenoFfi) {
    this.ffi = ffi;
  }

  address(value: ArrayBufferView | ArrayBuffer): bigint {
    if (value.byteLength === 0) return 0n;
    return BigInt(this.ffi.UnsafePointer.value(this.ffi.UnsafePointer.of(value)));
  }

  /** A NUL-terminated UTF-8 copy of `text`. */
  cString(text: string, where: string): Uint8Array {
    if (text.includes('\0')) throw new TypeError(`${where} contains U+0000: a C string ends at its first NUL`);
    return encoder.encode(`${text}\0`);
  }

  /**
   * One JS value as the Deno value of `how`, or a TypeError naming `where`. `made` collects the
   * callbacks made for the call (the caller closes them).
   */
  in(how: Passing, value: unknown, address: boolean, where: string, made?: { list: DenoCallback[]; threadSafe: boolean; plan: Plan; index: number }): unknown {
    switch (how.as) {
      case 'number':
        if (typeof value !== 'number') throw new TypeError(`${where} must be a number, got ${describe(value)}`);
        return value;
      case 'bool':
        if (typeof value !== 'boolean') throw new TypeError(`${where} must be a boolean, got ${describe(value)}`);
        return value;
      case 'wide':
        if (typeof value === 'bigint') return value;
        if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
        throw new TypeError(`${where} must be an integer (a Number or a BigInt), got ${describe(value)}`);
      case 'string':
        if (typeof value === 'string') {
          const bytes = this.cString(value, where);
          return address ? this.address(bytes) : bytes;
        }
        return this.pointer(value, address, where, 'a string, ');
      case 'pointer':
        return this.pointer(value, address, where, '');
      case 'handle':
        if (value === null) return 0n;
        if (typeof value === 'bigint') return value;
        if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
        throw new TypeError(`${where} must be a handle (a BigInt) or null, got ${describe(value)}`);
      case 'callback': {
        if (value === null) return null;
        if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
          return this.ffi.UnsafePointer.create(BigInt(value));
        }
        const entry = made?.plan.callbackSignatures[made.index];
        if (typeof value !== 'function' || entry === undefined || made === undefined) {
          throw new TypeError(`${where} must be a function, an address (a BigInt) or null, got ${describe(value)}`);
        }
        const fn = entry.wrap(value as (...args: never[]) => unknown);
        const callback = made.threadSafe ? this.ffi.UnsafeCallback.threadSafe(entry.signature, fn) : new this.ffi.UnsafeCallback(entry.signature, fn);
        made.list.push(callback);
        return callback.pointer;
      }
      case 'record': {
        const bytes = new Uint8Array(layoutOf(how.record).size);
        encodeRecord(how.record, value, new DataView(bytes.buffer), 0);
        return bytes;
      }
      case 'void':
        return undefined;
    }
  }

  pointer(value: unknown, address: boolean, where: string, also: string): unknown {
    if (value === null || value === undefined) return address ? 0n : null;
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      if (address || value.byteLength === 0) return address ? this.address(value) : null;
      return value;
    }
    throw new TypeError(`${where} must be ${also}an ArrayBuffer, a TypedArray, an address (a BigInt) or null, got ${describe(value)}`);
  }

  /** One Deno value of `how` as the JS value of the calling convention. */
  out(how: Passing, value: unknown): unknown {
    switch (how.as) {
      case 'void':
        return undefined;
      case 'number':
      case 'bool':
        return value;
      case 'wide':
        return wideOut(value);
      case 'string':
        return value === null ? null : this.ffi.UnsafePointerView.getCString(value as DenoPointer);
      case 'pointer':
      case 'handle':
      case 'callback': {
        const address = typeof value === 'bigint' ? value : value === null ? 0n : BigInt(value as number);
        return address === 0n ? null : address;
      }
      case 'record': {
        const bytes = value as Uint8Array;
        return decodeRecord(how.record, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
      }
    }
  }
}

/** Needs no conversion either way: the Deno symbol is the function. */
const PLAIN: ReadonlySet<Passing['as']> = new Set(['number', 'bool', 'void']);

/** The Deno definition of a callback type and the wrapper that converts its values. */
function callbackEntry(values: Values, fn: FunctionType, label: string): NonNullable<Plan['callbackSignatures'][number]> {
  const params = fn.params.map((param) => passing(param.type, 'param'));
  const result = passing(fn.result, 'result');
  if (result.as === 'string') {
    throw new Error(`${label}: a callback returning const char * cannot be made from JS (nothing would own the string)`);
  }
  const signature = { parameters: params.map((how) => denoType(how, 'out')), result: denoType(result, 'address') };
  const name = `the result of callback ${fn.name ?? formatType(fn)}`;
  if (params.every((how) => PLAIN.has(how.as)) && PLAIN.has(result.as)) return { signature, wrap: (user) => user };
  return {
    signature,
    wrap:
      (user) =>
      (...args: unknown[]) => {
        for (let i = 0; i < args.length; i++) args[i] = values.out(params[i]!, args[i]);
        const value = (user as (...a: unknown[]) => unknown)(...args);
        return result.as === 'void' ? undefined : values.in(result, value, true, name);
      },
  };
}

/** The four symbols of one function: fast or address form, blocking or not, made on first use. */
interface Symbols {
  fast: DenoSymbol;
  address(): DenoSymbol;
  fastAsync(): DenoSymbol;
  addressAsync(): DenoSymbol;
}

function symbolsOf(make: (definition: DenoFunctionDefinition) => DenoSymbol, plan: Plan): Symbols {
  const definition = (direction: Direction, nonblocking: boolean): DenoFunctionDefinition => ({
    parameters: plan.params.map((how) => denoType(how, direction)),
    result: denoType(plan.result, 'out'),
    nonblocking,
  });
  const lazy = (direction: Direction, nonblocking: boolean) => {
    let symbol: DenoSymbol | undefined;
    return () => {
      symbol ??= make(definition(direction, nonblocking));
      return symbol;
    };
  };
  return { fast: make(definition('fast', false)), address: lazy('address', false), fastAsync: lazy('fast', true), addressAsync: lazy('address', true) };
}

/** The bound function of `type`, calling through `make`'s symbols. */
function bindWith(
  values: Values,
  type: FunctionType,
  label: string,
  options: BindOptions,
  make: (definition: DenoFunctionDefinition) => DenoSymbol,
): BoundFunction {
  const params = type.params.map((param, i) => {
    try {
      return passing(param.type, 'param');
    } catch (error) {
      throw new Error(`${label}: parameter ${i + 1} (${formatType(param.type)}): ${(error as Error).message}`);
    }
  });
  let result: Passing;
  try {
    result = passing(type.result, 'result');
  } catch (error) {
    throw new Error(`${label}: result (${formatType(type.result)}): ${(error as Error).message}`);
  }
  const plan: Plan = {
    label,
    params,
    names: type.params.map((param, i) => `${label}: argument ${i + 1}${param.name === undefined ? '' : ` (${param.name})`}`),
    result,
    callbackSignatures: params.map((how) => (how.as === 'callback' ? callbackEntry(values, how.fn, label) : undefined)),
    foreignThreads: options.foreignThreadCallbacks === true,
  };
  let symbols: Symbols;
  try {
    symbols = symbolsOf(make, plan);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.startsWith(label) ? message : `${label}: ${message}`);
  }

  /** Deno's arguments: converted, callbacks made, address form when any pointer is an address. */
  const prepare = (args: readonly unknown[], threadSafe: boolean): { values: unknown[]; address: boolean; made: DenoCallback[] } => {
    if (args.length !== params.length) throw new TypeError(`${label} takes ${params.length} arguments, got ${args.length}`);
    let address = false;
    for (let i = 0; i < params.length; i++) {
      const as = params[i]!.as;
      const value = args[i];
      if ((as === 'pointer' || as === 'string') && (typeof value === 'bigint' || typeof value === 'number')) address = true;
    }
    const made = { list: [] as DenoCallback[], threadSafe, plan, index: 0 };
    const out = new Array<unknown>(params.length);
    try {
      for (let i = 0; i < params.length; i++) {
        made.index = i;
        out[i] = values.in(params[i]!, args[i], address, plan.names[i]!, made);
      }
    } catch (error) {
      for (const callback of made.list) callback.close();
      throw error;
    }
    return { values: out, address, made: made.list };
  };

  const refuseForeign = (args: readonly unknown[]) => {
    if (!plan.foreignThreads) return;
    for (let i = 0; i < params.length; i++) {
      if (params[i]!.as === 'callback' && typeof args[i] === 'function') {
        throw new Error(
          `${label}: its callbacks may run on another thread, and Deno runs a JS callback on the main thread, which this synchronous call blocks: use callAsync (or pass a C function's address)`,
        );
      }
    }
  };

  const generic = (...args: unknown[]): unknown => {
    refuseForeign(args);
    const call = prepare(args, plan.foreignThreads);
    try {
      return values.out(result, (call.address ? symbols.address() : symbols.fast)(...call.values));
    } finally {
      for (const callback of call.made) callback.close();
    }
  };

  return {
    call: params.some((how) => how.as === 'callback') ? generic : fastWrapper(values, plan, symbols.fast, generic),
    async callAsync(args: readonly unknown[]): Promise<unknown> {
      const call = prepare(args, true);
      const entry = [args, call.values];
      PENDING.add(entry);
      try {
        const symbol = call.address ? symbols.addressAsync() : symbols.fastAsync();
        return values.out(result, await (symbol(...call.values) as Promise<unknown>));
      } finally {
        for (const callback of call.made) callback.close();
        PENDING.delete(entry);
      }
    },
  };
}

/** The arguments of async calls in flight (and the strings and records encoded for them). */
const PENDING = new Set<unknown>();

/** The fast form's conversion of an argument passed as `how`: SLOW sends the call to `generic`. */
function fastArgument(values: Values, how: Passing, name: string): Fast {
  switch (how.as) {
    case 'wide': {
      // The last Number and its BigInt: a repeated value (an address, a capacity) is converted once.
      let number = Number.NaN;
      let big = 0n;
      return (value) => {
        if (typeof value !== 'number') return value;
        if (value !== number) {
          big = BigInt(value);
          number = value;
        }
        return big;
      };
    }
    case 'pointer':
      return (value) => (value !== null && (typeof value !== 'object' || (value as ArrayBufferView).byteLength === 0) ? SLOW : value);
    case 'string':
      return (value) => (typeof value === 'string' ? values.cString(value, name) : SLOW);
    case 'handle':
      return (value) => (typeof value === 'bigint' ? value : values.in(how, value, false, name));
    case 'record':
      return (value) => values.in(how, value, false, name);
    default:
      return AS_IS;
  }
}

/** The fast form's conversion of a result passed as `how`. */
function fastResult(values: Values, how: Passing): Fast {
  switch (how.as) {
    case 'wide':
      return wideOut;
    case 'pointer':
    case 'handle':
    case 'callback':
      return (value) => (value === 0n ? null : value);
    case 'string':
    case 'record':
      return (value) => values.out(how, value);
    default:
      return AS_IS;
  }
}

/**
 * The synchronous call of a function without callbacks: numbers and booleans as they are, 64-bit
 * integers as BigInts (the last one per position kept), handles as BigInts, strings encoded,
 * records as bytes. A pointer given as an address or an empty view (passed as NULL), or anything
 * the fast form does not take, goes to `generic`.
 */
function fastWrapper(values: Values, plan: Plan, direct: DenoSymbol, generic: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const { params, result } = plan;
  if (params.every((how) => PLAIN.has(how.as)) && PLAIN.has(result.as)) return direct;
  return fixedArity(
    direct,
    params.map((how, i) => fastArgument(values, how, plan.names[i]!)),
    fastResult(values, result),
    generic,
  );
}

// ---------------------------------------------------------------------------------------------

let dladdrCache: ((address: bigint, info: BigUint64Array) => number) | null | undefined;

/** libc's dladdr on Linux and macOS 64-bit hosts (null elsewhere or when absent). */
function dladdrOf(ffi: DenoFfi): ((address: bigint, info: BigUint64Array) => number) | undefined {
  if (dladdrCache === undefined) {
    dladdrCache = null;
    const os = (globalThis as { Deno?: { build?: { os?: string } } }).Deno?.build?.os;
    const files = os === 'linux' ? ['libc.so.6', 'libdl.so.2'] : os === 'darwin' ? ['/usr/lib/libSystem.B.dylib'] : [];
    for (const file of HOST.pointerSize === 8 ? files : []) {
      try {
        const library = ffi.dlopen(file, { dladdr: { parameters: ['usize', 'buffer'], result: 'i32', optional: true } });
        if (library.symbols.dladdr) {
          dladdrCache = library.symbols.dladdr as (address: bigint, info: BigUint64Array) => number;
          break;
        }
        library.close();
      } catch {
        // Not this file: try the next.
      }
    }
  }
  return dladdrCache ?? undefined;
}

class DenoLibrary implements NativeLibrary {
  readonly engine = 'deno' as const;
  readonly path: string;
  readonly #ffi: DenoFfi;
  readonly #values: Values;
  /** The dlopen that holds the library, then one per declared symbol; all closed by close(). */
  readonly #handles: DenoDynamicLibrary[];
  #open = true;

  constructor(ffi: DenoFfi, path: string) {
    this.path = path;
    this.#ffi = ffi;
    this.#values = new Values(ffi);
    this.#handles = [ffi.dlopen(path, {})];
  }

  #dlopen(definition: DenoFunctionDefinition | DenoStaticDefinition, name: string): unknown {
    if (!this.#open) throw new Error(`engine deno: ${this.path} is closed`);
    const handle = this.#ffi.dlopen(this.path, { symbol: { ...definition, name, optional: true } });
    const symbol = handle.symbols.symbol;
    if (symbol === null || symbol === undefined) {
      handle.close();
      throw new Error(`engine deno: ${this.path} has no symbol '${name}'`);
    }
    this.#handles.push(handle);
    return symbol;
  }

  bind(type: FunctionType & { name: string }, options: BindOptions = {}): BoundFunction {
    const name = type.name;
    return bindWith(this.#values, type, `engine deno: ${name}`, options, (definition) => this.#dlopen(definition, name) as DenoSymbol);
  }

  bindAddress(address: bigint, type: FunctionType, options: BindOptions = {}): BoundFunction {
    const pointer = this.#ffi.UnsafePointer.create(address);
    const label = `engine deno: ${type.name ?? 'function'} at 0x${address.toString(16)}`;
    if (pointer === null) throw new Error(`${label}: NULL is not a function`);
    const exported = this.#exportAt(address);
    return bindWith(this.#values, type, label, options, (definition) => {
      if (exported) {
        const handle = this.#ffi.dlopen(exported.file, { symbol: { ...definition, name: exported.name } });
        this.#handles.push(handle);
        return handle.symbols.symbol as DenoSymbol;
      }
      const fn = new this.#ffi.UnsafeFnPointer(pointer, definition);
      return (...args: unknown[]) => fn.call(...args);
    });
  }

  /** The file and name under which `address` is exported (checked by dlopen), or undefined. */
  #exportAt(address: bigint): { file: string; name: string } | undefined {
    const ffi = this.#ffi;
    const dladdr = dladdrOf(ffi);
    if (dladdr === undefined) return undefined;
    const info = new BigUint64Array(4); // Dl_info: dli_fname, dli_fbase, dli_sname, dli_saddr
    if (dladdr(address, info) === 0 || info[0] === 0n || info[2] === 0n || info[3] !== address) return undefined;
    const cString = (at: bigint) => ffi.UnsafePointerView.getCString(ffi.UnsafePointer.create(at) as DenoPointer);
    const found = { file: cString(info[0]!), name: cString(info[2]!) };
    try {
      const check = ffi.dlopen(found.file, { symbol: { name: found.name, type: 'pointer', optional: true } });
      const same = check.symbols.symbol !== null && BigInt(ffi.UnsafePointer.value(check.symbols.symbol as DenoPointer)) === address;
      check.close();
      return same ? found : undefined;
    } catch {
      return undefined; // The main program, a file gone since: the slow path.
    }
  }

  symbol(name: string): bigint {
    const pointer = this.#dlopen({ name, type: 'pointer' }, name) as DenoPointer;
    this.#handles.pop()?.close();
    return BigInt(this.#ffi.UnsafePointer.value(pointer));
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    for (const handle of this.#handles.splice(0).reverse()) handle.close();
  }
}

export const denoEngine: Engine = {
  name: 'deno',
  open(path: string): NativeLibrary {
    return new DenoLibrary(deno(), path);
  },
  view(address: bigint, length: number): ArrayBuffer {
    const ffi = deno();
    const pointer = ffi.UnsafePointer.create(address);
    if (pointer === null) throw new Error('engine deno: view of a NULL pointer');
    return ffi.UnsafePointerView.getArrayBuffer(pointer, length);
  },
  addressOf(view: ArrayBufferView): bigint {
    const ffi = deno();
    return BigInt(ffi.UnsafePointer.value(ffi.UnsafePointer.of(view)));
  },
};

/** Makes the engine selectable (called by the loader). */
export function registerDenoEngine(): void {
  registerEngine('deno', () => {
    deno();
    return denoEngine;
  });
}
