import { VimError } from '@vmkit/vim';
import { describe, expect, it } from 'vitest';
import { parseDriverConfig } from './config.js';
import { DriverConfigError, InvalidVolumeSpecError } from './errors.js';
import { parseImageProperties, parseVolumeTypeSpecs } from './specs.js';

const required = { vmware_host_ip: 'vc.example.com', vmware_host_username: 'admin', vmware_host_password: 's3cret-pw' };

describe('parseDriverConfig', () => {
  it("fills in Cinder's defaults", () => {
    const c = parseDriverConfig(required);
    expect(c).toMatchObject({
      vmware_host_port: 443,
      vmware_api_retry_count: 10,
      vmware_task_poll_interval: 2,
      vmware_volume_folder: 'Volumes',
      vmware_image_transfer_timeout_secs: 7200,
      vmware_max_objects_retrieval: 100,
      vmware_tmp_dir: '/tmp',
      vmware_insecure: false,
      vmware_cluster_name: [],
      vmware_connection_pool_size: 10,
      vmware_adapter_type: 'lsiLogic',
      vmware_snapshot_format: 'template',
      vmware_lazy_create: true,
      vmware_enable_volume_stats: false,
    });
    expect(c.vmware_datastore_regex).toBeUndefined();
  });

  it('converts values as they come from a config file', () => {
    const c = parseDriverConfig({
      ...required,
      vmware_host_port: '8443',
      vmware_insecure: 'True',
      vmware_cluster_name: 'c1, c2',
      vmware_task_poll_interval: '0.5',
      vmware_datastore_regex: '^ds-[0-9]+$',
      vmware_snapshot_format: 'COW',
    });
    expect(c.vmware_host_port).toBe(8443);
    expect(c.vmware_insecure).toBe(true);
    expect(c.vmware_cluster_name).toEqual(['c1', 'c2']);
    expect(c.vmware_task_poll_interval).toBe(0.5);
    expect(c.vmware_datastore_regex?.test('ds-12')).toBe(true);
    expect(c.vmware_snapshot_format).toBe('COW');
  });

  it.each([
    [{ vmware_host_port: 70000 }, 'vmware_host_port'],
    [{ vmware_api_retry_count: 0 }, 'vmware_api_retry_count'],
    [{ vmware_adapter_type: 'scsi' }, 'vmware_adapter_type'],
    [{ vmware_snapshot_format: 'cow' }, 'vmware_snapshot_format'],
    [{ vmware_lazy_create: 'maybe' }, 'vmware_lazy_create'],
    [{ vmware_datastore_regex: '([' }, 'vmware_datastore_regex'],
    [{ vmware_no_such_option: 1 }, 'vmware_no_such_option'],
  ])('refuses %j with a typed error naming the option', (extra, option) => {
    const err = (() => {
      try {
        parseDriverConfig({ ...required, ...extra });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DriverConfigError);
    expect(err).toBeInstanceOf(VimError);
    expect((err as DriverConfigError).option).toBe(option);
    expect((err as DriverConfigError).code).toBe('VMKIT_DRIVER_INVALID_CONFIG');
  });

  it('requires the host and credentials, and never echoes the password', () => {
    expect(() => parseDriverConfig({ vmware_host_ip: 'x', vmware_host_username: 'u' })).toThrow(/vmware_host_password: is required/);
    try {
      parseDriverConfig({ ...required, vmware_host_password: 12345678 });
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('12345678');
    }
  });
});

describe('extra specs and image properties', () => {
  it("reads vmware:* extra specs with Cinder's defaults", () => {
    expect(parseVolumeTypeSpecs({})).toEqual({ diskType: 'thin', cloneType: 'full', storageProfile: undefined, adapterType: 'lsiLogic' });
    expect(parseVolumeTypeSpecs({}, 'paraVirtual').adapterType).toBe('paraVirtual');
    expect(
      parseVolumeTypeSpecs({ 'vmware:vmdk_type': 'eagerZeroedThick', 'vmware:clone_type': 'linked', 'vmware:storage_profile': 'gold', 'vmware:adapter_type': 'ide', other: 'x' }),
    ).toEqual({ diskType: 'eagerZeroedThick', cloneType: 'linked', storageProfile: 'gold', adapterType: 'ide' });
  });

  it.each([
    ['vmware:vmdk_type', 'sparse'],
    ['vmware:clone_type', 'instant'],
    ['vmware:adapter_type', 'nvme'],
  ])('refuses %s=%s', (key, value) => {
    try {
      parseVolumeTypeSpecs({ [key]: value });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidVolumeSpecError);
      expect((e as InvalidVolumeSpecError).key).toBe(key);
      expect((e as InvalidVolumeSpecError).code).toBe('VMKIT_DRIVER_INVALID_SPEC');
    }
  });

  it('reads image properties', () => {
    expect(parseImageProperties({})).toEqual({ diskType: 'preallocated', adapterType: 'lsiLogic' });
    expect(parseImageProperties({ vmware_disktype: 'streamOptimized', vmware_adaptertype: 'busLogic' })).toEqual({ diskType: 'streamOptimized', adapterType: 'busLogic' });
    expect(() => parseImageProperties({ vmware_disktype: 'raw' })).toThrow(InvalidVolumeSpecError);
  });
});
