import type { ManagedObjectReference, vim } from '@vmkit/vim';

type PbmProfile = vim.PbmProfile;
type PbmProfileId = vim.PbmProfileId;
import type { PropertyOptions } from './properties.js';
import type { VimSession } from './session.js';

/** Storage profiles (policies) of the storage resource type. */
export async function listStorageProfiles(session: VimSession, options: PropertyOptions = {}): Promise<PbmProfile[]> {
  const content = await session.pbm.serviceContent(options);
  const ids = (await session.invoke('PbmQueryProfile', content.profileManager, { resourceType: { resourceType: 'STORAGE' } }, options)) ?? [];
  if (ids.length === 0) return [];
  return (await session.invoke('PbmRetrieveContent', content.profileManager, { profileIds: ids }, options)) ?? [];
}

/** The id of the storage profile with this name, or undefined (Cinder's `get_profile_id_by_name`). */
export async function profileIdByName(session: VimSession, name: string, options: PropertyOptions = {}): Promise<PbmProfileId | undefined> {
  return (await listStorageProfiles(session, options)).find((p) => p.name === name)?.profileId;
}

/** The profiles associated with a VM, or with one of its disks when `diskKey` is given. */
export async function profilesOf(
  session: VimSession,
  vm: ManagedObjectReference,
  options: PropertyOptions & { diskKey?: number } = {},
): Promise<PbmProfileId[]> {
  const content = await session.pbm.serviceContent(options);
  const entity =
    options.diskKey === undefined
      ? { key: vm.value, objectType: 'virtualMachine' }
      : { key: `${vm.value}:${options.diskKey}`, objectType: 'virtualDiskId' };
  return (await session.invoke('PbmQueryAssociatedProfile', content.profileManager, { entity }, options)) ?? [];
}

/** The datastores (hubs) among `hubs` that satisfy a profile (Cinder's `filter_hubs_by_profile`). */
export async function matchingDatastores(
  session: VimSession,
  profileId: PbmProfileId,
  datastores: readonly ManagedObjectReference[],
  options: PropertyOptions = {},
): Promise<ManagedObjectReference[]> {
  const content = await session.pbm.serviceContent(options);
  const hubs = datastores.map((d) => ({ hubType: d.type, hubId: d.value }));
  const matching = (await session.invoke('PbmQueryMatchingHub', content.placementSolver, { hubsToSearch: hubs, profile: profileId }, options)) ?? [];
  return matching.map((h) => ({ type: h.hubType, value: h.hubId }));
}
