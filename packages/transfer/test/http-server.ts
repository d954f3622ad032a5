/**
 * Raw HTTP/1.1 test servers on 127.0.0.1, made with node:net: each test decides every byte of the
 * answer, when it is sent, and how (and whether) the request's body is read. Used by the direct PUT
 * tests; call {@link closeServers} after each test.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** How a body is read: all at once, or with pauses that keep the client's writes waiting. */
export interface ReadPace {
  /** Pause reading for this many milliseconds ... */
  pauseMs?: number;
  /** ... each time this many more bytes have arrived. */
  everyBytes?: number;
}

/** One request on one connection, handed over once its head has arrived. */
export interface Exchange {
  socket: Socket;
  /** The request head, without its final empty line. */
  head: string;
  /** The head's lines: the request line first. */
  lines: string[];
  /** A request header's value (the first of that name, case-insensitive). */
  header(name: string): string | undefined;
  /**
   * The next `n` bytes of the body (fewer when the connection ends or breaks first). Bytes that
   * arrive beyond them are kept for the next read.
   */
  read(n: number, pace?: ReadPace): Promise<Buffer>;
  /** Reads and drops everything that arrives from now on. */
  drain(): void;
  /** Resolves when the connection is closed (by either side). */
  closed: Promise<void>;
}

/** A server and what it saw. */
export interface RawServer {
  url: URL;
  /** The request heads received, in order. */
  requests: string[];
  /** Connections accepted. */
  connections(): number;
}

const servers: Server[] = [];
const openSockets = new Set<Socket>();

/** Closes every server and connection the tests opened. */
export async function closeServers(): Promise<void> {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
}

/**
 * A server that waits for one request head per connection and hands the exchange to `respond`. The
 * socket is paused from then on: nothing more is read unless `respond` reads it.
 */
export async function serve(respond: (exchange: Exchange) => unknown, path = '/folder/f.bin?dcPath=DC0&dsName=ds'): Promise<RawServer> {
  const requests: string[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    openSockets.add(socket);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => openSockets.delete(socket));
    socket.on('error', () => undefined); // the client hangs up mid-request in many tests
    socket.setNoDelay(true);
    let pending = Buffer.alloc(0);
    let ended = false;
    socket.once('end', () => (ended = true));
    const onHead = (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      const end = pending.indexOf('\r\n\r\n', 0, 'latin1');
      if (end < 0) return;
      socket.off('data', onHead);
      socket.pause();
      const head = pending.toString('latin1', 0, end);
      pending = pending.subarray(end + 4);
      requests.push(head);
      const lines = head.split('\r\n');
      const exchange: Exchange = {
        socket,
        head,
        lines,
        closed,
        header(name) {
          const prefix = `${name.toLowerCase()}:`;
          const line = lines.slice(1).find((l) => l.toLowerCase().startsWith(prefix));
          return line?.slice(prefix.length).trim();
        },
        read(n, pace = {}) {
          return new Promise<Buffer>((resolve) => {
            const parts: Buffer[] = [];
            let have = 0;
            let sincePause = 0;
            const take = (chunk: Buffer): boolean => {
              const use = chunk.subarray(0, n - have);
              if (use.length < chunk.length) pending = Buffer.concat([chunk.subarray(use.length), pending]);
              parts.push(use);
              have += use.length;
              sincePause += use.length;
              return have >= n;
            };
            const finish = () => {
              socket.off('data', onData);
              socket.off('close', finish);
              socket.off('end', finish);
              socket.pause();
              resolve(Buffer.concat(parts));
            };
            const onData = (chunk: Buffer) => {
              if (take(chunk)) return finish();
              if (pace.pauseMs !== undefined && sincePause >= (pace.everyBytes ?? 0)) {
                sincePause = 0;
                socket.pause();
                void delay(pace.pauseMs).then(() => {
                  if (!socket.destroyed && socket.listeners('data').includes(onData)) socket.resume();
                });
              }
            };
            if (pending.length > 0) {
              const first = pending;
              pending = Buffer.alloc(0);
              if (take(first)) return resolve(Buffer.concat(parts));
            }
            if (n === 0 || ended || socket.destroyed) return resolve(Buffer.concat(parts));
            socket.on('data', onData);
            socket.once('end', finish);
            socket.once('close', finish);
            socket.resume();
          });
        },
        drain() {
          pending = Buffer.alloc(0);
          socket.on('data', () => undefined);
          socket.resume();
        },
      };
      Promise.resolve()
        .then(() => respond(exchange))
        .catch(() => socket.destroy());
    };
    socket.on('data', onHead);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: new URL(`http://127.0.0.1:${port}${path}`), requests, connections: () => connections };
}

/** Writes `data` and resolves once it is handed to the kernel (or the socket is gone). */
export function write(socket: Socket, data: Uint8Array | string): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.write(data, () => resolve());
  });
}

const crlf = (lines: readonly string[]) => lines.map((l) => `${l}\r\n`).join('');

/** A response head with its final empty line, e.g. `headOf('200 OK', ['Content-Length: 0'])`. */
export const headOf = (status: string, headers: readonly string[] = []): Buffer => Buffer.from(`HTTP/1.1 ${status}\r\n${crlf(headers)}\r\n`, 'latin1');

/** The rejection of `promise`; fails the test (throws) if it resolves. */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.err instanceof Error)) throw new Error(`expected an Error, got ${String(outcome.err)}`);
  return outcome.err;
}

/** Every text of an error and of its causes: names, messages, stacks. */
export function textsOf(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    out.push(e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : (JSON.stringify(e) ?? ''));
  }
  return out;
}

/** One change to a valid answer, for the mutation properties of the direct GET and PUT tests. */
export interface Mutation {
  /** Where (taken modulo the answer's length). */
  at: number;
  /** The byte replaced or inserted. */
  byte: number;
  kind: 'replace' | 'insert' | 'delete' | 'truncate';
}

/** `original` with one byte replaced, inserted or deleted at `at`, or cut off there. */
export function mutate(original: Buffer, { at, byte, kind }: Mutation): Buffer {
  const i = at % original.length;
  switch (kind) {
    case 'replace':
      return Buffer.concat([original.subarray(0, i), Buffer.from([byte]), original.subarray(i + 1)]);
    case 'insert':
      return Buffer.concat([original.subarray(0, i), Buffer.from([byte]), original.subarray(i)]);
    case 'delete':
      return Buffer.concat([original.subarray(0, i), original.subarray(i + 1)]);
    case 'truncate':
      return original.subarray(0, i);
  }
}
