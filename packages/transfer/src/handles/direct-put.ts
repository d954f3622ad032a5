import type { FileHandle } from 'node:fs/promises';
import type { VimConnectOptions } from '@vmkit/vim';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { DirectExchange, MAX_DETAIL_BYTES, MAX_HEAD_BYTES, openDirect, parseHead, redact, requestHead, statusError, type Head } from './direct-get.js';
import { TransferError } from './errors.js';

/*
 * The upload twin of direct-get.ts: a PUT of a local file on a connection of its own, read into a ring
 * of reused buffers that go to the socket, each back in the ring once the socket has taken it (the
 * write's callback). A file read stream allocates a new buffer per read instead, which the garbage
 * collector and the allocator then pay for, on the core the server needs too.
 */

/** Bytes of one buffer of the ring: one file read, one socket write. */
const SLAB_BYTES = 256 * 1024;
/** Buffers in the ring: reads and writes overlap, at most this many bytes wait in the socket. */
const SLABS = 8;

/** What {@link directPut} needs besides the URL. */
export interface DirectPutOptions {
  /** The `Cookie` header (a session or a generic service ticket). */
  cookie: string;
  /** TLS verification and trusted CAs, as the session's client uses them. */
  connect: VimConnectOptions;
  /** The file whose first `size` bytes are sent. */
  file: FileHandle;
  /** Bytes sent: the Content-Length. */
  size: number;
  /** Names the request in errors: `PUT [ds] path`. */
  what: string;
  signal?: AbortSignal | undefined;
  onProgress?: ((bytes: number, total: number | undefined) => void) | undefined;
}

/**
 * PUTs the first `size` bytes of `options.file` to `url` on a connection of its own, with a
 * Content-Length, and resolves once every byte is sent and the server answered 200 or 201. Another
 * status is a {@link TransferError} with the status (404 a `TransferNotFoundError`), an answer before
 * the last byte is an error even when it is a success, a file shorter than `size` a
 * {@link TransferSizeMismatchError}. On failure the connection is closed (the server sees an upload
 * cut short) and no read of the file is left running.
 */
export function directPut(url: URL, options: DirectPutOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    new DirectPut(url, options, resolve, reject).start();
  });
}

class DirectPut extends DirectExchange<DirectPutOptions> {
  private readonly free: Buffer[] = Array.from({ length: SLABS }, () => Buffer.allocUnsafeSlow(SLAB_BYTES));
  private connected = false;
  /** The next offset of the file to read, and the bytes the socket has taken. */
  private position = 0;
  private sent = 0;
  private reading = false;
  /** The answer so far: its head while it is incomplete, then the start of its body. */
  private headBytes = Buffer.alloc(0);
  private head: Head | undefined;
  private detail = '';
  private bodyLeft = Number.POSITIVE_INFINITY;
  private answered = false;

  constructor(
    private readonly url: URL,
    options: DirectPutOptions,
    private readonly resolve: () => void,
    private readonly reject: (err: Error) => void,
  ) {
    super(options);
  }

  start(): void {
    const { url, options, what } = this;
    const head = requestHead('PUT', url, options.cookie, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(options.size) });
    const opened = openDirect({
      url,
      cookie: options.cookie,
      connect: options.connect,
      signal: options.signal,
      what,
      head,
      failed: 'the upload failed',
      fail: (err) => this.fail(err),
      connected: () => {
        this.connected = true;
        this.pump();
      },
    });
    if (opened instanceof Error) return this.reject(opened);
    ({ socket: this.socket, connectTimer: this.connectTimer } = opened);
    this.socket.on('data', (chunk: Buffer) => this.onAnswer(chunk));
    this.socket.on('end', () => {
      if (this.answered || this.failure !== undefined) return;
      if (this.head === undefined) return this.fail(new TransferError(`${what}: the connection closed before an answer`));
      this.answerComplete();
    });
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Reads the next piece of the file into a free buffer and hands it to the socket, while both have room. */
  private pump(): void {
    if (this.reading || this.failure !== undefined || this.answered || !this.connected) return;
    if (this.position >= this.options.size) return;
    const slab = this.free.pop();
    if (slab === undefined) return; // every buffer is with the socket: a write's callback calls again
    const n = Math.min(slab.length, this.options.size - this.position);
    const at = this.position;
    this.reading = true;
    this.options.file.read(slab, 0, n, at).then(
      ({ bytesRead }) => {
        this.reading = false;
        if (this.failure !== undefined || this.answered) {
          this.free.push(slab);
          return this.maybeSettle();
        }
        if (bytesRead === 0) {
          this.free.push(slab);
          const size = this.options.size;
          return this.fail(new TransferSizeMismatchError(size, at, `${this.what}: the file ends after ${at} of the ${size} bytes to send`));
        }
        this.position += bytesRead;
        this.socket.write(slab.subarray(0, bytesRead), (err) => {
          // Only now has the socket let go of the buffer.
          this.free.push(slab);
          if (err !== undefined && err !== null) return this.fail(new TransferError(`${this.what}: the upload failed`, { cause: err }));
          this.sent += bytesRead;
          try {
            this.options.onProgress?.(this.sent, this.options.size);
          } catch (thrown) {
            // The caller's own error, as a stream would report it: not an uncaught exception in a socket callback.
            return this.fail(thrown instanceof Error ? thrown : new TransferError(`${this.what}: onProgress threw ${String(thrown)}`));
          }
          if (this.sent === this.options.size) this.maybeSettle();
          this.pump();
        });
        this.pump();
      },
      (cause: unknown) => {
        this.reading = false;
        this.fail(new TransferError(`${this.what}: reading the local file failed`, { cause }));
      },
    );
  }

