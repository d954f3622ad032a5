import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The committed schema JSON. */
export const schemaPath = fileURLToPath(new URL('../../../packages/vim/schema/vmodl.json', import.meta.url));
/** The committed generated bindings. */
export const generatedDir = fileURLToPath(new URL('../../../packages/vim/src/generated/', import.meta.url));
/** The dump script. */
export const dumpScript = fileURLToPath(new URL('../dump/dump_pyvmomi.py', import.meta.url));
