import { Readable, Transform, type TransformCallback } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { VimAbortError } from '@vmkit/vim';
import type { DatastoreURL, VimSession } from '@vmkit/session';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { responseDetail, TransferError, TransferNotFoundError } from './errors.js';

/** How a `/folder` request authenticates. */
export type FolderAuth =
  /** The vCenter (or ESX) session's cookie: transfers go through the server the session talks to. */
  | { session: VimSession }
  /** A generic service ticket (see `acquireGenericServiceTicket`), for a transfer straight to a host. */
  | { ticketCookie: string; dispatcher?: Dispatcher };

/** Options of the datastore file handles. */
export interface DatastoreFileOptions {
  signal?: AbortSignal;
  /** Called as bytes move: bytes so far and the total when known. */
  onProgress?: (bytes: number, total: number | undefined) => void;
}

function authOf(auth: FolderAuth): { cookie: string; dispatcher: Dispatcher | undefined } {
  if ('session' in auth) {
    const cookie = auth.session.client.sessionCookie;
    if (cookie === undefined) throw new TransferError('the session is not logged in', { code: 'VMKIT_TRANSFER_NOT_AUTHENTICATED' });
    return { cookie: `vmware_soap_session=${cookie}`, dispatcher: auth.session.client.dispatcher };
  }
  return { cookie: auth.ticketCookie, dispatcher: auth.dispatcher };
}

/** Bytes the progress counter buffers on each side before it pushes back. */
const COUNTER_BUFFER_BYTES = 256 * 1024;

/** Counts bytes through a stream, reporting progress and checking the total at the end. */
class Counter extends Transform {
  bytes = 0;
  constructor(
    private readonly total: number | undefined,
    private readonly onProgress: DatastoreFileOptions['onProgress'],
    private readonly what: string,
  ) {
    // Room for a few of the 64 KiB chunks a socket or a file delivers: with the 16 KiB default every
    // chunk would fill the buffer, pausing and resuming the source once per chunk.
    super({ highWaterMark: COUNTER_BUFFER_BYTES });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.total !== undefined && this.bytes > this.total) {
      done(new TransferSizeMismatchError(this.total, this.bytes, `${this.what}: more than the ${this.total} bytes announced`));
      return;
    }
    this.onProgress?.(this.bytes, this.total);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    if (this.total !== undefined && this.bytes !== this.total) {
      done(new TransferSizeMismatchError(this.total, this.bytes, `${this.what}: ${this.bytes} bytes where ${this.total} were announced`));
      return;
    }
    done();
  }
}

const abortError = (signal: AbortSignal | undefined, what: string, cause: unknown) =>
  signal?.aborted === true ? new VimAbortError(`${what} aborted`, { cause: signal.reason ?? cause }) : undefined;

/**
 * Opens a datastore file for reading over HTTP `/folder`. Resolves once the server answered 200, with
 * the file's size (from Content-Length) and a byte stream that honours backpressure, reports progress
 * and fails with a typed error if it ends short of that size. A missing file is a
 * {@link TransferNotFoundError}; another status a {@link TransferError} with the status.
 */
export async function openDatastoreFile(
  url: DatastoreURL,
  auth: FolderAuth,
  options: DatastoreFileOptions = {},
): Promise<{ size: number | undefined; stream: Readable }> {
  const { cookie, dispatcher } = authOf(auth);
  const what = `GET ${url.datastorePath.toString()}`;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url.toString(), {
      method: 'GET',
      headers: { cookie },
      ...(dispatcher === undefined ? {} : { dispatcher }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (cause) {
    throw abortError(options.signal, what, cause) ?? new TransferError(`${what}: the request failed`, { cause });
  }
  if (res.statusCode !== 200) {
    const detail = await responseDetail(res.body);
    if (res.statusCode === 404) throw new TransferNotFoundError(`${what}: no such file`);
    throw new TransferError(`${what}: HTTP ${res.statusCode}${detail}`, { status: res.statusCode });
  }
  const length = res.headers['content-length'];
  const size = typeof length === 'string' && /^\d+$/.test(length) ? Number(length) : undefined;
  const counter = new Counter(size, options.onProgress, what);
  const body = res.body;
  body.on('error', (cause: unknown) => counter.destroy(abortError(options.signal, what, cause) ?? new TransferError(`${what}: the download broke off`, { cause })));
  counter.on('close', () => {
    if (!body.destroyed) body.destroy();
  });
  return { size, stream: body.pipe(counter) };
}

/**
 * Writes a datastore file over HTTP `/folder` with PUT, streaming `source` with backpressure and a
 * Content-Length of `size`; resolves when the server has accepted every byte (status 200 or 201), and
 * rejects with a typed error on any other status, a size mismatch, or abort.
 */
export async function writeDatastoreFile(
  url: DatastoreURL,
  auth: FolderAuth,
  source: Readable | AsyncIterable<Uint8Array>,
  size: number,
  options: DatastoreFileOptions = {},
): Promise<void> {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a whole number of bytes, not ${size}`);
  const { cookie, dispatcher } = authOf(auth);
  const what = `PUT ${url.datastorePath.toString()}`;
  const counter = new Counter(size, options.onProgress, what);
  const input = source instanceof Readable ? source : Readable.from(source);
  input.on('error', (err) => counter.destroy(err));
  input.pipe(counter);
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url.toString(), {
      method: 'PUT',
      headers: { cookie, 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: counter,
      ...(dispatcher === undefined ? {} : { dispatcher }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (cause) {
    input.destroy();
    if (cause instanceof TransferSizeMismatchError) throw cause;
    if ((cause as { cause?: unknown }).cause instanceof TransferSizeMismatchError) throw (cause as { cause: Error }).cause;
    throw abortError(options.signal, what, cause) ?? new TransferError(`${what}: the upload failed`, { cause });
  }
  if (res.statusCode !== 200 && res.statusCode !== 201) {
    throw new TransferError(`${what}: HTTP ${res.statusCode}${await responseDetail(res.body)}`, { status: res.statusCode });
  }
  await res.body.dump().catch(() => undefined);
}

/**
 * Deletes a datastore file over HTTP `/folder` with DELETE (what ESX's `/folder` and a generic service
 * ticket for `httpDelete` allow). Resolves when the server answered 200 or 204; a missing file is a
 * {@link TransferNotFoundError}, another status a {@link TransferError} with the status.
 */
export async function deleteDatastoreFile(url: DatastoreURL, auth: FolderAuth, options: Pick<DatastoreFileOptions, 'signal'> = {}): Promise<void> {
  const { cookie, dispatcher } = authOf(auth);
  const what = `DELETE ${url.datastorePath.toString()}`;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url.toString(), {
      method: 'DELETE',
      headers: { cookie },
      ...(dispatcher === undefined ? {} : { dispatcher }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (cause) {
    throw abortError(options.signal, what, cause) ?? new TransferError(`${what}: the request failed`, { cause });
  }
  await res.body.dump().catch(() => undefined);
  if (res.statusCode === 404) throw new TransferNotFoundError(`${what}: no such file`);
  if (res.statusCode !== 200 && res.statusCode !== 204) throw new TransferError(`${what}: HTTP ${res.statusCode}`, { status: res.statusCode });
}
