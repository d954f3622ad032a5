/** Small helpers shared by the converters: zero runs and zero detection. */

/** The largest zero chunk the converters emit at once. */
export const ZERO_CHUNK = 1 << 20;

/**
 * One zero chunk shared by every zero run. A zero half of a disk would otherwise be allocated, zeroed
 * and collected chunk by chunk: measured, the garbage collector then took half of a decode's time.
 */
const SHARED_ZEROS = Buffer.alloc(ZERO_CHUNK);

/**
 * Yields `length` zero bytes in chunks of at most 1 MiB. The chunks are views of one shared zero
 * buffer: consumers must not write into them (the converters' docs say so).
 */
export function* zeros(length: number): Generator<Buffer> {
  let left = length;
  while (left > 0) {
    const n = Math.min(left, ZERO_CHUNK);
    yield SHARED_ZEROS.subarray(0, n);
    left -= n;
  }
}

/**
 * True when `b` is a view of the shared zero buffer of {@link zeros}: known zeros, no need to compare
 * them byte by byte (half of a typical disk).
 */
export function isSharedZeros(b: Uint8Array): boolean {
  return b.buffer === SHARED_ZEROS.buffer;
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
