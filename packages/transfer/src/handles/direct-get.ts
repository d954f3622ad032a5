import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { FileHandle } from 'node:fs/promises';
import { VimAbortError, type VimConnectOptions } from '@vmkit/vim';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { TransferError, TransferNotFoundError } from './errors.js';

/*
 * A plain HTTP/1.1 GET that reads the socket into a small ring of reused buffers and writes them to a
 * file, the way curl does. Node's streams cannot do that: every socket read becomes a new Buffer that
 * only the garbage collector frees, and glibc hands the freed memory straight back to the kernel, so a
 * 1 GiB download through undici page-faults 100,000-200,000 times and runs at a third to a half of
 * curl's rate (measured in tools/bench, `transfer.download`). Here nothing is allocated per read.
 *
 * It speaks only what a `/folder` download needs: one GET on a fresh connection (`Connection:
 * close`), a 200 with a Content-Length, a chunked body, or a body that ends with the connection.
 * Anything else the server says that this does not understand is an error, never a guess.
 */

/** Bytes of one buffer of the ring: the largest read and the size of a file write. */
const SLAB_BYTES = 2 * 1024 * 1024;
/** Buffers in the ring: one filling while the others are written. */
const SLABS = 4;
/** Bytes a read lands in while the ring is full (and the socket is being stopped). */
const SPARE_BYTES = 64 * 1024;
/** The most bytes a response head may take. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Bytes of an error response's body kept for the error message. */
export const MAX_DETAIL_BYTES = 4096;
/** How long the server may stay silent once connected, as undici's default body timeout. */
const IDLE_TIMEOUT_MS = 300_000;

/** What {@link directGet} needs besides the URL. */
export interface DirectGetOptions {
  /** The `Cookie` header (a session or a generic service ticket). */
  cookie: string;
  /** TLS verification and trusted CAs, as the session's client uses them. */
  connect: VimConnectOptions;
  /** The file the body is written to, from its start. */
  file: FileHandle;
  /** Names the request in errors: `GET [ds] path`. */
  what: string;
  signal?: AbortSignal | undefined;
  onProgress?: ((bytes: number, total: number | undefined) => void) | undefined;
}

type Body = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'eof' };

/** Where the chunked decoder is in its framing. */
const enum Chunk {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLine,
  TrailerLf,
}

const CR = 13;
const LF = 10;

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  const lower = byte | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** A response head: status, and the headers that matter here (lower-cased names). */
export interface Head {
  status: number;
  headers: Map<string, string>;
}

