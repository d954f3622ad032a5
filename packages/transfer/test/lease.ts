/**
 * Test helper: the state of an `HttpNfcLease` as the simulator reports it.
 */
import { retrieveProperties, type VimSession } from '@vmkit/session';
import { findFault, type ManagedObjectReference } from '@vmkit/vim';

/** The lease's state, or `gone` when the server no longer knows it (govmomi's simulator forgets ended leases). */
export async function leaseState(session: VimSession, lease: ManagedObjectReference): Promise<string> {
  try {
    return (await retrieveProperties(session, lease, ['state'])).state as string;
  } catch (err) {
    if (findFault(err, 'ManagedObjectNotFound') !== undefined) return 'gone';
    throw err;
  }
}
