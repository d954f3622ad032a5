import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'vmdk-driver',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
