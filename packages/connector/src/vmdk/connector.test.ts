import { describe, expect, it } from 'vitest';
import { ConnectorError, OperationNotSupportedError } from '../errors.js';
import type { VmdkConnectionInfo } from './connection-info.js';
import { VmdkConnector } from './connector.js';

// What the connector refuses before it talks to any server (so no simulator is needed here).
const base: VmdkConnectionInfo = { driver_volume_type: 'vmdk', data: { volume: 'vm-1', volume_id: 'v1', name: 'v1' } };

describe('VmdkConnector, before any server', () => {
  it('needs a session, or a config with a clone ticket', async () => {
    await expect(new VmdkConnector().connectVolume(base)).rejects.toMatchObject({ code: 'VMKIT_CONNECTOR_INVALID_CONNECTION_INFO' });
    const noTicket = { ...base, data: { ...base.data, config: { vmware_host_ip: 'https://127.0.0.1:1/sdk' } } };
    const err = await new VmdkConnector().connectVolume(noTicket).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as Error).message).toContain('clone ticket');
  });

  it('refuses a password in connection_info without naming it', async () => {
    const withPassword = { ...base, data: { ...base.data, config: { vmware_host_ip: 'https://127.0.0.1:1/sdk', vmware_host_username: 'admin', vmware_host_password: 'Hunter2-xyz' } } };
    const err = await new VmdkConnector().connectVolume(withPassword).catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('VMKIT_CONNECTOR_PASSWORD_REFUSED');
    expect(JSON.stringify({ m: (err as Error).message })).not.toContain('Hunter2-xyz');
  });

  it('refuses device info that attach did not return, and a detach of a file that is gone', async () => {
    const c = new VmdkConnector();
    await expect(c.disconnectVolume(base, { path: '/x' } as never)).rejects.toMatchObject({ code: 'VMKIT_CONNECTOR_BAD_DEVICE_INFO' });
    await expect(c.disconnectVolume(base, { path: '/nonexistent/vmkit.vmdk', mtime: 1, size: 1 })).rejects.toMatchObject({ code: 'VMKIT_CONNECTOR_BAD_DEVICE_INFO' });
    expect(await c.disconnectVolume(base, { path: '/nonexistent/vmkit.vmdk', mtime: 1, size: 1 }, { discard: true })).toEqual({ uploaded: false });
  });

  it('says what it has attached, checks devices, and cannot extend', async () => {
    const c = new VmdkConnector();
    expect(await c.getVolumePaths(base)).toEqual([]);
    expect(await c.checkValidDevice('/nonexistent/vmkit.vmdk')).toBe(false);
    expect(await c.checkValidDevice(new URL(import.meta.url).pathname)).toBe(false); // not a VMDK
    await expect(c.extendVolume()).rejects.toBeInstanceOf(OperationNotSupportedError);
  });
});
