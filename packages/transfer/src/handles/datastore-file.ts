import { open, stat, type FileHandle } from 'node:fs/promises';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request, type Dispatcher } from 'undici';
import { VimAbortError, type VimConnectOptions } from '@vmkit/vim';
import type { DatastoreURL, VimSession } from '@vmkit/session';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { replaceFile } from '../formats/replace-file.js';
import { directGet } from './direct-get.js';
import { directPut } from './direct-put.js';
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

/**
 * What a connection of the package's own needs to reach the server exactly as the session's client
 * does: the cookie and the client's TLS settings. Undefined for a ticket (whose dispatcher, if any,
 * is opaque) and for a client given a dispatcher of its own.
 */
function directAuthOf(auth: FolderAuth): { cookie: string; connect: VimConnectOptions } | undefined {
  if (!('session' in auth)) return undefined;
  const connect = auth.session.client.connectOptions;
  if (connect === undefined) return undefined;
  return { cookie: authOf(auth).cookie, connect };
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

/** Options of {@link downloadDatastoreFile}. */
export interface DownloadDatastoreFileOptions extends DatastoreFileOptions {
  /** Flush the file to stable storage before it takes the destination's name (path destinations only). Default false. */
  fsync?: boolean;
  /** Permissions of a file created at a path destination. Default `0o600`: a disk's bytes are nobody else's business. */
  mode?: number;
}

/** What {@link downloadDatastoreFile} resolves with. */
export interface DownloadResult {
  /** Bytes written: the file's size. */
  bytes: number;
}

/**
 * Downloads a datastore file over HTTP `/folder` into a local file: to `destination` when it is a
 * path, or into an open {@link FileHandle} from its offset 0. A path is written under a temporary
 * name in the same folder and renamed over `destination` only when every byte has arrived and the
 * size matches the server's Content-Length, so a failure leaves `destination` as it was and no
 * partial file; a handle is the caller's to clean up.
 *
 * With a session, the bytes travel on a connection of the download's own, verified with the
 * session's TLS settings, and go from the socket to the file through a few reused buffers (as curl
 * does): no memory is allocated per read, which makes a large download some two to three times faster
 * than the {@link openDatastoreFile} stream. With a ticket, or a session whose client was given its
 * own dispatcher, it streams through that dispatcher instead.
 *
 * Errors are those of {@link openDatastoreFile}, plus a {@link TransferError} when the local file
 * cannot be written.
 */
export async function downloadDatastoreFile(
  url: DatastoreURL,
  auth: FolderAuth,
  destination: string | FileHandle,
  options: DownloadDatastoreFileOptions = {},
): Promise<DownloadResult> {
  if (typeof destination !== 'string') return downloadInto(url, auth, destination, options);
  try {
    return await replaceFile(destination, 'vmkit-download', async (temporary) => {
      let file: FileHandle;
      try {
        file = await open(temporary, 'wx', options.mode ?? 0o600);
      } catch (cause) {
        throw new TransferError(`cannot create ${temporary}`, { cause });
      }
      try {
        const result = await downloadInto(url, auth, file, options);
        if (options.fsync === true) await file.sync();
        return result;
      } finally {
        await file.close();
      }
    });
  } catch (err) {
    throw err instanceof TransferError || err instanceof VimAbortError || err instanceof TransferSizeMismatchError
      ? err
      : new TransferError(`GET ${url.datastorePath.toString()}: cannot put the file at ${destination}`, { cause: err });
  }
}

/** The body of {@link downloadDatastoreFile} for an open file. */
async function downloadInto(url: DatastoreURL, auth: FolderAuth, file: FileHandle, options: DatastoreFileOptions): Promise<DownloadResult> {
  const what = `GET ${url.datastorePath.toString()}`;
  const direct = directAuthOf(auth);
  if (direct !== undefined) {
    const { bytes } = await directGet(new URL(url.toString()), { ...direct, file, what, signal: options.signal, onProgress: options.onProgress });
    return { bytes };
  }
  const { stream } = await openDatastoreFile(url, auth, options);
  let position = 0;
  const sink = new Writable({
    highWaterMark: COUNTER_BUFFER_BYTES,
    write(chunk: Buffer, _enc, done) {
      file.write(chunk, 0, chunk.length, position).then(({ bytesWritten }) => {
        position += bytesWritten;
        done(bytesWritten === chunk.length ? null : new TransferError(`${what}: the local file took ${bytesWritten} of ${chunk.length} bytes`));
      }, (cause: unknown) => done(new TransferError(`${what}: writing the local file failed`, { cause })));
    },
  });
  await pipeline(stream, sink);
  return { bytes: position };
}

/**
 * Uploads a local file to a datastore over HTTP `/folder` with PUT: the file at `source` (a path), or
 * an open {@link FileHandle} from its offset 0, whole (its size when the upload starts is the
 * Content-Length). Resolves once the server has accepted every byte (200 or 201).
 *
 * With a session, the bytes travel on a connection of the upload's own, verified with the session's
 * TLS settings, read into a few reused buffers that each go back to the file once the socket has taken
 * them: no memory is allocated per read, unlike a file read stream given to
 * {@link writeDatastoreFile}. With a ticket, or a session whose client was given its own dispatcher, it
 * streams through that dispatcher instead.
 *
 * Errors are those of {@link writeDatastoreFile}; a file that shrinks under the upload is a
 * {@link TransferSizeMismatchError}, one that cannot be opened or read a {@link TransferError}, and so
 * is a source that is not a regular file (a directory, a device, a pipe), refused before any request.
 */
export async function uploadDatastoreFile(url: DatastoreURL, auth: FolderAuth, source: string | FileHandle, options: DatastoreFileOptions = {}): Promise<void> {
  const what = `PUT ${url.datastorePath.toString()}`;
  // A directory, a device or a pipe: nothing to read, or a size of 0 that is not its content. Refused
  // before any request, which would leave an empty or partial file on the datastore.
  const notRegular = (name: string) => new TransferError(`${what}: ${name} is not a regular file`);
  let file: FileHandle;
  if (typeof source === 'string') {
    try {
      // Looked at before the open, which for a pipe would wait for a writer.
      if (!(await stat(source)).isFile()) throw notRegular(source);
      file = await open(source, 'r');
    } catch (cause) {
      if (cause instanceof TransferError) throw cause;
      throw new TransferError(`${what}: cannot open ${source}`, { cause });
    }
  } else {
    file = source;
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) throw notRegular(typeof source === 'string' ? source : 'the file handle');
    const size = info.size;
    const direct = directAuthOf(auth);
    if (direct !== undefined) {
      await directPut(new URL(url.toString()), { ...direct, file, size, what, signal: options.signal, onProgress: options.onProgress });
      return;
    }
    const stream = size === 0 ? Readable.from([]) : file.createReadStream({ start: 0, end: size - 1, autoClose: false, highWaterMark: COUNTER_BUFFER_BYTES });
    await writeDatastoreFile(url, auth, stream, size, options);
  } finally {
    if (typeof source === 'string') await file.close().catch(() => undefined);
  }
}
