import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createSparseVmdkReadStream, createStreamOptimizedEncoder, inspectVmdk } from '@vmkit/transfer';

const CHUNK = 1 << 20;
const zeros = Buffer.alloc(CHUNK);

/** A raw disk of `capacity` bytes: `data` first, zeros after. */
function rawDisk(capacity: number, data: Buffer): Readable {
  return Readable.from((function* () {
    yield data;
    for (let left = capacity - data.length; left > 0; left -= CHUNK) yield left >= CHUNK ? zeros : zeros.subarray(0, left);
  })());
}

/** Writes a stream-optimized VMDK of `capacity` bytes holding `data` at its start (transfer's encoder). */
export async function writeStreamOptimizedImage(path: string, capacity: number, data: Buffer, signal?: AbortSignal): Promise<void> {
  await pipeline(rawDisk(capacity, data), createStreamOptimizedEncoder({ capacity, ...(signal === undefined ? {} : { signal }) }), createWriteStream(path, { flags: 'wx' }), signal === undefined ? {} : { signal });
}

/** Overwrites the start of the disk as it streams by. */
class Patch extends Transform {
  private at = 0;
  constructor(private readonly patch: Buffer) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    const start = this.at;
    this.at += chunk.length;
    if (start >= this.patch.length) return done(null, chunk);
    const out = Buffer.from(chunk);
    this.patch.copy(out, 0, start, Math.min(this.patch.length, start + out.length));
    done(null, out);
  }
}

/**
 * Writes `patch` at the start of the disk in a stream-optimized VMDK file, as a program using an
 * attached volume would: decode, change, encode to a new file, and move it over the old one.
 */
export async function patchStreamOptimizedDisk(path: string, patch: Buffer, signal?: AbortSignal): Promise<void> {
  const { capacity } = await inspectVmdk(path);
  const tmp = `${path}.new`;
  const opts = signal === undefined ? {} : { signal };
  try {
    await pipeline(createSparseVmdkReadStream(path, opts), new Patch(patch), createStreamOptimizedEncoder({ capacity, ...opts }), createWriteStream(tmp, { flags: 'wx', mode: 0o600 }), opts);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The first `n` bytes of the disk in a sparse or stream-optimized VMDK file. */
export async function readDiskStart(path: string, n: number, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  const stream = createSparseVmdkReadStream(path, signal === undefined ? {} : { signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parts.push(chunk);
    have += chunk.length;
    if (have >= n) break;
  }
  stream.destroy();
  return Buffer.concat(parts).subarray(0, n);
}

/** The sha256 of a file. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), new Writable({
    write(chunk: Buffer, _e, done) {
      hash.update(chunk);
      done();
    },
  }));
  return hash.digest('hex');
}