/** Parses a response head (without its final empty line); throws a message on anything malformed. */
export function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/.exec(lines[0] ?? '');
  if (status === null) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (m === null) throw new Error(`a malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = m[1]!.toLowerCase();
    const value = m[2]!;
    const before = headers.get(name);
    if (name === 'content-length' && before !== undefined && before !== value) throw new Error('two different Content-Length headers');
    headers.set(name, before === undefined || name === 'content-length' ? value : `${before}, ${value}`);
  }
  return { status: Number(status[1]), headers };
}

/**
 * `text` with the cookie's values masked: a server that echoes the request (in an error page, say)
 * must not put the session or ticket into an error message.
 */
export function redact(text: string, cookie: string): string {
  let out = text;
  for (const pair of cookie.split(';')) {
    const value = pair.slice(pair.indexOf('=') + 1).trim().replace(/^"|"$/g, '');
    if (value.length >= 4) out = out.split(value).join('***');
  }
  return out;
}

/** How the body of a 2xx answer to a GET is framed (RFC 9112, section 6.3). */
function bodyOf(head: Head): Body {
  const te = head.headers.get('transfer-encoding');
  const cl = head.headers.get('content-length');
  if (te !== undefined) {
    if (cl !== undefined) throw new Error('both Transfer-Encoding and Content-Length');
    if (te.trim().toLowerCase() !== 'chunked') throw new Error(`an unsupported Transfer-Encoding: ${JSON.stringify(te.slice(0, 80))}`);
    return { kind: 'chunked' };
  }
  if (cl !== undefined) {
    if (!/^\d{1,16}$/.test(cl) || !Number.isSafeInteger(Number(cl))) throw new Error(`a malformed Content-Length: ${JSON.stringify(cl.slice(0, 80))}`);
    return { kind: 'length', left: Number(cl) };
  }
  return { kind: 'eof' };
}

/** A cookie with a line break would end its header early and write the rest as headers of their own. */
function refuseCookie(cookie: string, what: string): TransferError | undefined {
  return /[\r\n]/.test(cookie) ? new TransferError(`${what}: the cookie holds a line break`, { code: 'VMKIT_TRANSFER_NOT_AUTHENTICATED' }) : undefined;
}

/**
 * Opens the connection of a direct request to `url`'s host: TLS (for https) verified with the session
 * client's settings and ALPN `http/1.1`, else plain TCP. With `onread`, reads land in the caller's buffers.
 */
function connectDirect(
  url: URL,
  connect: VimConnectOptions,
  onread?: { buffer: () => Uint8Array; callback: (n: number, buf: Uint8Array) => boolean },
): Socket {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const base = {
    host,
    port: Number(url.port !== '' ? url.port : url.protocol === 'https:' ? 443 : 80),
    ...(onread === undefined ? {} : { onread }),
  };
  if (url.protocol !== 'https:') return netConnect(base);
  return tlsConnect({
    ...base,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    rejectUnauthorized: connect.rejectUnauthorized,
    ...(connect.ca === undefined ? {} : { ca: connect.ca as string | Buffer | (string | Buffer)[] }),
    ALPNProtocols: ['http/1.1'],
  });
}

/** The head of a direct request: one request on a connection of its own, closed after the answer. */
export function requestHead(method: 'GET' | 'PUT', url: URL, cookie: string, headers: Readonly<Record<string, string>> = {}): string {
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nCookie: ${cookie}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return `${head}Accept: */*\r\nUser-Agent: vmkit-transfer\r\nConnection: close\r\n\r\n`;
}

/** What {@link openDirect} needs of the request that opens the connection. */
export interface DirectRequest {
  readonly url: URL;
  readonly cookie: string;
  readonly connect: VimConnectOptions;
  readonly signal?: AbortSignal | undefined;
  /** Names the request in errors: `GET [ds] path`. */
  readonly what: string;
  /** The request's head, sent once connected. */
  readonly head: string;
  /** What a failure of the connection is called in its error: "the request failed". */
  readonly failed: string;
  /** Fails the request (a connect timeout, an idle timeout, a socket error). */
  fail(err: Error): void;
  /** Called once the head is sent. */
  connected?(): void;
}

/**
 * Opens the connection of a direct request, or returns why it must not be opened (an aborted
 * signal, a cookie with a line break). Starts the connect timeout; once connected it arms the idle
 * timeout and sends the head. Socket errors fail the request.
 */
export function openDirect(
  request: DirectRequest,
  onread?: { buffer: () => Uint8Array; callback: (n: number, buf: Uint8Array) => boolean },
): { socket: Socket; connectTimer: NodeJS.Timeout } | Error {
  const { url, what, connect, signal } = request;
  if (signal?.aborted === true) return new VimAbortError(`${what} aborted`, { cause: signal.reason });
  const refused = refuseCookie(request.cookie, what);
  if (refused !== undefined) return refused;
  const socket = connectDirect(url, connect, onread);
  const connectTimer = setTimeout(() => request.fail(new TransferError(`${what}: no connection within ${connect.connectTimeoutMs} ms`)), connect.connectTimeoutMs);
  socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
    clearTimeout(connectTimer);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => request.fail(new TransferError(`${what}: nothing moved for ${IDLE_TIMEOUT_MS / 1000} s`)));
    socket.write(request.head);
    request.connected?.();
  });
  socket.on('error', (cause) => request.fail(new TransferError(`${what}: ${request.failed}`, { cause })));
  return { socket, connectTimer };
}

/**
 * The error of an answer that is not a success: 404 as {@link TransferNotFoundError}, else the status
 * with the start of the body (the cookie cut out, should the server echo it).
 */
export function statusError(what: string, status: number, detail: string, cookie: string): TransferError {
  if (status === 404) return new TransferNotFoundError(`${what}: no such file`);
  const line = redact(detail, cookie).replace(/\s+/g, ' ').trim().slice(0, 300);
  return new TransferError(`${what}: HTTP ${status}${line === '' ? '' : `: ${line}`}`, { status });
}

