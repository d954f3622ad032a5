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
