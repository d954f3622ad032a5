/** Options of a connector call that does I/O. */
export interface ConnectorCallOptions {
  signal?: AbortSignal;
}

/** Options of a detach. */
export interface DisconnectOptions extends ConnectorCallOptions {
  /** Go on with the remaining steps when one fails (os-brick's `force`); the first failure is still thrown at the end. */
  force?: boolean;
}

/**
 * What every connector does, after os-brick's `InitiatorConnector`: attach a volume to this host
 * (`connectVolume` resolves with the device info), detach it again, and answer questions about it.
 */
export interface Connector<Info, Device> {
  /** The protocol, upper-case (`VMDK`, `ISCSI`). */
  readonly protocol: string;
  /** Attaches the volume described by `info` to this host. */
  connectVolume(info: Info, options?: ConnectorCallOptions): Promise<Device>;
  /** Detaches what {@link Connector.connectVolume} attached. */
  disconnectVolume(info: Info, device: Device, options?: DisconnectOptions): Promise<unknown>;
  /** Makes the host see a volume's new size and resolves with it in bytes, where the protocol allows it. */
  extendVolume(info: Info, options?: ConnectorCallOptions): Promise<number>;
  /** The local paths where this volume is attached now (none when it is not). */
  getVolumePaths(info: Info, options?: ConnectorCallOptions): Promise<string[]>;
  /** Whether a path is an attached device (or file) that can be read. */
  checkValidDevice(path: string, options?: ConnectorCallOptions): Promise<boolean>;
}
