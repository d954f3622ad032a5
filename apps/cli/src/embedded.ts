import type { Simulator, SimulatorOptions, startSimulator } from '@vmkit/vcsim';
import { UsageError } from './errors.js';

/**
 * Starts the embedded vCenter simulator: the copy of the `@vmkit/vcsim` harness that the build puts in
 * `dist/vcsim` (scripts/embed-vcsim.mjs), since that workspace is private and never published. It builds
 * govmomi's simulator from Debian's packages on first use (installing them when run as root).
 */
export async function startEmbeddedSimulator(options: SimulatorOptions): Promise<Simulator> {
  let mod: { startSimulator: typeof startSimulator };
  try {
    mod = (await import(new URL('./vcsim/dist/index.js', import.meta.url).href)) as typeof mod;
  } catch (cause) {
    if ((cause as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw cause;
    throw new UsageError('this vmkit was built without its embedded simulator (dist/vcsim): give --url and --user of a vCenter or ESX host', { cause });
  }
  return mod.startSimulator(options);
}
