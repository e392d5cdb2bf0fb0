/**
 * The Deno engine: Deno.dlopen, Deno's own FFI (the default on Deno; needs --allow-ffi). Symbol
 * definitions are derived from the declaration table. Data pointers are declared `buffer` (a
 * TypedArray or null, the fast path); a call that passes an address or a library pointer there
 * goes through the function's address form instead, where every pointer is `usize` (the same
 * register on every 64-bit ABI). Opaque handles and returned pointers are `usize` too, so they
 * stay BigInts. Async calls are `nonblocking` symbols (Deno runs them on its own thread); their
 * callbacks are thread-safe and run on the main thread while the native thread waits.
 */
import { type Engine, type EngineLibrary, type OpenedLibrary, registerEngine } from '../engine.ts';
import {
  ADDRESS_FORMS,
  type AddressFunctions,
  CALLBACKS,
  DECLARATIONS,
  OPAQUES,
  type ParsedParam,
  type Pointer,
  type RawFunctions,
  type SymbolName,
  isStringResult,
  parsePrototype,
} from '../raw.ts';

/** The part of Deno's FFI this engine uses. */
interface DenoPointerApi {
  of(value: ArrayBufferView): object | null;
  create(value: bigint): object | null;
  value(pointer: object | null): bigint;
}
interface DenoCallback {
  pointer: object;
  close(): void;
}
interface DenoCallbackConstructor {
  new (definition: DenoSignature, fn: (...args: never[]) => unknown): DenoCallback;
  threadSafe(definition: DenoSignature, fn: (...args: never[]) => unknown): DenoCallback;
}
interface DenoSignature {
  parameters: string[];
  result: string;
}
interface DenoSymbolDefinition extends DenoSignature {
  name?: string;
  nonblocking?: boolean;
}
interface DenoDynamicLibrary {
  symbols: Record<string, (...args: unknown[]) => unknown>;
  close(): void;
}
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, DenoSymbolDefinition>): DenoDynamicLibrary;
  UnsafePointer: DenoPointerApi;
  UnsafePointerView: { getArrayBuffer(pointer: object, length: number, offset?: number): ArrayBuffer; getCString(pointer: object): string };
  UnsafeCallback: DenoCallbackConstructor;
}

function deno(): DenoFfi {
  const global = globalThis as { Deno?: Partial<DenoFfi> };
  if (typeof global.Deno?.dlopen !== 'function') throw new Error("engine 'deno' needs Deno (Deno.dlopen is absent here)");
  return global.Deno as DenoFfi;
}

const SCALARS: Record<string, string> = {
  bool: 'bool',
  int8_t: 'i8',
  uint8_t: 'u8',
  int16_t: 'i16',
  uint16_t: 'u16',
  int32_t: 'i32',
  uint32_t: 'u32',
  int64_t: 'i64',
  uint64_t: 'u64',
  size_t: 'usize',
  uintptr_t: 'usize',
  float: 'f32',
  double: 'f64',
  void: 'void',
};
const OPAQUE_NAMES: ReadonlySet<string> = new Set(OPAQUES);

type Kind = 'scalar' | 'wide' | 'data' | 'handle' | 'callback';

/** 64-bit integer parameters: Deno's fast call path takes them as BigInts (~5 ns), Numbers cost ~30 ns each. */
const WIDE: ReadonlySet<string> = new Set(['size_t', 'uintptr_t', 'uint64_t', 'int64_t']);

function kindOf(param: ParsedParam): Kind {
  if (param.pointers === 0) return WIDE.has(param.base) ? 'wide' : 'scalar';
  if (param.pointers === 1 && param.base in CALLBACKS) return 'callback';
  if (param.pointers === 1 && OPAQUE_NAMES.has(param.base)) return 'handle';
  return 'data';
}

function denoType(param: ParsedParam, kind: Kind, address: boolean): string {
  if (kind === 'scalar' || kind === 'wide') {
    const type = SCALARS[param.base];
    if (type === undefined) throw new Error(`mylib (deno engine): no Deno type for C type '${param.base}'`);
    return type;
  }
  if (kind === 'callback') return 'function';
  if (kind === 'handle' || address) return 'usize';
  return 'buffer';
}

/** Deno signatures of the callback types, from CALLBACKS. */
const CALLBACK_SIGNATURES: Record<string, DenoSignature> = Object.fromEntries(
  Object.entries(CALLBACKS).map(([name, prototype]) => {
    const parsed = parsePrototype(prototype);
    const type = (p: ParsedParam) => denoType(p, kindOf(p), true);
    return [name, { parameters: parsed.params.map(type), result: type(parsed.result) }];
  }),
);

