import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillRandom, makeMixedImage, qemu, qemuImg, qemuSkipReason, tempDir } from '../../test/images.js';
import { testOvf } from '../../test/ovf.js';
import { OvaFormatError } from './errors.js';
import { openOvaDisk } from './ova.js';
import { parseOvf } from './ovf.js';
import { createStreamOptimizedDecoder } from './stream-optimized-decoder.js';
import { readTar } from './tar.js';

const hasTar = spawnSync('tar', ['--version']).status === 0;

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

function tar(dir: string, out: string, members: string[], format = 'ustar'): Buffer {
  execFileSync('tar', ['-cf', out, `--format=${format}`, '-C', dir, ...members]);
  return readFileSync(out);
}

describe.skipIf(!hasTar)('OVA archives made by tar', () => {
  let dir = '';
  let cleanup = (): void => undefined;
  const disk = Buffer.alloc(300 * 1024 + 17);
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    fillRandom(disk, 11);
  });
  afterAll(() => cleanup());

  function pack(name: string, members: Record<string, Buffer | string>, format = 'ustar'): Buffer {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    for (const [m, content] of Object.entries(members)) writeFileSync(join(d, m), content);
    return tar(d, join(dir, `${name}.ova`), Object.keys(members), format);
  }

  it.each(['gnu', 'pax'])('finds the disk named by the OVF in a %s archive, under a long member name', async (format) => {
    const href = `${'a-very-long-disk-name-'.repeat(6)}disk1.vmdk`; // > 100 characters: GNU 'L' or pax 'x' headers
    const ovf = testOvf({ href, size: disk.length, capacity: 1, units: 'byte * 2^30' });
    const sha = createHash('sha256').update(disk).digest('hex');
    const ova = pack(
      `fmt-${format}`,
      {
        'test.ovf': ovf,
        'test.mf': `SHA256(test.ovf)= ${createHash('sha256').update(ovf).digest('hex')}\nSHA256(${href})= ${sha}\n`,
        [href]: disk,
      },
      format,
    );
    const found = await openOvaDisk(Readable.from([ova]));
    expect(found.memberName).toBe(href);
    expect(found.ovfName).toBe('test.ovf');
    expect(found.disk.capacity).toBe(1024 ** 3);
    expect(found.disk.streamOptimized).toBe(true);
    expect((await readAll(found.stream)).equals(disk)).toBe(true);
  });

  it('reads ustar names that use the prefix field', async () => {
    const d = join(dir, 'prefix', 'p'.repeat(90));
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'x'.repeat(60)), 'hello');
    execFileSync('tar', ['-cf', join(dir, 'prefix.tar'), '--format=ustar', '-C', join(dir, 'prefix'), `${'p'.repeat(90)}/${'x'.repeat(60)}`]);
    const names: string[] = [];
    for await (const e of readTar(Readable.from([readFileSync(join(dir, 'prefix.tar'))]))) {
      names.push(e.name);
      if (e.type === 'file') expect((await readAll(e.body)).toString()).toBe('hello');
    }
    expect(names).toEqual([`${'p'.repeat(90)}/${'x'.repeat(60)}`]);
  });

  it('fails typed: no OVF, a disk the archive lacks, a disk before the OVF', async () => {
    await expect(openOvaDisk(Readable.from([pack('noovf', { 'disk1.vmdk': disk })]))).rejects.toMatchObject({
      code: 'VMKIT_TRANSFER_OVA_FORMAT',
      reason: 'no-ovf',
    });
    const ovf = testOvf({ href: 'disk1.vmdk', size: disk.length, capacity: 1 });
    await expect(openOvaDisk(Readable.from([pack('missing', { 'test.ovf': ovf, 'other.vmdk': disk })]))).rejects.toMatchObject({ reason: 'disk-missing' });
    await expect(openOvaDisk(Readable.from([pack('order', { 'disk1.vmdk': disk, 'test.ovf': ovf })]))).rejects.toMatchObject({ reason: 'disk-missing' });
  });

  it('fails typed on a tar checksum mismatch and on a truncated member', async () => {
    const ovf = testOvf({ href: 'disk1.vmdk', size: disk.length, capacity: 1 });
    const ova = pack('ok', { 'test.ovf': ovf, 'disk1.vmdk': disk });
    const corrupt = Buffer.from(ova);
    corrupt[10] = (corrupt[10] ?? 0) ^ 0x01; // a byte of the first member's name
    await expect(openOvaDisk(Readable.from([corrupt]))).rejects.toMatchObject({ reason: 'tar-checksum' });
    const cut = ova.subarray(0, ova.length - 10240 - 4000); // inside the disk member
    const found = await openOvaDisk(Readable.from([cut]));
    await expect(readAll(found.stream)).rejects.toMatchObject({ reason: 'truncated' });
  });

  it('checks the OVF size and the manifest digest', async () => {
    const ovf = testOvf({ href: 'disk1.vmdk', size: disk.length + 1, capacity: 1 });
    await expect(openOvaDisk(Readable.from([pack('size', { 'test.ovf': ovf, 'disk1.vmdk': disk })]))).rejects.toMatchObject({ reason: 'size-mismatch' });
    const ovf2 = testOvf({ href: 'disk1.vmdk', size: disk.length, capacity: 1 });
    const found = await openOvaDisk(
      Readable.from([pack('digest', { 'test.ovf': ovf2, 'test.mf': `SHA256(disk1.vmdk)= ${'0'.repeat(64)}\n`, 'disk1.vmdk': disk })]),
    );
    const err: unknown = await readAll(found.stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvaFormatError);
    expect((err as OvaFormatError).reason).toBe('digest-mismatch');
  });

  it('joins chunked files and gunzips compressed ones', async () => {
    const gz = gzipSync(disk);
    const chunk = 100 * 1024;
    const members: Record<string, Buffer | string> = {
      'test.ovf': testOvf({ href: 'disk1.vmdk', size: gz.length, capacity: 1, compression: 'gzip', chunkSize: chunk, blankDiskFirst: true }),
    };
    for (let k = 0; k * chunk < gz.length; k++) members[`disk1.vmdk.${String(k).padStart(9, '0')}`] = gz.subarray(k * chunk, (k + 1) * chunk);
    members['trailer.txt'] = 'after the disk';
    const found = await openOvaDisk(Readable.from([pack('chunked', members)]));
    expect(found.disk.diskId).toBe('vmdisk1');
    expect((await readAll(found.stream)).equals(disk)).toBe(true);
  });

  it('stops reading the source once the disk has been read', async () => {
    const ovf = testOvf({ href: 'disk1.vmdk', capacity: 1 });
    const path = join(dir, 'stop.ova');
    writeFileSync(path, pack('stop', { 'test.ovf': ovf, 'disk1.vmdk': disk, 'big.bin': Buffer.alloc(2 << 20) }));
    const src = createReadStream(path);
    const found = await openOvaDisk(src);
    expect((await readAll(found.stream)).length).toBe(disk.length);
    await new Promise((r) => setImmediate(r));
    expect(src.destroyed).toBe(true);
  });
});

