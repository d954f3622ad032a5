import { renderTable, toJsonLine, type Figure } from './figure.js';
import { suites } from './suites/index.js';

/**
 * Runs the named suites (all when none is named) and returns their figures. JSON lines go to `out` as
 * figures arrive; the table for people follows at the end.
 */
export async function runSuites(
  names: readonly string[],
  out: (line: string) => void,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<Figure[]> {
  const chosen = names.length === 0 ? [...suites.keys()] : names;
  const unknown = chosen.filter((n) => !suites.has(n));
  if (unknown.length > 0) {
    throw new Error(`unknown suite(s): ${unknown.join(', ')}; known: ${[...suites.keys()].join(', ')}`);
  }
  const figures: Figure[] = [];
  for (const name of chosen) {
    const suite = suites.get(name)!;
    log(`# ${suite.name}: ${suite.description}`);
    await suite.run({
      emit: (f) => {
        figures.push(f);
        out(toJsonLine(f));
      },
      log,
      signal,
    });
  }
  out('');
  out(renderTable(figures));
  return figures;
}
