/** Small helpers shared by the converters: zero runs and zero detection. */

/** The largest zero chunk the converters emit at once. */
export const ZERO_CHUNK = 1 << 20;

/** Yields `length` zero bytes in fresh chunks of at most 1 MiB (fresh: a consumer may write into them). */
export function* zeros(length: number): Generator<Buffer> {
  let left = length;
  while (left > 0) {
    const n = Math.min(left, ZERO_CHUNK);
    yield Buffer.alloc(n);
    left -= n;
  }
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
