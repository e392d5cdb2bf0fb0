// What the scripts print about anything thrown. `catch (error)` gives `unknown`: a thrown value
// need not be an Error (zx throws ProcessOutput, which has stderr).

/**
 * The message of a thrown value: `stderr` first when asked and present (a failed zx command),
 * then an Error's message, else the value as a string.
 * @param {unknown} error
 * @param {{ stderr?: boolean }} [options]
 * @returns {string}
 */
export function errorMessage(error, { stderr = false } = {}) {
  if (typeof error === 'object' && error !== null) {
    const fields = /** @type {{ stderr?: unknown, message?: unknown }} */ (error);
    if (stderr && typeof fields.stderr === 'string' && fields.stderr) return fields.stderr;
    if (typeof fields.message === 'string') return fields.message;
  }
  return String(error);
}

/**
 * `Name: message` of a thrown value (`TypeError: ...`), or the value as a string.
 * @param {unknown} error
 * @returns {string}
 */
export function errorSummary(error) {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
