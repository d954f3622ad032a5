import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'vmodl-gen',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
