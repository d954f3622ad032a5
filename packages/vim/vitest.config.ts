import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'vim',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
