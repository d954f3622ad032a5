/**
 * The once-per-process deprecation warning of each legacy path.
 *
 * @internal
 */
import { legacyPaths } from './paths.js';

/** How many renames the warning's detail lists before it refers to the README. */
const maxRenamesShown = 4;

const registryKey = Symbol.for('vmkit.legacy.warned');

/**
 * The codes already emitted in this process. Kept on `globalThis` under a `Symbol.for` key so that two
 * copies of this package (or a module registry that a test runner resets) still warn once per path.
 */
function emitted(): Set<string> {
  const holder = globalThis as { [registryKey]?: Set<string> };
  holder[registryKey] ??= new Set<string>();
  return holder[registryKey];
}

/**
 * Emits the `DeprecationWarning` of a legacy path the first time it is loaded in this process; later
 * calls do nothing. Node prints it once on stderr unless run with `--no-deprecation`, and
 * `process.on('warning')` sees it with its stable `code`.
 */
export function warnLegacyPath(path: string): void {
  const entry = legacyPaths.find((p) => p.path === path);
  if (entry === undefined) throw new Error(`@vmkit/legacy: no table entry for ${path}`);
  const seen = emitted();
  if (seen.has(entry.code)) return;
  seen.add(entry.code);
  const renames = Object.entries(entry.names).map(([old, target]) => {
    const [pkg, name] = target.split('#');
    return `${old} -> ${name} from '${pkg}'`;
  });
  const shown = renames.slice(0, maxRenamesShown).join('; ');
  const more = renames.length > maxRenamesShown ? ` and ${renames.length - maxRenamesShown} more (the README of @vmkit/legacy maps them all)` : '';
  const detail = renames.length > 0 ? `The same objects under their new names: ${shown}${more}.` : undefined;
  process.emitWarning(
    `'@vmkit/legacy/${entry.path}' (${entry.was}) is deprecated: import from ${entry.use.map((u) => `'${u}'`).join(' or ')} instead.`,
    detail === undefined ? { type: 'DeprecationWarning', code: entry.code } : { type: 'DeprecationWarning', code: entry.code, detail },
  );
}
