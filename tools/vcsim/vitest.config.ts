import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'vcsim',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
