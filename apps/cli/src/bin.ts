#!/usr/bin/env node
import { main } from './main.js';

const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // The first interrupt lets the command clean up; a second one leaves at once.
    if (++interrupts > 1) process.exit(130);
    controller.abort(new Error(`interrupted by ${sig}`));
  });
}
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, controller.signal);
