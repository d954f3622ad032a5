/**
 * The VMDK text descriptor: parsed from a descriptor file or from the descriptor embedded in a sparse
 * extent, and written for new disks (monolithicFlat descriptors, the stream-optimized embedded one).
 */
import { randomInt } from 'node:crypto';
import { VmdkFormatError, VmdkUnsupportedError } from './errors.js';
import { MAX_DESCRIPTOR_SECTORS, SECTOR_SIZE } from './sparse-header.js';

/** Access of an extent as written in the descriptor. */
export type VmdkExtentAccess = 'RW' | 'RDONLY' | 'NOACCESS';

/** Extent types a descriptor may name. */
export type VmdkExtentType = 'FLAT' | 'SPARSE' | 'ZERO' | 'VMFS' | 'VMFSSPARSE' | 'VMFSRDM' | 'VMFSRAW' | 'SESPARSE';

const EXTENT_TYPES: ReadonlySet<string> = new Set<VmdkExtentType>([
  'FLAT',
  'SPARSE',
  'ZERO',
  'VMFS',
  'VMFSSPARSE',
  'VMFSRDM',
  'VMFSRAW',
  'SESPARSE',
]);

/** One line of the extent description: `RW 2048 FLAT "disk-flat.vmdk" 0`. */
export interface VmdkExtent {
  /** RW, RDONLY or NOACCESS. */
  readonly access: VmdkExtentAccess;
  /** Size of the extent in 512-byte sectors. */
  readonly size: number;
  /** FLAT, SPARSE, ZERO, VMFS, VMFSSPARSE, VMFSRDM, VMFSRAW or SESPARSE. */
  readonly type: VmdkExtentType;
  /** The extent's file name, relative to the descriptor's folder; absent for ZERO extents. */
  readonly fileName?: string | undefined;
  /** Offset in sectors into the file where the extent's data starts (flat extents); 0 when absent. */
  readonly offset?: number | undefined;
}

/** Adapter types a descriptor's `ddb.adapterType` may name. */
export type VmdkAdapterType = 'ide' | 'buslogic' | 'lsilogic' | 'legacyESX';

/** BIOS geometry from `ddb.geometry.*`. */
export interface VmdkGeometry {
  readonly cylinders: number;
  readonly heads: number;
  readonly sectors: number;
}

/** A parsed descriptor. */
export interface VmdkDescriptor {
  /** `version=`: 1 (2 and 3 are accepted as well). */
  readonly version: number;
  /** `encoding=`, when present (VMware writes "UTF-8"). */
  readonly encoding: string | undefined;
  /** `CID=` (content id), when present. */
  readonly cid: number | undefined;
  /** `parentCID=`, when present; 0xffffffff means no parent. */
  readonly parentCid: number | undefined;
  /** `createType=`, verbatim (e.g. "monolithicSparse", "streamOptimized", "vmfs"). */
  readonly createType: string;
  /** `parentFileNameHint=`, for delta disks. */
  readonly parentFileNameHint: string | undefined;
  /** The extents, in order. */
  readonly extents: readonly VmdkExtent[];
  /** The disk's size: the sum of the extents' sizes, in sectors. */
  readonly capacity: number;
  /** Every `ddb.*` entry, by its full key (e.g. `ddb.adapterType`), unquoted. */
  readonly ddb: Readonly<Record<string, string>>;
  /** Every other `key=value` entry of the header section, by key, unquoted (version, CID, ... included). */
  readonly entries: Readonly<Record<string, string>>;
  /** `ddb.adapterType`. */
  readonly adapterType: string | undefined;
  /** `ddb.geometry.*`, when all three are present and numeric. */
  readonly geometry: VmdkGeometry | undefined;
  /** `ddb.virtualHWVersion`. */
  readonly virtualHWVersion: string | undefined;
  /** `ddb.thinProvisioned` ("1" is true), when present. */
  readonly thinProvisioned: boolean | undefined;
  /** `ddb.uuid`, when present. */
  readonly uuid: string | undefined;
  /** `ddb.longContentID`, when present. */
  readonly longContentID: string | undefined;
}

/** Options of {@link parseVmdkDescriptor}. */
export interface ParseVmdkDescriptorOptions {
  /** Where the text starts in its file, for error offsets (the embedded descriptor starts at sector 1). */
  position?: number;
}

