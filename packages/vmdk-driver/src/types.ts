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

/**
 * What `initializeConnection` returns: Cinder's `connection_info` for `driver_volume_type: 'vmdk'`.
 * `data.config` carries no password: a clone ticket (`vmware_clone_ticket`) lets the connector log in
 * as this session, once.
 */
export interface VmdkConnectionInfo {
  driver_volume_type: 'vmdk';
  data: {
    /** The backing VM's moref value. */
    volume: string;
    volume_id: string;
    name: string;
    /** The storage profile's id, or null. */
    profile_id: string | null;
    /** Bytes; present when the connector said `platform` and `os_type` (a host attach). */
    vmdk_size?: number;
    /** `[ds] dir/file.vmdk`. */
    vmdk_path?: string;
    /** Datastore and datacenter moref values. */
    datastore?: string;
    datacenter?: string;
    /** How the connector reaches vCenter. */
    config?: {
      vmware_host_ip: string;
      vmware_host_port: number;
      vmware_host_username: string;
      /** A one-use clone ticket (SessionManager.AcquireCloneTicket) instead of Cinder's password. Secret. */
      vmware_clone_ticket: string;
      vmware_api_retry_count: number;
      vmware_task_poll_interval: number;
      vmware_ca_file: string | undefined;
      vmware_insecure: boolean;
      vmware_tmp_dir: string;
      vmware_image_transfer_timeout_secs: number;
    };
  };
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
