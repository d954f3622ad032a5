/**
 * Which kind of VMDK a file is, from its binary header and its descriptor, checked against each other.
 */
import type { VmdkDescriptor, VmdkExtentType } from './descriptor.js';
import { VmdkFormatError, VmdkUnsupportedError } from './errors.js';
import { SECTOR_SIZE, type CowdHeader, type SeSparseHeader, type SparseExtentHeader } from './sparse-header.js';

/**
 * VMDK disk types, named as the descriptor's `createType` names them. `vmfsThin` is also reported for a
 * `vmfs` descriptor that says `ddb.thinProvisioned = "1"`.
 */
export type VmdkDiskType =
  | 'monolithicSparse'
  | 'streamOptimized'
  | 'monolithicFlat'
  | 'twoGbMaxExtentSparse'
  | 'twoGbMaxExtentFlat'
  | 'vmfs'
  | 'vmfsThin'
  | 'vmfsPreallocated'
  | 'vmfsEagerZeroedThick'
  | 'vmfsSparse'
  | 'seSparse'
  | 'vmfsRaw'
  | 'vmfsRawDeviceMap'
  | 'vmfsPassthroughRawDeviceMap'
  | 'fullDevice'
  | 'partitionedDevice'
  | 'custom';

/** Extent types each create type may use (undefined: not checked). */
const EXTENTS_OF: Readonly<Record<VmdkDiskType, readonly VmdkExtentType[] | undefined>> = {
  monolithicSparse: ['SPARSE'],
  streamOptimized: ['SPARSE'],
  monolithicFlat: ['FLAT', 'ZERO'],
  twoGbMaxExtentSparse: ['SPARSE', 'ZERO'],
  twoGbMaxExtentFlat: ['FLAT', 'ZERO'],
  vmfs: ['VMFS', 'FLAT'],
  vmfsThin: ['VMFS', 'FLAT'],
  vmfsPreallocated: ['VMFS', 'FLAT'],
  vmfsEagerZeroedThick: ['VMFS', 'FLAT'],
  vmfsSparse: ['VMFSSPARSE'],
  seSparse: ['SESPARSE'],
  vmfsRaw: ['VMFSRAW'],
  vmfsRawDeviceMap: ['VMFSRDM'],
  vmfsPassthroughRawDeviceMap: ['VMFSRDM'],
  fullDevice: undefined,
  partitionedDevice: undefined,
  custom: undefined,
};

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.keys(EXTENTS_OF));

/** True when `createType` names a disk type this package knows. */
export function isVmdkDiskType(createType: string): createType is VmdkDiskType {
  return KNOWN_TYPES.has(createType);
}

/** The pieces {@link detectDiskType} decides from; give what the file has. */
export interface DiskTypeEvidence {
  /** The hosted sparse header (`KDMV`), for sparse and stream-optimized files. */
  header?: SparseExtentHeader | undefined;
  /** The ESX vmfsSparse header (`COWD`). */
  cowd?: CowdHeader | undefined;
  /** The seSparse constant header. */
  seSparse?: SeSparseHeader | undefined;
  /** The descriptor: embedded in a sparse file, or a descriptor file. */
  descriptor?: VmdkDescriptor | undefined;
}

/** The result of {@link detectDiskType}. */
export interface DiskTypeResult {
  /** The disk type. */
  readonly diskType: VmdkDiskType;
  /** The disk's virtual size in bytes. */
  readonly capacity: number;
}

/**
 * True when a sparse header of capacity 0 only carries a descriptor for other extents (a descriptor
 * file in sparse clothing, which VMware writes and qemu reads as such), rather than being an empty
 * sparse disk of its own.
 */
export function carriesOnlyDescriptor(header: SparseExtentHeader, descriptor: VmdkDescriptor | undefined): boolean {
  return header.capacity === 0 && descriptor !== undefined && descriptor.createType !== 'monolithicSparse' && descriptor.createType !== 'streamOptimized';
}

function inconsistent(message: string): VmdkFormatError {
  return new VmdkFormatError('inconsistent', message);
}

/**
 * Decides a disk's type and capacity from its header and descriptor, and checks that they agree.
 *
 * - A `KDMV` header with compressed grains is `streamOptimized`; without, `monolithicSparse` (a bare
 *   sparse extent without an embedded descriptor, like the `-s001.vmdk` files of twoGbMaxExtentSparse, is
 *   a self-contained monolithicSparse disk). The embedded descriptor, if any, must say the same and list
 *   one SPARSE extent of the header's capacity. A `KDMV` header of capacity 0 that only carries a
 *   descriptor of another type is judged by that descriptor.
 * - A `COWD` header is `vmfsSparse`; an seSparse header is `seSparse`.
 * - A descriptor file is judged by its `createType` (`vmfs` with `ddb.thinProvisioned = "1"` becomes
 *   `vmfsThin`) and its extents must be of the types that create type uses.
 *
 * @throws VmdkFormatError `inconsistent` when the header and the descriptor disagree, `bad-descriptor`
 *   when a descriptor has no extents.
 * @throws VmdkUnsupportedError (`disk-type`) for an unknown `createType`.
 */
export function detectDiskType(evidence: DiskTypeEvidence): DiskTypeResult {
  const { header, cowd, seSparse, descriptor } = evidence;
  if (cowd !== undefined) return { diskType: 'vmfsSparse', capacity: cowd.capacity * SECTOR_SIZE };
  if (seSparse !== undefined) return { diskType: 'seSparse', capacity: seSparse.capacity * SECTOR_SIZE };
  if (header !== undefined && !carriesOnlyDescriptor(header, descriptor)) {
    const diskType: VmdkDiskType = header.compressed ? 'streamOptimized' : 'monolithicSparse';
    if (descriptor !== undefined) {
      if (descriptor.createType !== diskType) {
        throw inconsistent(`the header says ${diskType} but the embedded descriptor says ${descriptor.createType}`);
      }
      const [only, ...more] = descriptor.extents;
      if (only === undefined || more.length > 0 || only.type !== 'SPARSE') {
        throw inconsistent(`the embedded descriptor of a ${diskType} disk must list exactly one SPARSE extent`);
      }
      if (only.size !== header.capacity) {
        throw inconsistent(`the header's capacity is ${header.capacity} sectors but the descriptor's extent has ${only.size}`);
      }
    }
    return { diskType, capacity: header.capacity * SECTOR_SIZE };
  }
  if (descriptor === undefined) throw new TypeError('detectDiskType needs a header or a descriptor');
  const createType = descriptor.createType;
  if (!isVmdkDiskType(createType)) {
    throw new VmdkUnsupportedError('disk-type', `disk type ${JSON.stringify(createType)} is not known`);
  }
  if (descriptor.extents.length === 0) {
    throw new VmdkFormatError('bad-descriptor', `the ${createType} descriptor lists no extents`);
  }
  const allowed = EXTENTS_OF[createType];
  if (allowed !== undefined) {
    for (const e of descriptor.extents) {
      if (!allowed.includes(e.type)) throw inconsistent(`a ${createType} disk cannot have a ${e.type} extent`);
    }
  }
  const diskType: VmdkDiskType = createType === 'vmfs' && descriptor.thinProvisioned === true ? 'vmfsThin' : createType;
  return { diskType, capacity: descriptor.capacity * SECTOR_SIZE };
}
