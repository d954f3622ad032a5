/**
 * directGet against loopback servers made with node:net: raw bytes, so each test decides the framing
 * of the answer and how it is cut into TCP segments. The file is an in-memory recorder standing in for
 * a FileHandle, which can be slow, fail, or take fewer bytes than asked.
 */
import fc from 'fast-check';
import { createServer, type Server, type Socket } from 'node:net';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { VimAbortError, VimError } from '@vmkit/vim';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mutate } from '../../test/http-server.js';
import { fillRandom } from '../../test/images.js';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { directGet, type DirectGetOptions } from './direct-get.js';
import { TransferError, TransferNotFoundError } from './errors.js';

const MiB = 1024 * 1024;
/** The size of one buffer of directGet's ring, and their number (see direct-get.ts). */
const SLAB = 2 * MiB;
const SLABS = 4;
/** The size of the spare buffer reads land in while the ring is full. */
const SPARE = 64 * 1024;
/** Recognisable in any text that would leak it. */
const SECRET = 'Zq7-SECRET-COOKIE-31337';
const COOKIE = `vmware_soap_session="${SECRET}"`;

// ---------------------------------------------------------------------------------------------------
// The test server

interface TestServer {
  url: URL;
  /** The request heads received, as text. */
  requests: string[];
  /** Connections accepted. */
  connections(): number;
}

type Responder = (socket: Socket) => unknown;

const requestHeads = new WeakMap<Socket, string>();
/** The request head a responder's socket received. */
const requestOf = (socket: Socket): string => requestHeads.get(socket) ?? '';

const servers: Server[] = [];
const openSockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/**
 * A server on 127.0.0.1 that reads one request head per connection and then hands the socket to
 * `respond`, which writes whatever bytes the test wants.
 */
async function serve(respond: Responder): Promise<TestServer> {
  const requests: string[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
    socket.on('error', () => undefined); // the client hangs up mid-answer in many tests
    socket.setNoDelay(true);
    let head = '';
    const onData = (data: Buffer) => {
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      requests.push(head);
      requestHeads.set(socket, head);
      Promise.resolve()
        .then(() => respond(socket))
        .catch(() => socket.destroy());
    };
    socket.on('data', onData);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: new URL(`http://127.0.0.1:${port}/folder/f.bin?dcPath=DC0&dsName=ds`), requests, connections: () => connections };
}

/** Writes `data` and resolves once it is handed to the kernel (or the socket is gone). */
function write(socket: Socket, data: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.write(data, () => resolve());
  });
}

/** Writes `data` cut at `cuts` (offsets, any order), pausing between the pieces so that each tends to be a read of its own. */
async function sendInPieces(socket: Socket, data: Buffer, cuts: readonly number[]): Promise<void> {
  const ends = [...new Set(cuts.filter((c) => c > 0 && c < data.length))].sort((a, b) => a - b);
  ends.push(data.length);
  let at = 0;
  for (const end of ends) {
    if (socket.destroyed) return;
    await write(socket, data.subarray(at, end));
    at = end;
    await delay(1);
  }
}

const crlf = (lines: readonly string[]) => lines.map((l) => `${l}\r\n`).join('');
/** A response head with its final empty line. */
const headOf = (status: string, headers: readonly string[] = []) => Buffer.from(`HTTP/1.1 ${status}\r\n${crlf(headers)}\r\n`, 'latin1');

function randomBody(size: number, seed: number): Buffer {
  const body = Buffer.alloc(size);
  fillRandom(body, seed);
  return body;
}

interface ChunkingPlan {
  /** Sizes of the chunks, used in turn until the body is used up. */
  sizes: readonly number[];
  upper?: boolean;
  /** Leading zeros before each size. */
  zeros?: number;
  /** A chunk extension after each size (with its `;`). */
  extension?: string;
  trailers?: readonly string[];
}