interface Plan {
  kinds: Kind[];
  /** Indexes of parameters passed as BigInt: 64-bit integers and handles. */
  wide: number[];
  callbackTypes: Array<string | undefined>;
  /** Indexes of data-pointer parameters. */
  data: number[];
  callbacks: number[];
  returnsPointer: boolean;
  /** A `const char *` result, read as a string. */
  returnsString: boolean;
}

function planOf(prototype: string): Plan {
  const parsed = parsePrototype(prototype);
  const kinds = parsed.params.map(kindOf);
  return {
    kinds,
    wide: kinds.flatMap((kind, i) => (kind === 'wide' || kind === 'handle' ? [i] : [])),
    callbackTypes: parsed.params.map((p, i) => (kinds[i] === 'callback' ? p.base : undefined)),
    data: kinds.flatMap((kind, i) => (kind === 'data' ? [i] : [])),
    callbacks: kinds.flatMap((kind, i) => (kind === 'callback' ? [i] : [])),
    returnsPointer: parsed.result.pointers > 0,
    returnsString: isStringResult(parsed.result),
  };
}

function definitionsFor(name: string, prototype: string): Record<string, DenoSymbolDefinition> {
  const parsed = parsePrototype(prototype);
  const kinds = parsed.params.map(kindOf);
  const result = parsed.result.pointers > 0 ? 'usize' : denoType(parsed.result, 'scalar', false);
  const parameters = (address: boolean) => parsed.params.map((p, i) => denoType(p, kinds[i]!, address));
  return {
    [name]: { name, parameters: parameters(false), result },
    [`${name}$address`]: { name, parameters: parameters(true), result },
    [`${name}$async`]: { name, parameters: parameters(false), result, nonblocking: true },
    [`${name}$async$address`]: { name, parameters: parameters(true), result, nonblocking: true },
  };
}

/**
 * A function of fixed arity built from source. A rest-parameter wrapper with a loop over the
 * arguments cost 100-170 ns more per call than this straight-line form.
 */
function compile(params: string[], body: string, scope: Record<string, unknown>): (...args: never[]) => unknown {
  const names = Object.keys(scope);
  // eslint-disable-next-line no-new-func -- built only from the table's parameter counts and kinds
  const factory = new Function(...names, `return function (${params.join(', ')}) { ${body} };`) as (...values: unknown[]) => (...args: never[]) => unknown;
  return factory(...names.map((name) => scope[name]));
}

/**
 * The synchronous wrapper of a function without callbacks: 64-bit integers and handles become
 * BigInts inline; a call with an address or a pointer in a data parameter takes `generic`.
 */
function fastWrapper(plan: Plan, direct: unknown, generic: unknown, finish: (value: unknown) => unknown): (...args: never[]) => unknown {
  const names = plan.kinds.map((_, i) => `a${i}`);
  const needsAddress = plan.data.map((i) => `(a${i} !== null && typeof a${i} !== 'object')`);
  const converted = plan.kinds.map((kind, i) =>
    kind === 'wide' ? `(typeof a${i} === 'number' ? BigInt(a${i}) : a${i})` : kind === 'handle' ? `(a${i} === null ? 0n : a${i})` : `a${i}`,
  );
  const call = `direct(${converted.join(', ')})`;
  const body = `${needsAddress.length ? `if (${needsAddress.join(' || ')}) return generic(${names.join(', ')});` : ''} return ${plan.returnsPointer ? `finish(${call})` : call};`;
  return compile(names, body, { direct, generic, finish });
}

