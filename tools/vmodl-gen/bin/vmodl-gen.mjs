#!/usr/bin/env node
// vmodl-gen --schema <vmodl.json> --out <folder> [--check]: generates @vmkit/vim's bindings from the schema
// JSON (tools/vmodl-gen/README.md). Runs the built generator; `npm run gen -w @vmkit/vim` builds it first.
let generator;
try {
  generator = await import('../dist/index.js');
} catch (err) {
  console.error('vmodl-gen: the generator is not built; run `npm run build -w @vmkit/vmodl-gen`');
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
process.exitCode = await generator.main(process.argv.slice(2));
