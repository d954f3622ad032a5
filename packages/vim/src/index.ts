/**
 * `@vmkit/vim`: VMware's VIM and PBM APIs for Node.js. Bindings generated from VMware's type tables
 * (pyVmomi 6.7.1), a schema-driven SOAP codec that writes what a strict vCenter expects (schema order,
 * `xsi:type`), a keep-alive undici transport, and typed faults.
 *
 * @packageDocumentation
 */

// Errors: one hierarchy for all of vmkit, rooted in VimError.
export {
  AlreadyExistsError,
  CannotDeleteFileError,
  DuplicateNameError,
  FileAlreadyExistsError,
  FileFaultError,
  FileLockedError,
  FileNotFoundError,
  InvalidArgumentError,
  InvalidLoginError,
  InvalidPowerStateError,
  InvalidPropertyError,
  ManagedObjectNotFoundError,
  NoDiskSpaceError,
  NoPermissionError,
  NotAuthenticatedError,
  SecurityFaultError,
  TaskInProgressError,
  ToolsUnavailableError,
  VimAbortError,
  VimConnectionError,
  VimEncodeError,
  VimError,
  VimFaultError,
  VimHttpError,
  VimResponseError,
  VimTimeoutError,
  faultClasses,
  faultError,
  findFault,
} from './errors.js';
export type { FaultObject, VimErrorOptions, XmlPosition } from './errors.js';

// The codec.
export { Schema } from './codec/schema.js';
export type { DataTypeEntry, EnumEntry, ManagedTypeEntry, Member, MethodEntry, PropTuple, SchemaTables } from './codec/schema.js';
export { RequestEncoder, typed } from './codec/encode.js';
export type { TypedPrimitive } from './codec/encode.js';
export { ResponseDecoder, decodeResponse } from './codec/decode.js';
export type { DecodeOptions, RawValue } from './codec/decode.js';
export type { XmlLimits } from './codec/xml-tokenizer.js';
export { defaultSchema } from './default-schema.js';

// The transport.
export { SCHEMA_API_VERSION, VimClient } from './transport/client.js';
export type {
  CallOptions,
  Endpoint,
  InvokeArgs,
  MethodName,
  MethodParams,
  MethodResult,
  Middleware,
  RoundTrip,
  SoapCall,
  VimClientOptions,
  VimConnectOptions,
} from './transport/client.js';
export { PBM_SERVICE_INSTANCE, PbmClient } from './transport/pbm.js';
export { soapErrorChannel, soapRequestChannel, soapResponseChannel } from './transport/observe.js';

// The generated API: every data type, enum and method signature, and the runtime tables.
export type * as vim from './generated/index.js';
export type {
  DataTypeMap,
  LocalizedMethodFault,
  ManagedObjectReference,
  ObjectContent,
  PbmServiceInstanceContent,
  RetrieveResult,
  ServiceContent,
  TaskInfo,
  UserSession,
  VirtualDevice,
  VirtualDisk,
  VirtualMachineConfigSpec,
} from './generated/types.js';
export type { PbmMethodMap, PbmMethodName, VimMethodMap, VimMethodName } from './generated/methods.js';
export { SCHEMA_SOURCE, dataTypes, enumTypes, managedTypes, methods } from './generated/schema.js';
