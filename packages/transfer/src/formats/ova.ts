/**
 * OVA (a tar holding an OVF descriptor and the files it references): find the OVF, work out which
 * member is the disk, and stream that member, as oslo.vmware's image_transfer does for Glance OVAs.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { abortError, destroyOnAbort, throwIfAborted } from './abort.js';
import { OvaFormatError } from './errors.js';
import { parseOvf, type OvfDescriptor, type OvfDisk, type OvfFile } from './ovf.js';
import { readTar, type TarEntry } from './tar.js';

/** Options of {@link openOvaDisk}. */
export interface OpenOvaDiskOptions {
  /** Which disk to stream, by `ovf:diskId`; default the first disk that references a file. */
  diskId?: string;
  /** Aborts the search and the stream with a VimAbortError (a Node stream source is destroyed). */
  signal?: AbortSignal;
  /** Largest OVF descriptor read, in bytes (default 16 MiB). */
  maxOvfSize?: number;
}

/** The disk found in an OVA, and its bytes. */
export interface OvaDisk {
  /** The OVF descriptor's member name. */
  readonly ovfName: string;
  /** The parsed OVF descriptor. */
  readonly ovf: OvfDescriptor;
  /** The chosen disk. */
  readonly disk: OvfDisk;
  /** The file the disk references. */
  readonly file: OvfFile;
  /** The tar member holding the disk (the first chunk's, for a chunked file). */
  readonly memberName: string;
  /** The member's size in bytes, as stored (before gunzip); for a chunked file, the first chunk's. */
  readonly memberSize: number;
  /**
   * The disk file's bytes (gunzipped when the OVF says `ovf:compression="gzip"`; chunks joined). Once it
   * ends, the rest of the archive is not read and the source is released. It fails with an
   * OvaFormatError when the member is truncated, its size differs from `ovf:size`, or its digest from
   * the manifest (`.mf`) when the manifest precedes it.
   */
  readonly stream: Readable;
}

type Digest = { algorithm: string; hex: string };

/** Parses manifest lines `SHA256(disk.vmdk)= abc...` into a map from file name to digest. */
function parseManifest(text: string): Map<string, Digest> {
  const out = new Map<string, Digest>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(SHA1|SHA256|SHA512|MD5)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)\s*$/.exec(line);
    if (m === null) continue;
    const [, alg = '', name = '', hex = ''] = m;
    out.set(name, { algorithm: alg.toLowerCase(), hex: hex.toLowerCase() });
  }
  return out;
}