/**
 * GETs `url` on a connection of its own and writes the 200 answer's body to `options.file` from
 * offset 0, through a ring of reused buffers (see the note at the top of this file). Resolves with
 * the body's size once every byte is written; a 404 is a {@link TransferNotFoundError}, another status
 * a {@link TransferError} with the status, a body shorter than its Content-Length a
 * {@link TransferSizeMismatchError}, a malformed answer a {@link TransferError}. On failure the
 * connection is closed and no write is left running; what was written stays for the caller to remove.
 */
export function directGet(url: URL, options: DirectGetOptions): Promise<{ bytes: number; total: number | undefined }> {
  return new Promise((resolve, reject) => {
    new DirectGet(url, options, resolve, reject).start();
  });
}

/** What a direct GET and a direct PUT share: one socket, the first failure kept, an abort that fails. */
export abstract class DirectExchange<O extends { readonly what: string; readonly signal?: AbortSignal | undefined }> {
  /** Names the request in errors. */
  protected readonly what: string;
  protected socket!: Socket;
  protected connectTimer: NodeJS.Timeout | undefined;
  protected settled = false;
  protected failure: Error | undefined;
  protected readonly onAbort = (): void => this.fail(new VimAbortError(`${this.what} aborted`, { cause: this.options.signal?.reason }));

  constructor(protected readonly options: O) {
    this.what = options.what;
  }

  /** Keeps the first failure (an abort's, once the signal fired), closes the connection, and settles when it can. */
  protected fail(err: Error): void {
    if (this.settled) return;
    // A second failure (of a read or write still running when the first came) must still let the result settle.
    if (this.failure !== undefined) return this.maybeSettle();
    const signal = this.options.signal;
    this.failure =
      signal?.aborted === true && !(err instanceof VimAbortError) ? new VimAbortError(`${this.what} aborted`, { cause: signal.reason ?? err }) : err;
    clearTimeout(this.connectTimer);
    this.socket.destroy();
    this.maybeSettle();
  }

  /** Settles the result once nothing of the exchange is running any more. */
  protected abstract maybeSettle(): void;
}

/** One download; see {@link directGet}. */
class DirectGet extends DirectExchange<DirectGetOptions> {
  private readonly slabs = Array.from({ length: SLABS }, () => Buffer.allocUnsafeSlow(SLAB_BYTES));
  /** Where a read lands while the ring is full, until the socket stops or a slab comes back. */
  private readonly spare = Buffer.allocUnsafeSlow(SPARE_BYTES);
  private readonly free = this.slabs.slice(1);
  /** The slab being filled (undefined while every slab is being written) and how much of it is used. */
  private cur: Buffer<ArrayBuffer> | undefined = this.slabs[0];
  private filled = 0;
  /** Copies of bytes that arrived while the ring was full, in order; normally empty. */
  private readonly queue: Buffer[] = [];
  private head: Head | undefined;
  private body: Body | undefined;
  /** The start of an error answer's body, for the message, and how much of that body is left. */
  private detail = '';
  private errorBodyLeft = Number.POSITIVE_INFINITY;
  private total: number | undefined;
  private received = 0;
  private written = 0;
  private writing = 0;
  /** The socket was stopped because the ring was full. */
  private stopped = false;
  /** Every byte of the answer is in (framing or the connection's end says so). */
  private complete = false;
  private chunkState = Chunk.Size;
  private chunkLeft = 0;
  private chunkDigits = 0;
  private lineBytes = 0;

  constructor(
    private readonly url: URL,
    options: DirectGetOptions,
    private readonly resolve: (result: { bytes: number; total: number | undefined }) => void,
    private readonly reject: (err: Error) => void,
  ) {
    super(options);
  }

