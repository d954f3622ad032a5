/** A volume as the driver sees it: the fields of Cinder's volume object the VMDK driver reads. */
export interface Volume {
  /** The volume id (a UUID): the backing's instance UUID and `cinder.volume.id`. */
  id: string;
  /** Cinder's volume name, the backing VM's name (default `volume-<id>`). */
  name?: string;
  /** Size in GiB. */
  size: number;
  /** The owning project (the backing's folder is `OpenStack/Project (<projectId>)/<vmware_volume_folder>`). */
  projectId?: string;
  /** The volume type's extra specs (`vmware:vmdk_type`, ...). */
  extraSpecs?: Readonly<Record<string, string>>;
  /** `available`, `in-use`, ... (Cinder's status). */
  status?: string;
  /** The instances the volume is attached to, by instance UUID. */
  attachedInstanceUuids?: readonly string[];
}

/** A snapshot as the driver sees it. */
export interface Snapshot {
  id: string;
  /** Cinder's snapshot name (default `snapshot-<id>`). */
  name?: string;
  /** The snapshotted volume. */
  volume: Volume;
  /** The volume's size when the snapshot was taken, GiB (default: the volume's size). */
  volumeSize?: number;
  /** Set for snapshots in template format: the template's inventory path. */
  providerLocation?: string;
  description?: string;
}

/** What `createSnapshot` returns for Cinder to store (`provider_location`). */
export interface SnapshotModelUpdate {
  /** The template's inventory path (template format), else undefined. */
  providerLocation: string | undefined;
}

/**
 * The connector properties of the host that attaches (Cinder's `connector` dict, e.g. os-brick's
 * `get_connector_properties` output), plus `instance`: the attaching VM's moref value when the attach
 * is for a VM.
 */
export interface ConnectorProperties {
  /** The attaching instance's VirtualMachine moref value (Nova's VMware driver sends it). */
  instance?: string;
  host?: string;
  ip?: string;
  platform?: string;
  os_type?: string;
  [key: string]: unknown;
}

/** Cinder's volume stats (`get_volume_stats`). */
export interface VolumeStats {
  volume_backend_name: string;
  vendor_name: 'VMware';
  driver_version: string;
  storage_protocol: 'vmdk';
  reserved_percentage: number;
  total_capacity_gb: number | 'unknown';
  free_capacity_gb: number | 'unknown';
  shared_targets: boolean;
}

/** What `manageExisting` takes: Cinder's `existing_ref` with `source-name` = `<vmdk path>@<VM inventory path>`. */
export interface ExistingReference {
  'source-name': string;
}
