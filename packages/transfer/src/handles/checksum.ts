import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { VimError } from '@vmkit/vim';

/** A declared checksum: Glance's `os_hash_algo`/`os_hash_value`, or its older md5 `checksum`. */
export interface Checksum {
  algorithm: 'sha256' | 'sha512' | 'md5' | 'sha1';
  /** Lower-case hex digest. */
  value: string;
}

/** The bytes did not match their declared checksum (code `VMKIT_TRANSFER_CHECKSUM_MISMATCH`). */
export class ChecksumMismatchError extends VimError {
  readonly expected: Checksum;
  readonly actual: string;
  constructor(expected: Checksum, actual: string) {
    super(`${expected.algorithm} checksum mismatch: expected ${expected.value}, got ${actual}`, 'VMKIT_TRANSFER_CHECKSUM_MISMATCH');
    this.expected = expected;
    this.actual = actual;
  }
}

/** A pass-through stream that hashes what flows through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash;
  private result: string | undefined;
  constructor(readonly algorithm: Checksum['algorithm'] = 'sha256') {
    super();
    this.hash = createHash(algorithm);
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    this.result = this.hash.digest('hex');
    done();
  }
  /** The hex digest, once the stream has ended. */
  get digest(): string {
    if (this.result === undefined) throw new Error('the stream has not ended yet');
    return this.result;
  }
  /**
   * Resolves once every byte written has been hashed. An HTTP client may finish a request as soon as
   * Content-Length bytes are sent, a moment before the stream that fed it has ended.
   */
  async finished(): Promise<string> {
    if (this.result === undefined) await finished(this, { readable: false });
    return this.digest;
  }
  /** Waits for the digest, then throws {@link ChecksumMismatchError} unless it equals `expected`. */
  async verify(expected: Checksum | undefined): Promise<void> {
    const digest = await this.finished();
    if (expected !== undefined && digest !== expected.value.toLowerCase()) throw new ChecksumMismatchError(expected, digest);
  }
}
