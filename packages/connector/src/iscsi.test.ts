import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandFailedError, ConnectorError, DeviceNotFoundError, OperationNotSupportedError } from './errors.js';
import { createCommandExecutor, type CommandExecutor, type CommandResult } from './executor.js';
import { IscsiConnector, parseSendTargets, type IscsiConnectionInfo } from './iscsi.js';

const IQN = 'iqn.2010-10.org.openstack:volume-0001';
const info = (extra: Partial<IscsiConnectionInfo['data']> = {}): IscsiConnectionInfo => ({
  driver_volume_type: 'iscsi',
  data: { target_portal: '192.0.2.5:3260', target_iqn: IQN, target_lun: 1, ...extra },
});
const NODE = ['-m', 'node', '-T', IQN, '-p', '192.0.2.5:3260'];

let root: string;
let byPath: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmkit-iscsi-'));
  byPath = join(root, 'dev/disk/by-path', `ip-192.0.2.5:3260-iscsi-${IQN}-lun-1`);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Records every command; answers from `script` (first matching rule), else exit 0 with no output. */
function recorder(script: { match: (cmd: string) => boolean; result: Partial<CommandResult>; then?: () => Promise<void> }[] = []) {
  const calls: string[] = [];
  const exec: CommandExecutor = async (program, args) => {
    const cmd = [program, ...args].join(' ');
    calls.push(cmd);
    const rule = script.find((r) => r.match(cmd));
    await rule?.then?.();
    return { exitCode: 0, stdout: '', stderr: '', ...rule?.result };
  };
  return { calls, exec };
}

const appear = async () => {
  await mkdir(dirname(byPath), { recursive: true });
  await writeFile(byPath, 'disk');
};
const discovered = { match: (c: string) => c.includes('-m discovery'), result: { stdout: `192.0.2.5:3260,1 ${IQN}\n192.0.2.5:3260,1 iqn.2010-10.org.openstack:other\n` } };

