import { defineConfig } from 'vitest/config';

// chDB allows one data directory per process, so every test file runs in its own forked process.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
