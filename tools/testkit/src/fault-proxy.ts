import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does to one request:
 * - `pass`: forward it and relay the response untouched;
 * - `reset-before`: destroy the client's connection without forwarding (the server never sees it);
 * - `reset-after`: forward it, let the server answer, then destroy the client's connection before any
 *   response byte (the server acted; the client cannot know);
 * - `status-503`: answer 503 without forwarding (an overloaded front end);
 * - `truncate`: forward it and relay only the first half of the response body, then destroy;
 * - `delay`: forward it after `delayMs`.
 */
export type FaultKind = 'pass' | 'reset-before' | 'reset-after' | 'status-503' | 'truncate' | 'delay';

/** Rates (0..1) of each fault; what is left over passes. */
export type FaultRates = Partial<Record<Exclude<FaultKind, 'pass'>, number>>;

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The upstream origin, e.g. `http://127.0.0.1:PORT`. */
  target: string;
  /** Fault rates; all zero by default. */
  rates?: FaultRates;
  /** Seed of the pseudo-random choice, so that a failing run can be replayed. */
  seed?: number;
  /** Delay for `delay` faults, in milliseconds (default 50). */
  delayMs?: number;
  /** Decides the fault itself, overriding `rates` (e.g. by SOAP method); return undefined to use rates. */
  decide?: (info: { method: string; path: string; body: Buffer; index: number }) => FaultKind | undefined;
}

/** One proxied request as the proxy saw it. */
export interface FaultRecord {
  index: number;
  fault: FaultKind;
  /** The SOAP action or first body element name, for telling calls apart. */
  soapMethod: string | undefined;
  /** True when the request was forwarded to the server. */
  reachedServer: boolean;
}

/** A running proxy. */
export interface FaultProxy {
  /** The proxy's origin, `http://127.0.0.1:PORT`; use it in place of the target's. */
  origin: string;
  /** Every request so far, in arrival order. */
  records: FaultRecord[];
  /** Changes the rates from now on. */
  setRates(rates: FaultRates): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** mulberry32: a small, fast, seedable generator; quality is ample for choosing faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const soapMethodOf = (body: Buffer): string | undefined => {
  const text = body.subarray(0, 4096).toString('utf8');
  const m = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?([\w]+)/.exec(text);
  return m?.[1];
};

/**
 * Starts an HTTP proxy on loopback that forwards to `target` and injects faults at set rates. It is a
 * test utility: it buffers each request body (to name the SOAP method) and is not meant for large
 * transfers.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error('the fault proxy forwards to http targets only');
  let rates: FaultRates = options.rates ?? {};
  const random = prng(options.seed ?? 1);
  const delayMs = options.delayMs ?? 50;
  const records: FaultRecord[] = [];
  const sockets = new Set<Socket>();

  const choose = (): FaultKind => {
    let r = random();
    for (const kind of ['reset-before', 'reset-after', 'status-503', 'truncate', 'delay'] as const) {
      const p = rates[kind] ?? 0;
      if (r < p) return kind;
      r -= p;
    }
    return 'pass';
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; data: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      const up = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, data: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const index = records.length;
    const fault = options.decide?.({ method: req.method ?? 'GET', path: req.url ?? '/', body, index }) ?? choose();
    const record: FaultRecord = { index, fault, soapMethod: soapMethodOf(body), reachedServer: false };
    records.push(record);

    if (fault === 'reset-before') {
      req.socket.destroy();
      return;
    }
    if (fault === 'status-503') {
      res.writeHead(503, { 'content-type': 'text/plain', connection: 'close' });
      res.end('Service Unavailable (injected)');
      return;
    }
    if (fault === 'delay') await new Promise((r) => setTimeout(r, delayMs));
    record.reachedServer = true;
    let upstream: Awaited<ReturnType<typeof forward>>;
    try {
      upstream = await forward(req, body);
    } catch {
      req.socket.destroy();
      return;
    }
    if (fault === 'reset-after') {
      req.socket.destroy();
      return;
    }
    const headers = { ...upstream.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    if (fault === 'truncate') {
      res.writeHead(upstream.status, { ...headers, 'content-length': String(upstream.data.length) });
      res.write(upstream.data.subarray(0, upstream.data.length >> 1), () => req.socket.destroy());
      return;
    }
    res.writeHead(upstream.status, { ...headers, 'content-length': String(upstream.data.length) });
    res.end(upstream.data);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    origin: `http://127.0.0.1:${port}`,
    records,
    setRates: (r) => {
      rates = r;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
