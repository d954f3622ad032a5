import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { VimAbortError, VimError, type ManagedObjectReference, type vim } from '@vmkit/vim';
import { waitForLeaseReady, type VimSession } from '@vmkit/session';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { responseDetail, TransferError } from './errors.js';
import { deviceUrlFor } from './vmdk-import.js';

/** Options of {@link exportVmdk}. */
export interface ExportVmdkOptions {
  /** Aborts the export: the stream fails with a `VimAbortError` and the lease is aborted. */
  signal?: AbortSignal;
  /**
   * Which disk to read, by the lease's device key (`HttpNfcLeaseDeviceUrl.key`) or by its position
   * among the VM's disks (0 = the first). Default: the first disk.
   */
  disk?: string | number;
  /** Called as bytes move: bytes so far and the total when the server announced one. */
  onProgress?: (bytes: number, total: number | undefined) => void;
  /** Lease progress is reported at least this often while bytes flow (default 10 s; vCenter's lease timeout is 5 min). */
  leaseProgressIntervalMs?: number;
  /** Give up waiting for the lease to become ready after this many milliseconds (the lease is aborted). */
  leaseTimeoutMs?: number;
}

/** An open VM disk export: the stream-optimized VMDK bytes and what the lease said about them. */
export interface VmdkExport {
  /**
   * The disk as a stream-optimized VMDK. It ends only after the lease was completed
   * (`HttpNfcLeaseComplete`); if it fails or is destroyed before that, the lease is aborted.
   */
  stream: Readable;
  /** The `HttpNfcLease`. */
  lease: ManagedObjectReference;
  /** The lease device this stream reads (`key`, `targetId`, ...); its URL has `*` already replaced. */
  device: vim.HttpNfcLeaseDeviceUrl;
  /** The byte count the server announced (Content-Length), when it did; VMware's exports usually do not. */
  size: number | undefined;
  /** The total capacity of the disks in the lease, in bytes, when the lease reports it. */
  capacity: number | undefined;
}

function pickDevice(info: vim.HttpNfcLeaseInfo, disk: string | number | undefined): vim.HttpNfcLeaseDeviceUrl {
  const devices = info.deviceUrl ?? [];
  const disks = devices.filter((d) => d.disk === true);
  const found = typeof disk === 'string' ? devices.find((d) => d.key === disk) : disks[disk ?? 0];
  if (found === undefined) {
    const which = disk === undefined ? 'a disk' : typeof disk === 'string' ? `the device ${JSON.stringify(disk)}` : `disk #${disk}`;
    throw new TransferError(`the export lease offers no device URL for ${which} (${disks.length} disk(s))`, { code: 'VMKIT_TRANSFER_NO_DEVICE_URL' });
  }
  return found;
}

/**
 * The lease side of a read: counts bytes, keeps the lease alive, completes it after the last byte,
 * and aborts it on failure or early destruction.
 */
class LeaseReadStream extends Readable {
  private bytes = 0;
  private percent = 0;
  private reported = -1;
  private completed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort: () => void;

