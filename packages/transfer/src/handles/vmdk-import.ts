import { Readable, Transform, type TransformCallback } from 'node:stream';
import { request } from 'undici';
import { VimAbortError, VimError, type ManagedObjectReference, type vim } from '@vmkit/vim';
import { retrieveProperties, waitForLeaseReady, waitForTask, type VimSession } from '@vmkit/session';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { HashingStream, type Checksum } from './checksum.js';
import { responseDetail, TransferError } from './errors.js';

/** Options of {@link importVmdk}. */
export interface ImportVmdkOptions {
  /** The import spec: a `VirtualMachineImportSpec` whose config spec adds one disk (created by the import). */
  importSpec: vim.VirtualMachineImportSpec;
  /** The resource pool to import into. */
  pool: ManagedObjectReference;
  /** The VM folder (vCenter). */
  folder?: ManagedObjectReference;
  /** The host (ESX or a specific host under vCenter). */
  host?: ManagedObjectReference;
  /** The disk's bytes. */
  source: Readable | AsyncIterable<Uint8Array>;
  /** Bytes that `source` yields. */
  size: number;
  /** A stream-optimized VMDK (POST `application/x-vnd.vmware-streamVmdk`) rather than flat bytes (PUT). */
  streamOptimized: boolean;
  signal?: AbortSignal;
  /** Called as bytes move. */
  onProgress?: (bytes: number, total: number) => void;
  /** The source's declared checksum: verified before the lease is completed (a mismatch aborts it). */
  checksum?: Checksum;
  /** Called with the `HttpNfcLease` as soon as `ImportVApp` returned it (to watch or log it). */
  onLease?: (lease: ManagedObjectReference) => void;
  /** Lease progress is reported at least this often while bytes flow (default 10 s; vCenter's lease timeout is 5 min). */
  leaseProgressIntervalMs?: number;
}

/**
 * The URL to transfer a lease's device with: a `*` host means "the server this session talks to", so it
 * becomes the session's scheme, host and port; any other URL (an ESX host's) is kept.
 */
export function deviceUrlFor(session: VimSession, url: string): string {
  const m = /^https?:\/\/\*(?::\d+)?(?=\/)/.exec(url);
  return m === null ? url : session.client.url.origin + url.slice(m[0].length);
}

class ProgressCounter extends Transform {
  bytes = 0;
  constructor(
    private readonly total: number,
    private readonly onBytes: (n: number) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.total) return done(new TransferSizeMismatchError(this.total, this.bytes, `the disk is longer than the ${this.total} bytes announced`));
    this.onBytes(this.bytes);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    if (this.bytes !== this.total) return done(new TransferSizeMismatchError(this.total, this.bytes));
    done();
  }
}

/**
 * Imports a disk as a new VM through an NFC lease, as oslo.vmware's `VmdkWriteHandle` does, with the
 * lease logic in one place: `ImportVApp`, wait for the lease, stream the bytes to the device URL (the
 * `*` host substituted), keep the lease alive with `HttpNfcLeaseProgress` while bytes flow, and
 * `HttpNfcLeaseComplete` only after the server accepted the last byte. On any failure or abort the
 * lease is aborted and the half-imported VM removed, so nothing is left behind. Resolves to the VM.
 */
export async function importVmdk(session: VimSession, options: ImportVmdkOptions): Promise<ManagedObjectReference> {
  const { signal } = options;
  const call = signal === undefined ? {} : { signal };
  const lease = await session.invoke(
    'ImportVApp',
    options.pool,
    {
      spec: options.importSpec,
      ...(options.folder === undefined ? {} : { folder: options.folder }),
      ...(options.host === undefined ? {} : { host: options.host }),
    },
    call,
  );
  options.onLease?.(lease);
  let entity: ManagedObjectReference | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await waitForLeaseReady(session, lease, call);
    entity = info.entity;
    const device = info.deviceUrl?.find((d) => d.disk === true) ?? info.deviceUrl?.[0];
    if (device === undefined) throw new TransferError('the lease offers no device URL to upload the disk to', { code: 'VMKIT_TRANSFER_NO_DEVICE_URL' });
    const url = deviceUrlFor(session, device.url);

    let percent = 0;
    let reported = -1;
    const counter = new ProgressCounter(options.size, (n) => {
      percent = options.size === 0 ? 100 : Math.min(99, Math.floor((n * 100) / options.size));
      options.onProgress?.(n, options.size);
    });
    const keepAlive = () => {
      if (percent === reported) return;
      reported = percent;
      void session.invoke('HttpNfcLeaseProgress', lease, { percent }).catch(() => undefined);
    };
    timer = setInterval(keepAlive, options.leaseProgressIntervalMs ?? 10_000);
    timer.unref();

    const input = options.source instanceof Readable ? options.source : Readable.from(options.source);
    const hashing = new HashingStream(options.checksum?.algorithm ?? 'sha256');
    input.on('error', (err) => counter.destroy(err));
    hashing.on('error', (err) => counter.destroy(err));
    input.pipe(hashing).pipe(counter);
    const cookie = session.client.sessionCookie;
    const res = await request(url, {
      method: options.streamOptimized ? 'POST' : 'PUT',
      headers: {
        'content-type': options.streamOptimized ? 'application/x-vnd.vmware-streamVmdk' : 'application/octet-stream',
        'content-length': String(options.size),
        ...(cookie === undefined ? {} : { cookie: `vmware_soap_session=${cookie}` }),
      },
      body: counter,
      dispatcher: session.client.dispatcher,
      ...call,
    }).catch((cause: unknown) => {
      input.destroy();
      const inner = (cause as { cause?: unknown }).cause;
      if (cause instanceof TransferSizeMismatchError) throw cause;
      if (inner instanceof TransferSizeMismatchError) throw inner;
      if (signal?.aborted === true) throw new VimAbortError('the disk upload was aborted', { cause });
      throw new TransferError('the disk upload failed', { cause });
    });
    if (res.statusCode !== 200 && res.statusCode !== 201) {
      throw new TransferError(`the disk upload was refused: HTTP ${res.statusCode}${await responseDetail(res.body)}`, { status: res.statusCode });
    }
    await res.body.dump().catch(() => undefined);
    clearInterval(timer);
    timer = undefined;
    // The bytes are on the server but the lease is still open: a wrong image is aborted, not kept.
    await hashing.verify(options.checksum);
    await session.invoke('HttpNfcLeaseProgress', lease, { percent: 100 }).catch(() => undefined);
    await session.invoke('HttpNfcLeaseComplete', lease, {}, call);
    return entity;
  } catch (err) {
    if (timer !== undefined) clearInterval(timer);
    await abortImport(session, lease, entity, err);
    throw err;
  }
}

/** Aborts the lease and removes the VM it was creating, if the server left it behind. */
async function abortImport(session: VimSession, lease: ManagedObjectReference, entity: ManagedObjectReference | undefined, cause: unknown): Promise<void> {
  const fault = cause instanceof VimError ? { _type: 'LocalizedMethodFault', fault: { _type: 'SystemError', reason: cause.code }, localizedMessage: cause.message } : undefined;
  await session.invoke('HttpNfcLeaseAbort', lease, fault === undefined ? {} : { fault }).catch(() => undefined);
  if (entity === undefined) return;
  // vCenter deletes an aborted import's VM itself; where a server does not, the VM is ours to remove.
  const exists = await retrieveProperties(session, entity, ['name']).then(
    () => true,
    () => false,
  );
  if (exists) await waitForTask(session, await session.invoke('Destroy_Task', entity)).catch(() => undefined);
}
