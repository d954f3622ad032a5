/**
 * A streaming tar reader for OVA archives: ustar and old-style headers, GNU long names and base-256
 * sizes, pax extended headers (path, size). Members are read in order and never buffered.
 */
import { ByteReader } from './byte-reader.js';
import { OvaFormatError } from './errors.js';

const BLOCK = 512;

/** The kind of a tar member. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

/** A member of a tar archive, as {@link readTar} yields it. */
export interface TarEntry {
  /** The member's path inside the archive (from a pax or GNU long name when there is one). */
  readonly name: string;
  /** The member's data size in bytes. */
  readonly size: number;
  /** What the member is. */
  readonly type: TarEntryType;
  /** The raw type flag character ('0', '5', ...). */
  readonly typeflag: string;
  /** Byte position of the member's data in the archive. */
  readonly offset: number;
  /**
   * The member's bytes, in chunks. Read it before asking for the next entry: advancing skips what is
   * left of it, after which it can no longer be read.
   */
  readonly body: AsyncIterable<Buffer>;
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
}

function headerError(message: string, offset: number): OvaFormatError {
  return new OvaFormatError('tar-header', message, { offset });
}

/** A numeric field: octal text (NUL or space terminated), or GNU base-256 when the top bit is set. */
function numeric(block: Buffer, start: number, length: number, what: string, at: number): number {
  const first = block[start] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw headerError(`negative ${what} in a tar header`, at + start);
    let v = first & 0x7f;
    for (let i = 1; i < length; i++) {
      v = v * 256 + (block[start + i] ?? 0);
      if (v > Number.MAX_SAFE_INTEGER) throw headerError(`${what} in a tar header is out of range`, at + start);
    }
    return v;
  }
  const text = block.subarray(start, start + length).toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw headerError(`${what} ${JSON.stringify(text)} in a tar header is not octal`, at + start);
  const v = Number.parseInt(text, 8);
  if (!Number.isSafeInteger(v)) throw headerError(`${what} in a tar header is out of range`, at + start);
  return v;
}

function checksumOk(block: Buffer, at: number): boolean {
  const stored = numeric(block, 148, 8, 'checksum', at);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  // Some old writers summed signed chars; both are accepted, as GNU tar does.
  return stored === unsigned || stored === signed;
}

/** Parses pax extended header records: `<length> <key>=<value>\n`, length counting the whole record. */
function paxRecords(data: Buffer, at: number): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // padding
    const space = data.indexOf(0x20, i);
    if (space < 0) throw headerError('pax record without a length', at + i);
    const lenText = data.subarray(i, space).toString('latin1');
    if (!/^\d{1,9}$/.test(lenText)) throw headerError(`pax record length ${JSON.stringify(lenText)} is not a number`, at + i);
    const len = Number(lenText);
    const end = i + len;
    if (len <= space - i + 1 || end > data.length || data[end - 1] !== 0x0a) throw headerError('pax record length does not match the record', at + i);
    const record = data.subarray(space + 1, end - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0) throw headerError('pax record without a key', at + i);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    i = end;
  }
  return out;
}

const typeOf = (flag: string): TarEntryType =>
  flag === '0' || flag === '\0' || flag === '' || flag === '7' ? 'file' : flag === '5' ? 'directory' : flag === '2' ? 'symlink' : flag === '1' ? 'link' : 'other';

/** Extended headers are small; anything larger is refused rather than buffered. */
const MAX_META = 1 << 20;

/**
 * Reads a tar archive from a stream of bytes, yielding its members in order. Checks every header's
 * checksum, and fails on a truncated archive (inside a header or a member); the end is two zero blocks
 * (one zero block or a clean end after a member are accepted too).
 *
 * Stopping early (breaking out of `for await`) stops reading the source: a Node stream is destroyed.
 *
 * @throws OvaFormatError `tar-checksum`, `tar-header`, `truncated`.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry, void, undefined> {
  const reader = new ByteReader(source);
  let current: { remaining: number; padding: number; live: boolean } | undefined;
  try {
    let longName: string | undefined;
    let pax = new Map<string, string>();
    let globalPax = new Map<string, string>();
    for (;;) {
      if (current !== undefined) {
        current.live = false;
        const skip = current.remaining + current.padding;
        if ((await reader.skip(skip)) < skip) {
          throw new OvaFormatError('truncated', 'archive ends inside a member', { offset: reader.position });
        }
        current = undefined;
      }
      const at = reader.position;
      if (await reader.atEnd()) return; // no end-of-archive blocks: tolerated, as tar implementations do
      const block = await reader.read(BLOCK, (got) => new OvaFormatError('truncated', 'archive ends inside a tar header', { offset: at + got }));
      if (block.every((b) => b === 0)) {
        // End of archive. What follows (the second zero block, padding to a record) is read and dropped.
        await reader.drain();
        return;
      }
      if (!checksumOk(block, at)) throw new OvaFormatError('tar-checksum', 'tar header checksum mismatch', { offset: at });
      const typeflag = String.fromCharCode(block[156] ?? 0);
      let size = numeric(block, 124, 12, 'size', at);
      const magic = block.subarray(257, 263).toString('latin1');
      let name = field(block, 0, 100);
      if (magic === 'ustar\0') {
        const prefix = field(block, 345, 155);
        if (prefix !== '') name = `${prefix}/${name}`;
      }
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;

      if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
        if (size > MAX_META) throw headerError(`extended header of ${size} bytes is too large`, at);
        const data = await reader.read(size, (got) => new OvaFormatError('truncated', 'archive ends inside an extended header', { offset: at + BLOCK + got }));
        if ((await reader.skip(padding)) < padding) throw new OvaFormatError('truncated', 'archive ends inside an extended header', { offset: reader.position });
        if (typeflag === 'x') pax = paxRecords(data, at + BLOCK);
        else if (typeflag === 'g') globalPax = new Map([...globalPax, ...paxRecords(data, at + BLOCK)]);
        else if (typeflag === 'L') longName = field(data, 0, data.length);
        continue;
      }
      const paxPath = pax.get('path') ?? globalPax.get('path');
      if (paxPath !== undefined) name = paxPath;
      else if (longName !== undefined) name = longName;
      const paxSize = pax.get('size') ?? globalPax.get('size');
      if (paxSize !== undefined) {
        if (!/^\d{1,16}$/.test(paxSize) || !Number.isSafeInteger(Number(paxSize))) throw headerError(`pax size ${JSON.stringify(paxSize)} is not a number`, at);
        size = Number(paxSize);
      }
      longName = undefined;
      pax = new Map();
      const type = typeOf(typeflag);
      // Links and directories carry no data, whatever their size field says.
      const dataSize = type === 'file' || type === 'other' ? size : 0;
      const state = { remaining: dataSize, padding: (BLOCK - (dataSize % BLOCK)) % BLOCK, live: true };
      current = state;
      const dataOffset = reader.position;
      const body: AsyncIterable<Buffer> = {
        async *[Symbol.asyncIterator]() {
          while (state.remaining > 0) {
            if (!state.live) throw new Error(`tar member ${name} was skipped; read a member before advancing to the next`);
            const chunk = await reader.readSome(state.remaining);
            if (chunk === null) throw new OvaFormatError('truncated', `archive ends inside member ${name}`, { offset: reader.position });
            state.remaining -= chunk.length;
            yield chunk;
          }
        },
      };
      yield { name, size: dataSize, type, typeflag, offset: dataOffset, body };
    }
  } finally {
    if (current !== undefined) current.live = false;
    await reader.close();
  }
}
