/**
 * Internal: what the handle classes may use of the Mylib instance they belong to. Each Mylib
 * registers its context here; nothing of it is a public member of Mylib. Not public API.
 */
import type { Mylib } from './library.ts';
import type { CallBuffers } from './_marshal.ts';
import type { Executors } from './_plan.ts';
import type { Pointer, RawFunctions } from './raw.ts';

/** Native objects owned by one library instance: freed on close(), by GC, or at unload(). */
export class NativeObjects {
  #next = 1;
  readonly #live = new Map<number, { pointer: Pointer; free: (pointer: Pointer) => void }>();
  readonly #registry = new FinalizationRegistry<number>((id) => this.release(id));

  add(owner: object, pointer: Pointer, free: (pointer: Pointer) => void): number {
    const id = this.#next++;
    this.#live.set(id, { pointer, free });
    this.#registry.register(owner, id, owner);
    return id;
  }

  pointer(id: number): Pointer | undefined {
    return this.#live.get(id)?.pointer;
  }

  release(id: number, owner?: object): void {
    const entry = this.#live.get(id);
    if (!entry) return;
    this.#live.delete(id);
    if (owner) this.#registry.unregister(owner);
    entry.free(entry.pointer);
  }

  releaseAll(): void {
    for (const id of [...this.#live.keys()]) this.release(id);
  }

  get size(): number {
    return this.#live.size;
  }
}

export interface LibraryContext extends Executors {
  /** The current functions (they throw after unload()). */
  readonly raw: RawFunctions;
  /** Shared err buffer and out-params for synchronous calls. */
  readonly sync: CallBuffers;
  /** Native objects made through this instance: freed on close(), by GC, or at unload(). */
  readonly objects: NativeObjects;
  /** Encodes into the shared input scratch (synchronous calls without callbacks only). */
  encode(text: string): [Buffer, number];
  /** `length` bytes of library-owned memory at `pointer`, without copying (the engine's view). */
  view(pointer: Pointer, length: number): ArrayBuffer;
  /** Runs `listener` once, when unload() starts (before the functions stop working). */
  onUnload(listener: () => void): void;
}

const contexts = new WeakMap<Mylib, LibraryContext>();

export function registerContext(library: Mylib, context: LibraryContext): void {
  contexts.set(library, context);
}

/** The context of `library`; a TypeError names `fn` when it is not a Mylib from open(). */
export function contextOf(fn: string, library: Mylib): LibraryContext {
  const context = contexts.get(library);
  if (!context) throw new TypeError(`${fn}: option 'library' must be an instance returned by open() or library()`);
  return context;
}

/** Live native objects of `library` (tests and leak checks). */
export function liveObjects(library: Mylib): number {
  return contexts.get(library)?.objects.size ?? 0;
}

let defaultLibraryProvider: () => Mylib = () => {
  throw new Error('mylib: no default library provider');
};

/** Set by index.ts: how handles find the default library. */
export function setDefaultLibraryProvider(provider: () => Mylib): void {
  defaultLibraryProvider = provider;
}

export function defaultLibrary(): Mylib {
  return defaultLibraryProvider();
}
