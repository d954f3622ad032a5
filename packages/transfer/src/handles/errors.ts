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

/**
 * The start of an error response's body, on one line, for an error message (`: <text>`), or '' when
 * there is none. Reads at most a few KiB and drops the rest.
 */
export async function responseDetail(body: AsyncIterable<unknown> & { destroy(): unknown }): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      if (text.length >= 4096) break;
    }
  } catch {
    // The detail is a courtesy; the status is the error.
  } finally {
    body.destroy();
  }
  const line = text.replace(/\s+/g, ' ').trim().slice(0, 300);
  return line === '' ? '' : `: ${line}`;
}
