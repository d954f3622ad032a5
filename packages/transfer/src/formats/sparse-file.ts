import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { VimAbortError } from '@vmkit/vim';
import { isSharedZeros } from './zero.js';

/** Options of {@link createSparseFileWriteStream}. */
export interface SparseFileWriteStreamOptions {
  /** Runs of zeros at least this long, aligned to it, become holes (default 4096, as `qemu-img convert -S`). */
  holeSize?: number;
  /** Destroys the stream with a `VimAbortError` when aborted; the file keeps what was written. */
  signal?: AbortSignal;
}

const ZERO_PAGE = Buffer.alloc(1 << 16);

function zeroRun(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i += ZERO_PAGE.length) {
    const n = Math.min(ZERO_PAGE.length, end - i);
    if (b.compare(ZERO_PAGE, 0, n, i, i + n) !== 0) return false;
  }
  return true;
}

/**
 * A Writable that stores raw disk bytes in a new file (created or truncated), leaving runs of zeros
 * as holes instead of writing them, and sets the file's length at the end: what `qemu-img convert`
 * does for a raw target. Reading the file gives exactly the bytes written. Pair it with
 * `createStreamOptimizedDecoder` to turn a stream-optimized VMDK into a raw image at the speed of the
 * data, not of the zeros.
 */
export function createSparseFileWriteStream(path: string, options: SparseFileWriteStreamOptions = {}): Writable {
  const hole = options.holeSize ?? 4096;
  if (!Number.isSafeInteger(hole) || hole < 512 || (hole & (hole - 1)) !== 0) throw new RangeError(`holeSize must be a power of two of at least 512, not ${hole}`);
  let file: FileHandle | undefined;
  let position = 0;

  /**
   * Data waiting to be written: contiguous buffers starting at `pendingAt`, flushed with one
   * positional writev when a hole interrupts them, when they reach 8 MiB, or at the end of a batch.
   */
  let pending: Buffer[] = [];
  let pendingAt = 0;
  let pendingBytes = 0;

  function queue(data: Buffer, at: number): Promise<void> | undefined {
    if (pendingBytes > 0 && pendingAt + pendingBytes !== at) throw new Error('internal: non-contiguous queue');
    if (pendingBytes === 0) pendingAt = at;
    pending.push(data);
    pendingBytes += data.length;
    return pendingBytes >= 8 << 20 ? flush() : undefined;
  }

  async function flush(): Promise<void> {
    let buffers = pending;
    let at = pendingAt;
    let left = pendingBytes;
    pending = [];
    pendingBytes = 0;
    while (left > 0) {
      const { bytesWritten } = await file!.writev(buffers, at);
      left -= bytesWritten;
      at += bytesWritten;
      if (left === 0) break;
      // A short write: drop what was written and go on with the rest.
      let skip = bytesWritten;
      const rest: Buffer[] = [];
      for (const b of buffers) {
        if (skip >= b.length) skip -= b.length;
        else {
          rest.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
      }
      buffers = rest;
    }
  }

  /** Queues the non-zero runs of `chunk`, which starts at `position`; zero runs flush the queue. */
  async function store(chunk: Buffer): Promise<void> {
    const at = position;
    position += chunk.length;
    if (isSharedZeros(chunk) || zeroRun(chunk, 0, chunk.length)) {
      if (pendingBytes > 0) await flush();
      return;
    }
    let runStart = -1;
    let i = 0;
    while (i < chunk.length) {
      const next = Math.min(chunk.length, i + (hole - ((at + i) % hole)));
      const zero = next - i === hole && zeroRun(chunk, i, next);
      if (!zero && runStart < 0) runStart = i;
      if (zero) {
        if (runStart >= 0) await queue(chunk.subarray(runStart, i), at + runStart);
        runStart = -1;
        if (pendingBytes > 0) await flush();
      }
      i = next;
    }
    if (runStart >= 0) await queue(runStart === 0 ? chunk : chunk.subarray(runStart), at + runStart);
  }

  const stream = new Writable({
    highWaterMark: 4 << 20,
    construct(callback) {
      open(path, 'w').then(
        (handle) => {
          file = handle;
          callback();
        },
        (err: Error) => callback(err),
      );
    },
    writev(chunks, callback) {
      (async () => {
        for (const { chunk } of chunks) await store(chunk as Buffer);
        if (pendingBytes > 0) await flush();
      })().then(() => callback(), callback);
    },
    final(callback) {
      file!.truncate(position).then(() => callback(), callback);
    },
    destroy(err, callback) {
      if (file === undefined) return callback(err);
      file.close().then(
        () => callback(err),
        (closeErr: Error) => callback(err ?? closeErr),
      );
    },
  });
  const signal = options.signal;
  if (signal !== undefined) {
    const onAbort = () => stream.destroy(new VimAbortError('writing the raw file was aborted', { cause: signal.reason }));
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return stream;
}
