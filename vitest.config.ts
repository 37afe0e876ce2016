import { defineConfig } from 'vitest/config';

// chDB allows one data directory per process, so every test file runs in its own forked process.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The README quick starts take the standard ports: vitest.quickstarts.config.ts runs them afterwards.
    exclude: ['test/quickstarts/**', 'node_modules/**'],
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
