/**
 * The ways a levenshteinAsync call stops early, checked the same way by every engine's smoke
 * test (smoke.ts on Bun and Deno, node-ffi-smoke.ts on Node 26): the progress callback returns
 * false, throws, or aborts the call's signal.
 */
import assert from 'node:assert/strict';
import { levenshteinAsync } from '../../bindings/index.ts';

export async function assertLevenshteinAsyncStops(a: string, b: string): Promise<void> {
  await assert.rejects(levenshteinAsync(a, b, { onProgress: () => false }), { code: 'MYLIB_ERR_CANCELLED' });
  const boom = new Error('the progress callback failed');
  await assert.rejects(
    levenshteinAsync(a, b, {
      onProgress: () => {
        throw boom;
      },
    }),
    (error) => error === boom,
  );
  const controller = new AbortController();
  const reason = new Error('stop');
  await assert.rejects(levenshteinAsync(a, b, { signal: controller.signal, onProgress: () => controller.abort(reason) }), (error) => error === reason);
}
