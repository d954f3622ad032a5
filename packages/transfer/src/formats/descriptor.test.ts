import { describe, expect, it } from 'vitest';
import { formatVmdkDescriptor, parseVmdkDescriptor, vmdkGeometry } from './descriptor.js';
import { detectDiskType } from './disk-type.js';
import { VmdkFormatError, VmdkUnsupportedError } from './errors.js';

// A descriptor as ESX writes it for a thin disk, with CRLF line ends, a comment after a value, odd spacing.
const esxThin = [
  '# Disk DescriptorFile',
  'version=1',
  'encoding="UTF-8"',
  'CID=8e1c1a2b',
  'parentCID=ffffffff',
  'isNativeSnapshot="no"',
  'createType="vmfs"',
  '',
  '# Extent description',
  'RW 20971520 VMFS "volume-0a1b-flat.vmdk"',
  '',
  '# The Disk Data Base ',
  '#DDB',
  '',
  'ddb.adapterType = "lsilogic"',
  'ddb.deletable = "true"',
  'ddb.geometry.cylinders = "1305"',
  'ddb.geometry.heads = "255"',
  'ddb.geometry.sectors = "63"',
  'ddb.longContentID = "4f5a3c1e9b2d8e7f6a5b4c3d8e1c1a2b"',
  'ddb.thinProvisioned =   "1"   # written by hand',
  'ddb.toolsInstallType = "4"',
  'ddb.uuid = "60 00 C2 93 1c 2a 6d 0f-8a 3c 59 25 5b 41 2e 10"',
  'ddb.virtualHWVersion = "13"',
].join('\r\n');

describe('parseVmdkDescriptor', () => {
  it('reads an ESX thin disk descriptor with CRLF line ends', () => {
    const d = parseVmdkDescriptor(esxThin);
    expect(d).toMatchObject({
      version: 1,
      encoding: 'UTF-8',
      cid: 0x8e1c1a2b,
      parentCid: 0xffffffff,
      createType: 'vmfs',
      capacity: 20971520,
      adapterType: 'lsilogic',
      geometry: { cylinders: 1305, heads: 255, sectors: 63 },
      virtualHWVersion: '13',
      thinProvisioned: true,
      uuid: '60 00 C2 93 1c 2a 6d 0f-8a 3c 59 25 5b 41 2e 10',
      longContentID: '4f5a3c1e9b2d8e7f6a5b4c3d8e1c1a2b',
    });
    expect(d.extents).toEqual([{ access: 'RW', size: 20971520, type: 'VMFS', fileName: 'volume-0a1b-flat.vmdk' }]);
    expect(d.entries['isNativeSnapshot']).toBe('no');
    expect(d.ddb['ddb.toolsInstallType']).toBe('4');
    expect(detectDiskType({ descriptor: d })).toEqual({ diskType: 'vmfsThin', capacity: 20971520 * 512 });
  });

  it('reads delta, ZERO and multi-extent descriptors, file names with spaces, NUL padding', () => {
    const text = `version=1\nCID=1\nparentCID=2a\ncreateType="twoGbMaxExtentFlat"\nparentFileNameHint="base disk.vmdk"\nRW 100 FLAT "my disk-f001.vmdk" 0\nRDONLY 50 FLAT "my disk-f002.vmdk" 7\nNOACCESS 8 ZERO\n`;
    const padded = Buffer.concat([Buffer.from(text), Buffer.alloc(600)]);
    const d = parseVmdkDescriptor(padded);
    expect(d.parentCid).toBe(0x2a);
    expect(d.parentFileNameHint).toBe('base disk.vmdk');
    expect(d.capacity).toBe(158);
    expect(d.extents).toEqual([
      { access: 'RW', size: 100, type: 'FLAT', fileName: 'my disk-f001.vmdk', offset: 0 },
      { access: 'RDONLY', size: 50, type: 'FLAT', fileName: 'my disk-f002.vmdk', offset: 7 },
      { access: 'NOACCESS', size: 8, type: 'ZERO' },
    ]);
  });

  it('ends the text at its first NUL and ignores the bytes after it (qemu-img leaves stale ones there)', () => {
    const text = 'version=1\nCID=1b\nparentCID=ffffffff\ncreateType="streamOptimized"\nRW 8 SPARSE "d.vmdk"\n';
    const area = Buffer.alloc(20 * 512);
    Buffer.from(text).copy(area);
    Buffer.from('f"\n').copy(area, text.length + 1); // the tail of a longer, earlier text
    const d = parseVmdkDescriptor(area, { position: 512 });
    expect(d).toMatchObject({ cid: 0x1b, createType: 'streamOptimized', capacity: 8 });
    expect(d.extents).toEqual([{ access: 'RW', size: 8, type: 'SPARSE', fileName: 'd.vmdk' }]);
  });

  it.each([
    ['no version', 'createType="vmfs"\nRW 1 VMFS "a"\n', 'bad-descriptor'],
    ['no createType', 'version=1\nRW 1 VMFS "a"\n', 'bad-descriptor'],
    ['a bad CID', 'version=1\nCID=xyz\ncreateType="vmfs"\n', 'bad-descriptor'],
    ['a bad extent size', 'version=1\ncreateType="vmfs"\nRW 1x VMFS "a"\n', 'bad-descriptor'],
    ['an unknown extent type', 'version=1\ncreateType="vmfs"\nRW 1 WEIRD "a"\n', 'bad-descriptor'],
    ['an extent without a file', 'version=1\ncreateType="vmfs"\nRW 1 VMFS\n', 'bad-descriptor'],
    ['a stray line', 'version=1\ncreateType="vmfs"\nthis is not a descriptor line\n', 'bad-descriptor'],
    ['a NUL that ends the text before createType', 'version=1\0\ncreateType="vmfs"\n', 'bad-descriptor'],
  ])('refuses %s', (_what, text, reason) => {
    expect(() => parseVmdkDescriptor(text)).toThrow(VmdkFormatError);
    try {
      parseVmdkDescriptor(text);
    } catch (e) {
      expect((e as VmdkFormatError).reason).toBe(reason);
      expect((e as VmdkFormatError).code).toBe('VMKIT_TRANSFER_VMDK_FORMAT');
    }
  });

  it('refuses version 4 as unsupported and more than 1 MiB as too large', () => {
    expect(() => parseVmdkDescriptor('version=4\ncreateType="vmfs"\n')).toThrow(VmdkUnsupportedError);
    expect(() => parseVmdkDescriptor(`version=1\ncreateType="vmfs"\n${'#'.repeat(1 << 20)}\n`)).toThrow(
      expect.objectContaining({ reason: 'descriptor-too-large' }) as Error,
    );
  });
});

