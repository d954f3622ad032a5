// Runs every package's tests from the root (`npx vitest`); turbo runs each package's own config instead.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tools/*'],
  },
});