  start(): void {
    const { url, options, what } = this;
    const opened = openDirect(
      { url, cookie: options.cookie, connect: options.connect, signal: options.signal, what, head: requestHead('GET', url, options.cookie), failed: 'the request failed', fail: (err) => this.fail(err) },
      { buffer: () => this.nextBuffer(), callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) },
    );
    if (opened instanceof Error) return this.reject(opened);
    ({ socket: this.socket, connectTimer: this.connectTimer } = opened);
    this.socket.on('end', () => this.onEnd());
    // Flowing mode, so that the end of the connection is reported; the bytes go to onRead regardless.
    this.socket.resume();
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The buffer the next read lands in: the free end of the current slab, or the spare. */
  private nextBuffer(): Uint8Array {
    if (this.cur !== undefined && this.queue.length === 0) return this.cur.subarray(this.filled);
    return this.spare;
  }

  /** Takes `n` bytes just read into `buf`. False stops the socket until a slab is free again. */
  private onRead(n: number, buf: Uint8Array): boolean {
    if (this.failure !== undefined || this.settled || this.complete) return false;
    try {
      const cur = this.cur;
      if (cur !== undefined && this.queue.length === 0 && buf.buffer === cur.buffer && buf.byteOffset === cur.byteOffset + this.filled) {
        this.consume(cur, this.filled, n);
        this.afterConsume();
      } else {
        // A read set up while the ring was full: the bytes are in the spare buffer.
        this.queue.push(Buffer.from(buf.subarray(0, n)));
        this.drainQueue();
      }
    } catch (err) {
      this.fail(err instanceof Error ? err : new TransferError(`${this.what}: ${String(err)}`));
      return false;
    }
    if (this.failure !== undefined || this.complete) return false;
    if (this.cur === undefined) this.stopped = true;
    return !this.stopped;
  }

  /** Moves queued bytes into slabs while there are free ones. */
  private drainQueue(): void {
    while (this.queue.length > 0 && this.cur !== undefined && !this.complete && this.failure === undefined) {
      const bytes = this.queue[0]!;
      const take = Math.min(bytes.length, this.cur.length - this.filled);
      bytes.copy(this.cur, this.filled, 0, take);
      if (take === bytes.length) this.queue.shift();
      else this.queue[0] = bytes.subarray(take);
      this.consume(this.cur, this.filled, take);
      this.afterConsume();
    }
  }

  /** After bytes were taken: a full slab is written and the next one taken (none while all are busy). */
  private afterConsume(): void {
    // A failure (an abort from onProgress, say) writes nothing more: the result may have settled.
    if (this.failure !== undefined) return;
    if (this.complete) return this.wrapUp();
    if (this.cur !== undefined && this.filled === this.cur.length) {
      this.flush();
      this.cur = this.free.pop();
      this.filled = 0;
    }
  }

  /**
   * Interprets `n` new bytes at `slab[at..]` (`at` is `filled`): the head while there is none, then
   * the body, whose bytes end up contiguous at `slab[0..filled)` with chunk framing cut out.
   */
  private consume(slab: Buffer, at: number, n: number): void {
    const what = this.what;
    if (this.head === undefined) {
      this.filled += n;
      const end = slab.subarray(0, this.filled).indexOf('\r\n\r\n', Math.max(0, at - 3), 'latin1');
      if (end < 0) {
        if (this.filled > MAX_HEAD_BYTES) throw new TransferError(`${what}: the answer's head is longer than ${MAX_HEAD_BYTES} bytes`);
        return;
      }
      if (end + 4 > MAX_HEAD_BYTES) throw new TransferError(`${what}: the answer's head is longer than ${MAX_HEAD_BYTES} bytes`);
      let head: Head;
      let body: Body | undefined;
      try {
        head = parseHead(redact(slab.toString('latin1', 0, end), this.options.cookie));
        if (head.status === 200) body = bodyOf(head);
      } catch (err) {
        throw new TransferError(`${what}: a malformed answer: ${redact((err as Error).message, this.options.cookie)}`);
      }
      const rest = this.filled - end - 4;
      slab.copy(slab, 0, end + 4, this.filled);
      this.filled = 0;
      // An interim answer (100 Continue, 103 Early Hints) is skipped: the real one follows.
      if (head.status >= 200) {
        this.head = head;
        this.body = body;
        if (body?.kind === 'length') {
          this.total = body.left;
          if (body.left === 0) this.complete = true;
        }
        if (body === undefined) {
          const cl = head.headers.get('content-length');
          if (cl !== undefined && /^\d+$/.test(cl) && !head.headers.has('transfer-encoding')) this.errorBodyLeft = Number(cl);
          if (this.errorBodyLeft === 0) this.complete = true;
        }
      }
      if (rest > 0 && this.complete && this.body?.kind === 'length') throw new TransferError(`${what}: the server sent more than the 0 bytes it announced`);
      if (rest > 0 && !this.complete) this.consume(slab, 0, rest);
      return;
    }
    const body = this.body;
    if (body === undefined) {
      // An error answer: keep the start of its body for the message.
      if (this.detail.length < MAX_DETAIL_BYTES) this.detail += slab.toString('utf8', at, at + Math.min(n, MAX_DETAIL_BYTES - this.detail.length));
      this.errorBodyLeft -= n;
      if (this.detail.length >= MAX_DETAIL_BYTES || this.errorBodyLeft <= 0) this.complete = true;
      return;
    }
    let kept = n;
    if (body.kind === 'chunked') kept = this.dechunk(slab, at, n);
    else if (body.kind === 'length') {
      if (n > body.left) throw new TransferError(`${what}: the server sent more than the ${this.total} bytes it announced`);
      body.left -= n;
      if (body.left === 0) this.complete = true;
    }
    this.filled += kept;
    this.received += kept;
    if (kept > 0) this.options.onProgress?.(this.received, this.total);
  }

