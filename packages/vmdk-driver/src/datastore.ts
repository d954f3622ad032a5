import type { ManagedObjectReference, vim } from '@vmkit/vim';
import { Datastore, matchingDatastores, profileIdByName, retrieveProperties, type VimSession } from '@vmkit/session';
import { NoValidDatastoreError, ProfileNotFoundError } from './errors.js';
import type { ProfileId } from './volumeops.js';

/** The datastore types Cinder's selector accepts (`DatastoreType`), lower case. */
export const defaultDatastoreTypes: readonly string[] = ['vmfs', 'nfs', 'nfs41', 'vsan', 'vvol'];

/** What a volume needs from a datastore (Cinder's selection `req`). */
export interface DatastoreRequirements {
  /** Bytes the volume needs. */
  sizeBytes: number;
  /** The storage profile the datastore must satisfy. */
  profileName?: string | undefined;
  /** Only datastores mounted on one of these hosts, and only these hosts (Cinder: the instance's host, or the clusters' hosts). */
  hosts?: readonly ManagedObjectReference[] | undefined;
  /** Datastores (moref values) that must not be chosen (Cinder's `hardAntiAffinityDatastores`). */
  antiAffinity?: readonly string[] | undefined;
  /** Only datastores of these types (lower case; Cinder's `hardAffinityDatastoreTypes`). */
  types?: readonly string[] | undefined;
}

/** One datastore as the selector sees it. */
export interface DatastoreCandidate {
  ref: ManagedObjectReference;
  summary: vim.DatastoreSummary;
  mounts: readonly vim.DatastoreHostMount[];
}

/** One host as the selector sees it. */
export interface HostCandidate {
  ref: ManagedObjectReference;
  connectionState: string | undefined;
  inMaintenanceMode: boolean | undefined;
  /** Its compute resource. */
  parent: ManagedObjectReference | undefined;
}

/** The inventory the selector chooses from: datastores, hosts, and each compute resource's root pool. */
export interface SelectionInventory {
  datastores: readonly DatastoreCandidate[];
  hosts: ReadonlyMap<string, HostCandidate>;
  pools: ReadonlyMap<string, ManagedObjectReference>;
}

/** The selector's answer: a datastore, and a usable host and its resource pool to create the backing on. */
export interface DatastoreChoice {
  datastore: ManagedObjectReference;
  summary: vim.DatastoreSummary;
  host: ManagedObjectReference;
  resourcePool: ManagedObjectReference;
}

/** Options of {@link filterDatastores} and {@link DatastoreSelector}. */
export interface SelectionOptions {
  /** Only datastores whose names match (Cinder's `vmware_datastore_regex`, anchored at the start as Python's `match`). */
  regex?: RegExp | undefined;
  /** Datastore types to accept (default {@link defaultDatastoreTypes}). */
  allowedTypes?: readonly string[] | undefined;
}

function hostUsable(h: HostCandidate | undefined): boolean {
  return h !== undefined && h.parent !== undefined && (h.connectionState ?? 'connected') === 'connected' && h.inMaintenanceMode !== true;
}

function matchesAtStart(regex: RegExp, name: string): boolean {
  const m = regex.exec(name);
  return m !== null && m.index === 0;
}

/**
 * The datastores that satisfy the requirements apart from the storage profile (Cinder's
 * `_filter_datastores`): name regex, anti-affinity, capacity and free space, visibility to a valid
 * host, type, accessibility and maintenance.
 */
export function filterDatastores(inventory: SelectionInventory, req: DatastoreRequirements, options: SelectionOptions = {}): DatastoreCandidate[] {
  const types = (req.types ?? options.allowedTypes ?? defaultDatastoreTypes).map((t) => t.toLowerCase());
  const allowed = new Set(options.allowedTypes?.map((t) => t.toLowerCase()) ?? defaultDatastoreTypes);
  const validHosts = req.hosts === undefined ? undefined : new Set(req.hosts.map((h) => h.value));
  const anti = new Set(req.antiAffinity ?? []);
  return inventory.datastores.filter((ds) => {
    const s = ds.summary;
    if (options.regex !== undefined && !matchesAtStart(options.regex, s.name)) return false;
    if (anti.has(ds.ref.value)) return false;
    if (!s.capacity || s.freeSpace < req.sizeBytes) return false;
    if (validHosts !== undefined && !ds.mounts.some((m) => validHosts.has(m.key.value))) return false;
    const type = s.type.toLowerCase();
    if (!allowed.has(type) || !types.includes(type)) return false;
    return s.accessible && (s.maintenanceMode ?? 'normal') === 'normal';
  });
}

