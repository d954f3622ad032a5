import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'transfer',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
