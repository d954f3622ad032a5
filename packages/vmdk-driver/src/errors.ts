import { VimError, type VimErrorOptions } from '@vmkit/vim';

/**
 * A driver option is missing, of the wrong type or out of range (code `VMKIT_DRIVER_INVALID_CONFIG`);
 * `option` names it by its Cinder name. A password's value never appears in the message.
 */
export class DriverConfigError extends VimError {
  /** The option, e.g. `vmware_host_port`. */
  readonly option: string;
  constructor(option: string, message: string, options?: VimErrorOptions) {
    super(`${option}: ${message}`, 'VMKIT_DRIVER_INVALID_CONFIG', options);
    this.option = option;
  }
}

/**
 * A volume type's extra spec or an image property has a value the driver does not accept
 * (code `VMKIT_DRIVER_INVALID_SPEC`).
 */
export class InvalidVolumeSpecError extends VimError {
  /** The extra spec or image property, e.g. `vmware:vmdk_type` or `vmware_adaptertype`. */
  readonly key: string;
  /** The value that was refused. */
  readonly value: string;
  constructor(key: string, value: string, allowed: readonly string[]) {
    super(`${key}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`, 'VMKIT_DRIVER_INVALID_SPEC');
    this.key = key;
    this.value = value;
  }
}

/**
 * No datastore (or no usable host) satisfies a volume's requirements (code
 * `VMKIT_DRIVER_NO_VALID_DATASTORE`): Cinder's `NoValidDatastoreException` and `NoValidHostException`.
 */
export class NoValidDatastoreError extends VimError {
  constructor(message: string, options?: VimErrorOptions) {
    super(message, 'VMKIT_DRIVER_NO_VALID_DATASTORE', options);
  }
}

/** A storage profile named by a volume type or the options does not exist (code `VMKIT_DRIVER_PROFILE_NOT_FOUND`). */
export class ProfileNotFoundError extends VimError {
  /** The profile's name. */
  readonly profile: string;
  constructor(profile: string, options?: VimErrorOptions) {
    super(`storage profile ${JSON.stringify(profile)} does not exist`, 'VMKIT_DRIVER_PROFILE_NOT_FOUND', options);
    this.profile = profile;
  }
}

/**
 * The volume's state or shape does not allow the operation (code `VMKIT_DRIVER_INVALID_VOLUME`), e.g. a
 * COW snapshot of an attached volume, or a linked clone of a volume in use: Cinder's `InvalidVolume`.
 */
export class InvalidVolumeError extends VimError {
  constructor(message: string, options?: VimErrorOptions) {
    super(message, 'VMKIT_DRIVER_INVALID_VOLUME', options);
  }
}

/**
 * The snapshot cannot be used as asked (code `VMKIT_DRIVER_INVALID_SNAPSHOT`), e.g. a revert to a
 * template-format snapshot, or its template is gone: Cinder's `InvalidSnapshot` and `TemplateNotFoundException`.
 */
export class InvalidSnapshotError extends VimError {
  constructor(message: string, options?: VimErrorOptions) {
    super(message, 'VMKIT_DRIVER_INVALID_SNAPSHOT', options);
  }
}

/**
 * `manageExisting` was given a reference that names no VM or disk (code
 * `VMKIT_DRIVER_MANAGE_INVALID_REFERENCE`): Cinder's `ManageExistingInvalidReference`.
 */
export class InvalidExistingReferenceError extends VimError {
  constructor(message: string, options?: VimErrorOptions) {
    super(message, 'VMKIT_DRIVER_MANAGE_INVALID_REFERENCE', options);
  }
}

/**
 * An image cannot become this volume (code `VMKIT_DRIVER_IMAGE_UNACCEPTABLE`): wrong container or disk
 * format, or a disk larger than the volume (`reason` says which): Cinder's `ImageUnacceptable`.
 */
export class ImageUnacceptableError extends VimError {
  /** `format`, `too-large` or `disk-type`. */
  readonly reason: 'format' | 'too-large' | 'disk-type';
  constructor(reason: 'format' | 'too-large' | 'disk-type', message: string, options?: VimErrorOptions) {
    super(message, 'VMKIT_DRIVER_IMAGE_UNACCEPTABLE', options);
    this.reason = reason;
  }
}

/**
 * The method needs vCenter and the driver is connected to a standalone ESX host (code
 * `VMKIT_DRIVER_VCENTER_REQUIRED`), e.g. a storage profile, or a relocation to another host.
 */
export class VcenterRequiredError extends VimError {
  /** What needed vCenter. */
  readonly operation: string;
  constructor(operation: string, options?: VimErrorOptions) {
    super(`${operation} needs vCenter; the driver is connected to a standalone ESX host`, 'VMKIT_DRIVER_VCENTER_REQUIRED', options);
    this.operation = operation;
  }
}

/** The driver was used before `doSetup` or after `close` (code `VMKIT_DRIVER_NOT_READY`). */
export class DriverNotReadyError extends VimError {
  constructor(message: string) {
    super(message, 'VMKIT_DRIVER_NOT_READY');
  }
}

/**
 * An operation failed and undoing its earlier steps failed too (code `VMKIT_DRIVER_CLEANUP_FAILED`):
 * something may be left behind, listed in `leftovers`. `cause` is the operation's own failure; the
 * cleanup failures are in `cleanupErrors`.
 */
export class CleanupFailedError extends VimError {
  /** What could not be undone, e.g. `delete the clone`. */
  readonly leftovers: readonly string[];
  /** Why each step could not be undone, in the order of `leftovers`. */
  readonly cleanupErrors: readonly unknown[];
  constructor(message: string, leftovers: readonly string[], cleanupErrors: readonly unknown[], options?: VimErrorOptions) {
    super(`${message}; could not undo: ${leftovers.join(', ')}`, 'VMKIT_DRIVER_CLEANUP_FAILED', options);
    this.leftovers = leftovers;
    this.cleanupErrors = cleanupErrors;
  }
}