/**
 * The best of the candidates (Cinder's `_select_best_datastore`): most hosts first, then least used
 * space; on it, a random host among those that mount it usably, are connected and not in maintenance
 * (and are among `hosts`, when given). Undefined when no candidate has such a host.
 */
export function chooseDatastore(
  inventory: SelectionInventory,
  candidates: readonly DatastoreCandidate[],
  hosts?: readonly ManagedObjectReference[],
  random: () => number = Math.random,
): DatastoreChoice | undefined {
  const validHosts = hosts === undefined ? undefined : new Set(hosts.map((h) => h.value));
  const used = (s: vim.DatastoreSummary) => 1 - s.freeSpace / s.capacity;
  const sorted = [...candidates].sort((a, b) => b.mounts.length - a.mounts.length || used(a.summary) - used(b.summary));
  for (const ds of sorted) {
    const usable = ds.mounts
      .filter((m) => validHosts === undefined || validHosts.has(m.key.value))
      .filter((m) => Datastore.isMountUsable(m.mountInfo) && hostUsable(inventory.hosts.get(m.key.value)))
      .map((m) => m.key);
    const host = Datastore.chooseHost(usable, random);
    if (host === undefined) continue;
    const parent = inventory.hosts.get(host.value)!.parent!;
    const pool = inventory.pools.get(parent.value);
    if (pool === undefined) continue;
    return { datastore: ds.ref, summary: ds.summary, host, resourcePool: pool };
  }
  return undefined;
}

/**
 * Chooses where a volume's backing goes, after Cinder's `DatastoreSelector`. The whole inventory it
 * needs (datastores with summaries and mounts, hosts with state, compute resources' pools) comes in one
 * property-collector round trip per page; a storage profile adds PBM's placement query.
 */
export class DatastoreSelector {
  private readonly profileIds = new Map<string, Promise<ProfileId>>();

  constructor(
    private readonly session: VimSession,
    private readonly options: SelectionOptions & { maxObjects?: number; signal?: AbortSignal } = {},
  ) {}

  private call(): { signal?: AbortSignal } {
    return this.options.signal === undefined ? {} : { signal: this.options.signal };
  }

  /** The id of a storage profile by name, cached; {@link ProfileNotFoundError} when there is none (Cinder's `get_profile_id`). */
  getProfileId(name: string): Promise<ProfileId> {
    let hit = this.profileIds.get(name);
    if (hit === undefined) {
      hit = profileIdByName(this.session, name, this.call()).then((id) => {
        if (id === undefined) throw new ProfileNotFoundError(name);
        return id;
      });
      this.profileIds.set(name, hit);
      hit.catch(() => this.profileIds.delete(name));
    }
    return hit;
  }

