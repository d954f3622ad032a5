/**
 * `@vmkit/session`: the vSphere session client, after oslo.vmware's `api`, `vim_util`, `pbm` and
 * `objects.datastore`: login and single-flight re-login, retries that never re-send an unsafe call,
 * keepalive, task waits, property helpers and datastore paths.
 *
 * @packageDocumentation
 */
export { VimSession, reloginChannel, retryChannel } from './session.js';
export type { VimSessionOptions } from './session.js';
export { backoffMs, retryClassOf, retryDecision } from './retry.js';
export type { RetryClass, RetryDecision } from './retry.js';
export { DatastorePath, DatastoreURL } from './datastore-path.js';
export type { DatastoreURLParts } from './datastore-path.js';
export { InvalidDatastorePathError, MissingPropertyError, OutcomeUnknownError, SessionClosedError } from './errors.js';
export { taskProgressChannel, waitForTask } from './tasks.js';
export type { WaitForTaskOptions } from './tasks.js';
export { iterateObjects, pages, retrieveMany, retrieveProperties, toObjectProperties, withContainerView } from './properties.js';
export type { IterateOptions, ObjectProperties, PropertyOptions } from './properties.js';
export { findByInventoryPath, findDatacenter, findInDatacenter, findVmByUuid } from './inventory.js';
export { Datastore } from './datastore.js';
export type { DatastoreInfo } from './datastore.js';
export { acquireGenericServiceTicket } from './tickets.js';
export { listStorageProfiles, matchingDatastores, profileIdByName, profilesOf } from './pbm.js';
export { LeaseNotReadyError, waitForLeaseReady } from './lease.js';
export type { WaitForLeaseOptions } from './lease.js';
