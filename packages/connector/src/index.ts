/**
 * `@vmkit/connector`: a host-side connector in the manner of os-brick: the host's connector
 * (initiator) properties, a connector factory by protocol, and attach/detach for VMDK volumes (export to
 * a local file, import and swap back on detach) and iSCSI.
 *
 * @packageDocumentation
 */
export {
  BackingHasSnapshotsError,
  CleanupIncompleteError,
  CommandFailedError,
  ConnectorError,
  DeviceNotFoundError,
  OperationNotSupportedError,
  TicketRefusedError,
  UnsupportedProtocolError,
} from './errors.js';
export { parseVmdkConnectionInfo } from './vmdk/connection-info.js';
export type { VmdkConnectionData, VmdkConnectionInfo, VmdkConnectorConfig } from './vmdk/connection-info.js';
export { getConnectorProperties } from './properties.js';
export type { ConnectorProperties, ConnectorPropertiesOptions } from './properties.js';
export type { Connector, ConnectorCallOptions, DisconnectOptions } from './connector.js';
export { createCommandExecutor } from './executor.js';
export type { CommandExecutor, CommandExecutorOptions, CommandOptions, CommandResult } from './executor.js';
export { IscsiConnector, parseSendTargets } from './iscsi.js';
export type { IscsiConnectionData, IscsiConnectionInfo, IscsiConnectorOptions, IscsiDeviceInfo } from './iscsi.js';
export { VmdkConnector } from './vmdk/connector.js';
export type { VmdkConnectorOptions, VmdkDetachResult, VmdkDeviceInfo, VmdkDisconnectOptions } from './vmdk/connector.js';
export { connectorProtocols, createConnector } from './factory.js';
export type { ConnectorFactoryOptions, ConnectorProtocol } from './factory.js';
