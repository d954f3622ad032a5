/**
 * `inspectVmdk`: what a VMDK file is, reading only its header and descriptor.
 */
import { MAX_DESCRIPTOR_BYTES, parseVmdkDescriptor, type VmdkDescriptor } from './descriptor.js';
import { detectDiskType, type VmdkDiskType } from './disk-type.js';
import { VmdkFormatError } from './errors.js';
import {
  COWD_MAGIC,
  SECTOR_SIZE,
  SPARSE_MAGIC,
  isSeSparse,
  magicOf,
  parseCowdHeader,
  parseSeSparseHeader,
  parseSparseExtentHeader,
  type CowdHeader,
  type SeSparseHeader,
  type SparseExtentHeader,
} from './sparse-header.js';
import { openSource, type OpenedSource, type VmdkSource } from './source.js';

/** What kind of bytes a VMDK file holds. */
export type VmdkContainer =
  /** A hosted sparse extent (`KDMV`): monolithicSparse, streamOptimized, a twoGbMaxExtentSparse extent. */
  | 'sparse'
  /** An ESX vmfsSparse extent (`COWD`), a `-delta.vmdk`. */
  | 'cowd'
  /** An ESXi seSparse extent, a `-sesparse.vmdk`. */
  | 'seSparse'
  /** A text descriptor file that names its extents (monolithicFlat, vmfs, twoGbMaxExtent*...). */
  | 'descriptor';

/** The result of {@link inspectVmdk}. */
export interface VmdkInfo {
  /** What kind of bytes the file holds. */
  readonly container: VmdkContainer;
  /** The disk type; see {@link detectDiskType}. */
  readonly diskType: VmdkDiskType;
  /** The disk's virtual size in bytes. */
  readonly capacity: number;
  /** The size of the inspected file in bytes, when the source knows it. */
  readonly fileSize: number | undefined;
  /** The sparse header, for `sparse` files. For stream-optimized files written by VMware its
   * `gdOffset` is null: the grain directory is found through the footer at the end. */
  readonly header: SparseExtentHeader | undefined;
  /** The COWD header, for `cowd` files. */
  readonly cowd: CowdHeader | undefined;
  /** The seSparse constant header, for `seSparse` files. */
  readonly seSparse: SeSparseHeader | undefined;
  /** The descriptor: embedded (sparse files that have one) or the file itself (descriptor files). */
  readonly descriptor: VmdkDescriptor | undefined;
}

/** Options of {@link inspectVmdk}. */
export interface InspectVmdkOptions {
  /** Aborts the reads with a VimAbortError (code `VMKIT_VIM_ABORTED`). */
  signal?: AbortSignal;
}

const truncated = (what: string, offset: number): VmdkFormatError =>
  new VmdkFormatError('truncated', `file ends inside the ${what}`, { offset });

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0 && b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  return true;
}

/** True when the bytes could be the start of a descriptor: text, no control bytes but tab and line ends. */
function looksLikeText(bytes: Uint8Array): boolean {
  let seenText = false;
  for (const b of bytes) {
    if (b === 0) return seenText; // NUL padding after text is fine; NUL first is binary
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x0b || b === 0x0c) return false;
    seenText = true;
  }
  return seenText;
}

async function inspectOpened(src: OpenedSource): Promise<VmdkInfo> {
  const fileSize = src.size;
  const head = await src.read(0, SECTOR_SIZE);
  if (head.length < 4) throw truncated('magic number', head.length);
  const magic = magicOf(head);
  const base = { fileSize, header: undefined, cowd: undefined, seSparse: undefined, descriptor: undefined };

  if (magic === SPARSE_MAGIC) {
    const header = parseSparseExtentHeader(head, fileSize === undefined ? {} : { fileSize });
    let descriptor: VmdkDescriptor | undefined;
    if (header.descriptorOffset !== 0) {
      const at = header.descriptorOffset * SECTOR_SIZE;
      const want = header.descriptorSize * SECTOR_SIZE;
      const text = await src.read(at, want);
      if (text.length < want) throw truncated('embedded descriptor', at + text.length);
      // twoGbMaxExtentSparse extents reserve descriptor sectors but leave them empty.
      if (!isBlank(text)) descriptor = parseVmdkDescriptor(text, { position: at });
    }
    const { diskType, capacity } = detectDiskType({ header, descriptor });
    return { ...base, container: 'sparse', diskType, capacity, header, descriptor };
  }
  if (magic === COWD_MAGIC) {
    const cowd = parseCowdHeader(head);
    const { diskType, capacity } = detectDiskType({ cowd });
    return { ...base, container: 'cowd', diskType, capacity, cowd };
  }
  if (isSeSparse(head)) {
    const seSparse = parseSeSparseHeader(head);
    const { diskType, capacity } = detectDiskType({ seSparse });
    return { ...base, container: 'seSparse', diskType, capacity, seSparse };
  }
  if (!looksLikeText(head)) {
    throw new VmdkFormatError('bad-magic', 'not a VMDK: neither a sparse extent magic nor a text descriptor', { offset: 0 });
  }
  if (fileSize !== undefined && fileSize > MAX_DESCRIPTOR_BYTES) {
    throw new VmdkFormatError('descriptor-too-large', `a descriptor file of ${fileSize} bytes exceeds ${MAX_DESCRIPTOR_BYTES}`, { offset: 0 });
  }
  let text = head;
  if (head.length === SECTOR_SIZE) {
    const rest = await src.read(SECTOR_SIZE, MAX_DESCRIPTOR_BYTES + 1 - SECTOR_SIZE);
    text = Buffer.concat([head, rest]);
    if (text.length > MAX_DESCRIPTOR_BYTES) {
      throw new VmdkFormatError('descriptor-too-large', `a descriptor file exceeds ${MAX_DESCRIPTOR_BYTES} bytes`, { offset: 0 });
    }
  }
  const descriptor = parseVmdkDescriptor(text);
  const { diskType, capacity } = detectDiskType({ descriptor });
  return { ...base, container: 'descriptor', diskType, capacity, descriptor };
}

/**
 * Tells what a VMDK file is (its container, disk type and capacity) and returns its header and
 * descriptor, reading only those: the first sector, then the embedded descriptor, or for a descriptor
 * file its text (at most 1 MiB). Extent files named by a descriptor are not opened.
 *
 * `source` is a path, an open `FileHandle` (left open), bytes, or any `{ read(position, length), size? }`
 * such as an HTTP range reader; with a known size, header offsets are checked against it.
 *
 * @throws VmdkFormatError on malformed input (bad magic, truncated header or descriptor, impossible
 *   fields, header and descriptor that disagree).
 * @throws VmdkUnsupportedError on a version, compression or disk type this package does not know.
 */
export async function inspectVmdk(source: VmdkSource, options: InspectVmdkOptions = {}): Promise<VmdkInfo> {
  const src = await openSource(source, options.signal);
  try {
    return await inspectOpened(src);
  } finally {
    await src.close();
  }
}