  /** Strips chunk framing from `slab[at..at+n)`, moving data down to `slab[filled..]`; returns the data bytes kept. */
  private dechunk(slab: Buffer, at: number, n: number): number {
    const what = this.what;
    let out = this.filled;
    const end = at + n;
    let i = at;
    while (i < end) {
      if (this.complete) throw new TransferError(`${what}: bytes after the end of the chunked body`);
      const byte = slab[i]!;
      switch (this.chunkState) {
        case Chunk.Size: {
          const v = hexValue(byte);
          if (v >= 0) {
            if (++this.chunkDigits > 12) throw new TransferError(`${what}: a chunk size too large`);
            this.chunkLeft = this.chunkLeft * 16 + v;
          } else if (this.chunkDigits > 0 && (byte === 0x3b || byte === 0x20 || byte === 0x09)) {
            this.chunkState = Chunk.Extension;
          } else if (this.chunkDigits > 0 && byte === CR) {
            this.chunkState = Chunk.SizeLf;
          } else {
            throw new TransferError(`${what}: a malformed chunk size`);
          }
          i++;
          break;
        }
        case Chunk.Extension:
          if (byte === CR) this.chunkState = Chunk.SizeLf;
          else if (byte === LF) throw new TransferError(`${what}: a malformed chunk extension`);
          if (++this.lineBytes > MAX_HEAD_BYTES) throw new TransferError(`${what}: a chunk extension too long`);
          i++;
          break;
        case Chunk.SizeLf:
          if (byte !== LF) throw new TransferError(`${what}: a malformed chunk size line`);
          i++;
          this.lineBytes = 0;
          this.chunkDigits = 0;
          this.chunkState = this.chunkLeft === 0 ? Chunk.Trailer : Chunk.Data;
          break;
        case Chunk.Data: {
          const take = Math.min(this.chunkLeft, end - i);
          if (out !== i) slab.copy(slab, out, i, i + take);
          out += take;
          i += take;
          this.chunkLeft -= take;
          if (this.chunkLeft === 0) this.chunkState = Chunk.DataCr;
          break;
        }
        case Chunk.DataCr:
          if (byte !== CR) throw new TransferError(`${what}: a chunk longer than its size`);
          this.chunkState = Chunk.DataLf;
          i++;
          break;
        case Chunk.DataLf:
          if (byte !== LF) throw new TransferError(`${what}: a malformed chunk end`);
          this.chunkState = Chunk.Size;
          i++;
          break;
        case Chunk.Trailer:
          // The start of a trailer field line, or the final empty line.
          this.chunkState = byte === CR ? Chunk.TrailerLf : Chunk.TrailerLine;
          i++;
          break;
        case Chunk.TrailerLine:
          if (byte === LF) this.chunkState = Chunk.Trailer;
          if (++this.lineBytes > MAX_HEAD_BYTES) throw new TransferError(`${what}: trailer fields too long`);
          i++;
          break;
        case Chunk.TrailerLf:
          if (byte !== LF) throw new TransferError(`${what}: a malformed end of the chunked body`);
          this.complete = true;
          i++;
          break;
      }
    }
    return out - this.filled;
  }