const baseName = (name: string): string => name.replace(/^\.\//, '');

async function readWhole(entry: TarEntry, limit: number, what: string): Promise<Buffer> {
  if (entry.size > limit) throw new OvaFormatError('bad-ovf', `the ${what} ${entry.name} is ${entry.size} bytes, more than ${limit}`);
  const parts: Buffer[] = [];
  for await (const c of entry.body) parts.push(c);
  return Buffer.concat(parts);
}

function chooseDisk(ovf: OvfDescriptor, diskId: string | undefined): { disk: OvfDisk; file: OvfFile } {
  const candidates = diskId === undefined ? ovf.disks.filter((d) => d.fileRef !== undefined) : ovf.disks.filter((d) => d.diskId === diskId);
  const disk = candidates[0];
  if (disk === undefined) {
    throw new OvaFormatError('disk-missing', diskId === undefined ? 'the OVF lists no disk backed by a file' : `the OVF has no disk ${JSON.stringify(diskId)}`);
  }
  const file = ovf.files.find((f) => f.id === disk.fileRef);
  if (file === undefined) throw new OvaFormatError('disk-missing', `disk ${disk.diskId} references file ${JSON.stringify(disk.fileRef)}, which the OVF does not list`);
  return { disk, file };
}

/** Chunk `k` of a chunked file is named `href.` followed by nine digits. */
const chunkName = (href: string, k: number): string => `${href}.${String(k).padStart(9, '0')}`;

/**
 * Opens an OVA from a stream of its bytes and resolves as soon as the disk's member starts: reads the
 * `.ovf` descriptor (the OVF standard puts it first), notes the manifest, picks the disk (the first one
 * backed by a file, or `diskId`), and gives back that member's bytes as a stream together with what
 * the OVF says about it (capacity, format: e.g. stream-optimized, ready for
 * {@link createStreamOptimizedDecoder} or an NFC upload).
 *
 * Members are read in order and never buffered (except the OVF and the manifest), so the archive can
 * come straight from an HTTP download.
 *
 * @throws OvaFormatError `no-ovf` when the archive holds no `.ovf`, `disk-missing` when the disk's
 *   member is absent or precedes the OVF, `bad-ovf`, `size-mismatch`, and the tar errors
 *   (`tar-checksum`, `tar-header`, `truncated`).
 */
export async function openOvaDisk(source: AsyncIterable<Uint8Array>, options: OpenOvaDiskOptions = {}): Promise<OvaDisk> {
  const { signal } = options;
  throwIfAborted(signal, 'openOvaDisk');
  // A pending read of a Node stream source ends when the source is destroyed.
  const onAbort = (): void => {
    const s = source as Partial<Readable>;
    if (signal !== undefined && typeof s.destroy === 'function') s.destroy(abortError(signal, 'openOvaDisk'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const tar = readTar(source);
  const maxOvf = options.maxOvfSize ?? 16 * 1024 * 1024;
  let handedOver = false;
  try {
    let ovfName: string | undefined;
    let ovf: OvfDescriptor | undefined;
    let chosen: { disk: OvfDisk; file: OvfFile } | undefined;
    let manifest = new Map<string, Digest>();
    const seenBeforeOvf = new Set<string>();
    for (;;) {
      throwIfAborted(signal, 'openOvaDisk');
      const next = await tar.next();
      if (next.done === true) break;
      const entry = next.value;
      if (entry.type !== 'file') continue;
      const name = baseName(entry.name);
      if (ovf === undefined && /\.ovf$/i.test(name)) {
        ovfName = entry.name;
        ovf = parseOvf(await readWhole(entry, maxOvf, 'OVF descriptor'));
        chosen = chooseDisk(ovf, options.diskId);
        const href = chosen.file.href;
        if (seenBeforeOvf.has(href) || seenBeforeOvf.has(chunkName(href, 0))) {
          throw new OvaFormatError('disk-missing', `the disk ${href} precedes the OVF descriptor in the archive; it cannot be streamed`);
        }
        continue;
      }
      if (/\.mf$/i.test(name)) {
        manifest = parseManifest((await readWhole(entry, maxOvf, 'manifest')).toString('utf8'));
        continue;
      }
      if (ovf === undefined || chosen === undefined || ovfName === undefined) {
        seenBeforeOvf.add(name);
        continue;
      }
      const { disk, file } = chosen;
      const chunked = file.chunkSize !== undefined;
      if (name !== (chunked ? chunkName(file.href, 0) : file.href)) continue;
      if (!chunked && file.size !== undefined && file.size !== entry.size) {
        throw new OvaFormatError('size-mismatch', `member ${entry.name} is ${entry.size} bytes but the OVF says ${file.size}`);
      }
      const digest = manifest.get(file.href);
      const stream = diskStream(tar, entry, file, digest, chunked);
      handedOver = true;
      let out: Readable = stream;
      if (file.compression !== undefined) {
        if (file.compression.toLowerCase() !== 'gzip') {
          stream.destroy();
          throw new OvaFormatError('bad-ovf', `file ${file.href} uses compression ${JSON.stringify(file.compression)}; only gzip is known`);
        }
        out = pipeline(stream, createGunzip(), () => undefined);
      }
      if (signal !== undefined) {
        destroyOnAbort(signal, out, 'OVA disk stream');
        out.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      return { ovfName, ovf, disk, file, memberName: entry.name, memberSize: entry.size, stream: out };
    }
    if (ovf === undefined) throw new OvaFormatError('no-ovf', 'the archive holds no .ovf descriptor');
    throw new OvaFormatError('disk-missing', `the archive lacks ${chosen?.file.href ?? 'the disk'} named by the OVF`);
  } finally {
    if (!handedOver) {
      signal?.removeEventListener('abort', onAbort);
      await tar.return(undefined);
    }
  }
}

function diskStream(tar: AsyncGenerator<TarEntry, void, undefined>, first: TarEntry, file: OvfFile, digest: Digest | undefined, chunked: boolean): Readable {
  async function* bytes(): AsyncGenerator<Buffer, void, undefined> {
    let hash: Hash | undefined;
    try {
      if (digest !== undefined) hash = createHash(digest.algorithm);
    } catch {
      hash = undefined; // an algorithm this Node lacks: no check
    }
    let total = 0;
    try {
      let entry: TarEntry | undefined = first;
      let k = 0;
      while (entry !== undefined) {
        for await (const chunk of entry.body) {
          hash?.update(chunk);
          total += chunk.length;
          yield chunk;
        }
        if (!chunked) break;
        // The next chunk, if any, follows directly.
        k++;
        const next = await tar.next();
        entry = next.done === true || baseName(next.value.name) !== chunkName(file.href, k) ? undefined : next.value;
      }
      if (file.size !== undefined && total !== file.size) {
        throw new OvaFormatError('size-mismatch', `${file.href} is ${total} bytes but the OVF says ${file.size}`);
      }
      if (hash !== undefined && digest !== undefined && hash.digest('hex') !== digest.hex) {
        throw new OvaFormatError('digest-mismatch', `${file.href} does not match its ${digest.algorithm.toUpperCase()} digest in the manifest`);
      }
    } finally {
      await tar.return(undefined);
    }
  }
  return Readable.from(bytes(), { objectMode: false, highWaterMark: 1 << 20 });
}
