// Copies the simulator harness (@vmkit/vcsim's built Node helper and its Go sources) into dist/vcsim, so
// that the published `vmkit` starts the embedded simulator by default like the repository's does.
// @vmkit/vcsim is a private workspace (a development dependency of the CLI): it is never published,
// so its files travel inside the CLI's tarball instead.
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const harness = dirname(createRequire(import.meta.url).resolve('@vmkit/vcsim/package.json'));
const target = join(cliDir, 'dist', 'vcsim');

await rm(target, { recursive: true, force: true });
await mkdir(join(target, 'dist'), { recursive: true });
await mkdir(join(target, 'go'), { recursive: true });
for (const name of await readdir(join(harness, 'dist'))) {
  // The helper's modules only: no tests, no declarations, no maps.
  if (name.endsWith('.js') && !name.includes('test')) await cp(join(harness, 'dist', name), join(target, 'dist', name));
}
for (const name of await readdir(join(harness, 'go'))) {
  if (name.endsWith('.go') && !name.endsWith('_test.go')) await cp(join(harness, 'go', name), join(target, 'go', name));
}