  /** The connection ended: the end of an unframed body, else too early. */
  private onEnd(): void {
    if (this.failure !== undefined || this.settled || this.complete) return;
    const what = this.what;
    if (this.head === undefined) return this.fail(new TransferError(`${what}: the connection closed before an answer`));
    if (this.queue.length > 0) {
      // Bytes still wait for a slab: the end counts once they are placed (see drainQueue).
      this.endPending = true;
      return;
    }
    this.endOfConnection();
  }

  private endPending = false;

  private endOfConnection(): void {
    const body = this.body;
    const what = this.what;
    if (body === undefined || body.kind === 'eof') {
      this.complete = true;
      return this.wrapUp();
    }
    if (body.kind === 'length') {
      const total = this.total!;
      return this.fail(new TransferSizeMismatchError(total, this.received, `${what}: ${this.received} bytes where ${total} were announced`));
    }
    this.fail(new TransferError(`${what}: the connection closed inside a chunked body`));
  }

  /** Writes the current slab's bytes at the file's next offset; the slab returns to the ring when written. */
  private flush(): void {
    const slab = this.cur!;
    const n = this.filled;
    if (n === 0 || this.body === undefined) {
      this.free.push(slab);
      return;
    }
    const position = this.written;
    this.written += n;
    this.writing++;
    this.options.file.write(slab, 0, n, position).then(
      ({ bytesWritten }) => {
        this.writing--;
        if (bytesWritten !== n) return this.fail(new TransferError(`${this.what}: the local file took ${bytesWritten} of ${n} bytes`));
        this.free.push(slab);
        this.slabReturned();
      },
      (cause: unknown) => {
        this.writing--;
        this.fail(new TransferError(`${this.what}: writing the local file failed`, { cause }));
      },
    );
  }

  /** A slab came back from the file: carry on with what waited for it. */
  private slabReturned(): void {
    if (this.failure !== undefined || this.settled) return this.maybeSettle();
    if (this.cur === undefined) {
      this.cur = this.free.pop();
      this.filled = 0;
    }
    try {
      this.drainQueue();
    } catch (err) {
      return this.fail(err instanceof Error ? err : new TransferError(`${this.what}: ${String(err)}`));
    }
    if (this.endPending && this.queue.length === 0 && !this.complete) this.endOfConnection();
    if (this.complete) return this.wrapUp();
    if (this.stopped && this.cur !== undefined) {
      this.stopped = false;
      // onRead's false stopped the handle; a pause and resume starts it reading again.
      this.socket.pause();
      this.socket.resume();
    }
  }

  private wrappedUp = false;
  /** The answer is complete: the last bytes are written, then the result settles. */
  private wrapUp(): void {
    if (!this.wrappedUp) {
      if (this.queue.length > 0) {
        // Bytes that came after the last one of the answer (while the ring was full): past a body
        // they are a protocol error; past an error answer's body they do not matter.
        if (this.body !== undefined) return this.fail(new TransferError(`${this.what}: the server sent more bytes after the end of the body`));
        this.queue.length = 0;
      }
      this.wrappedUp = true;
      this.socket.destroy();
      if (this.cur !== undefined && this.filled > 0) {
        this.flush();
        this.cur = undefined;
      }
    }
    this.maybeSettle();
  }

  /** Settles once nothing is being written any more. */
  protected override maybeSettle(): void {
    if (this.settled || this.writing > 0) return;
    if (this.failure === undefined && !this.wrappedUp) return;
    this.settled = true;
    clearTimeout(this.connectTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.failure !== undefined) return this.reject(this.failure);
    const what = this.what;
    const status = this.head!.status;
    if (status !== 200) return this.reject(statusError(what, status, this.detail, this.options.cookie));
    if (this.total !== undefined && this.received !== this.total) {
      return this.reject(new TransferSizeMismatchError(this.total, this.received, `${what}: ${this.received} bytes where ${this.total} were announced`));
    }
    this.resolve({ bytes: this.received, total: this.total });
  }
}