/** The largest descriptor text accepted, in bytes. */
export const MAX_DESCRIPTOR_BYTES = MAX_DESCRIPTOR_SECTORS * SECTOR_SIZE;

const KEY_VALUE = /^([A-Za-z_][\w.:-]*)\s*=\s*(.*)$/;
const EXTENT_LINE = /^(RW|RDONLY|NOACCESS)\s+(\S+)\s+([A-Za-z]+)(?:\s+(?:"([^"]*)"|(\S+)))?(?:\s+(\S+))?\s*$/;

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.startsWith('"')) {
    const end = v.indexOf('"', 1);
    return end < 0 ? v.slice(1) : v.slice(1, end);
  }
  return v;
}

function decimal(text: string): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function hex32(text: string): number | undefined {
  return /^[0-9a-fA-F]{1,8}$/.test(text) ? Number.parseInt(text, 16) : undefined;
}

/**
 * Parses descriptor text (UTF-8 bytes or a string). Tolerates comments, blank lines, CRLF line ends,
 * quoted and unquoted values, spaces around `=`, and NUL padding after the text (as in embedded
 * descriptors). The text ends at its first NUL byte, as qemu reads it; what follows is ignored (qemu-img
 * leaves stale bytes there). Requires `version` and `createType`; extent lines must be well-formed.
 *
 * @throws VmdkFormatError `bad-descriptor` on a malformed line or a missing entry, `descriptor-too-large`
 *   above 1 MiB.
 * @throws VmdkUnsupportedError for a descriptor version other than 1 to 3.
 */