describe.skipIf(qemuImg === undefined || !hasTar)(`OVA with a qemu-img stream-optimized disk${qemuImg === undefined ? ` (skipped: ${qemuSkipReason})` : ''}`, () => {
  let dir = '';
  let cleanup = (): void => undefined;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());

  it('streams the disk member, which decodes to the original raw disk', async () => {
    const size = 3 * 1024 * 1024;
    await makeMixedImage(join(dir, 'disk.raw'), { size, seed: 5, block: 256 * 1024 });
    const pkg = join(dir, 'pkg');
    mkdirSync(pkg);
    qemu('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', join(dir, 'disk.raw'), join(pkg, 'vm-disk1.vmdk'));
    const vmdk = readFileSync(join(pkg, 'vm-disk1.vmdk'));
    const ovf = testOvf({ href: 'vm-disk1.vmdk', size: vmdk.length, capacity: size });
    writeFileSync(join(pkg, 'vm.ovf'), ovf);
    writeFileSync(join(pkg, 'vm.mf'), `SHA1(vm.ovf)= ${createHash('sha1').update(ovf).digest('hex')}\nSHA1(vm-disk1.vmdk)= ${createHash('sha1').update(vmdk).digest('hex')}\n`);
    tar(pkg, join(dir, 'vm.ova'), ['vm.ovf', 'vm.mf', 'vm-disk1.vmdk']);

    const found = await openOvaDisk(createReadStream(join(dir, 'vm.ova')));
    expect(found.memberName).toBe('vm-disk1.vmdk');
    expect(found.disk.capacity).toBe(size);
    expect(found.memberSize).toBe(vmdk.length);
    const parts: Buffer[] = [];
    await pipeline(found.stream, createStreamOptimizedDecoder(), async (out: AsyncIterable<Buffer>) => {
      for await (const c of out) parts.push(c);
    });
    expect(Buffer.concat(parts).equals(readFileSync(join(dir, 'disk.raw')))).toBe(true);
  });
});

describe('parseOvf', () => {
  it('reads files and disks, with units and a blank disk', () => {
    const ovf = parseOvf(testOvf({ href: 'd.vmdk', size: 10, capacity: 20, units: 'byte * 2^20', blankDiskFirst: true }));
    expect(ovf.files).toEqual([{ id: 'file1', href: 'd.vmdk', size: 10, compression: undefined, chunkSize: undefined }]);
    expect(ovf.disks.map((d) => [d.diskId, d.fileRef, d.capacity])).toEqual([
      ['blank', undefined, 1024 ** 3],
      ['vmdisk1', 'file1', 20 * 1024 ** 2],
    ]);
    expect(ovf.virtualSystemId).toBe('test-vm');
  });

  it('reads an OVF 2 envelope with prefixed elements', () => {
    const xml = `<ovf:Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/2"><ovf:References><ovf:File ovf:id="f" ovf:href="x.vmdk"/></ovf:References><ovf:DiskSection><ovf:Disk ovf:diskId="d" ovf:fileRef="f" ovf:capacity="\${size}"/></ovf:DiskSection></ovf:Envelope>`;
    const ovf = parseOvf(xml);
    expect(ovf.files[0]?.href).toBe('x.vmdk');
    expect(ovf.disks[0]?.capacity).toBeUndefined();
    expect(ovf.disks[0]?.capacityText).toBe('${size}');
  });

  it('refuses malformed XML, DTDs and other roots with typed errors', () => {
    for (const xml of ['<Envelope', '<!DOCTYPE x [<!ENTITY a "b">]><Envelope/>', '<Other/>', '<a><b></a></b>', '<Envelope>&bogus;</Envelope>', '']) {
      expect(() => parseOvf(xml)).toThrow(OvaFormatError);
    }
  });
});
