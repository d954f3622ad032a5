/**
 * directPut against raw loopback servers (test/http-server.ts): each test decides how the server
 * reads the body (at once, slowly, not at all) and what it answers, when. The file is a FileHandle
 * stand-in that can be slow, give short reads, end early or fail, and that records every read; a few
 * tests use a real file.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import fc from 'fast-check';
import { VimAbortError, VimError } from '@vmkit/vim';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeServers, failureOf, headOf, mutate, serve, textsOf, write, type Exchange, type RawServer } from '../../test/http-server.js';
import { fillRandom } from '../../test/images.js';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { directPut, type DirectPutOptions } from './direct-put.js';
import { TransferError, TransferNotFoundError } from './errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The size of one buffer of directPut's ring, and their number (see direct-put.ts). */
const SLAB = 256 * KiB;
const SLABS = 8;
/** Recognisable in any text that would leak it. */
/**
 * Bytes no socket buffer can hold, however far the kernel grows it (here tcp_rmem allows 32 MiB): a
 * server that stops reading leaves the upload short of its end.
 */
const LARGE = 96 * MiB;
const SECRET = 'Zq7-PUT-SECRET-COOKIE-4242';
const COOKIE = `vmware_soap_session="${SECRET}"`;
const connect = { rejectUnauthorized: true, connectTimeoutMs: 5000 };

afterEach(closeServers);