describe('formatVmdkDescriptor', () => {
  it('writes a monolithicFlat descriptor that parses back', () => {
    const text = formatVmdkDescriptor({
      createType: 'monolithicFlat',
      extents: [{ access: 'RW', size: 2 * 1024 * 1024, type: 'FLAT', fileName: 'disk-flat.vmdk' }],
      cid: 0x1234abcd,
      adapterType: 'ide',
      uuid: '60 00 C2 9a',
      ddb: { 'ddb.toolsVersion': '2147483647' },
    });
    expect(text).toContain('RW 2097152 FLAT "disk-flat.vmdk" 0\n');
    expect(text).toContain('CID=1234abcd\n');
    const d = parseVmdkDescriptor(text);
    expect(d).toMatchObject({ createType: 'monolithicFlat', cid: 0x1234abcd, parentCid: 0xffffffff, adapterType: 'ide', uuid: '60 00 C2 9a' });
    expect(d.geometry).toEqual(vmdkGeometry(2 * 1024 * 1024, 'ide'));
    expect(d.ddb['ddb.toolsVersion']).toBe('2147483647');
    expect(detectDiskType({ descriptor: d })).toEqual({ diskType: 'monolithicFlat', capacity: 1024 ** 3 });
  });

  it('computes VMware geometry and refuses values it cannot write', () => {
    expect(vmdkGeometry(20971520, 'lsilogic')).toEqual({ cylinders: 1305, heads: 255, sectors: 63 });
    expect(vmdkGeometry(6144, 'ide')).toEqual({ cylinders: 6, heads: 16, sectors: 63 });
    expect(vmdkGeometry(2 ** 40, 'ide').cylinders).toBe(16383);
    expect(() => formatVmdkDescriptor({ createType: 'vmfs', extents: [{ access: 'RW', size: 1, type: 'VMFS', fileName: 'a"b' }] })).toThrow(RangeError);
    expect(() => formatVmdkDescriptor({ createType: 'vmfs', extents: [{ access: 'RW', size: 1.5, type: 'VMFS', fileName: 'a' }] })).toThrow(RangeError);
    expect(() => formatVmdkDescriptor({ createType: 'vmfs', extents: [], ddb: { adapter: 'x' } })).toThrow(RangeError);
  });
});
