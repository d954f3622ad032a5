import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalImageStore } from '@vmkit/transfer';
import { afterAll, describe, expect, it } from 'vitest';
import { packOva } from '../test/ova.js';
import { ImageUnacceptableError, InvalidVolumeSpecError } from './errors.js';
import { stageImage, validateImage } from './image.js';

const info = (properties: Record<string, string>) => ({ size: 1024, properties });

describe('validateImage', () => {
  it("reads the image's properties with Cinder's defaults", () => {
    expect(validateImage('i', info({}), 'lsiLogic')).toMatchObject({ diskType: 'preallocated', adapterType: 'lsiLogic', containerFormat: 'bare', linkedClone: false, size: 1024 });
    expect(validateImage('i', info({ disk_format: 'VMDK', container_format: 'ova', vmware_disktype: 'streamOptimized', vmware_adaptertype: 'ide', vmware_linked_clone: 'True' }), 'lsiLogic')).toMatchObject({
      diskType: 'streamOptimized',
      adapterType: 'ide',
      containerFormat: 'ova',
      linkedClone: true,
    });
  });

  it('refuses other disk and container formats, and unknown disk or adapter types', () => {
    expect(() => validateImage('i', info({ disk_format: 'qcow2' }), 'lsiLogic')).toThrow(ImageUnacceptableError);
    expect(() => validateImage('i', info({ container_format: 'docker' }), 'lsiLogic')).toThrow(ImageUnacceptableError);
    expect(() => validateImage('i', info({ vmware_disktype: 'raw' }), 'lsiLogic')).toThrow(InvalidVolumeSpecError);
    expect(() => validateImage('i', info({ vmware_adaptertype: 'nvme' }), 'lsiLogic')).toThrow(InvalidVolumeSpecError);
  });
});

const tools = spawnSync('qemu-img', ['--version']).status === 0 && spawnSync('tar', ['--version']).status === 0;

describe.skipIf(!tools)('stageImage on an OVA (qemu-img and tar)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmkit-driver-stage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // qemu-img writes the embedded descriptor with one random CID and rewrites it in place with another;
  // when the second is two or more hex digits shorter, the first text's last bytes stay behind the new
  // NUL (one qemu-img file in about 250). The OVA image test failed on such a disk ("descriptor text
  // contains a NUL byte"); here the rewrite is made on purpose.
  it('unwraps a stream-optimized disk whose descriptor area holds stale bytes after the NUL', async () => {
    const raw = Buffer.alloc(2 * 1024 * 1024);
    randomBytes(200_000).copy(raw, 70_000);
    writeFileSync(join(dir, 'disk.raw'), raw);
    const members = join(dir, 'members');
    mkdirSync(members);
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', join(dir, 'disk.raw'), join(members, 'disk1.vmdk')]);
    const disk = readFileSync(join(members, 'disk1.vmdk'));
    const area = disk.subarray(512, 21 * 512);
    const text = area.subarray(0, area.indexOf(0)).toString('latin1');
    Buffer.from(text.replace(/^CID=[0-9a-f]+$/m, 'CID=fffffffe'), 'latin1').copy(area);
    const second = Buffer.from(text.replace(/^CID=[0-9a-f]+$/m, 'CID=1b'), 'latin1');
    second.copy(area);
    area[second.length] = 0;
    expect(area[second.length + 1]).not.toBe(0); // stale bytes follow the NUL
    writeFileSync(join(members, 'disk1.vmdk'), disk);
    packOva(members, join(dir, 'image.ova'), raw.length);
    const store = new LocalImageStore(join(dir, 'store'));
    const info = await store.sink('ova').write(Readable.from([readFileSync(join(dir, 'image.ova'))]), {
      disk_format: 'vmdk',
      container_format: 'ova',
      vmware_disktype: 'streamOptimized',
    });
    const staging = join(dir, 'staging');
    mkdirSync(staging);
    const staged = await stageImage(validateImage('ova', info, 'lsiLogic'), store.source('ova'), { tmpDir: staging });
    expect(staged).toMatchObject({ form: 'streamOptimized', capacity: raw.length });
    expect(readFileSync(staged.path).equals(disk)).toBe(true);
    await staged.cleanup();
    expect(readdirSync(staging)).toEqual([]);
  }, 30_000);
});
