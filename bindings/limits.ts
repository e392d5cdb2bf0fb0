/** Limits of the typed API that callers may want to know (re-exported by index.ts). */

/**
 * Async calls running at once, at most, process-wide, whatever the engine: koffi throws beyond
 * 256 (its `max_async_calls`, shared with any other koffi user in the process), and the other
 * engines' threads and workers are finite too. Later calls wait in order (see _async.ts).
 */
export const MAX_ASYNC_CALLS = 128;
