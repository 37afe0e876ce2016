import { defineConfig } from 'vitest/config';

// The README quick starts take the standard ports (4317, 4318, 8000), so they run on their own, after the
// main suite, one at a time.
export default defineConfig({
  test: {
    include: ['test/quickstarts/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 180_000,
  },
});
