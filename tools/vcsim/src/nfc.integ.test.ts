import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSimulatorBinary } from './build.js';
import { startSimulator, type Simulator } from './simulator.js';
import { findRef, findText, refXml, TestSoap, type MoRef } from './test-soap.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const SIZE = 64 * MiB;

let sim: Simulator;
let soap: TestSoap;
let pool: MoRef;
let folder: MoRef;
let dir: string;
let sourceRaw: string;
let sourceVmdk: string;

/** Writes `chunks` (offset -> bytes) into a sparse raw image of SIZE bytes. */
async function writeRaw(file: string, chunks: [number, Buffer][]): Promise<void> {
  const fh = await open(file, 'w');
  await fh.truncate(SIZE);
  for (const [at, bytes] of chunks) await fh.write(bytes, 0, bytes.length, at);
  await fh.close();
}

beforeAll(async () => {
  await ensureSimulatorBinary();
  sim = await startSimulator({ vms: 0 });
  soap = await TestSoap.login(sim);
  pool = await soap.byPath('DC0/host/DC0_C0/Resources');
  folder = await soap.byPath('DC0/vm');
  dir = await mkdtemp(join(tmpdir(), 'vcsim-nfc-'));
  sourceRaw = join(dir, 'source.raw');
  sourceVmdk = join(dir, 'source.vmdk');
  await writeRaw(sourceRaw, [
    [0, randomBytes(MiB)],
    [5 * MiB + 123, randomBytes(300_000)],
    [40 * MiB, randomBytes(2 * MiB)],
    [SIZE - 65_536, randomBytes(65_536)],
  ]);
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', sourceRaw, sourceVmdk]);
}, 300_000);
afterAll(async () => {
  await sim?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const importSpec = (name: string) =>
  `<spec xsi:type="VirtualMachineImportSpec"><configSpec><name>${name}</name><files><vmPathName>[LocalDS_0]</vmPathName></files>` +
  `<deviceChange xsi:type="VirtualDeviceConfigSpec"><operation>add</operation><device xsi:type="VirtualLsiLogicController"><key>-100</key>` +
  `<busNumber>0</busNumber><sharedBus>noSharing</sharedBus><scsiCtlrUnitNumber>7</scsiCtlrUnitNumber></device></deviceChange>` +
  `<deviceChange xsi:type="VirtualDeviceConfigSpec"><operation>add</operation><fileOperation>create</fileOperation><device xsi:type="VirtualDisk">` +
  `<key>-101</key><backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[LocalDS_0]</fileName><diskMode>persistent</diskMode>` +
  `<thinProvisioned>true</thinProvisioned></backing><controllerKey>-100</controllerKey><unitNumber>0</unitNumber>` +
  `<capacityInKB>${SIZE / 1024}</capacityInKB></device></deviceChange></configSpec></spec>`;

async function readyLease(lease: MoRef): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const state = findText((await soap.property(lease, 'state')) ?? '', 'val');
    if (state === 'ready') return (await soap.property(lease, 'info')) ?? '';
    if (state === 'error') throw new Error('the lease failed');
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the lease never became ready');
}

/** Imports a VM with one disk through ImportVApp and NFC; resolves with the VM. */
async function importVm(name: string, body: Buffer, streamOptimized: boolean): Promise<MoRef> {
  const lease = await soap.ref('ImportVApp', pool, importSpec(name) + refXml('folder', folder));
  const info = await readyLease(lease);
  const url = soap.deviceUrl(findText(info, 'url')!);
  const res = await request(url, {
    method: streamOptimized ? 'POST' : 'PUT',
    headers: { 'content-type': streamOptimized ? 'application/x-vnd.vmware-streamVmdk' : 'application/octet-stream', 'content-length': String(body.length) },
    body,
  });
  const answer = await res.body.text();
  expect(`${res.statusCode} ${answer}`).toBe('200 ');
  await soap.call('HttpNfcLeaseComplete', lease);
  return findRef(info, 'entity')!;
}

/** Exports a VM's disk through ExportVm into a file. */
async function exportVm(vm: MoRef, file: string): Promise<void> {
  const lease = await soap.ref('ExportVm', vm);
  const info = await readyLease(lease);
  const url = soap.deviceUrl(findText(info, 'url')!);
  const res = await request(url, { headers: soap.cookieHeader });
  expect(res.statusCode).toBe(200);
  await pipeline(res.body, createWriteStream(file));
  await soap.call('HttpNfcLeaseProgress', lease, '<percent>100</percent>');
  await soap.call('HttpNfcLeaseComplete', lease);
  const again = await request(url, { headers: soap.cookieHeader });
  await again.body.dump();
  expect(again.statusCode).toBe(404);
}

/** qemu-img's verdict on whether an image holds the same bytes as a raw file. */
async function sameAs(image: string, raw: string): Promise<boolean> {
  try {
    await run('qemu-img', ['compare', '-F', 'raw', image, raw]);
    return true;
  } catch {
    return false;
  }
}

/** The VM's (only) disk device, as XML. */
async function diskXml(vm: MoRef): Promise<string> {
  const devices = (await soap.property(vm, 'config.hardware.device')) ?? '';
  const m = /<VirtualDevice [^>]*type="VirtualDisk">[\s\S]*?<\/VirtualDevice>/.exec(devices);
  expect(m).not.toBeNull();
  return m![0];
}

const diskFile = async (vm: MoRef) => findText(await diskXml(vm), 'fileName')!;
const inDatastore = (dsPath: string) => dsPath.replace(/^\[LocalDS_0\] /, '');

async function folderText(path: string): Promise<{ status: number; text: string }> {
  const res = await request(soap.folderUrl('LocalDS_0', path), { headers: soap.cookieHeader });
  return { status: res.statusCode, text: await res.body.text() };
}

describe('NFC import and export', () => {
  let imported: MoRef;

  it('persists a stream-optimized upload, and ExportVm serves the same bytes', async () => {
    imported = await importVm('imported', await readFile(sourceVmdk), true);
    const exported = join(dir, 'exported.vmdk');
    await exportVm(imported, exported);
    const { stdout } = await run('qemu-img', ['info', '--output=json', exported]);
    expect(JSON.parse(stdout)).toMatchObject({ format: 'vmdk', 'virtual-size': SIZE });
    expect(await sameAs(exported, sourceRaw)).toBe(true);
    // Zero grains were skipped: the stream is about the size of the data, not of the disk.
    expect((await readFile(exported)).length).toBeLessThan(8 * MiB);
  }, 60_000);

  it('persists a flat upload (PUT)', async () => {
    const vm = await importVm('flat', await readFile(sourceRaw), false);
    const exported = join(dir, 'flat.vmdk');
    await exportVm(vm, exported);
    expect(await sameAs(exported, sourceRaw)).toBe(true);
  }, 60_000);

  it('refuses a body that is not a stream-optimized VMDK with 400', async () => {
    const lease = await soap.ref('ImportVApp', pool, importSpec('garbage') + refXml('folder', folder));
    const url = soap.deviceUrl(findText(await readyLease(lease), 'url')!);
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/x-vnd.vmware-streamVmdk' }, body: randomBytes(4096) });
    await res.body.dump();
    expect(res.statusCode).toBe(400);
    await soap.call('HttpNfcLeaseAbort', lease);
  });

  it('snapshots make a delta, a linked clone reads its parent and writes to it spare the parent', async () => {
    const baseFile = await diskFile(imported);
    const snapshot = (await soap.task('CreateSnapshot_Task', imported, '<name>s1</name><memory>false</memory><quiesce>false</quiesce>')).result!;
    const deltaFile = await diskFile(imported);
    expect(deltaFile).toMatch(/-000001\.vmdk$/);
    const deltaDescriptor = (await folderText(inDatastore(deltaFile))).text;
    expect(deltaDescriptor).toContain('createType="vmfsSparse"');
    expect(deltaDescriptor).toContain(`parentFileNameHint="${inDatastore(baseFile).split('/').pop()}"`);

    const clone = (
      await soap.task(
        'CloneVM_Task',
        imported,
        `${refXml('folder', folder)}<name>linked</name><spec><location><diskMoveType>createNewChildDiskBacking</diskMoveType></location>` +
          `<template>false</template><powerOn>false</powerOn>${refXml('snapshot', snapshot)}</spec>`,
      )
    ).result!;
    expect(await diskFile(imported)).toBe(deltaFile); // the source keeps its disk
    const cloneDisk = await diskXml(clone);
    expect(findText(/<parent>[\s\S]*<\/parent>/.exec(cloneDisk)?.[0] ?? '', 'fileName')).toBe(baseFile);
    const cloneExport = join(dir, 'clone.vmdk');
    await exportVm(clone, cloneExport);
    expect(await sameAs(cloneExport, sourceRaw)).toBe(true);

    // Write to the clone: its delta extent holds the new bytes, the parent keeps its own.
    const cloneDescriptorPath = inDatastore(findText(cloneDisk, 'fileName')!);
    const extent = /VMFSSPARSE "([^"]+)"/.exec((await folderText(cloneDescriptorPath)).text)![1]!;
    const written = Buffer.alloc(65_536, 0x5a);
    const put = await request(soap.folderUrl('LocalDS_0', cloneDescriptorPath.replace(/[^/]+$/, extent)), {
      method: 'PUT',
      headers: soap.cookieHeader,
      body: written,
    });
    await put.body.dump();
    expect(put.statusCode).toBe(200);
    const expected = join(dir, 'expected.raw');
    await copyFile(sourceRaw, expected);
    const fh = await open(expected, 'r+');
    await fh.write(written, 0, written.length, 0);
    await fh.close();
    await exportVm(clone, cloneExport);
    expect(await sameAs(cloneExport, expected)).toBe(true);
    const parentExport = join(dir, 'parent.vmdk');
    await exportVm(imported, parentExport);
    expect(await sameAs(parentExport, sourceRaw)).toBe(true);
  }, 60_000);

  it('removing a snapshot consolidates its delta; a disk cannot shrink', async () => {
    const vm = await importVm('solo', await readFile(sourceRaw), false);
    const baseFile = await diskFile(vm);
    await soap.task('CreateSnapshot_Task', vm, '<name>s</name><memory>false</memory><quiesce>false</quiesce>');
    const deltaFile = await diskFile(vm);
    expect(deltaFile).not.toBe(baseFile);
    const snapshot = findRef((await soap.property(vm, 'snapshot.currentSnapshot')) ?? '', 'val');
    await soap.task('RemoveSnapshot_Task', snapshot!, '<removeChildren>false</removeChildren>');
    expect(await diskFile(vm)).toBe(baseFile);
    expect((await folderText(inDatastore(deltaFile))).status).toBe(404);

    const disk = await diskXml(vm);
    const key = findText(disk, 'key')!;
    const edit = (kb: number) =>
      soap.task(
        'ReconfigVM_Task',
        vm,
        `<spec><deviceChange xsi:type="VirtualDeviceConfigSpec"><operation>edit</operation><device xsi:type="VirtualDisk"><key>${key}</key>` +
          `<backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>${baseFile}</fileName><diskMode>persistent</diskMode></backing>` +
          `<controllerKey>${findText(disk, 'controllerKey')!}</controllerKey><unitNumber>${findText(disk, 'unitNumber')!}</unitNumber>` +
          `<capacityInKB>${kb}</capacityInKB></device></deviceChange></spec>`,
      );
    await expect(edit(SIZE / 2048)).rejects.toMatchObject({ fault: 'InvalidDeviceOperation' });
    await edit((2 * SIZE) / 1024);
    expect((await folderText(inDatastore(baseFile))).text).toContain(`RW ${(2 * SIZE) / 512} VMFS`);
  }, 60_000);
});