export function parseVmdkDescriptor(text: string | Uint8Array, options: ParseVmdkDescriptorOptions = {}): VmdkDescriptor {
  const base = options.position ?? 0;
  let bytes: Buffer;
  if (typeof text === 'string') bytes = Buffer.from(text, 'utf8');
  else bytes = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  // The text ends at the first NUL, as qemu reads it (a C string). What follows is the rest of the
  // reserved area, not part of the descriptor: usually zeros, but when qemu-img rewrites the CID with
  // fewer hex digits than the one it wrote first, the old text's last bytes stay behind the new NUL
  // (one qemu-img file in about 250). Requiring zeros there refused valid disks.
  const nul = bytes.indexOf(0);
  if (nul >= 0) bytes = bytes.subarray(0, nul);
  if (bytes.length > MAX_DESCRIPTOR_BYTES) {
    throw new VmdkFormatError('descriptor-too-large', `descriptor of ${bytes.length} bytes exceeds ${MAX_DESCRIPTOR_BYTES}`, { offset: base });
  }
  const src = bytes.toString('utf8');

  const entries: [string, string][] = [];
  const ddb: [string, string][] = [];
  const extents: VmdkExtent[] = [];
  let lineStart = base;
  const lines = src.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const rawLine = lines[i] ?? '';
    const at = lineStart;
    lineStart += Buffer.byteLength(rawLine, 'utf8') + 1;
    const line = rawLine.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (why: string): VmdkFormatError =>
      new VmdkFormatError('bad-descriptor', `descriptor line ${i + 1} ${why}: ${JSON.stringify(line.slice(0, 120))}`, { offset: at });

    const ext = EXTENT_LINE.exec(line);
    if (ext !== null) {
      const [, access, sizeText, typeText, quoted, bare, offsetText] = ext;
      const size = decimal(sizeText ?? '');
      if (size === undefined) throw fail('has an invalid extent size');
      const type = (typeText ?? '').toUpperCase();
      if (!EXTENT_TYPES.has(type)) throw fail(`names an unknown extent type ${JSON.stringify(typeText)}`);
      const fileName = quoted ?? bare;
      if (type !== 'ZERO' && (fileName === undefined || fileName === '')) throw fail('names no extent file');
      let offset: number | undefined;
      if (offsetText !== undefined) {
        offset = decimal(offsetText);
        if (offset === undefined) throw fail('has an invalid extent offset');
      }
      extents.push({
        access: access as VmdkExtentAccess,
        size,
        type: type as VmdkExtentType,
        ...(type === 'ZERO' ? {} : { fileName }),
        ...(offset === undefined ? {} : { offset }),
      });
      continue;
    }
    const kv = KEY_VALUE.exec(line);
    if (kv === null) throw fail('is neither an entry nor an extent');
    const key = kv[1] ?? '';
    const value = unquote(kv[2] ?? '');
    if (key.startsWith('ddb.')) ddb.push([key, value]);
    else entries.push([key, value]);
  }

  const header = Object.fromEntries(entries);
  const ddbMap = Object.fromEntries(ddb);
  const get = (k: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(header, k) ? header[k] : undefined;
  const getDdb = (k: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(ddbMap, k) ? ddbMap[k] : undefined;

  const versionText = get('version');
  if (versionText === undefined) throw new VmdkFormatError('bad-descriptor', 'descriptor has no version entry', { offset: base });
  const version = decimal(versionText);
  if (version === undefined) throw new VmdkFormatError('bad-descriptor', `descriptor version ${JSON.stringify(versionText)} is not a number`, { offset: base });
  if (version < 1 || version > 3) {
    throw new VmdkUnsupportedError('descriptor-version', `descriptor version ${version} is not supported (1 to 3 are)`, { offset: base });
  }
  const createType = get('createType');
  if (createType === undefined || createType === '') {
    throw new VmdkFormatError('bad-descriptor', 'descriptor has no createType entry', { offset: base });
  }
  const cidOf = (k: string): number | undefined => {
    const t = get(k);
    if (t === undefined) return undefined;
    const n = hex32(t);
    if (n === undefined) throw new VmdkFormatError('bad-descriptor', `descriptor ${k} ${JSON.stringify(t)} is not a 32-bit hex number`, { offset: base });
    return n;
  };
  let capacity = 0;
  for (const e of extents) capacity += e.size;
  if (capacity * SECTOR_SIZE > Number.MAX_SAFE_INTEGER) {
    throw new VmdkFormatError('bad-descriptor', `descriptor extents add up to ${capacity} sectors, out of range`, { offset: base });
  }
  const cyl = decimal(getDdb('ddb.geometry.cylinders') ?? '');
  const heads = decimal(getDdb('ddb.geometry.heads') ?? '');
  const sectors = decimal(getDdb('ddb.geometry.sectors') ?? '');
  const thin = getDdb('ddb.thinProvisioned');
  return {
    version,
    encoding: get('encoding'),
    cid: cidOf('CID'),
    parentCid: cidOf('parentCID'),
    createType,
    parentFileNameHint: get('parentFileNameHint'),
    extents,
    capacity,
    ddb: ddbMap,
    entries: header,
    adapterType: getDdb('ddb.adapterType'),
    geometry: cyl !== undefined && heads !== undefined && sectors !== undefined ? { cylinders: cyl, heads, sectors } : undefined,
    virtualHWVersion: getDdb('ddb.virtualHWVersion'),
    thinProvisioned: thin === undefined ? undefined : thin.trim() === '1' || thin.trim().toLowerCase() === 'true',
    uuid: getDdb('ddb.uuid'),
    longContentID: getDdb('ddb.longContentID'),
  };
}

/**
 * The BIOS geometry VMware writes for a disk of `capacity` sectors: 16 heads for IDE (at most 16383
 * cylinders), 255 heads for SCSI adapters (at most 65535 cylinders), 63 sectors per track.
 */
export function vmdkGeometry(capacity: number, adapterType: string = 'lsilogic'): VmdkGeometry {
  const ide = adapterType === 'ide';
  const heads = ide ? 16 : 255;
  const sectors = 63;
  const cylinders = Math.min(Math.floor(capacity / (heads * sectors)), ide ? 16383 : 65535);
  return { cylinders, heads, sectors };
}

/** What {@link formatVmdkDescriptor} writes. */
export interface VmdkDescriptorInit {
  /** `createType`, e.g. "monolithicFlat", "streamOptimized", "vmfs". */
  createType: string;
  /** The extents, in order; the disk's capacity is their sum. */
  extents: readonly VmdkExtent[];
  /** `version=`; default 1. */
  version?: number;
  /** `encoding=`; default "UTF-8"; null leaves the line out. */
  encoding?: string | null;
  /** `CID=`; default a random 32-bit value. */
  cid?: number;
  /** `parentCID=`; default 0xffffffff (no parent). */
  parentCid?: number;
  /** `parentFileNameHint=`, for delta disks. */
  parentFileNameHint?: string;
  /** `ddb.adapterType`; default "lsilogic". */
  adapterType?: VmdkAdapterType;
  /** `ddb.virtualHWVersion`; default "4" (readable by every ESX since 3.x; vSphere upgrades it). */
  virtualHWVersion?: string;
  /** `ddb.geometry.*`; default {@link vmdkGeometry} of the capacity and adapter. */
  geometry?: VmdkGeometry;
  /** `ddb.thinProvisioned = "1"` when true. */
  thinProvisioned?: boolean;
  /** `ddb.uuid`, e.g. "60 00 C2 9a ...". */
  uuid?: string;
  /** `ddb.longContentID` (32 hex digits). */
  longContentID?: string;
  /** More `ddb.*` entries by full key; they override the ones above. */
  ddb?: Readonly<Record<string, string>>;
}

function quoteValue(key: string, value: string): string {
  if (/["\r\n\0]/.test(value)) throw new RangeError(`descriptor value of ${key} may not contain quotes, NUL or line breaks`);
  return `"${value}"`;
}

/**
 * Writes a descriptor in VMware's layout (header, extent description, disk database), LF line ends.
 *
 * @throws RangeError on an invalid extent, key or value (a quote or a line break in a value, a
 *   non-integer size).
 */
export function formatVmdkDescriptor(init: VmdkDescriptorInit): string {
  const version = init.version ?? 1;
  const cid = init.cid ?? randomInt(0, 0xfffffffe);
  const parentCid = init.parentCid ?? 0xffffffff;
  for (const [name, v] of [
    ['version', version],
    ['cid', cid],
    ['parentCid', parentCid],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${name} ${v} is not a 32-bit unsigned integer`);
  }
  if (!/^[A-Za-z0-9_]+$/.test(init.createType)) throw new RangeError(`createType ${JSON.stringify(init.createType)} is not a word`);
  const lines: string[] = ['# Disk DescriptorFile', `version=${version}`];
  if (init.encoding !== null) lines.push(`encoding=${quoteValue('encoding', init.encoding ?? 'UTF-8')}`);
  lines.push(`CID=${cid.toString(16).padStart(8, '0')}`, `parentCID=${parentCid.toString(16).padStart(8, '0')}`);
  lines.push(`createType=${quoteValue('createType', init.createType)}`);
  if (init.parentFileNameHint !== undefined) lines.push(`parentFileNameHint=${quoteValue('parentFileNameHint', init.parentFileNameHint)}`);
  lines.push('', '# Extent description');
  let capacity = 0;
  for (const e of init.extents) {
    if (!Number.isSafeInteger(e.size) || e.size < 0) throw new RangeError(`extent size ${e.size} is not a sector count`);
    if (!EXTENT_TYPES.has(e.type)) throw new RangeError(`extent type ${JSON.stringify(e.type)} is unknown`);
    capacity += e.size;
    let line = `${e.access} ${e.size} ${e.type}`;
    if (e.type !== 'ZERO') {
      if (e.fileName === undefined || e.fileName === '') throw new RangeError(`a ${e.type} extent needs a file name`);
      line += ` ${quoteValue('extent file name', e.fileName)}`;
      const offset = e.offset ?? (e.type === 'FLAT' ? 0 : undefined);
      if (offset !== undefined) {
        if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`extent offset ${offset} is not a sector count`);
        line += ` ${offset}`;
      }
    }
    lines.push(line);
  }
  const adapterType = init.adapterType ?? 'lsilogic';
  const geometry = init.geometry ?? vmdkGeometry(capacity, adapterType);
  const ddb = new Map<string, string>([
    ['ddb.adapterType', adapterType],
    ['ddb.geometry.cylinders', String(geometry.cylinders)],
    ['ddb.geometry.heads', String(geometry.heads)],
    ['ddb.geometry.sectors', String(geometry.sectors)],
    ['ddb.virtualHWVersion', init.virtualHWVersion ?? '4'],
  ]);
  if (init.thinProvisioned === true) ddb.set('ddb.thinProvisioned', '1');
  if (init.uuid !== undefined) ddb.set('ddb.uuid', init.uuid);
  if (init.longContentID !== undefined) ddb.set('ddb.longContentID', init.longContentID);
  for (const [k, v] of Object.entries(init.ddb ?? {})) {
    if (!/^ddb\.[\w.:-]+$/.test(k)) throw new RangeError(`disk database key ${JSON.stringify(k)} must start with "ddb."`);
    ddb.set(k, v);
  }
  lines.push('', '# The Disk Data Base', '#DDB', '');
  for (const [k, v] of ddb) lines.push(`${k} = ${quoteValue(k, v)}`);
  return `${lines.join('\n')}\n`;
}
