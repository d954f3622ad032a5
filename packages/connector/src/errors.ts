import { VimError, type VimErrorOptions } from '@vmkit/vim';

/**
 * The base of every error `@vmkit/connector` throws itself (faults from the server keep their
 * `@vmkit/vim` classes and travel as `cause`). Branch on `code`:
 *
 * - `VMKIT_CONNECTOR_INVALID_OPTIONS`: options or `connection_info` that cannot work (e.g.
 *   `enforceMultipath` without `multipath`, a missing field).
 * - `VMKIT_CONNECTOR_BAD_DEVICE_INFO`: the device info given to a detach is not one an attach returned,
 *   or its file is gone.
 * - The subclasses' codes below.
 */
export class ConnectorError extends VimError {
  constructor(message: string, code = 'VMKIT_CONNECTOR_ERROR', options?: VimErrorOptions) {
    super(message, code, options);
  }
}

/** No connector for this protocol (code `VMKIT_CONNECTOR_UNSUPPORTED_PROTOCOL`). */
export class UnsupportedProtocolError extends ConnectorError {
  /** The protocol asked for, as given. */
  readonly protocol: string;
  constructor(protocol: string, supported: readonly string[]) {
    super(`no connector for protocol ${JSON.stringify(protocol)}; supported: ${supported.join(', ')}`, 'VMKIT_CONNECTOR_UNSUPPORTED_PROTOCOL');
    this.protocol = protocol;
  }
}

/** The connector cannot do this operation (code `VMKIT_CONNECTOR_NOT_SUPPORTED`), e.g. extending a VMDK attachment. */
export class OperationNotSupportedError extends ConnectorError {
  /** The operation, e.g. `extendVolume`. */
  readonly operation: string;
  constructor(operation: string, message: string) {
    super(message, 'VMKIT_CONNECTOR_NOT_SUPPORTED');
    this.operation = operation;
  }
}

/**
 * The volume's backing VM has snapshots, so its disk cannot be replaced without losing them (code
 * `VMKIT_CONNECTOR_BACKING_HAS_SNAPSHOTS`). Nothing was changed; the local file is kept.
 */
export class BackingHasSnapshotsError extends ConnectorError {
  /** The backing VM's managed object id. */
  readonly backing: string;
  constructor(backing: string) {
    super(`the backing VM ${backing} has snapshots: its disk cannot be replaced without losing them; nothing was changed`, 'VMKIT_CONNECTOR_BACKING_HAS_SNAPSHOTS');
    this.backing = backing;
  }
}

/**
 * The clone ticket in `connection_info` was refused: expired, used already, or from another server
 * (code `VMKIT_CONNECTOR_TICKET_REFUSED`). Ask the driver for a new connection (a new ticket). The
 * server's fault is the `cause`; the ticket itself is never in the message.
 */
export class TicketRefusedError extends ConnectorError {
  constructor(options: VimErrorOptions) {
    super('the server refused the clone ticket (expired, already used, or not from this server); get a new connection_info', 'VMKIT_CONNECTOR_TICKET_REFUSED', options);
  }
}

/**
 * A detach could not remove everything it should have (code `VMKIT_CONNECTOR_CLEANUP_INCOMPLETE`).
 * `committed` says whether the volume holds the new data (the swap happened and only the old disk file
 * remains) or is unchanged (the detach failed, `cause` says why, and a temporary object remains);
 * `leftovers` names what remains (datastore paths, VMs) for an operator to remove.
 */
export class CleanupIncompleteError extends ConnectorError {
  /** What was left behind: datastore paths (`[ds] dir/file.vmdk`) and VMs (`VirtualMachine:vm-42`). */
  readonly leftovers: readonly string[];
  /** True when the volume holds the new disk; false when it is unchanged. */
  readonly committed: boolean;
  constructor(message: string, leftovers: readonly string[], options: VimErrorOptions & { committed: boolean }) {
    super(`${message}; left behind: ${leftovers.join(', ')}`, 'VMKIT_CONNECTOR_CLEANUP_INCOMPLETE', options);
    this.leftovers = leftovers;
    this.committed = options.committed;
  }
}

/** A host command failed or could not be run (code `VMKIT_CONNECTOR_COMMAND_FAILED`). */
export class CommandFailedError extends ConnectorError {
  /** The program and its arguments. */
  readonly command: readonly string[];
  /** The exit code, when the program ran. */
  readonly exitCode: number | undefined;
  /** The end of its standard error output. */
  readonly stderr: string;
  constructor(command: readonly string[], exitCode: number | undefined, stderr: string, options?: VimErrorOptions) {
    const what = exitCode === undefined ? 'could not be run' : `exited with code ${exitCode}`;
    super(`${command.join(' ')} ${what}${stderr.trim() === '' ? '' : `: ${stderr.trim().slice(-500)}`}`, 'VMKIT_CONNECTOR_COMMAND_FAILED', options);
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** The attached device did not appear in time (code `VMKIT_CONNECTOR_DEVICE_NOT_FOUND`). */
export class DeviceNotFoundError extends ConnectorError {
  /** The paths waited for. */
  readonly paths: readonly string[];
  constructor(paths: readonly string[], options?: VimErrorOptions) {
    super(`no device appeared at ${paths.join(' or ')}`, 'VMKIT_CONNECTOR_DEVICE_NOT_FOUND', options);
    this.paths = paths;
  }
}