function randomBody(size: number, seed: number): Buffer {
  const body = Buffer.alloc(size);
  fillRandom(body, seed);
  return body;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

// ---------------------------------------------------------------------------------------------------
// The file

interface FakeFileOptions {
  /** What read `index` waits for before it does anything. */
  gate?: (index: number, file: FakeFile) => Promise<void>;
  /** Milliseconds each read takes. */
  delayMs?: number | ((index: number) => number);
  /** The most bytes read `index` returns (a short read), given how many were asked for. */
  cap?: (index: number, asked: number) => number;
  /** Reads from this one on (0-based) reject. */
  failFrom?: number;
}

/** A file of `size` zero bytes that takes no memory, for uploads larger than any socket buffer. */
class Zeros {
  constructor(readonly length: number) {}
  copy(target: Uint8Array, at: number, start: number, end: number): void {
    target.fill(0, at, at + (end - start));
  }
}

/**
 * A stand-in for a FileHandle over `content`: reads past its end return 0 bytes. It records each read
 * and which buffer it was given, and counts reads in flight, and reads started or finished after the
 * test marked the upload settled.
 */
class FakeFile<C extends Buffer | Zeros = Buffer | Zeros> {
  readonly reads: { position: number; asked: number; got: number; buffer: ArrayBufferLike }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  settled = false;
  callsAfterSettled = 0;
  completionsAfterSettled = 0;

  constructor(
    readonly content: C,
    private readonly options: FakeFileOptions = {},
  ) {}

  get handle(): FileHandle {
    return this as unknown as FileHandle;
  }

  /** The distinct buffers reads were given. */
  buffers(): number {
    return new Set(this.reads.map((r) => r.buffer)).size;
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number; buffer: Uint8Array }> {
    if (this.settled) this.callsAfterSettled++;
    const index = this.reads.length;
    const record = { position, asked: length, got: -1, buffer: buffer.buffer };
    this.reads.push(record);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.options.gate?.(index, this);
      const d = this.options.delayMs;
      const ms = typeof d === 'function' ? d(index) : d;
      if (ms !== undefined && ms > 0) await delay(ms);
      else await Promise.resolve();
      if (this.options.failFrom !== undefined && index >= this.options.failFrom) throw new Error('EIO: the disk is on fire');
      const want = Math.min(length, this.options.cap?.(index, length) ?? length);
      const got = Math.max(0, Math.min(want, this.content.length - position));
      this.content.copy(buffer, offset, position, position + got);
      record.got = got;
      return { bytesRead: got, buffer };
    } finally {
      this.inFlight--;
      if (this.settled) this.completionsAfterSettled++;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Running an upload

function optionsFor(file: FileHandle, size: number, extra: Partial<DirectPutOptions> = {}): DirectPutOptions {
  return { cookie: COOKIE, connect, file, size, what: 'PUT [ds] f.bin', ...extra };
}

/** Runs directPut and marks the fake file settled the moment the promise settles. */
async function run(url: URL, file: FakeFile, size = file.content.length, extra: Partial<DirectPutOptions> = {}): Promise<void> {
  try {
    await directPut(url, optionsFor(file.handle, size, extra));
  } finally {
    file.settled = true;
  }
}

/** `promise`, or an error saying it hung when it has not settled after `ms` (a budget, not a measurement). */
async function settles<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the upload did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** A typed vmkit error of `cls` with `code`, which does not give the cookie away. */
function expectTyped(err: unknown, cls: abstract new (...args: never[]) => Error, code: string): void {
  expect(err).toBeInstanceOf(VimError);
  expect(err).toBeInstanceOf(cls);
  expect((err as VimError).code).toBe(code);
  for (const text of textsOf(err)) expect(text).not.toContain(SECRET);
}

function expectMonotonic(progress: readonly number[], last: number): void {
  for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
  if (last > 0) expect(progress.at(-1)).toBe(last);
  else expect(progress).toEqual([]);
}

/** What a server that reads the whole body and then answers `answer` received. */
interface Received {
  head: string;
  lines: string[];
  body: Buffer;
}

/** A server that reads the body (its Content-Length, at `pace`), then answers `answer` and closes. */
async function accepting(answer: Buffer = headOf('200 OK', ['Content-Length: 0']), pace?: Parameters<Exchange['read']>[1]) {
  const received: Received[] = [];
  const server = await serve(async (ex) => {
    const body = await ex.read(Number(ex.header('content-length')), pace);
    received.push({ head: ex.head, lines: ex.lines, body });
    ex.socket.end(answer);
  });
  return { server, received };
}

/** The body read in order: reads back to back from 0, each one given a full buffer (or the rest). */
function expectReadsInOrder(file: FakeFile, size: number): void {
  let at = 0;
  for (const r of file.reads) {
    expect(r.position).toBe(at);
    expect(r.asked).toBe(Math.min(SLAB, size - at));
    at += r.got;
  }
  expect(at).toBe(size);
}

// ---------------------------------------------------------------------------------------------------

describe('directPut: the request and its body', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vmkit-direct-put-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sends one PUT for the path and query with Host, Cookie, Content-Length, Connection: close, and the file as its body', async () => {
    for (const size of [0, 1, SLAB, 9 * MiB + 12_345]) {
      const content = randomBody(size, size + 1);
      const path = join(dir, `f-${size}.bin`);
      await writeFile(path, content);
      const { server, received } = await accepting(headOf('200 OK', ['Content-Length: 0']));
      const progress: number[] = [];
      const totals = new Set<number | undefined>();
      const file = await open(path, 'r');
      try {
        await directPut(server.url, optionsFor(file, size, { onProgress: (n, total) => (progress.push(n), totals.add(total)) }));
      } finally {
        await file.close();
      }
      expect(server.connections()).toBe(1);
      expect(received).toHaveLength(1);
      const { lines, body } = received[0]!;
      expect(lines[0]).toBe('PUT /folder/f.bin?dcPath=DC0&dsName=ds HTTP/1.1');
      expect(lines).toContain(`Cookie: ${COOKIE}`);
      expect(lines).toContain(`Content-Length: ${size}`);
      expect(lines).toContain('Connection: close');
      expect(lines.filter((l) => /^host:/i.test(l))).toEqual([`Host: 127.0.0.1:${server.url.port}`]);
      expect(lines.filter((l) => /^content-length:/i.test(l))).toHaveLength(1);
      expect(lines.some((l) => /^transfer-encoding:/i.test(l))).toBe(false);
      expect(body.length).toBe(size);
      expect(body.equals(content), `size ${size}`).toBe(true);
      expectMonotonic(progress, size);
      expect([...totals]).toEqual(size === 0 ? [] : [size]);
    }
  }, 30_000);

  it('reads the file in order, one ring buffer at a time, and accepts 201 Created', async () => {
    const size = 9 * MiB + 77;
    const file = new FakeFile(randomBody(size, 3));
    const { server, received } = await accepting(headOf('201 Created', ['Content-Length: 0']));
    await run(server.url, file);
    expect(received[0]!.body.equals(file.content)).toBe(true);
    expectReadsInOrder(file, size);
    expect(file.reads).toHaveLength(Math.ceil(size / SLAB));
    expect(file.maxInFlight).toBe(1);
    expect(file.buffers()).toBeLessThanOrEqual(SLABS);
  }, 30_000);

  it('sends only the first `size` bytes of a longer file', async () => {
    const file = new FakeFile(randomBody(SLAB + 100, 4));
    const { server, received } = await accepting();
    await run(server.url, file, SLAB + 10);
    expect(received[0]!.body.equals(file.content.subarray(0, SLAB + 10))).toBe(true);
    expect(received[0]!.lines).toContain(`Content-Length: ${SLAB + 10}`);
  });
});

