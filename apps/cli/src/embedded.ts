import type { Simulator, SimulatorOptions, startSimulator } from '@vmkit/vcsim';
import { UsageError } from './errors.js';

/**
 * Starts the embedded vCenter simulator. `@vmkit/vcsim` is a private workspace of the vmkit repository
 * (it builds govmomi's simulator from Debian's sources), so it is a development dependency: loaded on
 * demand, present in a checkout of the repository, absent from an install of the published package,
 * where every command needs `--url`.
 */
export async function startEmbeddedSimulator(options: SimulatorOptions): Promise<Simulator> {
  let mod: { startSimulator: typeof startSimulator };
  try {
    mod = await import('@vmkit/vcsim');
  } catch (cause) {
    if ((cause as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw cause;
    throw new UsageError('the embedded simulator comes with the vmkit repository, not with the published package: give --url and --user of a vCenter or ESX host', { cause });
  }
  return mod.startSimulator(options);
}
