import type { Simulator, SimulatorOptions } from '@vmkit/vcsim';

/**
 * Starts the embedded vCenter simulator. It is loaded on demand, so that commands given `--url` never
 * touch it.
 */
export async function startEmbeddedSimulator(options: SimulatorOptions): Promise<Simulator> {
  const { startSimulator } = await import('@vmkit/vcsim');
  return startSimulator(options);
}
