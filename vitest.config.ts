import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native libraries: one process per test file, so a crash or unload stays contained.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
