/** Options of {@link ByteReader}. */
export interface ByteReaderOptions {
  /**
   * Takes back a chunk of the source once nothing of it is in use any more, for the source to fill
   * again: a chunk is handed back at the start of the first call after the one that consumed its last
   * byte. So a view that a read returns stays valid until the next call on the reader, and no longer:
   * a reader with `recycle` must be used by code that is done with each view before its next call.
   */
  recycle?: (chunk: Buffer) => void;
}

/**
 * A pull reader over an async iterable of byte chunks: exact reads, skips and zero-copy slices, with
 * the position in the stream. Holds at most one partly consumed chunk plus what a pending exact read
 * needs, so memory stays bounded by the largest single read.
 */
export class ByteReader {
  readonly #iterator: AsyncIterator<Uint8Array>;
  readonly #recycle: ((chunk: Buffer) => void) | undefined;
  /** Chunks consumed to their end during the current call: handed to `recycle` at the next one. */
  #retired: Buffer[] = [];
  // A queue: chunks[first] is the current chunk, head the offset into it. Consumed chunks are dropped
  // in batches, so that many tiny chunks cost linear time.
  #chunks: Buffer[] = [];
  #first = 0;
  #head = 0;
  #buffered = 0;
  #ended = false;
  #position = 0;

  constructor(source: AsyncIterable<Uint8Array>, options: ByteReaderOptions = {}) {
    this.#iterator = source[Symbol.asyncIterator]();
    this.#recycle = options.recycle;
  }

  /** Hands the chunks retired by the previous calls back to the source: their views are out of use. */
  #release(): void {
    if (this.#retired.length === 0) return;
    const retired = this.#retired;
    this.#retired = [];
    for (const chunk of retired) this.#recycle?.(chunk);
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.#position;
  }

  /** Pulls one more chunk; false once the source is exhausted. */
  async #pull(): Promise<boolean> {
    while (!this.#ended) {
      const r = await this.#iterator.next();
      if (r.done === true) {
        this.#ended = true;
        break;
      }
      const v: unknown = r.value;
      const chunk = Buffer.isBuffer(v)
        ? v
        : v instanceof Uint8Array
          ? Buffer.from(v.buffer, v.byteOffset, v.byteLength)
          : typeof v === 'string'
            ? Buffer.from(v, 'latin1')
            : null;
      if (chunk === null) throw new TypeError('the source yielded something other than bytes');
      if (chunk.length === 0) continue;
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      return true;
    }
    return false;
  }

  /** Buffers at least `n` bytes; false when the source ends first (what there is stays buffered). */
  async ensure(n: number): Promise<boolean> {
    this.#release();
    while (this.#buffered < n) {
      if (!(await this.#pull())) return false;
    }
    return true;
  }

  /** The number of bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.#buffered;
  }

  /** True when every byte has been consumed and the source has no more. */
  async atEnd(): Promise<boolean> {
    return !(await this.ensure(1));
  }

  /**
   * Reads exactly `n` bytes. When the source ends first, consumes what there was and throws the error
   * that `short(got)` returns.
   */
  async read(n: number, short: (got: number) => Error): Promise<Buffer> {
    this.#release();
    if (!(await this.ensure(n))) {
      const got = this.#buffered;
      this.#consume(got);
      throw short(got);
    }
    return this.#take(n);
  }

  /**
   * Up to `max` bytes (at least one) without copying when they lie in one chunk; null at the end.
   */
  async readSome(max: number): Promise<Buffer | null> {
    this.#release();
    if (this.#buffered === 0 && !(await this.#pull())) return null;
    const first = this.#chunks[this.#first];
    if (first === undefined) return null;
    const n = Math.min(max, first.length - this.#head);
    const out = first.subarray(this.#head, this.#head + n);
    this.#consume(n);
    return out;
  }

  /** Skips `n` bytes; returns how many were skipped (fewer only at the end of the source). */
  async skip(n: number): Promise<number> {
    this.#release();
    let left = n;
    while (left > 0) {
      if (this.#buffered === 0 && !(await this.#pull())) break;
      const k = Math.min(left, this.#buffered);
      this.#consume(k);
      left -= k;
    }
    return n - left;
  }

  /** Reads and discards everything left; returns the byte count. */
  async drain(): Promise<number> {
    this.#release();
    let n = this.#buffered;
    this.#consume(n);
    while (await this.#pull()) {
      n += this.#buffered;
      this.#consume(this.#buffered);
    }
    return n;
  }

  /** Stops the source early (runs its iterator's `return`, which destroys a Node stream). */
  async close(): Promise<void> {
    this.#retired = [];
    this.#chunks = [];
    this.#first = 0;
    this.#buffered = 0;
    this.#head = 0;
    if (!this.#ended) {
      this.#ended = true;
      await this.#iterator.return?.();
    }
  }

  #take(n: number): Buffer {
    const first = this.#chunks[this.#first];
    if (first !== undefined && first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#consume(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[this.#first];
      if (c === undefined) throw new Error('ByteReader: internal accounting error');
      const k = Math.min(n - filled, c.length - this.#head);
      c.copy(out, filled, this.#head, this.#head + k);
      filled += k;
      this.#consume(k);
    }
    return out;
  }

  #consume(n: number): void {
    this.#buffered -= n;
    this.#position += n;
    let left = n;
    while (left > 0) {
      const c = this.#chunks[this.#first];
      if (c === undefined) break;
      const avail = c.length - this.#head;
      if (left < avail) {
        this.#head += left;
        return;
      }
      left -= avail;
      if (this.#recycle !== undefined) this.#retired.push(c);
      this.#first++;
      this.#head = 0;
    }
    if (this.#first === this.#chunks.length) {
      this.#chunks = [];
      this.#first = 0;
    } else if (this.#first >= 1024 && this.#first * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }
}
