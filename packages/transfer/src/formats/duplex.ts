/**
 * A byte-mode Duplex around an async generator transform (`bytes in -> bytes out`): high-water marks,
 * `readableLength` and `read(n)` count bytes as for any Node byte stream (1 MiB buffers by default on
 * each side), and the stream fails with the transform's own typed error.
 *
 * `Duplex.from(asyncGeneratorFunction)` would be one call, but in object mode (one chunk of any size
 * per buffer slot); `Duplex.from({ readable, writable })` reports an AbortError instead of the
 * transform's error.
 */
import { Duplex } from 'node:stream';

type Transform = (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Buffer, void, undefined>;
type Callback = (error?: Error | null) => void;

class GeneratorDuplex extends Duplex {
  readonly #iterator: AsyncGenerator<Buffer, void, undefined>;
  readonly #limit: number;
  #queue: Buffer[] = [];
  #queued = 0;
  #inputEnded = false;
  #outputDone = false;
  #pumping = false;
  /** The transform, waiting for the next input chunk. */
  #waiting: (() => void) | undefined;
  /** A write held back until the transform has taken enough of the queue (backpressure). */
  #heldWrite: Callback | undefined;

  constructor(transform: Transform, highWaterMark: number) {
    super({ readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
    this.#limit = highWaterMark;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => this.#nextInput(),
        return: () => {
          this.#inputEnded = true;
          this.#dropQueue();
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    this.#iterator = transform(source);
  }

  #nextInput(): Promise<IteratorResult<Uint8Array, undefined>> {
    return new Promise((resolve) => {
      const take = (): void => {
        const chunk = this.#queue.shift();
        if (chunk !== undefined) {
          this.#queued -= chunk.length;
          this.#releaseWrite();
          resolve({ done: false, value: chunk });
        } else if (this.#inputEnded) {
          resolve({ done: true, value: undefined });
        } else {
          this.#waiting = take;
        }
      };
      take();
    });
  }

  #wake(): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.();
  }

  #releaseWrite(): void {
    if (this.#heldWrite !== undefined && this.#queued < this.#limit) {
      const cb = this.#heldWrite;
      this.#heldWrite = undefined;
      cb();
    }
  }

  #dropQueue(): void {
    this.#queue = [];
    this.#queued = 0;
    this.#releaseWrite();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    if (this.#outputDone || this.#inputEnded) {
      callback(); // the transform has finished reading: what comes after is dropped
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    this.#wake();
    if (this.#queued < this.#limit) callback();
    else this.#heldWrite = callback;
  }

  override _final(callback: Callback): void {
    this.#inputEnded = true;
    this.#wake();
    callback();
  }

  override _read(): void {
    if (this.#pumping || this.#outputDone) return;
    this.#pumping = true;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        const r = await this.#iterator.next();
        if (r.done === true) {
          this.#outputDone = true;
          this.#dropQueue();
          this.push(null);
          return;
        }
        if (!this.push(r.value)) return; // _read restarts the pump
      }
    } catch (err) {
      this.#outputDone = true;
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.#pumping = false;
    }
  }

  override _destroy(error: Error | null, callback: Callback): void {
    this.#inputEnded = true;
    this.#dropQueue();
    const held = this.#heldWrite;
    this.#heldWrite = undefined;
    held?.();
    this.#wake();
    // Let the transform run its finally blocks (closing files, stopping sources) before reporting.
    this.#iterator.return(undefined).then(
      () => callback(error),
      (e: unknown) => callback(error ?? (e instanceof Error ? e : new Error(String(e)))),
    );
  }
}

/** Wraps an async generator transform in a byte-mode Duplex with `highWaterMark` buffers on both sides. */
export function generatorDuplex(transform: Transform, highWaterMark = 1 << 20): Duplex {
  return new GeneratorDuplex(transform, highWaterMark);
}