describe('IscsiConnector.connectVolume', () => {
  it('discovers, creates the node, sets CHAP, logs in, and waits for the by-path device', async () => {
    const { calls, exec } = recorder([
      discovered,
      { match: (c) => c === `iscsiadm ${NODE.join(' ')}`, result: { exitCode: 21, stderr: 'iscsiadm: No records found' } },
      { match: (c) => c === 'iscsiadm -m session', result: { exitCode: 21 } },
      { match: (c) => c.endsWith('--login'), result: {}, then: appear },
    ]);
    const c = new IscsiConnector({ executor: exec, root, devicePollMs: 5 });
    const dev = await c.connectVolume(info({ auth_method: 'CHAP', auth_username: 'u1', auth_password: 's3cret' }));
    expect(dev).toEqual({ type: 'block', path: byPath });
    const n = `iscsiadm ${NODE.join(' ')}`;
    expect(calls).toEqual([
      'iscsiadm -m discovery -t sendtargets -I default -p 192.0.2.5:3260',
      n,
      `${n} --interface default --op new`,
      `${n} --op update -n node.session.auth.authmethod -v CHAP`,
      `${n} --op update -n node.session.auth.username -v u1`,
      `${n} --op update -n node.session.auth.password -v s3cret`,
      'iscsiadm -m session',
      `${n} --login`,
      `${n} --op update -n node.startup -v automatic`,
    ]);
    expect(await c.getVolumePaths(info())).toEqual([byPath]);
    expect(await c.checkValidDevice(byPath)).toBe(true);
  });

  it('skips discovery when the target is discovered and login when a session exists', async () => {
    await appear();
    const { calls, exec } = recorder([{ match: (c) => c === 'iscsiadm -m session', result: { stdout: `tcp: [3] 192.0.2.5:3260,1 ${IQN} (non-flash)\n` } }]);
    const c = new IscsiConnector({ executor: exec, root });
    await c.connectVolume(info({ target_discovered: true }));
    expect(calls.some((x) => x.includes('discovery'))).toBe(false);
    expect(calls.some((x) => x.endsWith('--login'))).toBe(false);
    expect(calls.some((x) => x.includes('--op new'))).toBe(false); // the node record exists (exit 0)
  });

  it('adds the default port and writes IPv6 portals without brackets in the device path', () => {
    const c = new IscsiConnector({ root });
    expect(c.devicePath(info({ target_portal: '192.0.2.5' }))).toBe(byPath);
    expect(c.devicePath(info({ target_portal: '[2001:db8::5]:3260' }))).toBe(join(root, 'dev/disk/by-path', `ip-2001:db8::5:3260-iscsi-${IQN}-lun-1`));
  });

  it('refuses a target the portal does not offer, before any login', async () => {
    const { calls, exec } = recorder([{ match: (c) => c.includes('-m discovery'), result: { stdout: '192.0.2.5:3260,1 iqn.2010-10.org.openstack:other\n' } }]);
    const err = await new IscsiConnector({ executor: exec, root }).connectVolume(info()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe('VMKIT_CONNECTOR_TARGET_NOT_FOUND');
    expect(calls).toHaveLength(1);
  });

  it('undoes the login when the device never appears', async () => {
    const { calls, exec } = recorder([discovered]);
    const err = await new IscsiConnector({ executor: exec, root, deviceWaitMs: 20, devicePollMs: 5 }).connectVolume(info()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceNotFoundError);
    expect((err as DeviceNotFoundError).paths).toEqual([byPath]);
    const n = `iscsiadm ${NODE.join(' ')}`;
    expect(calls.slice(-3)).toEqual([`${n} --op update -n node.startup -v manual`, `${n} --logout`, `${n} --op delete`]);
  });

  it('reports a failed login with its exit code and never the CHAP secret', async () => {
    const { exec } = recorder([discovered, { match: (c) => c.endsWith('--login'), result: { exitCode: 24, stderr: 'iscsiadm: Login failed: authorization failure (password s3cret)' } }]);
    const err = await new IscsiConnector({ executor: exec, root }).connectVolume(info({ auth_method: 'CHAP', auth_username: 'u1', auth_password: 's3cret' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect((err as CommandFailedError).exitCode).toBe(24);
    expect((err as Error).message).toContain('authorization failure');
    expect((err as Error).message).not.toContain('s3cret');
  });

  it('hides the secret when the password update itself fails', async () => {
    const { exec } = recorder([discovered, { match: (c) => c.includes('auth.password'), result: { exitCode: 6 } }]);
    const err = await new IscsiConnector({ executor: exec, root }).connectVolume(info({ auth_method: 'CHAP', auth_username: 'u1', auth_password: 's3cret' })).catch((e: unknown) => e);
    expect((err as CommandFailedError).command).toContain('***');
    expect(JSON.stringify((err as CommandFailedError).command) + (err as Error).message).not.toContain('s3cret');
  });

  it('rejects malformed connection_info with a typed error', async () => {
    const c = new IscsiConnector({ executor: recorder().exec, root });
    for (const data of [{ target_portal: 'a b', target_iqn: IQN, target_lun: 1 }, { target_portal: '192.0.2.5', target_iqn: 'volume', target_lun: 1 }, { target_portal: '192.0.2.5', target_iqn: IQN, target_lun: -1 }]) {
      await expect(c.connectVolume({ driver_volume_type: 'iscsi', data })).rejects.toMatchObject({ code: 'VMKIT_CONNECTOR_INVALID_CONNECTION_INFO' });
    }
  });
});

describe('IscsiConnector.disconnectVolume', () => {
  it('flushes the device, then sets manual startup, logs out and deletes the node', async () => {
    await appear();
    const { calls, exec } = recorder();
    await new IscsiConnector({ executor: exec, root }).disconnectVolume(info(), { type: 'block', path: byPath });
    const n = `iscsiadm ${NODE.join(' ')}`;
    expect(calls).toEqual([`blockdev --flushbufs ${byPath}`, `${n} --op update -n node.startup -v manual`, `${n} --logout`, `${n} --op delete`]);
  });

  it('skips the flush of a device that is gone, and treats "no session" as done', async () => {
    const { calls, exec } = recorder([{ match: (c) => c.endsWith('--logout'), result: { exitCode: 21 } }]);
    await new IscsiConnector({ executor: exec, root }).disconnectVolume(info(), undefined);
    expect(calls.some((c) => c.startsWith('blockdev'))).toBe(false);
    expect(calls.at(-1)).toContain('--op delete');
  });

  it('with force, goes on after a failed flush and throws the first failure at the end', async () => {
    await appear();
    const { calls, exec } = recorder([{ match: (c) => c.startsWith('blockdev'), result: { exitCode: 1, stderr: 'blockdev: cannot open' } }]);
    const c = new IscsiConnector({ executor: exec, root });
    await expect(c.disconnectVolume(info(), { type: 'block', path: byPath })).rejects.toBeInstanceOf(CommandFailedError);
    expect(calls).toHaveLength(1);
    calls.length = 0;
    await expect(c.disconnectVolume(info(), { type: 'block', path: byPath }, { force: true })).rejects.toMatchObject({ exitCode: 1 });
    expect(calls.at(-1)).toContain('--op delete');
  });
});

describe('IscsiConnector, the rest', () => {
  it('extendVolume is a typed not-supported error', async () => {
    await expect(new IscsiConnector().extendVolume()).rejects.toBeInstanceOf(OperationNotSupportedError);
  });

  it('checkValidDevice is false for a missing path', async () => {
    expect(await new IscsiConnector().checkValidDevice(join(root, 'missing'))).toBe(false);
    expect(await new IscsiConnector({ root }).getVolumePaths(info())).toEqual([]);
  });

  it('parses sendtargets output, IPv6 portals included', () => {
    expect(parseSendTargets(`192.0.2.5:3260,1 ${IQN}\n[2001:db8::5]:3260,1 ${IQN}\niscsiadm: garbage\n\n`)).toEqual([
      { portal: '192.0.2.5:3260', iqn: IQN },
      { portal: '[2001:db8::5]:3260', iqn: IQN },
    ]);
  });
});

describe('createCommandExecutor', () => {
  it('resolves with the exit code whatever it is, and rejects a program that cannot start', async () => {
    const exec = createCommandExecutor();
    expect(await exec('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await exec('true', [])).exitCode).toBe(0);
    const err = await exec('/nonexistent/vmkit-no-such-program', ['--password', 'hunter2']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect((err as CommandFailedError).exitCode).toBeUndefined();
    expect(String((err as Error).message) + String(((err as Error).cause as Error).message)).not.toContain('hunter2');
  });

  it('puts the root helper in front', async () => {
    const exec = createCommandExecutor({ rootHelper: ['env', 'VMKIT_X=1'] });
    expect((await exec('sh', ['-c', 'echo $VMKIT_X'])).stdout).toBe('1\n');
  });
});
