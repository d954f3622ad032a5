import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function vmkit(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, done, out: () => stdout, err: () => stderr };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('vmkit (child process)', () => {
  it('prints help and exits 0; an unknown command exits 2 (usage)', async () => {
    const h = vmkit(['--help']);
    expect(await h.done).toBe(0);
    expect(h.out()).toMatch(/usage: vmkit <command>/);
    const u = vmkit(['frobnicate']);
    expect(await u.done).toBe(2);
    expect(u.err()).toMatch(/unknown command "frobnicate"/);
  });

  it('refuses a password given as a flag value, without echoing it', async () => {
    const r = vmkit(['sim', '--password', 'hunter2']);
    expect(await r.done).toBe(2);
    expect(r.err()).toMatch(/--password-file/);
    expect(r.err() + r.out()).not.toContain('hunter2');
  });

  it('rejects a bad option value with a usage error', async () => {
    const r = vmkit(['sim', '--vms', 'many']);
    expect(await r.done).toBe(2);
    expect(r.err()).toMatch(/--vms must be a positive whole number/);
  });

  it('demo runs end to end on the embedded simulator and reports each step', async () => {
    const r = vmkit(['demo', '--json']);
    expect(await r.done).toBe(0);
    const { steps } = JSON.parse(r.out()) as { steps: { step: string; roundTrips: number }[] };
    expect(steps.map((s) => s.step)).toEqual([
      'connect',
      'inventory',
      'create shadow VM with a 1 GiB thin disk',
      'read back the disk',
      'power on and off',
      'delete the VM and its disk',
      'log out',
    ]);
    expect(steps.every((s) => s.roundTrips >= 1)).toBe(true);
  }, 300_000);

  it('--url without --user is a usage error', async () => {
    const r = vmkit(['demo', '--url', 'https://127.0.0.1:9/sdk']);
    expect(await r.done).toBe(2);
    expect(r.err()).toMatch(/--url needs --user/);
  });

  it('sim serves until interrupted, then stops the simulator', async () => {
    const r = vmkit(['sim', '--json']);
    for (let i = 0; i < 1200 && !r.out().includes('}'); i++) await new Promise((res) => setTimeout(res, 100));
    const info = JSON.parse(r.out()) as { url: string; pid: number };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sdk$/);
    expect(alive(info.pid)).toBe(true);
    r.child.kill('SIGINT');
    expect(await r.done).toBe(0);
    expect(alive(info.pid)).toBe(false);
  }, 300_000);
});
