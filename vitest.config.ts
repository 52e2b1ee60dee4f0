import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Emulator-backed suites (dynalite, moto) start their own servers per file; forks keep them isolated.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    sequence: { shuffle: { files: false, tests: true } },
  },
});
