// The slice of the WebAssembly global that the wasm checks use, typed: tsconfig has no DOM lib
// and @types/node 20 declares no WebAssembly global (bench/lib/wasm.ts does the same in TS).

/**
 * @typedef {object} WebAssemblyApi
 * @property {{ new (bytes: Uint8Array): object, imports(module: object): Array<{ module: string, name: string, kind: string }>, exports(module: object): Array<{ name: string, kind: string }> }} Module
 * @property {new (module: object, imports: object) => { exports: Record<string, any> }} Instance
 * @property {ErrorConstructor} RuntimeError
 */

/** @type {WebAssemblyApi} */
export const WebAssembly = /** @type {{ WebAssembly: WebAssemblyApi }} */ (/** @type {unknown} */ (globalThis)).WebAssembly;