function declare(ffi: DenoFfi, library: DenoDynamicLibrary): EngineLibrary {
  const { symbols } = library;
  const toAddress = (value: unknown): unknown => {
    if (value === null || value === undefined) return 0;
    if (ArrayBuffer.isView(value)) return ffi.UnsafePointer.value(ffi.UnsafePointer.of(value));
    return value;
  };
  const wide = (value: unknown): unknown => (typeof value === 'number' ? BigInt(value) : value === null ? 0n : value);
  const toPointer = (value: unknown): Pointer | null => {
    const big = typeof value === 'bigint' ? value : BigInt(value as number);
    return big === 0n ? null : big;
  };
  const toText = (value: unknown): unknown => {
    const pointer = ffi.UnsafePointer.create(typeof value === 'bigint' ? value : BigInt(value as number));
    if (pointer === null) throw new Error('mylib (deno engine): a string result was NULL');
    return ffi.UnsafePointerView.getCString(pointer);
  };
  const finisher = (plan: Plan) => (plan.returnsString ? toText : plan.returnsPointer ? toPointer : (value: unknown) => value);

  /** Arguments for the symbol: callbacks made (and returned for closing), addresses if needed. */
  const prepare = (plan: Plan, args: unknown[], threadSafe: boolean): { args: unknown[]; address: boolean; made: DenoCallback[] } => {
    let address = false;
    for (const i of plan.data) {
      const value = args[i];
      if (value !== null && typeof value !== 'object') address = true;
    }
    const made: DenoCallback[] = [];
    const out = args;
    for (const i of plan.wide) out[i] = wide(args[i]);
    if (plan.callbacks.length > 0 || address) {
      for (const i of plan.callbacks) {
        const fn = args[i];
        if (typeof fn !== 'function') {
          out[i] = null;
          continue;
        }
        const signature = CALLBACK_SIGNATURES[plan.callbackTypes[i]!]!;
        const callback = threadSafe
          ? ffi.UnsafeCallback.threadSafe(signature, fn as (...a: never[]) => unknown)
          : new ffi.UnsafeCallback(signature, fn as (...a: never[]) => unknown);
        made.push(callback);
        out[i] = callback.pointer;
      }
      if (address) for (const i of plan.data) out[i] = wide(toAddress(args[i]));
    }
    return { args: out, address, made };
  };

  const plans = new Map<string, Plan>();
  const raw: Record<string, unknown> = {};
  for (const [name, prototype] of Object.entries(DECLARATIONS)) {
    const plan = planOf(prototype);
    plans.set(name, plan);
    const direct = symbols[name]!;
    const viaAddress = symbols[`${name}$address`]!;
    const finish = finisher(plan);
    if (plan.data.length === 0 && plan.callbacks.length === 0 && plan.wide.length === 0 && !plan.returnsPointer) {
      raw[name] = direct;
      continue;
    }
    const generic = (...args: unknown[]) => {
      const call = prepare(plan, args, false);
      try {
        return finish((call.address ? viaAddress : direct)(...call.args));
      } finally {
        for (const callback of call.made) callback.close();
      }
    };
    raw[name] = plan.callbacks.length > 0 ? generic : fastWrapper(plan, direct, generic, finish);
  }
  const addressed: Record<string, unknown> = {};
  for (const name of ADDRESS_FORMS) {
    const count = planOf(DECLARATIONS[name]).kinds.length;
    const names = Array.from({ length: count }, (_, i) => `a${i}`);
    // Most arguments repeat from call to call (the scratch block's addresses, its capacity): each
    // position keeps its last Number and BigInt, so only a changed value is converted.
    const cache = names.map((a) => `if (${a} !== n_${a}) { n_${a} = ${a}; b_${a} = BigInt(${a}); }`).join(' ');
    const state = names.map((a) => `let n_${a} = -1, b_${a} = 0n;`).join(' ');
    const factory = compile([], `${state} return function (${names.join(', ')}) { ${cache} return symbol(${names.map((a) => `b_${a}`).join(', ')}); };`, {
      symbol: symbols[`${name}$address`],
    }) as () => unknown;
    addressed[name] = factory();
  }

  return {
    engine: 'deno',
    raw: raw as RawFunctions,
    addressed: addressed as AddressFunctions,
    async callAsync(name: SymbolName, args: readonly unknown[]): Promise<unknown> {
      const plan = plans.get(name)!;
      const call = prepare(plan, [...args], true);
      try {
        const fn = symbols[call.address ? `${name}$async$address` : `${name}$async`]!;
        const result = await (fn(...call.args) as Promise<unknown>);
        return finisher(plan)(result);
      } finally {
        for (const callback of call.made) callback.close();
      }
    },
    view(pointer: Pointer, length: number): ArrayBuffer {
      const native = ffi.UnsafePointer.create(pointer);
      if (native === null) throw new Error('mylib (deno engine): view of a NULL pointer');
      return ffi.UnsafePointerView.getArrayBuffer(native, length);
    },
    unload: () => library.close(),
  };
}

export const denoEngine: Engine = {
  name: 'deno',
  open(path: string): OpenedLibrary {
    const ffi = deno();
    const handshake = ffi.dlopen(path, { mylib_abi_version: { parameters: [], result: 'u32' } });
    let open = true;
    const close = () => {
      if (open) handshake.close();
      open = false;
    };
    return {
      abiVersion: () => handshake.symbols.mylib_abi_version!() as number,
      declare(): EngineLibrary {
        const definitions: Record<string, DenoSymbolDefinition> = {};
        for (const [name, prototype] of Object.entries(DECLARATIONS)) Object.assign(definitions, definitionsFor(name, prototype));
        let library: DenoDynamicLibrary;
        try {
          library = ffi.dlopen(path, definitions);
        } finally {
          close();
        }
        return declare(ffi, library);
      },
      unload: close,
    };
  },
};

/** Makes the engine selectable (called by the loader). */
export function registerDenoEngine(): void {
  registerEngine('deno', () => {
    deno();
    return denoEngine;
  });
}