  /** Bytes of the answer: the head, then as much of the body as the message needs. */
  private onAnswer(chunk: Buffer): void {
    if (this.answered || this.failure !== undefined) return;
    if (this.head === undefined) {
      this.headBytes = Buffer.concat([this.headBytes, chunk]);
      const end = this.headBytes.indexOf('\r\n\r\n', 0, 'latin1');
      if (end < 0 || end + 4 > MAX_HEAD_BYTES) {
        if (this.headBytes.length > MAX_HEAD_BYTES) this.fail(new TransferError(`${this.what}: the answer's head is longer than ${MAX_HEAD_BYTES} bytes`));
        return;
      }
      let head: Head;
      try {
        head = parseHead(redact(this.headBytes.toString('latin1', 0, end), this.options.cookie));
      } catch (err) {
        return this.fail(new TransferError(`${this.what}: a malformed answer: ${redact((err as Error).message, this.options.cookie)}`));
      }
      const rest = this.headBytes.subarray(end + 4);
      this.headBytes = Buffer.alloc(0);
      if (head.status < 200) {
        // An interim answer (100 Continue): the real one follows.
        if (rest.length > 0) this.onAnswer(rest);
        return;
      }
      this.head = head;
      const cl = head.headers.get('content-length');
      if (head.headers.has('transfer-encoding')) this.bodyLeft = Number.POSITIVE_INFINITY;
      else if (cl !== undefined && /^\d{1,16}$/.test(cl)) this.bodyLeft = Number(cl);
      else if (cl !== undefined) return this.fail(new TransferError(`${this.what}: a malformed answer: a malformed Content-Length`));
      chunk = rest;
      if (this.bodyLeft === 0) return this.answerComplete();
    }
    if (this.detail.length < MAX_DETAIL_BYTES) this.detail += chunk.toString('utf8', 0, Math.min(chunk.length, MAX_DETAIL_BYTES - this.detail.length));
    this.bodyLeft -= chunk.length;
    if (this.bodyLeft <= 0 || this.detail.length >= MAX_DETAIL_BYTES) this.answerComplete();
  }

  /** The server has answered (enough of it for the message). */
  private answerComplete(): void {
    if (this.answered) return;
    this.answered = true;
    const status = this.head!.status;
    if (status !== 200 && status !== 201) return this.fail(statusError(this.what, status, this.detail, this.options.cookie));
    if (this.position !== this.options.size || this.reading) {
      return this.fail(new TransferError(`${this.what}: the server answered ${status} before it was sent all ${this.options.size} bytes`, { status }));
    }
    // Every byte went to the socket; the callbacks of the last writes may still be on their way (the
    // answer and their completion can come in either order): settle once they are in.
    this.maybeSettle();
  }

  /** Settles once no read of the file is running, and on success once the answer and every write are in. */
  protected override maybeSettle(): void {
    if (this.settled || this.reading) return;
    if (this.failure === undefined && !(this.answered && this.sent === this.options.size)) return;
    this.settled = true;
    clearTimeout(this.connectTimer);
    this.socket.destroy();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.failure !== undefined) this.reject(this.failure);
    else this.resolve();
  }
}
