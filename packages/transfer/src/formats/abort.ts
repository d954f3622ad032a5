/**
 * AbortSignal handling shared by the format layer: an abort surfaces as `VimAbortError` of
 * `@vmkit/vim` (code `VMKIT_VIM_ABORTED`, the signal's reason as `cause`), as everywhere in vmkit.
 */
import type { Duplex, Readable } from 'node:stream';
import { VimAbortError } from '@vmkit/vim';

/** The error an aborted operation ends with. */
export function abortError(signal: AbortSignal, what: string): VimAbortError {
  return new VimAbortError(`${what} aborted`, { cause: signal.reason });
}

/** Throws {@link abortError} when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw abortError(signal, what);
}

/** Destroys `stream` with {@link abortError} when `signal` fires (at once if it already has). */
export function destroyOnAbort(signal: AbortSignal | undefined, stream: Duplex | Readable, what: string): void {
  if (signal === undefined) return;
  const onAbort = (): void => {
    stream.destroy(abortError(signal, what));
  };
  if (signal.aborted) {
    onAbort();
    return;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', onAbort));
}
