/**
 * The table of legacy paths: one entry per subpath of `@vmkit/legacy`, kept in `paths.json` so that the
 * repository's lint config reads the same table for its messages.
 *
 * @internal
 */
import table from './paths.json' with { type: 'json' };

/** One legacy import path: where it came from, what replaces it, and every old name's fate. */
export interface LegacyPath {
  /** The subpath under `@vmkit/legacy/`, the old module's path (e.g. `cinder/volume/drivers/vmware/api`). */
  readonly path: string;
  /** The Python module(s) the path stands for. */
  readonly was: string;
  /** The stable `code` of the path's `DeprecationWarning` (`VMKIT_LEGACY_` and the path in upper case). */
  readonly code: string;
  /** The vmkit packages to import from instead. */
  readonly use: readonly string[];
  /** Old name -> `package#newName`: the subpath exports the old name as that very object. */
  readonly names: Readonly<Record<string, string>>;
  /** Old names whose replacement has not landed yet -> the package expected to provide it. */
  readonly pending: Readonly<Record<string, string>>;
  /** Old names with no counterpart -> what to do instead. */
  readonly removed: Readonly<Record<string, string>>;
}

/**
 * Every legacy path, in the order of the README's table. (JSON imports are typed by their literal shape,
 * not by this interface; the package's tests check every entry's shape.)
 */
export const legacyPaths: readonly LegacyPath[] = table as unknown as readonly LegacyPath[];
