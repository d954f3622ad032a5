import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSimulatorBinary } from './build.js';
import { startSimulator, type Simulator } from './simulator.js';
import { findText, SoapTestFault, TestSoap, type MoRef } from './test-soap.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

let sim: Simulator;
let soap: TestSoap;
let dc: MoRef;
let dsRoot: string;
const vdm = () => soap.content.virtualDiskManager!;
const dcXml = (name = 'datacenter') => `<${name} type="Datacenter">${dc.value}</${name}>`;

beforeAll(async () => {
  await ensureSimulatorBinary();
  sim = await startSimulator({ vms: 0 });
  soap = await TestSoap.login(sim);
  dc = await soap.byPath('DC0');
  const ds = await soap.byPath('DC0/datastore/LocalDS_0');
  dsRoot = findText((await soap.property(ds, 'info')) ?? '', 'url') ?? '';
  expect(dsRoot).toMatch(/^\//);
}, 300_000);
afterAll(() => sim?.stop());

async function folderGet(path: string, range?: [number, number]): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  const res = await request(soap.folderUrl('LocalDS_0', path), {
    headers: { ...soap.cookieHeader, ...(range === undefined ? {} : { range: `bytes=${range[0]}-${range[1]}` }) },
  });
  return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()), headers: res.headers };
}

async function folderPut(path: string, body: Buffer): Promise<number> {
  const res = await request(soap.folderUrl('LocalDS_0', path), { method: 'PUT', headers: soap.cookieHeader, body });
  await res.body.dump();
  return res.statusCode;
}

const diskSpec = (kb: number, type = 'thin') =>
  `<spec xsi:type="FileBackedVirtualDiskSpec"><diskType>${type}</diskType><adapterType>lsiLogic</adapterType><capacityKb>${kb}</capacityKb></spec>`;

describe('virtual disks with real contents', () => {
  it('creates a 1 GiB sparse disk, extends it to 2 GiB, copies it and reads it back over /folder', async () => {
    await soap.task('CreateVirtualDisk_Task', vdm(), `<name>[LocalDS_0] vols/a.vmdk</name>${dcXml()}${diskSpec(GiB / KiB)}`);
    const descriptor = (await folderGet('vols/a.vmdk')).body.toString();
    expect(descriptor).toContain('createType="vmfs"');
    expect(descriptor).toContain(`RW ${GiB / 512} VMFS "a-flat.vmdk"`);
    expect(descriptor).toMatch(/ddb\.thinProvisioned = "1"/);
    expect(descriptor).toMatch(/ddb\.adapterType = "lsilogic"/);
    expect(statSync(join(dsRoot, 'vols/a-flat.vmdk')).size).toBe(GiB);

    // Contents, as oslo.vmware uploads a flat extent; then grow the disk.
    const data = randomBytes(4 * MiB);
    expect(await folderPut('vols/a-flat.vmdk', data)).toBe(200);
    await soap.task('ExtendVirtualDisk_Task', vdm(), `<name>[LocalDS_0] vols/a.vmdk</name>${dcXml()}<newCapacityKb>${(2 * GiB) / KiB}</newCapacityKb>`);
    expect((await folderGet('vols/a.vmdk')).body.toString()).toContain(`RW ${(2 * GiB) / 512} VMFS "a-flat.vmdk"`);

    await soap.task(
      'CopyVirtualDisk_Task',
      vdm(),
      `<sourceName>[LocalDS_0] vols/a.vmdk</sourceName>${dcXml('sourceDatacenter')}<destName>[LocalDS_0] copies/b.vmdk</destName>`,
    );
    const head = await folderGet('copies/b-flat.vmdk', [0, 4 * MiB - 1]);
    expect(head.status).toBe(206);
    expect(head.headers['content-range']).toBe(`bytes 0-${4 * MiB - 1}/${2 * GiB}`);
    expect(head.body.equals(data)).toBe(true);
    for (const at of [4 * MiB, GiB + 12345, 2 * GiB - MiB]) {
      const zeros = await folderGet('copies/b-flat.vmdk', [at, at + MiB - 1]);
      expect(zeros.body.equals(Buffer.alloc(MiB))).toBe(true);
    }
    // 2 GiB of capacity, a few MiB on the host's disk.
    const st = statSync(join(dsRoot, 'copies/b-flat.vmdk'));
    expect(st.size).toBe(2 * GiB);
    expect(st.blocks * 512).toBeLessThan(16 * MiB);

    const info = await soap.task(
      'QueryVirtualDiskInfo_Task',
      vdm(),
      `<name>[LocalDS_0] copies/b.vmdk</name>${dcXml()}<includeParents>true</includeParents>`,
      'urn:internalvim25',
    );
    expect(findText(info.info, 'diskType')).toBe('thin');

    await soap.task('MoveVirtualDisk_Task', vdm(), `<sourceName>[LocalDS_0] copies/b.vmdk</sourceName>${dcXml('sourceDatacenter')}<destName>[LocalDS_0] copies/c.vmdk</destName>`);
    expect((await folderGet('copies/b.vmdk')).status).toBe(404);
    expect((await folderGet('copies/c.vmdk')).body.toString()).toContain('VMFS "c-flat.vmdk"');
    for (const name of ['vols/a.vmdk', 'copies/c.vmdk']) {
      await soap.task('DeleteVirtualDisk_Task', vdm(), `<name>[LocalDS_0] ${name}</name>${dcXml()}`);
    }
    expect((await folderGet('copies/c-flat.vmdk')).status).toBe(404);
  }, 60_000);

  it('refuses to shrink a disk with the fault vCenter returns, and keeps it', async () => {
    await soap.task('CreateVirtualDisk_Task', vdm(), `<name>[LocalDS_0] vols/s.vmdk</name>${dcXml()}${diskSpec(8 * 1024)}`);
    const shrink = soap.task('ExtendVirtualDisk_Task', vdm(), `<name>[LocalDS_0] vols/s.vmdk</name>${dcXml()}<newCapacityKb>1024</newCapacityKb>`);
    await expect(shrink).rejects.toMatchObject({ fault: 'InvalidArgument' });
    expect((await folderGet('vols/s.vmdk')).body.toString()).toContain(`RW ${(8 * MiB) / 512} VMFS`);
    await expect(soap.task('CreateVirtualDisk_Task', vdm(), `<name>[LocalDS_0] vols/s.vmdk</name>${dcXml()}${diskSpec(1024)}`)).rejects.toBeInstanceOf(
      SoapTestFault,
    );
    await expect(soap.task('CreateVirtualDisk_Task', vdm(), `<name>[LocalDS_0] vols/t.vmdk</name>${dcXml()}${diskSpec(1024, 'sparseMonolithic')}`)).rejects.toMatchObject({
      fault: 'InvalidArgument',
    });
    await soap.task('DeleteVirtualDisk_Task', vdm(), `<name>[LocalDS_0] vols/s.vmdk</name>${dcXml()}`);
  });
});
