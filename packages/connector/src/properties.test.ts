import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from './errors.js';
import type { CommandExecutor } from './executor.js';
import { getConnectorProperties } from './properties.js';

/** multipathd as a fake: answers `show status` with the given exit code and output, recording the calls. */
function multipathd(exitCode: number, stdout = ''): CommandExecutor & { calls: string[] } {
  const calls: string[] = [];
  const exec = (program: string, args: readonly string[]) => {
    calls.push([program, ...args].join(' '));
    return Promise.resolve({ exitCode, stdout, stderr: exitCode === 0 ? '' : 'error' });
  };
  return Object.assign(exec, { calls });
}

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmkit-props-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

async function fcHost(name: string, port: string, node: string, state: string): Promise<void> {
  await put(`sys/class/fc_host/${name}/port_name`, `${port}\n`);
  await put(`sys/class/fc_host/${name}/node_name`, `${node}\n`);
  await put(`sys/class/fc_host/${name}/port_state`, `${state}\n`);
}

describe('getConnectorProperties', () => {
  it('reads every source of a complete tree with os-brick keys', async () => {
    await put('etc/iscsi/initiatorname.iscsi', '## DO NOT EDIT\n# comment\nInitiatorName=iqn.1993-08.org.debian:01:abcdef012345\n');
    await fcHost('host10', '0x21000024ff3e1a2b', '0x20000024FF3E1A2B', 'Online');
    await fcHost('host2', '0x21000024ff3e1a2a', '0x20000024ff3e1a2a', 'Online');
    await fcHost('host3', '0x21000024ff3e1a2c', '0x20000024ff3e1a2c', 'Linkdown');
    await put('etc/nvme/hostnqn', 'nqn.2014-08.org.nvmexpress:uuid:4c4c4544-0034-5310-8052-b2c04f4e4e31\n');
    await put('etc/nvme/hostid', '4c4c4544-0034-5310-8052-b2c04f4e4e31\n');
    await put('sys/class/dmi/id/product_uuid', '9f7c3e0a-2b1d-4c5e-8f6a-0b1c2d3e4f50\n');

    const executor = multipathd(0, 'path checker states:\n');
    const props = await getConnectorProperties({ root, myIp: '192.0.2.10', host: 'backup-1', multipath: true, enforceMultipath: true, doLocalAttach: true, executor });
    expect(executor.calls).toEqual(['multipathd show status']);
    expect(props).toEqual({
      platform: expect.any(String) as string,
      os_type: process.platform,
      ip: '192.0.2.10',
      host: 'backup-1',
      multipath: true,
      enforce_multipath: true,
      initiator: 'iqn.1993-08.org.debian:01:abcdef012345',
      // host2 before host10 (numeric order); host3 is not online.
      wwpns: ['21000024ff3e1a2a', '21000024ff3e1a2b'],
      wwnns: ['20000024ff3e1a2a', '20000024ff3e1a2b'],
      nqn: 'nqn.2014-08.org.nvmexpress:uuid:4c4c4544-0034-5310-8052-b2c04f4e4e31',
      nvme_hostid: '4c4c4544-0034-5310-8052-b2c04f4e4e31',
      'system uuid': '9f7c3e0a-2b1d-4c5e-8f6a-0b1c2d3e4f50',
      do_local_attach: true,
    });
    if (process.arch === 'x64') expect(props.platform).toBe('x86_64');
  });

  it('leaves out every key whose source is missing, and never throws on an empty tree', async () => {
    const props = await getConnectorProperties({ root, myIp: '192.0.2.10', host: 'h' });
    expect(props).toEqual({ platform: props.platform, os_type: process.platform, ip: '192.0.2.10', host: 'h', multipath: false, enforce_multipath: false, do_local_attach: false });
  });

  it('leaves out malformed sources', async () => {
    await put('etc/iscsi/initiatorname.iscsi', 'InitiatorName=not an iqn\n');
    await fcHost('host0', 'zz000024ff3e1a2b', '0x20000024ff3e1a2b', 'Online'); // not hex
    await fcHost('host1', '0x21000024ff3e', '0x20000024ff3e1a2b', 'Online'); // too short
    await put('etc/nvme/hostnqn', 'hello\n');
    await put('etc/nvme/hostid', 'not-a-uuid\n');
    await put('sys/class/dmi/id/product_uuid', '\u0000\u0001binary');
    const props = await getConnectorProperties({ root, myIp: '192.0.2.10' });
    for (const key of ['initiator', 'wwpns', 'wwnns', 'nqn', 'nvme_hostid', 'system uuid']) expect(props).not.toHaveProperty(key);
  });

  it('skips an FC port with a missing file, keeps the others', async () => {
    await fcHost('host1', '0x21000024ff3e1a2b', '0x20000024ff3e1a2b', 'Online');
    await put('sys/class/fc_host/host0/port_name', '0x21000024ff3e1a2a\n'); // no node_name, no port_state
    const props = await getConnectorProperties({ root });
    expect(props.wwpns).toEqual(['21000024ff3e1a2b']);
    expect(props.wwnns).toEqual(['20000024ff3e1a2b']);
  });

  it('takes the first InitiatorName line and ignores an initiator file without one', async () => {
    await put('etc/iscsi/initiatorname.iscsi', 'InitiatorName=eui.02004567A425678D\nInitiatorName=iqn.2000-01.com.example:second\n');
    expect((await getConnectorProperties({ root })).initiator).toBe('eui.02004567A425678D');
    await put('etc/iscsi/initiatorname.iscsi', '# only a comment\n');
    expect(await getConnectorProperties({ root })).not.toHaveProperty('initiator');
  });

  it('treats unreadable and wrong-kind sources as missing', async () => {
    await mkdir(join(root, 'etc/iscsi/initiatorname.iscsi'), { recursive: true }); // a folder, not a file
    await put('sys/class/fc_host', 'a file where a folder should be');
    await mkdir(join(root, 'etc/nvme'), { recursive: true });
    await symlink(join(root, 'nowhere'), join(root, 'etc/nvme/hostnqn')); // dangling
    await put('etc/nvme/hostid', '4c4c4544-0034-5310-8052-b2c04f4e4e31');
    if (process.getuid?.() !== 0) await chmod(join(root, 'etc/nvme/hostid'), 0o000); // root reads it anyway
    const props = await getConnectorProperties({ root });
    for (const key of ['initiator', 'wwpns', 'nqn']) expect(props).not.toHaveProperty(key);
  });

  it('refuses enforceMultipath without multipath with a typed error', async () => {
    const err = await getConnectorProperties({ root, enforceMultipath: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe('VMKIT_CONNECTOR_INVALID_OPTIONS');
    await expect(getConnectorProperties({ root, enforceMultipath: true, multipath: false })).rejects.toMatchObject({ code: 'VMKIT_CONNECTOR_INVALID_OPTIONS' });
  });

  it('reports multipath only when multipathd runs, as os-brick does', async () => {
    expect((await getConnectorProperties({ root, multipath: true, executor: multipathd(1) })).multipath).toBe(false);
    expect((await getConnectorProperties({ root, multipath: true, executor: multipathd(0, 'error receiving packet') })).multipath).toBe(false);
    const absent: CommandExecutor = () => Promise.reject(new Error('spawn multipathd ENOENT'));
    expect((await getConnectorProperties({ root, multipath: true, executor: absent })).multipath).toBe(false);
    const none = multipathd(0);
    expect((await getConnectorProperties({ root, multipath: false, executor: none })).multipath).toBe(false);
    expect(none.calls).toEqual([]); // not asked for, not run
  });

  it('refuses enforced multipath when multipathd is not running', async () => {
    const err = await getConnectorProperties({ root, multipath: true, enforceMultipath: true, executor: multipathd(1) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe('VMKIT_CONNECTOR_MULTIPATH_NOT_RUNNING');
    expect((err as Error).cause).toBeDefined();
  });

  it('defaults the host name to the OS one', async () => {
    const { hostname } = await import('node:os');
    expect((await getConnectorProperties({ root })).host).toBe(hostname());
  });
});
