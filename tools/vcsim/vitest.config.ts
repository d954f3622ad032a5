import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'vcsim',
    // Budgets, not measurements: CI's two cores run every package's tests at once (and the simulator under them).
    testTimeout: 60_000,
    hookTimeout: 300_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
