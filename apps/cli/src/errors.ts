import { VimError, type VimErrorOptions } from '@vmkit/vim';

/** Bad command-line arguments (code `VMKIT_CLI_USAGE`); exits with {@link ExitCode.usage}. */
export class UsageError extends VimError {
  constructor(message: string, options?: VimErrorOptions) {
    super(message, 'VMKIT_CLI_USAGE', options);
  }
}

/**
 * No volume (a backing VM carrying `cinder.volume.id`) answers to the id or name given (code
 * `VMKIT_CLI_VOLUME_NOT_FOUND`); exits with {@link ExitCode.notFound}.
 */
export class VolumeNotFoundError extends VimError {
  /** The id or name that was looked up. */
  readonly volume: string;
  constructor(volume: string, options?: VimErrorOptions) {
    super(`no volume ${JSON.stringify(volume)}`, 'VMKIT_CLI_VOLUME_NOT_FOUND', options);
    this.volume = volume;
  }
}

/** The volume has no snapshot of that name (code `VMKIT_CLI_SNAPSHOT_NOT_FOUND`); exits with {@link ExitCode.notFound}. */
export class SnapshotNotFoundError extends VimError {
  constructor(volume: string, snapshot: string, options?: VimErrorOptions) {
    super(`volume ${volume} has no snapshot ${JSON.stringify(snapshot)}`, 'VMKIT_CLI_SNAPSHOT_NOT_FOUND', options);
  }
}

/**
 * The request conflicts with what the inventory holds (code `VMKIT_CLI_ALREADY_EXISTS` for a name in
 * use, `VMKIT_CLI_IN_USE` for a volume attached to this host, `VMKIT_CLI_CONFLICT` otherwise); exits
 * with {@link ExitCode.conflict}.
 */
export class ConflictError extends VimError {
  constructor(message: string, code: 'VMKIT_CLI_ALREADY_EXISTS' | 'VMKIT_CLI_IN_USE' | 'VMKIT_CLI_CONFLICT' = 'VMKIT_CLI_CONFLICT', options?: VimErrorOptions) {
    super(message, code, options);
  }
}
