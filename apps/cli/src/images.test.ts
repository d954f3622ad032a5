import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { describeLocalImage } from './images.js';
import { minimalOvf } from '../test/ovf.js';

describe('describeLocalImage (files made by qemu-img and tar)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmkit-cli-images-'));
  const f = (n: string) => join(dir, n);
  const MiB = 1024 * 1024;
  beforeAll(() => {
    writeFileSync(f('raw.bin'), randomBytes(2 * MiB));
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', f('raw.bin'), f('so.vmdk')]);
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vmdk', f('raw.bin'), f('sparse.vmdk')]);
    execFileSync('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', f('flat.vmdk'), '4M']);
    writeFileSync(f('disk.ovf'), minimalOvf('disk1.vmdk', 2 * MiB));
    execFileSync('cp', [f('so.vmdk'), f('disk1.vmdk')]);
    execFileSync('tar', ['-cf', f('image.ova'), '--format=ustar', '-C', dir, 'disk.ovf', 'disk1.vmdk']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a stream-optimized and a monolithic sparse VMDK from their headers', async () => {
    expect(await describeLocalImage(f('so.vmdk'))).toMatchObject({ capacity: 2 * MiB, properties: { disk_format: 'vmdk', container_format: 'bare', vmware_disktype: 'streamOptimized' } });
    expect(await describeLocalImage(f('sparse.vmdk'), { adapter: 'paraVirtual' })).toMatchObject({
      capacity: 2 * MiB,
      properties: { vmware_disktype: 'sparse', vmware_adaptertype: 'paraVirtual' },
    });
  });

  it('reads an OVA: the disk and its capacity from the OVF', async () => {
    expect(await describeLocalImage(f('image.ova'))).toMatchObject({ capacity: 2 * MiB, properties: { container_format: 'ova', vmware_disktype: 'streamOptimized' } });
  });

  it('takes a raw file as a preallocated disk only when told', async () => {
    expect(await describeLocalImage(f('raw.bin'), { diskType: 'preallocated' })).toMatchObject({ capacity: 2 * MiB, size: 2 * MiB, properties: { vmware_disktype: 'preallocated' } });
    await expect(describeLocalImage(f('raw.bin'))).rejects.toThrow(/not a VMDK or an OVA.*--disk-type preallocated/);
  });

  it('refuses what it cannot import, as usage errors', async () => {
    await expect(describeLocalImage(f('flat.vmdk'))).rejects.toThrow(/monolithicFlat VMDK; import takes/);
    await expect(describeLocalImage(f('missing.vmdk'))).rejects.toBeInstanceOf(UsageError);
    await expect(describeLocalImage(dir)).rejects.toThrow(/is not a file/);
  });
});
