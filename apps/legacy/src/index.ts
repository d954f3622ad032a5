/**
 * `@vmkit/legacy`: the legacy import paths (Cinder's `volume/drivers/vmware/*`, Nova's vmwareapi helpers)
 * re-exported from the vmkit packages under their old names, so a consumer can move one import at a
 * time. Each path is a subpath export (`@vmkit/legacy/cinder/volume/drivers/vmware/api`, ...) that warns
 * once per process; this root entry only describes them and warns about nothing.
 *
 * @packageDocumentation
 */

/** Every legacy path with its warning code, its replacement packages and the fate of each old name. */
export { legacyPaths } from './paths.js';
/** One entry of {@link legacyPaths}. */
export type { LegacyPath } from './paths.js';