describe('directPut: a slow server', () => {
  it('sends 20 MiB and some to a server that reads with pauses: every byte in order, the ring reused without a byte changed', async () => {
    const size = 20 * MiB + 4093;
    const file = new FakeFile(randomBody(size, 5));
    const { server, received } = await accepting(headOf('200 OK', ['Content-Length: 0']), { pauseMs: 2, everyBytes: 256 * KiB });
    const progress: number[] = [];
    await run(server.url, file, size, { onProgress: (n) => progress.push(n) });
    const body = received[0]!.body;
    expect(body.length).toBe(size);
    expect(sha256(body)).toBe(sha256(file.content));
    expectReadsInOrder(file, size);
    expectMonotonic(progress, size);
    // Every buffer of the ring went to the socket, and each came back to be read into again.
    expect(file.buffers()).toBe(SLABS);
    expect(file.reads.length).toBeGreaterThan(SLABS);
  }, 60_000);

  it('sends every byte when the file is slow, and when its reads come back short', async () => {
    const size = 3 * MiB + 11;
    const content = randomBody(size, 6);
    for (const options of [
      { delayMs: (i: number) => [3, 0, 1, 5][i % 4]! },
      { cap: (i: number, asked: number) => Math.max(1, asked >> i % 7) },
      { cap: () => 1000, delayMs: 0 },
    ] satisfies FakeFileOptions[]) {
      const file = new FakeFile(content, options);
      const { server, received } = await accepting();
      const progress: number[] = [];
      await run(server.url, file, size, { onProgress: (n) => progress.push(n) });
      expect(received[0]!.body.equals(content)).toBe(true);
      expectMonotonic(progress, size);
      let at = 0;
      for (const r of file.reads) {
        expect(r.position).toBe(at);
        at += r.got;
      }
      expect(at).toBe(size);
      expect(file.inFlight).toBe(0);
    }
  }, 30_000);
});

describe('directPut: the local file fails', () => {
  it('reports a file that ends before `size` (a read of 0 bytes) as TransferSizeMismatchError, and the server does not get a whole body', async () => {
    for (const [have, size] of [
      [0, 10],
      [1000, 1001],
      [SLAB, SLAB + 1],
      [2 * MiB + 5, 3 * MiB],
    ] as const) {
      const file = new FakeFile(randomBody(have, 8));
      const { server, received } = await accepting();
      const err = await failureOf(settles(run(server.url, file, size)));
      expectTyped(err, TransferSizeMismatchError, 'VMKIT_TRANSFER_SIZE_MISMATCH');
      expect((err as TransferSizeMismatchError).expected).toBe(size);
      expect((err as TransferSizeMismatchError).actual).toBe(have);
      expect(err.message).toContain('PUT [ds] f.bin');
      expect(file.inFlight).toBe(0);
      // The connection is closed short of the Content-Length: the server sees a cut-off upload.
      await delay(20);
      expect(received[0]?.body.length ?? 0).toBeLessThan(size);
      expect(received[0]?.body.equals(file.content.subarray(0, received[0].body.length)) ?? true).toBe(true);
    }
  }, 30_000);

  it('reports a read that rejects as a TransferError with its cause, settling with no read in flight', async () => {
    const size = 4 * MiB;
    const file = new FakeFile(randomBody(size, 9), { failFrom: 5 });
    const { server, received } = await accepting();
    const err = await failureOf(settles(run(server.url, file)));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
    expect(err.message).toContain('reading the local file failed');
    expect(String(err.cause)).toContain('EIO');
    expect(file.inFlight).toBe(0);
    expect(file.reads).toHaveLength(6);
    await delay(20);
    expect(received[0]?.body.length ?? 0).toBeLessThan(size);
    expect(file.callsAfterSettled).toBe(0);
  }, 20_000);

  it('settles when a read rejects after the upload already failed (the server answered 500 during the read)', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The first read waits until the server has answered and the client has closed the connection, then fails.
    const file = new FakeFile(randomBody(MiB, 10), { gate: () => released, failFrom: 0 });
    const server = await serve(async (ex) => {
      await write(ex.socket, Buffer.concat([headOf('500 Internal Server Error', ['Content-Length: 4']), Buffer.from('oops')]));
      await ex.closed;
      release();
    });
    const err = await failureOf(settles(run(server.url, file)));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
    expect((err as TransferError).status).toBe(500);
    expect(err.message).toContain('oops');
    expect(file.inFlight).toBe(0);
  });

  it('settles with VimAbortError when a read rejects after the abort', async () => {
    const controller = new AbortController();
    const file = new FakeFile(randomBody(MiB, 11), {
      gate: async (i) => {
        if (i !== 2) return;
        controller.abort();
        await delay(10);
      },
      failFrom: 2,
    });
    const server = await serve((ex) => ex.drain());
    const err = await failureOf(settles(run(server.url, file, MiB, { signal: controller.signal })));
    expectTyped(err, VimAbortError, 'VMKIT_VIM_ABORTED');
    expect(file.inFlight).toBe(0);
  });

  it('waits for the read in flight before it settles a failure, and starts no read after it', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const file = new FakeFile(randomBody(2 * MiB, 12), { gate: (i) => (i === 3 ? released : Promise.resolve()) });
    const server = await serve(async (ex) => {
      // Takes the first three buffers, then answers 404 while the fourth read waits.
      await ex.read(3 * SLAB);
      await write(ex.socket, headOf('404 Not Found', ['Content-Length: 0']));
      await ex.closed;
      release();
    });
    const err = await failureOf(settles(run(server.url, file)));
    expectTyped(err, TransferNotFoundError, 'VMKIT_TRANSFER_NOT_FOUND');
    expect(file.inFlight).toBe(0);
    expect(file.reads).toHaveLength(4);
    await delay(20);
    expect(file.callsAfterSettled).toBe(0);
    expect(file.completionsAfterSettled).toBe(0);
  });
});

