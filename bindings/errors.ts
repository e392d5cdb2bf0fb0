/** Errors thrown by the typed layer. */
import { STATUS_NAMES } from './raw.ts';

/** A call that Rust reported as failed (status != MYLIB_OK), including a caught Rust panic. */
export class MylibError extends Error {
  /** `MYLIB_ERR_PANIC`, `MYLIB_ERR_INVALID_UTF8`... */
  readonly code: string;
  /** The numeric status (stable, see the README). */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'MylibError';
    this.status = status;
    this.code = STATUS_NAMES[status] ?? `MYLIB_ERR_UNKNOWN_${status}`;
  }
}

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
