import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommandExecutor } from './executor.js';
import { IscsiConnector } from './iscsi.js';

/*
 * Discovery against a real target: Debian's tgt (tgtd) on loopback, found with open-iscsi's iscsiadm.
 * This needs root (tgtd), and iscsiadm needs the iscsi_tcp kernel module and iscsid: a container
 * usually has neither, so the probe below runs the real discovery once and the test is skipped, with
 * the probe's reason in its name, when that cannot work on this machine.
 */
const IQN = 'iqn.2026-12.org.vmkit:connector-test';
const exec = createCommandExecutor();
let tgtd: ChildProcess | undefined;
let portal = '';
const control = String(100 + Math.floor(Math.random() * 800)); // tgtd's control socket number, away from the system's 0

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function startTarget(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'tgtd needs root';
  for (const p of ['tgtd', 'tgtadm', 'iscsiadm']) {
    if ((await exec('sh', ['-c', `command -v ${p}`])).exitCode !== 0) return `${p} is not installed (apt-get install tgt open-iscsi)`;
  }
  const port = await freePort();
  portal = `127.0.0.1:${port}`;
  tgtd = spawn('tgtd', ['-f', '-C', control, '--iscsi', `portal=${portal}`], { stdio: 'ignore' });
  const tgtadm = (...args: string[]) => exec('tgtadm', ['-C', control, '--lld', 'iscsi', ...args]);
  for (let i = 0; ; i++) {
    if ((await tgtadm('--op', 'new', '--mode', 'target', '--tid', '1', '-T', IQN)).exitCode === 0) break;
    if (i === 50) return 'tgtd did not start';
    await sleep(100);
  }
  if ((await tgtadm('--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL')).exitCode !== 0) return 'tgtadm could not open the target to all initiators';
  const probe = await exec('iscsiadm', ['-m', 'discovery', '-t', 'sendtargets', '-I', 'default', '-p', portal]);
  if (probe.exitCode !== 0) {
    const why = probe.stderr.split('\n').filter((l) => l.startsWith('iscsiadm:')).slice(-2).join('; ');
    return `iscsiadm cannot discover on this machine (exit ${probe.exitCode}: ${why})`;
  }
  return undefined;
}

async function stopTarget(): Promise<void> {
  if (tgtd === undefined || tgtd.exitCode !== null || tgtd.signalCode !== null) return;
  const gone = new Promise((resolve) => tgtd!.once('exit', resolve));
  // tgtd ignores SIGTERM while it has targets: remove them and ask it to shut down; SIGKILL if it will not.
  await exec('tgtadm', ['-C', control, '--lld', 'iscsi', '--op', 'delete', '--mode', 'target', '--tid', '1', '--force']).catch(() => undefined);
  await exec('tgtadm', ['-C', control, '--op', 'delete', '--mode', 'system']).catch(() => undefined);
  const timer = setTimeout(() => tgtd?.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

const skipReason = await startTarget();
// A file whose tests are all skipped runs no hooks: stop the daemon at once then.
if (skipReason !== undefined) await stopTarget();
afterAll(stopTarget);

describe('IscsiConnector against tgt on loopback', () => {
  it.skipIf(skipReason !== undefined)(`discovers the target with iscsiadm sendtargets${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, async () => {
    const found = await new IscsiConnector({ executor: exec }).discover(portal);
    expect(found).toContainEqual({ portal, iqn: IQN });
  }, 30_000);
});