describe('directPut: the answer', () => {
  it('skips 100 Continue before the 200, whether it comes before the body or with the answer', async () => {
    const size = MiB + 3;
    const content = randomBody(size, 13);
    for (const early of [true, false]) {
      let got: Buffer | undefined;
      const server = await serve(async (ex) => {
        if (early) await write(ex.socket, headOf('100 Continue'));
        got = await ex.read(size);
        ex.socket.end(Buffer.concat([early ? Buffer.alloc(0) : headOf('100 Continue'), headOf('200 OK', ['Content-Length: 2']), Buffer.from('ok')]));
      });
      await run(server.url, new FakeFile(content));
      expect(got?.equals(content)).toBe(true);
    }
  });

  it('takes a 200 with a body, and one whose body ends with the connection', async () => {
    for (const answer of [Buffer.concat([headOf('200 OK', ['Content-Length: 5']), Buffer.from('fine.')]), Buffer.concat([headOf('201 Created'), Buffer.from('made')])]) {
      const { server } = await accepting(answer);
      await run(server.url, new FakeFile(randomBody(1000, 14)));
    }
  });

  it('reports a 404 as TransferNotFoundError', async () => {
    const { server } = await accepting(Buffer.concat([headOf('404 Not Found', ['Content-Length: 9']), Buffer.from('not found')]));
    const err = await failureOf(run(server.url, new FakeFile(randomBody(5000, 15))));
    expectTyped(err, TransferNotFoundError, 'VMKIT_TRANSFER_NOT_FOUND');
    expect((err as TransferError).status).toBe(404);
  });

  it('reports a 500 with the start of its body in the message', async () => {
    const text = 'Internal failure: the datastore is gone.';
    for (const answer of [
      Buffer.concat([headOf('500 Internal Server Error', [`Content-Length: ${text.length}`]), Buffer.from(text)]),
      Buffer.concat([headOf('500 Internal Server Error'), Buffer.from(text)]),
      Buffer.concat([headOf('500 Internal Server Error', ['Content-Length: 100000']), Buffer.from(text), Buffer.alloc(50_000, 'x')]),
    ]) {
      const { server } = await accepting(answer);
      const err = await failureOf(run(server.url, new FakeFile(randomBody(5000, 16))));
      expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
      expect((err as TransferError).status).toBe(500);
      expect(err.message).toContain(`PUT [ds] f.bin: HTTP 500: ${text}`);
      expect(err.message.length).toBeLessThan(1000);
    }
  });

  it('reports a 401 sent before the body was read, as a typed error, and settles', async () => {
    // The server answers at once and then takes (and drops) what comes: the client sees the 401.
    const draining = await serve(async (ex) => {
      await write(ex.socket, headOf('401 Unauthorized', ['Content-Length: 0']));
      ex.drain();
    });
    const file = new FakeFile(new Zeros(LARGE));
    const err = await failureOf(settles(run(draining.url, file)));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
    expect((err as TransferError).status).toBe(401);
    expect(file.inFlight).toBe(0);
    // The server answers at once and closes with the body unread: the client sees the 401, or the reset
    // that the close with unread bytes causes, whichever comes first. Either way a typed error.
    const closing = await serve(async (ex) => {
      await write(ex.socket, headOf('401 Unauthorized', ['Content-Length: 0']));
      ex.socket.destroy();
    });
    for (let i = 0; i < 5; i++) {
      const err2 = await failureOf(settles(run(closing.url, new FakeFile(new Zeros(LARGE)))));
      expect(err2).toBeInstanceOf(TransferError);
      for (const text of textsOf(err2)) expect(text).not.toContain(SECRET);
      if ((err2 as TransferError).status !== 401) expect((err2.cause as NodeJS.ErrnoException | undefined)?.code).toMatch(/^E[A-Z]+$/);
    }
  }, 30_000);

  it('refuses a 200 that comes before the whole body was sent', async () => {
    for (const status of ['200 OK', '201 Created']) {
      // The server answers after the head and reads nothing more.
      const server = await serve(async (ex) => {
        await write(ex.socket, headOf(status, ['Content-Length: 0']));
        await ex.closed;
      });
      const file = new FakeFile(new Zeros(LARGE));
      const err = await failureOf(settles(run(server.url, file)));
      expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
      expect(err.message).toContain(`answered ${status.slice(0, 3)} before it was sent all ${LARGE} bytes`);
      expect(file.inFlight).toBe(0);
    }
    // The same after half of the body, the rest still unread.
    const half = await serve(async (ex) => {
      await ex.read(16 * MiB);
      await write(ex.socket, headOf('200 OK', ['Content-Length: 0']));
      // Not a byte more: what the buffers hold is far from the other 80 MiB.
      await ex.closed;
    });
    const err = await failureOf(settles(run(half.url, new FakeFile(new Zeros(LARGE)))));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
  }, 30_000);

  it('settles a success only once the socket has called back for every write, whichever comes first', async () => {
    // No more than the ring holds: every read is done without a buffer coming back.
    const size = SLABS * SLAB - 3;
    const content = randomBody(size, 27);
    let answered: () => void = () => undefined;
    const answer = new Promise<void>((resolve) => (answered = resolve));
    const server = await serve(async (ex) => {
      await ex.read(size);
      await write(ex.socket, headOf('200 OK', ['Content-Length: 0']));
      answered();
    });
    // The client's write callbacks are held back until the answer is in: the answer arrives first. Over
    // TLS that happens by itself: a TLS socket calls a write back from a setImmediate, which can run
    // after the poll that reads the answer (small uploads to the TLS simulator show it).
    const held: (() => void)[] = [];
    let hold = true;
    const proto = Socket.prototype as unknown as { write: (...args: unknown[]) => boolean };
    const own = Object.getOwnPropertyDescriptor(proto, 'write');
    const original = proto.write;
    proto.write = function (this: Socket, ...args: unknown[]): boolean {
      const cb = args.at(-1);
      if (typeof cb === 'function' && hold && this.remotePort === Number(server.url.port)) {
        args[args.length - 1] = (...cbArgs: unknown[]) => {
          if (hold) held.push(() => (cb as (...a: unknown[]) => void)(...cbArgs));
          else (cb as (...a: unknown[]) => void)(...cbArgs);
        };
      }
      return original.apply(this, args);
    };
    let settled = false;
    const progress: number[] = [];
    try {
      const pending = run(server.url, new FakeFile(content), size, { onProgress: (n) => progress.push(n) }).finally(() => (settled = true));
      await answer;
      await delay(50);
      expect(settled).toBe(false);
      expect(held.length).toBeGreaterThan(0);
      hold = false;
      for (const release of held.splice(0)) release();
      await settles(pending);
    } finally {
      hold = false;
      if (own === undefined) delete (proto as { write?: unknown }).write;
      else Object.defineProperty(proto, 'write', own);
    }
    expect(proto.write).toBe(original);
    expectMonotonic(progress, size);
  });

  const failed = ['failed', TransferError, 'VMKIT_TRANSFER_FAILED'] as const;
  const malformed: readonly (readonly [string, Buffer, boolean])[] = [
    ['a garbage status line', Buffer.from('SSH-2.0-OpenSSH_9.2\r\n\r\n'), false],
    ['an HTTP/2 status line', Buffer.from('HTTP/2 200\r\n\r\n'), false],
    ['a status without a code', Buffer.from('HTTP/1.1 OK\r\n\r\n'), false],
    ['a header line without a colon', headOf('200 OK', ['Content-Length: 0', 'Broken header']), false],
    ['a header name with a space', headOf('200 OK', ['Content Length: 0']), false],
    ['a folded header line', headOf('200 OK', ['X-A: 1', ' continued']), false],
    ['a malformed Content-Length', headOf('200 OK', ['Content-Length: 1e3']), false],
    ['two different Content-Lengths', headOf('200 OK', ['Content-Length: 0', 'Content-Length: 1']), false],
    ['a head longer than 64 KiB', Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}`), false],
    ['a close before any answer', Buffer.alloc(0), true],
    ['a close after an interim answer', headOf('100 Continue'), true],
    ['a close inside the head', Buffer.from('HTTP/1.1 200 OK\r\nContent-Le'), true],
  ];

  it.each(malformed)('refuses %s, after the whole body, with a typed error', async (_name, answer, end) => {
    const server = await serve(async (ex) => {
      await ex.read(Number(ex.header('content-length')));
      await write(ex.socket, answer);
      if (end) ex.socket.end();
    });
    const file = new FakeFile(randomBody(100_000, 17));
    const err = await failureOf(settles(run(server.url, file)));
    expectTyped(err, failed[1], failed[2]);
    expect(file.inFlight).toBe(0);
  });

  it('answers a mutated answer, cut into pieces, with success or a typed error, never a crash or a hang', async () => {
    const body = randomBody(20_000, 29);
    const valid = [
      headOf('200 OK', ['Content-Length: 0']),
      Buffer.concat([headOf('201 Created', ['Content-Length: 7', 'Server: x']), Buffer.from('created')]),
      Buffer.concat([headOf('100 Continue'), headOf('200 OK', ['Content-Length: 2']), Buffer.from('ok')]),
      Buffer.concat([headOf('500 Internal Server Error', ['Content-Length: 5']), Buffer.from('oops!')]),
      Buffer.concat([headOf('200 OK', ['Transfer-Encoding: chunked']), Buffer.from('2\r\nok\r\n0\r\n\r\n')]),
    ];
    const mutation = fc.record({
      which: fc.nat({ max: valid.length - 1 }),
      at: fc.nat({ max: 200 }),
      byte: fc.constantFrom(0x0d, 0x0a, 0x3a, 0x20, 0x30, 0x31, 0x7a, 0x00),
      kind: fc.constantFrom('replace', 'insert', 'delete', 'truncate'),
      cuts: fc.array(fc.nat({ max: 200 }), { maxLength: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ which, at, byte, kind, cuts }) => {
        const mutated = mutate(valid[which]!, { at, byte, kind });
        const server = await serve(async (ex) => {
          await ex.read(body.length);
          let from = 0;
          for (const cut of [...new Set(cuts.map((c) => c % mutated.length))].sort((a, b) => a - b)) {
            await write(ex.socket, mutated.subarray(from, cut));
            from = cut;
            await delay(1);
          }
          await write(ex.socket, mutated.subarray(from));
          ex.socket.end();
        });
        const file = new FakeFile(body);
        const outcome = await settles(run(server.url, file)).then(
          () => undefined,
          (err: unknown) => err,
        );
        if (outcome !== undefined) {
          expect(outcome).toBeInstanceOf(VimError);
          for (const text of textsOf(outcome)) expect(text).not.toContain(SECRET);
        } else {
          // A success is a 2xx status line that survived the mutation.
          expect(mutated.toString('latin1')).toMatch(/HTTP\/1\.[01] 20[01]/);
        }
        expect(file.inFlight).toBe(0);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('answers random bytes after a status line with success or a typed error, never a crash or a hang', async () => {
    const body = randomBody(3000, 18);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('200 OK', '201 Created', '100 Continue', '500 Oops'), async (garbage, status) => {
        const server = await serve(async (ex) => {
          await ex.read(body.length);
          await write(ex.socket, Buffer.concat([Buffer.from(`HTTP/1.1 ${status}\r\n`), garbage]));
          ex.socket.end();
        });
        const file = new FakeFile(body);
        const outcome = await settles(run(server.url, file)).then(
          () => undefined,
          (err: unknown) => err,
        );
        if (outcome !== undefined) {
          expect(outcome).toBeInstanceOf(VimError);
          for (const text of textsOf(outcome)) expect(text).not.toContain(SECRET);
        }
        expect(file.inFlight).toBe(0);
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});

describe('directPut: the cookie', () => {
  it('is refused with a line break, before any connection and any read', async () => {
    const { server } = await accepting();
    for (const cookie of [`${COOKIE}\r\nX-Injected: 1`, `${COOKIE}\nX: 1`, `${COOKIE}\r`]) {
      const file = new FakeFile(randomBody(100, 19));
      const err = await failureOf(directPut(server.url, { ...optionsFor(file.handle, 100), cookie }));
      expectTyped(err, TransferError, 'VMKIT_TRANSFER_NOT_AUTHENTICATED');
      expect(file.reads).toEqual([]);
    }
    await delay(20);
    expect(server.connections()).toBe(0);
  });

  it('stays out of the error when the server echoes the request back', async () => {
    const echo = (status: string) =>
      serve(async (ex) => {
        await ex.read(Number(ex.header('content-length')));
        const request = Buffer.from(`${ex.head}\r\n\r\n`, 'latin1');
        ex.socket.end(Buffer.concat([headOf(status, [`Content-Length: ${request.length}`]), request]));
      });
    for (const status of ['400 Bad Request', '500 Internal Server Error']) {
      const server = await echo(status);
      const err = await failureOf(run(server.url, new FakeFile(randomBody(1000, 20))));
      expectTyped(err, TransferError, 'VMKIT_TRANSFER_HTTP_STATUS');
      expect(err.message).toContain('Cookie: vmware_soap_session=');
    }
    // The request's lines as the answer's head: a malformed header line that holds the cookie.
    const mangled = await serve(async (ex) => {
      await ex.read(Number(ex.header('content-length')));
      const lines = ex.lines.map((l) => (l.startsWith('Cookie:') ? `X ${l}` : l));
      ex.socket.end(`HTTP/1.1 200 OK\r\n${lines.slice(1).join('\r\n')}\r\n\r\n`);
    });
    const err = await failureOf(run(mangled.url, new FakeFile(randomBody(1000, 21))));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
    expect(err.message).toContain('a malformed answer');
  });

  it('stays out of the error when a malformed line is cut for the message inside the cookie', async () => {
    // The message keeps the start of a malformed line: here the cut falls inside the cookie's value.
    for (const pad of [40, 50, 60]) {
      const server = await serve(async (ex) => {
        await ex.read(Number(ex.header('content-length')));
        ex.socket.end(`HTTP/1.1 200 OK\r\n> ${'p'.repeat(pad)} ${COOKIE}\r\n\r\n`);
      });
      const err = await failureOf(run(server.url, new FakeFile(randomBody(10, 28))));
      expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
      expect(err.message).toContain('a malformed header line');
      for (const text of textsOf(err)) expect(text).not.toContain(SECRET.slice(0, 8));
    }
  });
});

describe('directPut: abort', () => {
  it('does not connect or read with a signal already aborted', async () => {
    const { server } = await accepting();
    const file = new FakeFile(randomBody(1000, 22));
    const err = await failureOf(run(server.url, file, 1000, { signal: AbortSignal.abort() }));
    expectTyped(err, VimAbortError, 'VMKIT_VIM_ABORTED');
    await delay(20);
    expect(server.connections()).toBe(0);
    expect(file.reads).toEqual([]);
  });

  it('fails with VimAbortError when aborted while connecting, reading nothing', async () => {
    const { server } = await accepting();
    const file = new FakeFile(randomBody(1000, 23));
    const controller = new AbortController();
    const pending = run(server.url, file, 1000, { signal: controller.signal });
    controller.abort(new Error('changed my mind'));
    const err = await failureOf(settles(pending));
    expectTyped(err, VimAbortError, 'VMKIT_VIM_ABORTED');
    expect(file.reads).toEqual([]);
  });

  it('fails with VimAbortError mid-body, with no read in flight when it settles and none after', async () => {
    const size = 16 * MiB;
    const controller = new AbortController();
    // Read 12 is in flight when the abort comes (from a timer, not from inside the read), and ends after it.
    const file = new FakeFile(Buffer.alloc(size), {
      gate: async (i) => {
        if (i !== 12) return;
        setTimeout(() => controller.abort(new Error('the user changed their mind')), 1);
        await new Promise((resolve) => controller.signal.addEventListener('abort', resolve, { once: true }));
        await delay(20);
      },
    });
    const { server, received } = await accepting(undefined, { pauseMs: 1, everyBytes: MiB });
    let last = 0;
    const err = await failureOf(settles(run(server.url, file, size, { signal: controller.signal, onProgress: (n) => (last = n) })));
    expectTyped(err, VimAbortError, 'VMKIT_VIM_ABORTED');
    expect(err.cause).toBeInstanceOf(Error);
    expect(file.inFlight).toBe(0);
    expect(file.reads).toHaveLength(13);
    expect(last).toBeLessThan(size);
    await delay(50);
    expect(file.callsAfterSettled).toBe(0);
    expect(file.completionsAfterSettled).toBe(0);
    expect(received[0]?.body.length ?? 0).toBeLessThan(size);
  }, 20_000);

  it('fails with VimAbortError when aborted from onProgress', async () => {
    const size = 8 * MiB;
    const controller = new AbortController();
    const file = new FakeFile(Buffer.alloc(size));
    const { server } = await accepting(undefined, { pauseMs: 1, everyBytes: MiB });
    const err = await failureOf(
      settles(
        run(server.url, file, size, {
          signal: controller.signal,
          onProgress: (n) => {
            if (n >= 2 * MiB) controller.abort();
          },
        }),
      ),
    );
    expectTyped(err, VimAbortError, 'VMKIT_VIM_ABORTED');
    expect(file.inFlight).toBe(0);
    await delay(20);
    expect(file.callsAfterSettled).toBe(0);
  }, 20_000);

  it("fails with onProgress's own error when onProgress throws, and settles", async () => {
    const size = 4 * MiB;
    const file = new FakeFile(Buffer.alloc(size));
    const { server } = await accepting(undefined, { pauseMs: 1, everyBytes: MiB });
    const thrown = new Error('the progress bar broke');
    const err = await failureOf(
      settles(
        run(server.url, file, size, {
          onProgress: (n) => {
            if (n >= MiB) throw thrown;
          },
        }),
      ),
    );
    expect(err).toBe(thrown);
    expect(file.inFlight).toBe(0);
  }, 20_000);

  it('fails with VimAbortError when aborted while the server has the whole body and has not answered', async () => {
    const size = MiB + 1;
    let gotAll: () => void = () => undefined;
    const allIn = new Promise<void>((resolve) => (gotAll = resolve));
    const server = await serve(async (ex) => {
      await ex.read(size);
      gotAll();
    });
    const controller = new AbortController();
    const pending = run(server.url, new FakeFile(randomBody(size, 24)), size, { signal: controller.signal });
    await allIn;
    controller.abort();
    expectTyped(await failureOf(settles(pending)), VimAbortError, 'VMKIT_VIM_ABORTED');
  });
});

describe('directPut: the connection', () => {
  it('reports a refused connection as a TransferError with its cause, having read nothing', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const file = new FakeFile(randomBody(1000, 25));
    const err = await failureOf(settles(run(new URL(`http://127.0.0.1:${port}/folder/x`), file)));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(file.reads).toEqual([]);
  });

  it('reports a connection reset mid-body as a typed error', async () => {
    const server: RawServer = await serve(async (ex) => {
      await ex.read(MiB);
      ex.socket.resetAndDestroy();
    });
    const file = new FakeFile(Buffer.alloc(16 * MiB));
    const err = await failureOf(settles(run(server.url, file)));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
    expect(err.cause).toBeInstanceOf(Error);
    expect(file.inFlight).toBe(0);
  });

  it('gives up on a TLS handshake that never completes after the connect timeout', async () => {
    const server = await serve(() => undefined);
    // Nothing answers the TLS client hello: the server waits for an HTTP head that never comes.
    const url = new URL(server.url.toString().replace('http:', 'https:'));
    const file = new FakeFile(randomBody(1000, 26));
    const err = await failureOf(settles(directPut(url, { ...optionsFor(file.handle, 1000), connect: { ...connect, connectTimeoutMs: 50 } })));
    expectTyped(err, TransferError, 'VMKIT_TRANSFER_FAILED');
    expect(err.message).toContain('no connection within 50 ms');
    expect(file.reads).toEqual([]);
  });
});
