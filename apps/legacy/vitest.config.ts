import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'legacy',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
