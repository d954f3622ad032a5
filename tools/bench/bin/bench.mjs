#!/usr/bin/env node
// npm run bench -- [suite ...]: runs benchmark suites, printing one JSON line per figure, then a table.
import { runSuites, suites } from '../dist/index.js';

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (process.argv.includes('--list')) {
  for (const s of suites.values()) console.log(`${s.name}\t${s.description}`);
  process.exit(0);
}
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
try {
  await runSuites(names, (l) => console.log(l), (l) => console.error(l), controller.signal);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
