import { defineConfig } from 'vitest/config';

export default defineConfig(({ mode }) => ({
  test: {
    // Native libraries: one process per test file, so a crash or unload stays contained.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    // The template test copies the repository twice and runs each copy's npm test: its own step
    // (npm run test:template, vitest --mode template).
    exclude: mode === 'template' ? ['**/node_modules/**'] : ['**/node_modules/**', 'test/template/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
}));