/** `body` in chunked framing. */
function chunked(body: Buffer, plan: ChunkingPlan): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < body.length; i++) {
    const size = Math.min(plan.sizes[i % plan.sizes.length]!, body.length - at);
    let hex = size.toString(16);
    if (plan.upper === true) hex = hex.toUpperCase();
    parts.push(Buffer.from(`${'0'.repeat(plan.zeros ?? 0)}${hex}${plan.extension ?? ''}\r\n`, 'latin1'), body.subarray(at, at + size), Buffer.from('\r\n'));
    at += size;
  }
  parts.push(Buffer.from(`0${plan.extension ?? ''}\r\n${crlf(plan.trailers ?? [])}\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------
// The file

interface RecorderOptions {
  /** Milliseconds each write takes (a function for a different delay per write). */
  delayMs?: number | ((index: number) => number);
  /** What write `index` waits for before it completes (after which `delayMs` still applies). */
  gate?: (index: number, file: FileRecorder) => Promise<void>;
  /** Writes from this one on (0-based) reject. */
  failFrom?: number;
  /** Writes report this many bytes fewer than asked. */
  shortBy?: number;
}

/**
 * An in-memory stand-in for a FileHandle that records every write. It keeps the bytes a write was
 * given both when it was called and when it completes: a difference means the buffer was reused
 * before its write was done.
 */
class FileRecorder {
  readonly writes: { position: number; length: number; atCall: Buffer; atDone?: Buffer }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Set by the test once the download settled: what happens after it is a defect. */
  settled = false;
  callsAfterSettled = 0;
  completionsAfterSettled = 0;

  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly options: RecorderOptions = {}) {}

  /** Resolves once `count` writes have been asked for. */
  whenWrites(count: number): Promise<void> {
    if (this.writes.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  get handle(): FileHandle {
    return this as unknown as FileHandle;
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number; buffer: Uint8Array }> {
    if (this.settled) this.callsAfterSettled++;
    const index = this.writes.length;
    const record: (typeof this.writes)[number] = { position, length, atCall: Buffer.from(buffer.subarray(offset, offset + length)) };
    this.writes.push(record);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    for (const w of this.waiters.filter((x) => this.writes.length >= x.count)) w.resolve();
    try {
      await this.options.gate?.(index, this);
      const d = this.options.delayMs;
      const ms = typeof d === 'function' ? d(index) : d;
      if (ms !== undefined && ms > 0) await delay(ms);
      else await Promise.resolve();
      record.atDone = Buffer.from(buffer.subarray(offset, offset + length));
      if (this.options.failFrom !== undefined && index >= this.options.failFrom) throw new Error('EIO: the disk is on fire');
      return { bytesWritten: length - (this.options.shortBy ?? 0), buffer };
    } finally {
      this.inFlight--;
      if (this.settled) this.completionsAfterSettled++;
    }
  }

  /** The file's bytes; checks that the writes were issued in order, back to back, and their buffers left alone. */
  content(): Buffer {
    let at = 0;
    for (const w of this.writes) {
      expect(w.position).toBe(at);
      expect(w.atDone?.equals(w.atCall)).toBe(true);
      at += w.length;
    }
    return Buffer.concat(this.writes.map((w) => w.atCall));
  }
}

/** Resolves `ms` after `signal` aborts. */
const afterAbort = (signal: AbortSignal, ms: number): Promise<void> =>
  new Promise((resolve) => {
    const go = () => setTimeout(resolve, ms);
    if (signal.aborted) go();
    else signal.addEventListener('abort', go, { once: true });
  });

// ---------------------------------------------------------------------------------------------------
// Running a download

const connect = { rejectUnauthorized: true, connectTimeoutMs: 5000 };

function optionsFor(file: FileRecorder, extra: Partial<DirectGetOptions> = {}): DirectGetOptions {
  return { cookie: COOKIE, connect, file: file.handle, what: 'GET [ds] f.bin', ...extra };
}

/** Runs directGet and marks the file settled the moment the promise settles. */
async function run(url: URL, file: FileRecorder, extra: Partial<DirectGetOptions> = {}) {
  try {
    return await directGet(url, optionsFor(file, extra));
  } finally {
    file.settled = true;
  }
}

/** The rejection of `promise`, failing the test if it resolves. */
async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.err).toBeInstanceOf(Error);
  return outcome.err as Error;
}

/** Every text of an error and its causes. */
function textsOf(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    out.push(e instanceof Error ? `${String(e)}\n${e.stack ?? ''}` : (JSON.stringify(e) ?? ''));
  }
  return out;
}

/** A typed vmkit error of `cls` with `code`, which does not give the cookie away. */
function expectTyped(err: unknown, cls: abstract new (...args: never[]) => Error, code: string): void {
  expect(err).toBeInstanceOf(VimError);
  expect(err).toBeInstanceOf(cls);
  expect((err as VimError).code).toBe(code);
  for (const text of textsOf(err)) expect(text).not.toContain(SECRET);
}

/** Runs directGet against a server answering `response` (cut at `cuts`, then closing when `end`), for the bytes written. */
async function download(response: Buffer, cuts: readonly number[] = [], end = false, extra: Partial<DirectGetOptions> = {}) {
  const server = await serve(async (socket) => {
    await sendInPieces(socket, response, cuts);
    if (end) socket.end();
  });
  const file = new FileRecorder();
  const progress: number[] = [];
  const result = await run(server.url, file, { onProgress: (n) => progress.push(n), ...extra });
  expect(server.requests).toHaveLength(1);
  return { result, bytes: file.content(), progress, request: server.requests[0]!, file };
}

function expectMonotonic(progress: readonly number[], last: number): void {
  for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
  if (last > 0) expect(progress.at(-1)).toBe(last);
}

// ---------------------------------------------------------------------------------------------------

describe('directGet: the request', () => {
  it('sends one GET for the path and query, with the cookie, Host and Connection: close', async () => {
    const body = randomBody(1000, 1);
    const { request } = await download(Buffer.concat([headOf('200 OK', [`Content-Length: ${body.length}`]), body]));
    const lines = request.split('\r\n');
    expect(lines[0]).toBe('GET /folder/f.bin?dcPath=DC0&dsName=ds HTTP/1.1');
    expect(lines).toContain(`Cookie: ${COOKIE}`);
    expect(lines).toContain('Connection: close');
    expect(lines.some((l) => /^Host: 127\.0\.0\.1:\d+$/.test(l))).toBe(true);
  });
});

describe('directGet: bodies framed by Content-Length', () => {
  it('writes the body exactly, however the answer is cut into segments', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (size, seed, cutSeeds) => {
          const body = randomBody(size, seed);
          const response = Buffer.concat([headOf('200 OK', ['Server: test', `Content-Length: ${size}`, 'X-Other:  spaced  ']), body]);
          const { result, bytes, progress } = await download(response, cutSeeds.map((c) => c % response.length));
          expect(result).toEqual({ bytes: size, total: size });
          expect(bytes.equals(body)).toBe(true);
          expectMonotonic(progress, size);
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);

  it('writes a body larger than the ring of buffers (9 MiB and some), in 2 MiB writes', async () => {
    const size = 9 * MiB + 12_345;
    const body = randomBody(size, 7);
    const { result, bytes, progress, file } = await download(Buffer.concat([headOf('200 OK', [`Content-Length: ${size}`]), body]));
    expect(result).toEqual({ bytes: size, total: size });
    expect(bytes.equals(body)).toBe(true);
    expectMonotonic(progress, size);
    expect(file.writes.map((w) => w.length)).toEqual([SLAB, SLAB, SLAB, SLAB, 1 * MiB + 12_345]);
  }, 30_000);

  it('takes an empty body (Content-Length: 0) and writes nothing', async () => {
    const { result, file } = await download(headOf('200 OK', ['Content-Length: 0']));
    expect(result).toEqual({ bytes: 0, total: 0 });
    expect(file.writes).toEqual([]);
  });
});

describe('directGet: chunked bodies', () => {
  const plan = fc.record({
    sizes: fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 8 }),
    upper: fc.boolean(),
    zeros: fc.integer({ min: 0, max: 3 }),
    extension: fc.constantFrom('', ';a=b', ' ;name="va;lue"', ';x', '\t;ext=1;ext2'),
    trailers: fc.array(fc.constantFrom('Checksum: abc', 'X-Trailer: 1', 'Empty:'), { maxLength: 2 }),
  });

  it('strips the framing exactly, with any chunk sizes, extensions, trailers and segmentation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 30_000 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        plan,
        fc.array(fc.nat(), { maxLength: 16 }),
        async (size, seed, chunking, cutSeeds) => {
          const body = randomBody(size, seed);
          const response = Buffer.concat([headOf('200 OK', ['Transfer-Encoding: chunked']), chunked(body, chunking)]);
          const { result, bytes, progress } = await download(response, cutSeeds.map((c) => c % response.length));
          expect(result).toEqual({ bytes: size, total: undefined });
          expect(bytes.equals(body)).toBe(true);
          expectMonotonic(progress, size);
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);

  it('decodes an answer sent one byte per segment (every state of the framing split)', async () => {
    const body = randomBody(40, 3);
    const response = Buffer.concat([
      headOf('200 OK', ['transfer-encoding:  Chunked ']),
      chunked(body, { sizes: [1, 16, 7], zeros: 1, extension: ';e="1"', trailers: ['Digest: x', 'A: b'] }),
    ]);
    const { bytes } = await download(response, Array.from({ length: response.length }, (_, i) => i));
    expect(bytes.equals(body)).toBe(true);
  }, 30_000);

  it('decodes a 9 MiB body in chunks of odd sizes, across the ring', async () => {
    const size = 9 * MiB + 4321;
    const body = randomBody(size, 11);
    const response = Buffer.concat([headOf('200 OK', ['Transfer-Encoding: chunked']), chunked(body, { sizes: [65_537, 1_000_003, 17, 333_333] })]);
    const { result, bytes } = await download(response);
    expect(result.bytes).toBe(size);
    expect(bytes.equals(body)).toBe(true);
  }, 30_000);
});

describe('directGet: bodies that end with the connection', () => {
  it('writes everything up to the close', async () => {
    for (const size of [0, 1, 70_000, 5 * MiB + 3]) {
      const body = randomBody(size, size + 1);
      const { result, bytes } = await download(Buffer.concat([headOf('200 OK', ['Server: eof']), body]), [17, 5000], true);
      expect(result).toEqual({ bytes: size, total: undefined });
      expect(bytes.equals(body)).toBe(true);
    }
  }, 30_000);
});

describe('directGet: a slow file', () => {
  it('fills the ring, stops reading, resumes, and writes 20 MiB and some exactly, in order', async () => {
    const size = 20 * MiB + 999;
    const body = randomBody(size, 5);
    const server = await serve(async (socket) => {
      await write(socket, Buffer.concat([headOf('200 OK', [`Content-Length: ${size}`]), body]));
    });
    // The first writes wait until every buffer of the ring is being written; after that writes finish
    // out of order, some quickly and some late.
    const file = new FileRecorder({ gate: (i, f) => (i < SLABS ? f.whenWrites(SLABS) : Promise.resolve()), delayMs: (i) => [30, 5, 20, 1, 40][i % 5]! });
    // A read that lands in the 64 KiB spare buffer is copied out of it with Buffer.from.
    const from = vi.spyOn(Buffer, 'from');
    let result;
    let spareReads: number;
    try {
      result = await run(server.url, file);
    } finally {
      spareReads = from.mock.calls.filter(([arg]) => arg instanceof Uint8Array && arg.buffer.byteLength === SPARE).length;
      from.mockRestore();
    }
    expect(result.bytes).toBe(size);
    expect(file.content().equals(body)).toBe(true);
    // Every buffer of the ring was being written at once: the socket had to wait for one to come back.
    expect(file.maxInFlight).toBe(SLABS);
    expect(spareReads).toBeGreaterThan(0);
    expect(file.inFlight).toBe(0);
  }, 30_000);

  it('holds the bytes that arrive while the ring is full, for a chunked body too', async () => {
    const size = 12 * MiB + 77;
    const body = randomBody(size, 6);
    const server = await serve(async (socket) => {
      await write(socket, Buffer.concat([headOf('200 OK', ['Transfer-Encoding: chunked']), chunked(body, { sizes: [100_000, 3, 777_777] })]));
    });
    const file = new FileRecorder({ gate: (i, f) => (i < SLABS ? f.whenWrites(SLABS) : Promise.resolve()), delayMs: 25 });
    const result = await run(server.url, file);
    expect(result.bytes).toBe(size);
    expect(file.content().equals(body)).toBe(true);
    expect(file.maxInFlight).toBe(SLABS);
  }, 30_000);
});

describe('directGet: statuses', () => {
  it('skips interim answers before the real one', async () => {
    const body = randomBody(5000, 9);
    const response = Buffer.concat([
      headOf('100 Continue'),
      headOf('103 Early Hints', ['Link: </x>; rel=preload']),
      headOf('200 OK', [`Content-Length: ${body.length}`]),
      body,
    ]);
    for (const cuts of [[], [10, 25, 26, 60, 200]]) {
      const { bytes } = await download(response, cuts);
      expect(bytes.equals(body)).toBe(true);
    }
  });

  it('reports a 404 as TransferNotFoundError, and writes nothing', async () => {
    const file = new FileRecorder();
    const server = await serve((socket) => socket.end(Buffer.concat([headOf('404 Not Found', ['Content-Length: 9']), Buffer.from('not found')])));
    const err = await failureOf(run(server.url, file));
    expectTyped(err, TransferNotFoundError, 'VMKIT_TRANSFER_NOT_FOUND');
    expect((err as TransferError).status).toBe(404);
    expect(file.writes).toEqual([]);
  });

  it('reports a 500 with the start of its body in the message', async () => {
    const text = 'Internal failure: the datastore is gone.';
    for (const [framing, payload, end] of [
      ['Content-Length', Buffer.concat([headOf('500 Internal Server Error', [`Content-Length: ${text.length}`]), Buffer.from(text)]), false],
      ['connection end', Buffer.concat([headOf('500 Internal Server Error'), Buffer.from(text)]), true],
      ['a long body', Buffer.concat([headOf('500 Internal Server Error', ['Content-Length: 1000000']), Buffer.from(text), Buffer.alloc(100_000, 'x')]), false],
    ] as const) {
      const file = new FileRecorder();
      const server = await serve(async (socket) => {
        await sendInPieces(socket, payload, [30, 80]);
        if (end) socket.end();
      });
      const err = await failureOf(run(server.url, file));
      expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
      expect((err as TransferError).status, framing).toBe(500);
      expect(err.message, framing).toContain(text);
      expect(err.message.length, framing).toBeLessThan(1000);
      expect(file.writes).toEqual([]);
    }
  });

  it('reports a 401 with an empty body at once, without waiting for the connection to close', async () => {
    const server = await serve((socket) => void write(socket, headOf('401 Unauthorized', ['Content-Length: 0'])));
    const err = await failureOf(run(server.url, new FileRecorder()));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
    expect((err as TransferError).status).toBe(401);
    expect(err.message).toContain('HTTP 401');
  });
});

describe('directGet: malformed answers', () => {
  const body = randomBody(3000, 2);
  const ok = (headers: readonly string[]) => headOf('200 OK', headers);
  const failed = ['failed', TransferError, 'VMKIT_TRANSFER_FAILED'] as const;
  const short = ['short', TransferSizeMismatchError, 'VMKIT_TRANSFER_SIZE_MISMATCH'] as const;
  const cases: readonly (readonly [string, Buffer, boolean, readonly [string, abstract new (...args: never[]) => Error, string]])[] = [
    ['a garbage status line', Buffer.from('SSH-2.0-OpenSSH_9.2\r\n\r\n'), false, failed],
    ['an HTTP/2 status line', Buffer.from('HTTP/2 200\r\ncontent-length: 1\r\n\r\nx'), false, failed],
    ['a status without a code', Buffer.from('HTTP/1.1 OK\r\n\r\n'), false, failed],
    ['a header line without a colon', Buffer.concat([ok(['Content-Length: 3', 'Broken header']), Buffer.from('abc')]), false, failed],
    ['a header name with a space', Buffer.concat([ok(['Content Length: 3']), Buffer.from('abc')]), false, failed],
    ['a folded header line', Buffer.concat([ok(['Content-Length: 3', 'X-A: 1', ' continued']), Buffer.from('abc')]), false, failed],
    ['both Transfer-Encoding and Content-Length', Buffer.concat([ok(['Transfer-Encoding: chunked', 'Content-Length: 3']), Buffer.from('3\r\nabc\r\n0\r\n\r\n')]), false, failed],
    ['Transfer-Encoding: gzip', Buffer.concat([ok(['Transfer-Encoding: gzip']), Buffer.from('abc')]), true, failed],
    ['Transfer-Encoding: gzip, chunked', Buffer.concat([ok(['Transfer-Encoding: gzip, chunked']), Buffer.from('3\r\nabc\r\n0\r\n\r\n')]), false, failed],
    ['two different Content-Lengths', Buffer.concat([ok(['Content-Length: 3', 'Content-Length: 4']), Buffer.from('abcd')]), false, failed],
    ['a negative Content-Length', Buffer.concat([ok(['Content-Length: -3']), Buffer.from('abc')]), true, failed],
    ['a Content-Length with a sign', Buffer.concat([ok(['Content-Length: +3']), Buffer.from('abc')]), true, failed],
    ['a Content-Length list', Buffer.concat([ok(['Content-Length: 3, 3']), Buffer.from('abc')]), true, failed],
    ['a head longer than 64 KiB', Buffer.concat([ok(['Content-Length: 3', `X-Big: ${'a'.repeat(70_000)}`]), Buffer.from('abc')]), false, failed],
    ['a head that never ends', Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(200_000)}`), false, failed],
    ['a chunk size that is not hex', Buffer.concat([ok(['Transfer-Encoding: chunked']), Buffer.from('zz\r\nabc\r\n0\r\n\r\n')]), false, failed],
    ['an empty chunk size', Buffer.concat([ok(['Transfer-Encoding: chunked']), Buffer.from('\r\nabc\r\n0\r\n\r\n')]), false, failed],
    ['a chunk size of 13 hex digits', Buffer.concat([ok(['Transfer-Encoding: chunked']), Buffer.from('1000000000000\r\nabc')]), false, failed],
    ['a chunk size line ended by LF alone', Buffer.concat([ok(['Transfer-Encoding: chunked']), Buffer.from('3\nabc\r\n0\r\n\r\n')]), false, failed],
    ['a chunk longer than its size', Buffer.concat([ok(['Transfer-Encoding: chunked']), Buffer.from('3\r\nabcd\r\n0\r\n\r\n')]), false, failed],
    ['a chunk shorter than its size', Buffer.concat([ok(['Transfer-Encoding: chunked']), Buffer.from('5\r\nabc\r\n0\r\n\r\n')]), false, failed],
    ['bytes after the end of a chunked body', Buffer.concat([ok(['Transfer-Encoding: chunked']), Buffer.from('3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n')]), false, failed],
    ['more bytes than the Content-Length', Buffer.concat([ok([`Content-Length: ${body.length - 1}`]), body]), false, failed],
    ['bytes after a Content-Length of 0', Buffer.concat([ok(['Content-Length: 0']), Buffer.from('abc')]), false, failed],
    ['a Content-Length body cut short by the close', Buffer.concat([ok([`Content-Length: ${body.length + 10}`]), body]), true, short],
    ['a chunked body cut short by the close', Buffer.concat([ok(['Transfer-Encoding: chunked']), Buffer.from('3\r\nabc\r\n5\r\nab')]), true, failed],
    ['a chunked body closed before its trailer ends', Buffer.concat([ok(['Transfer-Encoding: chunked']), Buffer.from('3\r\nabc\r\n0\r\nX-T: 1\r\n')]), true, failed],
    ['a close before any answer', Buffer.alloc(0), true, failed],
    ['a close inside the head', Buffer.from('HTTP/1.1 200 OK\r\nContent-Le'), true, failed],
  ];

  it.each(cases)('refuses %s with a typed error', async (_name, response, end, [, cls, code]) => {
    const server = await serve(async (socket) => {
      // One write, so that what follows the end of a body arrives with it.
      await write(socket, response);
      if (end) socket.end();
    });
    const file = new FileRecorder();
    const err = await failureOf(run(server.url, file));
    expectTyped(err, cls, code);
    expect(file.inFlight).toBe(0);
    // The connection is closed: the server sees its end.
    await delay(1);
  }, 10_000);

  it('reports the sizes of a body cut short', async () => {
    const server = await serve((socket) => socket.end(Buffer.concat([headOf('200 OK', ['Content-Length: 5000']), body])));
    const err = (await failureOf(run(server.url, new FileRecorder()))) as TransferSizeMismatchError;
    expect(err).toBeInstanceOf(TransferSizeMismatchError);
    expect(err.expected).toBe(5000);
    expect(err.actual).toBe(body.length);
  });

  it('answers a mutated answer with a consistent result or a typed error, never a crash or a hang', async () => {
    const body = randomBody(5000, 12);
    const valid = [
      Buffer.concat([headOf('200 OK', [`Content-Length: ${body.length}`]), body]),
      Buffer.concat([headOf('200 OK', ['Transfer-Encoding: chunked']), chunked(body, { sizes: [700, 1, 2100], extension: ';a=1', trailers: ['T: 1'] })]),
      Buffer.concat([headOf('100 Continue'), headOf('200 OK', [`Content-Length: ${body.length}`]), body]),
    ];
    const mutation = fc.record({
      which: fc.nat({ max: valid.length - 1 }),
      // Where (a fraction of the answer, weighted to its framing), what, and how.
      at: fc.oneof(fc.nat({ max: 120 }), fc.nat({ max: 6000 })),
      byte: fc.constantFrom(0x0d, 0x0a, 0x3a, 0x3b, 0x20, 0x30, 0x66, 0x7a, 0x00),
      kind: fc.constantFrom('replace', 'insert', 'delete', 'truncate'),
      cuts: fc.array(fc.nat({ max: 6000 }), { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ which, at, byte, kind, cuts }) => {
        const mutated = mutate(valid[which]!, { at, byte, kind });
        const server = await serve(async (socket) => {
          await sendInPieces(socket, mutated, cuts);
          socket.end();
        });
        const file = new FileRecorder();
        const outcome = await run(server.url, file).then(
          (result) => ({ result }),
          (err: unknown) => ({ err }),
        );
        if ('err' in outcome) {
          expect(outcome.err).toBeInstanceOf(VimError);
          for (const text of textsOf(outcome.err)) expect(text).not.toContain(SECRET);
        } else {
          // Some mutations leave a valid answer (a changed body byte, a header renamed): what it says was written.
          expect(file.content().length).toBe(outcome.result.bytes);
          if (outcome.result.total !== undefined) expect(outcome.result.bytes).toBe(outcome.result.total);
        }
        expect(file.inFlight).toBe(0);
      }),
      { numRuns: 80 },
    );
  }, 60_000);

  it('refuses random garbage after a status line with a typed error, never a crash or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (garbage, end) => {
        const server = await serve(async (socket) => {
          await write(socket, Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n'), garbage]));
          if (end) socket.end();
          else setTimeout(() => socket.end(), 5);
        });
        const outcome = await run(server.url, new FileRecorder()).then(
          (r) => r,
          (err: unknown) => err,
        );
        // Garbage can happen to be a valid answer; anything else is a typed error.
        if (outcome instanceof Error) {
          expect(outcome).toBeInstanceOf(VimError);
          for (const text of textsOf(outcome)) expect(text).not.toContain(SECRET);
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});

describe('directGet: the cookie', () => {
  it('is refused with a line break, before any connection', async () => {
    const server = await serve((socket) => socket.end(headOf('200 OK', ['Content-Length: 0'])));
    for (const cookie of [`${COOKIE}\r\nX-Injected: 1`, `${COOKIE}\nX: 1`, `${COOKIE}\r`]) {
      const err = await failureOf(directGet(server.url, { ...optionsFor(new FileRecorder()), cookie }));
      expectTyped(err, TransferError, 'VMKIT_TRANSFER_NOT_AUTHENTICATED');
    }
    await delay(20);
    expect(server.connections()).toBe(0);
  });

  it('stays out of the error when the server echoes the request back', async () => {
    const echo = (status: string) =>
      serve((socket) => {
        const request = Buffer.from(requestOf(socket), 'latin1');
        socket.end(Buffer.concat([headOf(status, [`Content-Length: ${request.length}`]), request]));
      });
    for (const status of ['400 Bad Request', '500 Internal Server Error']) {
      const server = await echo(status);
      const err = await failureOf(run(server.url, new FileRecorder()));
      expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
      expect(err.message).toContain('Cookie: vmware_soap_session=');
    }
    // The request's lines as the answer's head: a malformed header line that holds the cookie.
    const mangled = await serve((socket) => {
      const lines = requestOf(socket).split('\r\n').map((l) => (l.startsWith('Cookie:') ? `X ${l}` : l));
      socket.end(`HTTP/1.1 200 OK\r\n${lines.slice(1).join('\r\n')}`);
    });
    expectTyped(await failureOf(run(mangled.url, new FileRecorder())), TransferError, 'VMKIT_TRANSFER_FAILED');
  });

  it('leaves no part of itself in the error when the line quoted is cut where the cookie is', async () => {
    // A malformed header line is quoted up to 80 characters: here the cookie straddles that cut, so
    // masking after the cut would find no whole cookie to mask and leave its start in the message.
    for (const pad of [50, 60, 66, 70]) {
      const server = await serve((socket) => socket.end(`HTTP/1.1 200 OK\r\nX ${'y'.repeat(pad)} ${SECRET}\r\n\r\n`));
      const err = await failureOf(run(server.url, new FileRecorder()));
      expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
      for (const text of textsOf(err)) expect(text).not.toContain(SECRET.slice(0, 6));
    }
  });

  it('is sent, and appears in no error', async () => {
    // Each failure above already checks its messages and causes; this one makes sure the cookie went out.
    const server = await serve((socket) => socket.end(headOf('403 Forbidden', ['Content-Length: 0'])));
    const err = await failureOf(run(server.url, new FileRecorder()));
    expect(server.requests[0]).toContain(SECRET);
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
  });
});

describe('directGet: abort', () => {
  /** A server that sends a head and then `size` bytes of body slowly enough to abort in between. */
  async function trickle(size: number): Promise<TestServer> {
    return serve(async (socket) => {
      await write(socket, headOf('200 OK', [`Content-Length: ${size}`]));
      const piece = Buffer.alloc(MiB, 1);
      for (let sent = 0; sent < size && !socket.destroyed; sent += piece.length) {
        await write(socket, piece.subarray(0, Math.min(piece.length, size - sent)));
        await delay(2);
      }
    });
  }

  it('fails with VimAbortError mid-body, settling only once the writes in flight are done', async () => {
    const server = await trickle(64 * MiB);
    const controller = new AbortController();
    // Writes end only after the abort: it finds them in flight.
    const file = new FileRecorder({ gate: () => afterAbort(controller.signal, 30) });
    let inFlightAtAbort = 0;
    const err = await failureOf(
      run(server.url, file, {
        signal: controller.signal,
        onProgress: (n) => {
          if (n < 5 * MiB || controller.signal.aborted) return;
          inFlightAtAbort = file.inFlight;
          controller.abort(new Error('the user changed their mind'));
        },
      }),
    );
    expectTyped(err, VimAbortError, 'VMKIT_VIM_ABORTED');
    expect(inFlightAtAbort).toBe(2);
    expect(file.inFlight).toBe(0);
    expect(file.writes.length).toBeGreaterThan(0);
    await delay(100);
    expect(file.callsAfterSettled).toBe(0);
    expect(file.completionsAfterSettled).toBe(0);
  }, 20_000);

  it('starts no write once aborted on the read that fills a buffer', async () => {
    const server = await trickle(16 * MiB);
    const file = new FileRecorder({ delayMs: 10 });
    const controller = new AbortController();
    let writesAtAbort = -1;
    const err = await failureOf(
      run(server.url, file, {
        signal: controller.signal,
        onProgress: (n) => {
          if (n !== SLAB) return;
          writesAtAbort = file.writes.length;
          controller.abort();
        },
      }),
    );
    expectTyped(err, VimAbortError, 'VMKIT_VIM_ABORTED');
    await delay(50);
    expect(writesAtAbort).toBe(0);
    expect(file.writes).toHaveLength(0);
    expect(file.callsAfterSettled).toBe(0);
    expect(file.completionsAfterSettled).toBe(0);
  }, 20_000);

  it('fails with VimAbortError when aborted from outside while the server is silent', async () => {
    const server = await serve((socket) => void write(socket, headOf('200 OK', ['Content-Length: 100'])));
    const controller = new AbortController();
    const pending = run(server.url, new FileRecorder(), { signal: controller.signal });
    await delay(30);
    controller.abort();
    expectTyped(await failureOf(pending), VimAbortError, 'VMKIT_VIM_ABORTED');
  });

  it('does not connect with a signal already aborted', async () => {
    const server = await serve((socket) => socket.end(headOf('200 OK', ['Content-Length: 0'])));
    const err = await failureOf(run(server.url, new FileRecorder(), { signal: AbortSignal.abort() }));
    expectTyped(err, VimAbortError, 'VMKIT_VIM_ABORTED');
    await delay(20);
    expect(server.connections()).toBe(0);
  });

  it('settles when a write fails after the abort', async () => {
    const server = await trickle(64 * MiB);
    const controller = new AbortController();
    // The first write is in flight when the abort comes, and fails after it.
    const file = new FileRecorder({ gate: () => afterAbort(controller.signal, 5), failFrom: 0 });
    const err = await failureOf(
      run(server.url, file, {
        signal: controller.signal,
        onProgress: (n) => {
          if (n >= 2 * MiB + 1) controller.abort();
        },
      }),
    );
    expectTyped(err, VimAbortError, 'VMKIT_VIM_ABORTED');
    expect(file.inFlight).toBe(0);
  }, 20_000);
});

describe('directGet: the local file and the connection fail', () => {
  it('reports a write that fails as a TransferError with its cause, once the others in flight are done', async () => {
    const size = 9 * MiB;
    const server = await serve((socket) => void write(socket, Buffer.concat([headOf('200 OK', [`Content-Length: ${size}`]), Buffer.alloc(size)])));
    // Three writes in flight; the second fails, then the third fails too.
    const file = new FileRecorder({ gate: (i, f) => f.whenWrites(3).then(() => delay(5 * i)), failFrom: 1 });
    const err = await failureOf(run(server.url, file));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
    expect(String(err.cause)).toContain('EIO');
    expect(file.inFlight).toBe(0);
  }, 10_000);

  it('reports a short write as a TransferError', async () => {
    const size = 3 * MiB;
    const server = await serve((socket) => void write(socket, Buffer.concat([headOf('200 OK', [`Content-Length: ${size}`]), Buffer.alloc(size)])));
    const err = await failureOf(run(server.url, new FileRecorder({ shortBy: 1 })));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
    expect(err.message).toContain('the local file took');
  }, 10_000);

  it('reports a refused connection as a TransferError with its cause', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await failureOf(run(new URL(`http://127.0.0.1:${port}/folder/x`), new FileRecorder()));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('gives up on a TLS handshake that never completes after the connect timeout', async () => {
    // A TCP server that accepts and stays silent: the handshake never finishes.
    const silent = createServer((socket) => {
      openSockets.add(socket);
      socket.on('error', () => undefined);
    });
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const err = await failureOf(
      directGet(new URL(`https://127.0.0.1:${port}/folder/x`), { ...optionsFor(new FileRecorder()), connect: { ...connect, connectTimeoutMs: 50 } }),
    );
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
    expect(err.message).toContain('no connection within 50 ms');
  });

  it('reports a connection reset mid-body as a typed error', async () => {
    const server = await serve(async (socket) => {
      await write(socket, Buffer.concat([headOf('200 OK', ['Content-Length: 100000']), Buffer.alloc(5000)]));
      socket.resetAndDestroy();
    });
    const err = await failureOf(run(server.url, new FileRecorder()));
    // A reset reads as an error or as an early end, depending on when it arrives: either is a short body.
    if (err instanceof TransferSizeMismatchError) expectTyped(err, TransferSizeMismatchError, 'VMKIT_TRANSFER_SIZE_MISMATCH');
    else expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
  });
});
