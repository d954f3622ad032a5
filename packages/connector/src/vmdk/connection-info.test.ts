import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.js';
import { parseVmdkConnectionInfo, type VmdkConnectionInfo } from './connection-info.js';

const good: VmdkConnectionInfo = {
  driver_volume_type: 'vmdk',
  data: {
    volume: 'vm-42',
    volume_id: '0b0e5c1e-1111-4a4a-9c9c-000000000001',
    name: 'volume-0b0e5c1e',
    profile_id: null,
    vmdk_size: 1073741824,
    vmdk_path: '[datastore1] volume-0b0e5c1e/volume-0b0e5c1e.vmdk',
    datastore: 'datastore-11',
    datacenter: 'datacenter-2',
    config: { vmware_host_ip: 'vc.example.com', vmware_host_port: 443, vmware_clone_ticket: 'cst-VCT-52a9-ticket', vmware_insecure: false, vmware_ca_file: undefined, vmware_tmp_dir: '/tmp' },
  },
};

describe('parseVmdkConnectionInfo', () => {
  it("accepts Cinder's shape (and JSON of it) and returns it typed", () => {
    expect(parseVmdkConnectionInfo(good)).toEqual(good);
    expect(parseVmdkConnectionInfo(JSON.parse(JSON.stringify(good)))).toEqual(JSON.parse(JSON.stringify(good)));
    expect(parseVmdkConnectionInfo({ driver_volume_type: 'VMDK', data: { volume: 'vm-1', volume_id: 'v', name: 'n' } }).driver_volume_type).toBe('vmdk');
  });

  const broken: [string, unknown][] = [
    ['not an object', 'vmdk'],
    ['another protocol', { ...good, driver_volume_type: 'iscsi' }],
    ['no data', { driver_volume_type: 'vmdk' }],
    ['no volume', { ...good, data: { ...good.data, volume: '' } }],
    ['a numeric volume_id', { ...good, data: { ...good.data, volume_id: 7 } }],
    ['a negative size', { ...good, data: { ...good.data, vmdk_size: -1 } }],
    ['a size that is a string', { ...good, data: { ...good.data, vmdk_size: '1' } }],
    ['config without a host', { ...good, data: { ...good.data, config: { vmware_clone_ticket: 't' } } }],
    ['a port that is a string', { ...good, data: { ...good.data, config: { ...good.data.config, vmware_host_port: '443' } } }],
    ['a ticket that is a number', { ...good, data: { ...good.data, config: { ...good.data.config, vmware_clone_ticket: 5 } } }],
    ['insecure as a string', { ...good, data: { ...good.data, config: { ...good.data.config, vmware_insecure: 'yes' } } }],
  ];
  for (const [what, value] of broken) {
    it(`refuses ${what} with a typed error`, () => {
      let err: unknown;
      try {
        parseVmdkConnectionInfo(value);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConnectorError);
      expect((err as ConnectorError).code).toBe('VMKIT_CONNECTOR_INVALID_CONNECTION_INFO');
      expect((err as Error).message).not.toContain('cst-VCT-52a9-ticket');
    });
  }
});
