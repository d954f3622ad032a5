import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSimulatorBinary, goEnv, harnessDir } from './build.js';
import { startSimulator } from './simulator.js';

const retrieveServiceContent =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:vim25="urn:vim25">' +
  '<soapenv:Body><vim25:RetrieveServiceContent><vim25:_this type="ServiceInstance">ServiceInstance</vim25:_this>' +
  '</vim25:RetrieveServiceContent></soapenv:Body></soapenv:Envelope>';

async function apiType(url: string, dispatcher?: Agent): Promise<string | undefined> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/6.7' },
    body: retrieveServiceContent,
    ...(dispatcher === undefined ? {} : { dispatcher }),
  });
  const text = await res.body.text();
  expect(res.statusCode).toBe(200);
  return /<about>[\s\S]*?<apiType>([^<]*)<\/apiType>/.exec(text)?.[1];
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/**
 * Each simulator here gets a temporary folder of its own (TMPDIR), so that the folders of simulators that
 * other tests start at the same time cannot be mistaken for its leftovers.
 */
const ownTmp = () => mkdtempSync(join(tmpdir(), 'vmkit-vcsim-test-'));
const simulatorDirs = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('govcsim-'));
async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(cond(), what).toBe(true);
}

// The first use compiles govmomi's simulator (about half a minute on two cores).
beforeAll(() => ensureSimulatorBinary().then(() => undefined), 300_000);

describe('the simulator harness', () => {
  it('serves RetrieveServiceContent as vCenter (vpx) and as a host (esx)', async () => {
    await using vpx = await startSimulator();
    expect(vpx.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sdk$/);
    expect(vpx.pbmUrl).toBe(vpx.url.replace(/\/sdk$/, '/pbm'));
    expect(await apiType(vpx.url)).toBe('VirtualCenter');
    await using esx = await startSimulator({ model: 'esx' });
    expect(await apiType(esx.url)).toBe('HostAgent');
  });

  it('serves TLS that verifies against the printed certificate', async () => {
    await using sim = await startSimulator({ tls: true });
    expect(sim.url).toMatch(/^https:/);
    expect(sim.certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const verifying = new Agent({ connect: { ca: sim.certificate!, rejectUnauthorized: true } });
    expect(await apiType(sim.url, verifying)).toBe('VirtualCenter');
    await verifying.close();
    // Without the CA, verification (on by default) refuses the self-signed certificate.
    await expect(apiType(sim.url)).rejects.toThrow();
  });

  it('leaves no process and no datastore folder after stop()', async () => {
    const dir = ownTmp();
    try {
      const sim = await startSimulator({ vms: 3, env: { ...process.env, TMPDIR: dir } });
      expect(alive(sim.pid)).toBe(true);
      expect(simulatorDirs(dir).length).toBeGreaterThan(0);
      await sim.stop();
      await sim.stop(); // idempotent
      expect(alive(sim.pid)).toBe(false);
      expect(simulatorDirs(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits by itself when its parent is killed', async () => {
    const dir = ownTmp();
    const script = `import { startSimulator } from ${JSON.stringify(join(harnessDir, 'dist/index.js'))};
      const sim = await startSimulator({ env: { ...process.env, TMPDIR: ${JSON.stringify(dir)} } });
      console.log(sim.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim())));
      parent.once('exit', () => reject(new Error('parent exited early')));
    });
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    await waitUntil(() => !alive(pid), 'the simulator outlived its parent');
    await waitUntil(() => simulatorDirs(dir).length === 0, 'the simulator left folders behind');
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects with the reason when the simulator cannot start', async () => {
    await expect(startSimulator({ listen: '10.0.0.1:0' })).rejects.toThrow(/only loopback/);
    await expect(startSimulator({ vms: -1 })).rejects.toThrow(RangeError);
  });

  it("passes the Go harness's own tests", async () => {
    const { stdout } = await promisify(execFile)('go', ['test', '.'], { cwd: join(harnessDir, 'go'), env: goEnv() });
    expect(stdout).toMatch(/^ok\s/m);
  }, 300_000);
});