  constructor(
    private readonly session: VimSession,
    private readonly lease: ManagedObjectReference,
    private readonly body: Dispatcher.ResponseData['body'],
    private readonly size: number | undefined,
    private readonly capacity: number | undefined,
    private readonly options: ExportVmdkOptions,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.timer = setInterval(() => this.keepAlive(), options.leaseProgressIntervalMs ?? 10_000);
    this.timer.unref();
    body.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (this.size !== undefined && this.bytes > this.size) {
        this.destroy(new TransferSizeMismatchError(this.size, this.bytes, `the disk export is longer than the ${this.size} bytes announced`));
        return;
      }
      const total = this.size ?? this.capacity;
      if (total !== undefined && total > 0) this.percent = Math.min(99, Math.floor((this.bytes * 100) / total));
      options.onProgress?.(this.bytes, this.size);
      if (!this.push(chunk)) body.pause();
    });
    body.on('end', () => void this.finish());
    body.on('error', (cause: unknown) => this.destroy(this.abortError(cause) ?? new TransferError('the disk download broke off', { cause })));
    this.onAbort = () => this.destroy(new VimAbortError('the disk export was aborted', { cause: options.signal?.reason }));
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private abortError(cause: unknown): VimAbortError | undefined {
    return this.options.signal?.aborted === true ? new VimAbortError('the disk export was aborted', { cause: this.options.signal.reason ?? cause }) : undefined;
  }

  private keepAlive(): void {
    if (this.percent === this.reported) return;
    this.reported = this.percent;
    void this.session.invoke('HttpNfcLeaseProgress', this.lease, { percent: this.percent }).catch(() => undefined);
  }

  /** The last byte arrived: check the count, then complete the lease before the stream ends. */
  private async finish(): Promise<void> {
    clearInterval(this.timer);
    if (this.destroyed) return;
    try {
      if (this.size !== undefined && this.bytes !== this.size) throw new TransferSizeMismatchError(this.size, this.bytes, `the disk export ended after ${this.bytes} of ${this.size} bytes`);
      await this.session.invoke('HttpNfcLeaseProgress', this.lease, { percent: 100 }).catch(() => undefined);
      await this.session.invoke('HttpNfcLeaseComplete', this.lease, {}, this.options.signal === undefined ? {} : { signal: this.options.signal });
      this.completed = true;
      this.push(null);
    } catch (err) {
      this.destroy(this.abortError(err) ?? (err as Error));
    }
  }

  override _read(): void {
    if (this.body.isPaused()) this.body.resume();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (!this.body.destroyed) this.body.destroy();
    if (this.completed) return done(err);
    abortLease(this.session, this.lease, err).then(
      () => done(err),
      () => done(err),
    );
  }
}

/** Aborts a lease, passing our error to the server as the reason where it is one of ours. */
export async function abortLease(session: VimSession, lease: ManagedObjectReference, cause: unknown): Promise<void> {
  const fault = cause instanceof VimError ? { _type: 'LocalizedMethodFault', fault: { _type: 'SystemError', reason: cause.code }, localizedMessage: cause.message } : undefined;
  await session.invoke('HttpNfcLeaseAbort', lease, fault === undefined ? {} : { fault }).catch(() => undefined);
}

/**
 * Exports a VM's disk as a stream-optimized VMDK through an NFC lease, as oslo.vmware's
 * `VmdkReadHandle` does, with the lease logic in one place: `ExportVm`, wait for the lease, GET the
 * disk's device URL (a `*` host becomes the session's server) with the session cookie, report lease
 * progress while bytes flow, and `HttpNfcLeaseComplete` after the last byte, before the stream ends.
 * If the stream fails, is destroyed early, or the signal fires, the lease is aborted instead.
 *
 * The VM must be powered off (vSphere's rule for `ExportVm`). Resolves once the server has answered
 * the GET with 200; read the stream to the end to complete the export.
 */
export async function exportVmdk(session: VimSession, vm: ManagedObjectReference, options: ExportVmdkOptions = {}): Promise<VmdkExport> {
  const { signal } = options;
  const call = signal === undefined ? {} : { signal };
  const lease = await session.invoke('ExportVm', vm, {}, call);
  try {
    const info = await waitForLeaseReady(session, lease, { ...call, ...(options.leaseTimeoutMs === undefined ? {} : { timeoutMs: options.leaseTimeoutMs }) });
    const picked = pickDevice(info, options.disk);
    const device = { ...picked, url: deviceUrlFor(session, picked.url) };
    const cookie = session.client.sessionCookie;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(device.url, {
        method: 'GET',
        headers: cookie === undefined ? {} : { cookie: `vmware_soap_session=${cookie}` },
        dispatcher: session.client.dispatcher,
        ...call,
      });
    } catch (cause) {
      if (signal?.aborted === true) throw new VimAbortError('the disk export was aborted', { cause: signal.reason ?? cause });
      throw new TransferError('the disk download failed', { cause });
    }
    if (res.statusCode !== 200) {
      throw new TransferError(`the disk download was refused: HTTP ${res.statusCode}${await responseDetail(res.body)}`, { status: res.statusCode });
    }
    const length = res.headers['content-length'];
    const size = typeof length === 'string' && /^\d+$/.test(length) ? Number(length) : undefined;
    const capacity = typeof info.totalDiskCapacityInKB === 'number' && info.totalDiskCapacityInKB > 0 ? info.totalDiskCapacityInKB * 1024 : undefined;
    const stream = new LeaseReadStream(session, lease, res.body, size, capacity, options);
    return { stream, lease, device, size, capacity };
  } catch (err) {
    await abortLease(session, lease, err);
    throw err;
  }
}
