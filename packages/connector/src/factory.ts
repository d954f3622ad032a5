import { UnsupportedProtocolError } from './errors.js';
import { IscsiConnector, type IscsiConnectorOptions } from './iscsi.js';
import { VmdkConnector, type VmdkConnectorOptions } from './vmdk/connector.js';

/** The protocols {@link createConnector} knows, in os-brick's upper-case spelling. */
export const connectorProtocols = ['VMDK', 'ISCSI'] as const;

/** A protocol {@link createConnector} knows. */
export type ConnectorProtocol = (typeof connectorProtocols)[number];

/** Options of {@link createConnector}: each protocol's connector options. */
export interface ConnectorFactoryOptions {
  vmdk?: VmdkConnectorOptions;
  iscsi?: IscsiConnectorOptions;
}

/**
 * The connector for a protocol, by name, case-insensitively (`vmdk`, `VMDK`, `iSCSI`...), as os-brick's
 * `InitiatorConnector.factory` does.
 *
 * @throws {@link UnsupportedProtocolError} for a protocol without a connector here.
 */
export function createConnector(protocol: 'VMDK' | 'vmdk', options?: ConnectorFactoryOptions): VmdkConnector;
export function createConnector(protocol: 'ISCSI' | 'iscsi' | 'iSCSI', options?: ConnectorFactoryOptions): IscsiConnector;
export function createConnector(protocol: string, options?: ConnectorFactoryOptions): VmdkConnector | IscsiConnector;
export function createConnector(protocol: string, options: ConnectorFactoryOptions = {}): VmdkConnector | IscsiConnector {
  switch (typeof protocol === 'string' ? protocol.trim().toUpperCase() : '') {
    case 'VMDK':
      return new VmdkConnector(options.vmdk);
    case 'ISCSI':
      return new IscsiConnector(options.iscsi);
    default:
      throw new UnsupportedProtocolError(String(protocol), connectorProtocols);
  }
}
