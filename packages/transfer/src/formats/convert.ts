/**
 * File to file conversion: a stream-optimized VMDK to a raw image, as `qemu-img convert -O raw` does.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { VimAbortError, VimError } from '@vmkit/vim';
import { ByteReader } from './byte-reader.js';
import { replaceFile } from './replace-file.js';
import { createSparseFileWriteStream } from './sparse-file.js';
import { decodeStreamOptimized } from './stream-optimized-decoder.js';

/** Options of {@link convertStreamOptimizedToRaw}. */
export interface ConvertToRawOptions {
  /** Runs of zeros at least this long, aligned to it, become holes (default 4096, as `qemu-img convert -S`). */
  holeSize?: number;
  /** Stops the conversion with a `VimAbortError`; the target is then left as it was. */
  signal?: AbortSignal;
}

/** What {@link convertStreamOptimizedToRaw} resolves with. */
export interface ConvertToRawResult {
  /** The disk's virtual size: the raw file's length. */
  capacity: number;
}

/** Bytes of one read from the source file. */
const READ_BYTES = 1024 * 1024;

/**
 * The chunks of an open file, read in order into buffers that a {@link ByteReader} hands back through
 * `recycle` once it is done with them, so that reading a file allocates a few buffers, not one per
 * read. (A file read stream allocates a new buffer per read; on a 1 GiB disk that garbage, and the page
 * faults of memory the allocator gave back, cost about as much as the decoding: measured with
 * tools/bench `transfer.convert`.) A new buffer is made only when every one is still in use.
 */
function recycledFileChunks(file: FileHandle): { chunks: AsyncIterable<Uint8Array>; recycle: (chunk: Buffer) => void } {
  const free: Buffer[] = [];
  const ours = new WeakSet<ArrayBufferLike>();
  async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
    let position = 0;
    for (;;) {
      let buffer = free.pop();
      if (buffer === undefined) {
        buffer = Buffer.allocUnsafeSlow(READ_BYTES);
        ours.add(buffer.buffer);
      }
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }
  const recycle = (chunk: Buffer): void => {
    if (!ours.has(chunk.buffer)) return;
    free.push(Buffer.from(chunk.buffer, 0, READ_BYTES));
  };
  return { chunks: chunks(), recycle };
}

/**
 * Converts the stream-optimized VMDK file `source` into the raw image file `target`: `capacity` bytes
 * with runs of zeros left as holes, what `qemu-img convert -f vmdk -O raw` makes. The file is read
 * through a few reused buffers (see {@link createStreamOptimizedDecoder} for a stream from any source).
 * `target` is written under a temporary name in its folder and renamed into place only when complete:
 * a failure leaves neither a partial image nor a changed `target`.
 *
 * Errors: those of {@link createStreamOptimizedDecoder} (`VmdkFormatError`, `VmdkUnsupportedError`),
 * a `VimAbortError` on abort, and a `VimError` with code `VMKIT_TRANSFER_FILE` when a file cannot be
 * opened, written or renamed (its `cause` says why).
 */
export async function convertStreamOptimizedToRaw(source: string, target: string, options: ConvertToRawOptions = {}): Promise<ConvertToRawResult> {
  let input: FileHandle;
  try {
    input = await open(source, 'r');
  } catch (cause) {
    throw new VimError(`cannot open ${source}`, 'VMKIT_TRANSFER_FILE', { cause });
  }
  try {
    return await replaceFile(target, 'vmkit-convert', async (temporary) => {
      let capacity: number | undefined;
      const { chunks, recycle } = recycledFileChunks(input);
      const reader = new ByteReader(chunks, { recycle });
      const decoded = decodeStreamOptimized(reader, { onHeader: (info) => (capacity = info.capacity) });
      const writer = createSparseFileWriteStream(temporary, {
        ...(options.holeSize === undefined ? {} : { holeSize: options.holeSize }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      try {
        await pipeline(decoded, writer);
      } catch (err) {
        if (options.signal?.aborted === true && !(err instanceof VimAbortError)) {
          throw new VimAbortError('converting to raw was aborted', { cause: options.signal.reason ?? err });
        }
        if (err instanceof VimError) throw err;
        throw new VimError(`cannot write ${target}`, 'VMKIT_TRANSFER_FILE', { cause: err });
      }
      return { capacity: capacity ?? 0 };
    });
  } catch (err) {
    if (err instanceof VimError) throw err;
    throw new VimError(`cannot put the raw image at ${target}`, 'VMKIT_TRANSFER_FILE', { cause: err });
  } finally {
    await input.close().catch(() => undefined);
  }
}