  /** Reads the inventory the selection needs, by traversal from the root folder. */
  async inventory(): Promise<SelectionInventory> {
    const folderSpec = { name: 'folders' };
    const traversal = [
      { _type: 'TraversalSpec', name: 'folders', type: 'Folder', path: 'childEntity', skip: false, selectSet: [folderSpec, { name: 'dcHosts' }, { name: 'dcDatastores' }, { name: 'crHosts' }] },
      { _type: 'TraversalSpec', name: 'dcHosts', type: 'Datacenter', path: 'hostFolder', skip: false, selectSet: [folderSpec] },
      { _type: 'TraversalSpec', name: 'dcDatastores', type: 'Datacenter', path: 'datastore', skip: false, selectSet: [] },
      { _type: 'TraversalSpec', name: 'crHosts', type: 'ComputeResource', path: 'host', skip: false, selectSet: [] },
    ];
    const spec = {
      propSet: [
        { type: 'Datastore', pathSet: ['summary', 'host'] },
        { type: 'HostSystem', pathSet: ['runtime.connectionState', 'runtime.inMaintenanceMode', 'parent'] },
        { type: 'ComputeResource', pathSet: ['resourcePool'] },
      ],
      objectSet: [{ obj: this.session.serviceContent.rootFolder, skip: false, selectSet: traversal }],
    };
    const datastores: DatastoreCandidate[] = [];
    const hosts = new Map<string, HostCandidate>();
    const pools = new Map<string, ManagedObjectReference>();
    const seen = new Set<string>();
    let result = await this.session.invoke(
      'RetrievePropertiesEx',
      this.session.serviceContent.propertyCollector,
      { specSet: [spec], options: { maxObjects: this.options.maxObjects ?? 100 } },
      this.call(),
    );
    for (;;) {
      for (const oc of result?.objects ?? []) {
        const key = `${oc.obj.type}:${oc.obj.value}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const p = Object.fromEntries((oc.propSet ?? []).map((x) => [x.name, x.val])) as Record<string, unknown>;
        if (oc.obj.type === 'Datastore') {
          if (p.summary !== undefined) datastores.push({ ref: oc.obj, summary: p.summary as vim.DatastoreSummary, mounts: (p.host as vim.DatastoreHostMount[] | undefined) ?? [] });
        } else if (oc.obj.type === 'HostSystem') {
          hosts.set(oc.obj.value, {
            ref: oc.obj,
            connectionState: p['runtime.connectionState'] as string | undefined,
            inMaintenanceMode: p['runtime.inMaintenanceMode'] as boolean | undefined,
            parent: p.parent as ManagedObjectReference | undefined,
          });
        } else if (p.resourcePool !== undefined) {
          pools.set(oc.obj.value, p.resourcePool as ManagedObjectReference);
        }
      }
      if (result?.token === undefined) break;
      result = await this.session.invoke('ContinueRetrievePropertiesEx', this.session.serviceContent.propertyCollector, { token: result.token }, this.call());
    }
    return { datastores, hosts, pools };
  }

  /**
   * The best datastore for the requirements, with a host and resource pool (Cinder's
   * `select_datastore`); {@link NoValidDatastoreError} when nothing fits, {@link ProfileNotFoundError}
   * for an unknown profile.
   */
  async select(req: DatastoreRequirements, random: () => number = Math.random): Promise<DatastoreChoice> {
    const profileId = req.profileName === undefined ? undefined : await this.getProfileId(req.profileName);
    const inv = await this.inventory();
    let candidates = filterDatastores(inv, req, this.options);
    if (candidates.length > 0 && profileId !== undefined) {
      const ok = new Set((await matchingDatastores(this.session, profileId, candidates.map((c) => c.ref), this.call())).map((r) => r.value));
      candidates = candidates.filter((c) => ok.has(c.ref.value));
    }
    const choice = chooseDatastore(inv, candidates, req.hosts, random);
    if (choice === undefined) {
      const what = [`${req.sizeBytes} bytes free`, req.profileName === undefined ? '' : `profile ${JSON.stringify(req.profileName)}`, req.hosts === undefined ? '' : `visible to ${req.hosts.map((h) => h.value).join(', ')}`]
        .filter((s) => s !== '')
        .join(', ');
      throw new NoValidDatastoreError(`no datastore satisfies the requirements (${what}) with a connected host out of maintenance`);
    }
    return choice;
  }

  /** True when the datastore satisfies the profile (Cinder's `is_datastore_compliant`); always true without one. */
  async isCompliant(datastore: ManagedObjectReference, profileName: string | undefined): Promise<boolean> {
    if (profileName === undefined) return true;
    const id = await this.getProfileId(profileName);
    return (await matchingDatastores(this.session, id, [datastore], this.call())).some((d) => d.value === datastore.value);
  }

  /**
   * True when the host can use the datastore: mounted read-write and accessible there, and the
   * datastore accessible (Cinder's `is_datastore_accessible`). One round trip.
   */
  async isAccessibleFrom(datastore: ManagedObjectReference, host: ManagedObjectReference): Promise<boolean> {
    const p = await retrieveProperties(this.session, datastore, ['summary.accessible', 'host'], this.call());
    if (p['summary.accessible'] === false) return false;
    const mount = ((p.host as vim.DatastoreHostMount[] | undefined) ?? []).find((m) => m.key.value === host.value);
    return Datastore.isMountUsable(mount?.mountInfo);
  }
}
