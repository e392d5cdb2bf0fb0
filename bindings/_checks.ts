/** Internal: argument checks of the typed layer. Each error names the function and the argument. Not public API. */
import type { AbortSignalLike } from './ffi/typed.ts';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return typeof value;
}

export function checkArgumentCount(fn: string, expected: string, got: number, min: number, max = min): void {
  if (got < min || got > max) {
    throw new TypeError(`${fn}: expected ${min === max ? min : `${min} to ${max}`} argument(s) (${expected}), got ${got}`);
  }
}

export function checkString(fn: string, arg: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${fn}: argument '${arg}' must be a string, got ${describe(value)}`);
}

/** A non-negative integer (a count, an index, a size), or Infinity when `allowInfinity`. */
export function checkCount(fn: string, arg: string, value: unknown, { max = Number.MAX_SAFE_INTEGER, allowInfinity = false } = {}): number {
  if (typeof value !== 'number') throw new TypeError(`${fn}: argument '${arg}' must be a number, got ${describe(value)}`);
  if (allowInfinity && value === Infinity) return value;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${fn}: argument '${arg}' must be an integer from 0 to ${max}${allowInfinity ? ' or Infinity' : ''}, got ${value}`);
  }
  return value;
}

export function checkInt32(fn: string, arg: string, value: unknown): void {
  if (typeof value !== 'number') throw new TypeError(`${fn}: argument '${arg}' must be a number, got ${describe(value)}`);
  if ((value | 0) !== value) throw new RangeError(`${fn}: argument '${arg}' must be a 32-bit integer, got ${value}`);
}

export function checkFiniteNumber(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${fn}: argument '${arg}' must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${fn}: argument '${arg}' must be finite, got ${value}`);
  return value;
}

/**
 * A copy of a string array, checked element by element. Each element is read once, so a getter
 * or a later mutation cannot make the checked list differ from the one used.
 */
export function copyStringArray(fn: string, arg: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new TypeError(`${fn}: argument '${arg}' must be an array of strings, got ${describe(value)}`);
  const length = value.length;
  const copy = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    const element: unknown = value[i];
    if (typeof element !== 'string') {
      throw new TypeError(`${fn}: argument '${arg}[${i}]' must be a string, got ${describe(element)}`);
    }
    copy[i] = element;
  }
  return copy;
}

export function checkOptions(fn: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${fn}: argument 'options' must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function checkFunction(fn: string, arg: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${fn}: option '${arg}' must be a function, got ${describe(value)}`);
  }
}

export function checkSignal(fn: string, value: unknown): AbortSignalLike | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new TypeError(`${fn}: option 'signal' must be an AbortSignal, got ${describe(value)}`);
  return value;
}
