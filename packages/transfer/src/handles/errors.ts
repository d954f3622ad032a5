import { VimError, type VimErrorOptions } from '@vmkit/vim';

/** A transfer failed: the server answered with an unexpected HTTP status (`status`), or the stream broke. */
export class TransferError extends VimError {
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  constructor(message: string, options: VimErrorOptions & { status?: number; code?: string } = {}) {
    super(message, options.code ?? (options.status === undefined ? 'VMKIT_TRANSFER_FAILED' : 'VMKIT_TRANSFER_HTTP_STATUS'), options);
    this.status = options.status;
  }
}

/** The file does not exist on the datastore (HTTP 404 from `/folder`). */
export class TransferNotFoundError extends TransferError {
  constructor(message: string, options: VimErrorOptions = {}) {
    super(message, { ...options, status: 404, code: 'VMKIT_TRANSFER_NOT_FOUND' });
  }
}
