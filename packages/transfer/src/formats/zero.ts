/** Small helpers shared by the converters: zero runs and zero detection. */
import { VimError } from '@vmkit/vim';

/** The largest zero chunk the converters emit at once. */
export const ZERO_CHUNK = 1 << 20;

/**
 * One zero chunk shared by every zero run. A zero half of a disk would otherwise be allocated, zeroed
 * and collected chunk by chunk: measured, the garbage collector then took half of a decode's time.
 * Node has no read-only buffer, so a consumer that writes into one of its views would turn every later
 * zero run into wrong bytes: {@link zeros} checks it at the start of each run instead (one memcmp of
 * at most 1 MiB per run, however long the run) and, finding it written, replaces it and fails loudly.
 */
let sharedZeros = Buffer.alloc(ZERO_CHUNK);

/**
 * Yields `length` zero bytes in chunks of at most 1 MiB. The chunks are views of one shared zero
 * buffer: consumers must not write into them (the converters' docs say so).
 *
 * @throws VimError `VMKIT_TRANSFER_ZERO_BUFFER_WRITTEN` when a run starts and finds the shared buffer
 *   written to (a consumer broke that rule): that run fails instead of giving out wrong bytes, and
 *   later runs get a fresh zero buffer. A write during a run shows at the next run, not within it.
 */
export function* zeros(length: number): Generator<Buffer> {
  if (length <= 0) return;
  if (!isAllZero(sharedZeros.subarray(0, Math.min(length, ZERO_CHUNK)))) {
    sharedZeros = Buffer.alloc(ZERO_CHUNK);
    throw new VimError(
      'a consumer wrote into a zero chunk that a VMDK reader handed out (views of one shared buffer, read-only by contract); zero runs read since then may hold wrong bytes',
      'VMKIT_TRANSFER_ZERO_BUFFER_WRITTEN',
    );
  }
  const shared = sharedZeros;
  let left = length;
  while (left > 0) {
    const n = Math.min(left, ZERO_CHUNK);
    yield shared.subarray(0, n);
    left -= n;
  }
}

/**
 * True when `b` is a view of the shared zero buffer of {@link zeros}: known zeros, no need to compare
 * them byte by byte (half of a typical disk).
 */
export function isSharedZeros(b: Uint8Array): boolean {
  return b.buffer === sharedZeros.buffer;
}

const ZERO_REF = Buffer.alloc(1 << 16);

/** True when every byte of `b` is zero (memcmp against a zero page, 64 KiB at a time). */
export function isAllZero(b: Uint8Array): boolean {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < buf.length; i += ZERO_REF.length) {
    const n = Math.min(ZERO_REF.length, buf.length - i);
    if (!buf.subarray(i, i + n).equals(ZERO_REF.subarray(0, n))) return false;
  }
  return true;
}
