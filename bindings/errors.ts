/**
 * Errors thrown for failed calls: the ONE place a status becomes an exception (MylibError, or
 * for a cancelled call the callback's error or the signal's reason). Argument checks live in
 * _checks.ts.
 */
import { CONSTANTS, STATUS_NAMES, Status, type StatusName } from './raw.ts';

/** A call that Rust reported as failed (status != MYLIB_OK), including a caught Rust panic. */
export class MylibError extends Error {
  /** `MYLIB_ERR_PANIC`, `MYLIB_ERR_INVALID_UTF8`...; `MYLIB_ERR_UNKNOWN_<n>` for a status these bindings do not know. */
  readonly code: Exclude<StatusName, 'MYLIB_OK'> | `MYLIB_ERR_UNKNOWN_${number}`;
  /** The numeric status (stable: docs/conventions.md and include/mylib.h list them). */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'MylibError';
    this.status = status;
    this.code = (STATUS_NAMES[status] as Exclude<StatusName, 'MYLIB_OK'> | undefined) ?? `MYLIB_ERR_UNKNOWN_${status}`;
  }
}

/** @internal Bytes of the err buffer every fallible export writes its message into: never too short. */
export const ERR_CAP = CONSTANTS.MYLIB_ERR_MAX_LEN + 1;

/** @internal The MylibError for a failed `status`, with the NUL-terminated message the call wrote to `err`. */
export function errorFrom(status: number, err: Buffer): MylibError {
  const end = err.indexOf(0);
  const message = err.toString('utf8', 0, end === -1 ? ERR_CAP : end);
  return new MylibError(status, message || `mylib call failed with status ${status}`);
}

/**
 * @internal Throws for a failed `status`: the MylibError with the message from `err`, or for CANCELLED
 * what `cancelled` makes of it (a progress callback's own error, an AbortSignal's reason).
 */
export function check(status: number, err: Buffer, cancelled?: (error: MylibError) => unknown): void {
  if (status === Status.OK) return;
  const error = errorFrom(status, err);
  throw status === Status.CANCELLED && cancelled ? cancelled(error) : error;
}
