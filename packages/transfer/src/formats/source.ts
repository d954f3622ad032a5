/**
 * Random-access byte sources: a path, an open FileHandle, bytes in memory, or anything with
 * `read(position, length)`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { throwIfAborted } from './abort.js';

/**
 * Anything that reads bytes at a position: a file, an HTTP range reader, an object-store client.
 * `read` returns fewer than `length` bytes only at the end of the data.
 */
export interface RandomAccessSource {
  /** Reads up to `length` bytes starting at byte `position`. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** The total size in bytes, when known; checks that offsets lie inside the file use it. */
  readonly size?: number | undefined;
}

/** What the VMDK readers accept: a file path, an open FileHandle (not closed), bytes, or a source. */
export type VmdkSource = string | Uint8Array | FileHandle | RandomAccessSource;

/** An opened source; `close` releases what {@link openSource} opened itself. */
export interface OpenedSource {
  read(position: number, length: number): Promise<Buffer>;
  readonly size: number | undefined;
  close(): Promise<void>;
}

function isFileHandle(x: object): x is FileHandle {
  const h = x as Partial<FileHandle>;
  return typeof h.fd === 'number' && typeof h.stat === 'function' && typeof h.read === 'function';
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

async function fromHandle(fh: FileHandle, owned: boolean, signal: AbortSignal | undefined): Promise<OpenedSource> {
  const { size } = await fh.stat();
  return {
    size,
    async read(position, length) {
      throwIfAborted(signal, 'VMDK read');
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await fh.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === length ? buffer : buffer.subarray(0, filled);
    },
    async close() {
      if (owned) await fh.close();
    },
  };
}

/** Opens any {@link VmdkSource} for positional reads. */
export async function openSource(source: VmdkSource, signal?: AbortSignal): Promise<OpenedSource> {
  throwIfAborted(signal, 'VMDK read');
  if (typeof source === 'string') {
    const fh = await open(source, 'r');
    try {
      return await fromHandle(fh, true, signal);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }
  if (source instanceof Uint8Array) {
    const bytes = toBuffer(source);
    return {
      size: bytes.length,
      read: (position, length) => {
        throwIfAborted(signal, 'VMDK read');
        return Promise.resolve(bytes.subarray(Math.min(position, bytes.length), Math.min(position + length, bytes.length)));
      },
      close: () => Promise.resolve(),
    };
  }
  if (isFileHandle(source)) return fromHandle(source, false, signal);
  const src = source;
  return {
    size: src.size,
    async read(position, length) {
      throwIfAborted(signal, 'VMDK read');
      const out = await src.read(position, length);
      if (out.length > length) throw new RangeError(`source returned ${out.length} bytes for a read of ${length}`);
      return toBuffer(out);
    },
    close: () => Promise.resolve(),
  };
}
