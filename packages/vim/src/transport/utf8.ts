import { isUtf8 } from 'node:buffer';

/** Thrown by {@link Utf8Pieces} for bytes that are not UTF-8 (the transport makes it a typed error). */
export class InvalidUtf8Error extends Error {
  constructor() {
    super('invalid UTF-8');
    this.name = 'InvalidUtf8Error';
  }
}

/**
 * Turns the pieces of a UTF-8 byte stream into strings, refusing invalid UTF-8 like a fatal
 * `TextDecoder` (and dropping a leading byte order mark like it), but several times faster: each piece
 * is cut after its last complete character, checked with `isUtf8` and converted by `Buffer#toString`;
 * the at most three bytes of a character cut in two wait for the next piece.
 */
export class Utf8Pieces {
  private carry: Buffer | undefined;
  private started = false;

  /** The text of `chunk` (with the bytes held back from the previous piece); throws {@link InvalidUtf8Error}. */
  decode(chunk: Uint8Array): string {
    let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry !== undefined) {
      data = Buffer.concat([this.carry, data]);
      this.carry = undefined;
    }
    if (data.length === 0) return '';
    if (!this.started) {
      if (data.length < 3 && isBomPrefix(data)) {
        // Too short to tell whether a byte order mark is coming: wait for more.
        this.carry = Buffer.from(data);
        return '';
      }
      this.started = true;
      if (data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
    }
    const cut = completeLength(data);
    if (cut < data.length) this.carry = Buffer.from(data.subarray(cut));
    const piece = cut < data.length ? data.subarray(0, cut) : data;
    if (!isUtf8(piece)) throw new InvalidUtf8Error();
    return piece.toString('utf8');
  }

  /** Ends the stream; throws {@link InvalidUtf8Error} when it ended inside a character. */
  end(): void {
    const rest = this.carry;
    this.carry = undefined;
    if (rest !== undefined && rest.length > 0) throw new InvalidUtf8Error();
  }
}

/** Whether `data` (shorter than 3 bytes) could be the start of a byte order mark. */
function isBomPrefix(data: Uint8Array): boolean {
  return data.length > 0 && data[0] === 0xef && (data.length < 2 || data[1] === 0xbb) && data.length < 3;
}

/**
 * The length of the longest prefix of `data` that does not end inside a character: `data.length` unless
 * its last one to three bytes start a multi-byte character that the next piece completes. Invalid bytes
 * are left in the prefix, for `isUtf8` to refuse.
 */
function completeLength(data: Uint8Array): number {
  const len = data.length;
  let i = len - 1;
  while (i >= 0 && i > len - 4 && (data[i]! & 0xc0) === 0x80) i--;
  if (i < 0) return len;
  const b = data[i]!;
  const need = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 1;
  return i + need > len ? i : len;
}
