import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { ResponseDecoder, type DecodeOptions } from '../codec/decode.js';
import { escapeXml, RequestEncoder, type ManagedObjectReference } from '../codec/encode.js';
import type { Schema } from '../codec/schema.js';
import {
  VimAbortError,
  VimConnectionError,
  VimError,
  VimHttpError,
  VimResponseError,
  VimTimeoutError,
} from '../errors.js';
import type { PbmMethodMap, VimMethodMap } from '../generated/methods.js';
import { debug, soapErrorChannel, soapRequestChannel, soapResponseChannel } from './observe.js';
import { InvalidUtf8Error, Utf8Pieces } from './utf8.js';

type MethodMap = VimMethodMap & PbmMethodMap;
/** The wire name of any VIM or PBM method. */
export type MethodName = keyof MethodMap;
/** The named parameters of a method (without `_this`). */
export type MethodParams<M extends MethodName> = MethodMap[M]['params'];
/** What a method returns, as decoded. */
export type MethodResult<M extends MethodName> = MethodMap[M]['returns'];
/** The parameters after `_this`: optional when the method has no required parameter. */
export type InvokeArgs<M extends MethodName> =
  Record<string, never> extends MethodParams<M>
    ? [params?: MethodParams<M>, options?: CallOptions]
    : object extends MethodParams<M>
      ? [params?: MethodParams<M>, options?: CallOptions]
      : [params: MethodParams<M>, options?: CallOptions];

/** The endpoint a call goes to: the VIM SDK or the storage policy (PBM) service. */
export type Endpoint = 'sdk' | 'pbm';

/** One SOAP call as it travels through the round-trip pipeline. */
export interface SoapCall {
  /** The wire method name, e.g. `RetrievePropertiesEx`. */
  readonly method: string;
  readonly endpoint: Endpoint;
  readonly thisRef: ManagedObjectReference;
  readonly params: Readonly<Record<string, unknown>>;
  /** Set per attempt by the client; a retry gets a new one with the same prefix. */
  operationId: string;
  readonly signal: AbortSignal | undefined;
}

/** Performs one call and resolves to its decoded result (or rejects with a typed error). */
export type RoundTrip = (call: SoapCall) => Promise<unknown>;

/**
 * Wraps the round trip: retry, re-login, keepalive and tracing are middlewares around the one function
 * that sends a request, as in govmomi's `vim25/retry.go` and undici's interceptors.
 */
export type Middleware = (next: RoundTrip) => RoundTrip;

/** Options of {@link VimClient}. */
export interface VimClientOptions {
  /** The SDK URL, `https://vcenter/sdk` (a bare host name gets https and /sdk). */
  url: string;
  /** PEM CA certificate(s) to trust, in addition to none: verification is on by default. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Turn TLS certificate verification off. Only when asked for. */
  insecure?: boolean;
  /** Connections kept per server (default 10). */
  connections?: number;
  /** Connect timeout in milliseconds (default 30 000). */
  connectTimeoutMs?: number;
  /** Timeout of one call, from sending to the last byte of the answer, in milliseconds (default 30 min). */
  requestTimeoutMs?: number;
  /** Prefix of the `operationID` sent with each call, for finding calls in vCenter's logs. */
  operationIdPrefix?: string;
  /** The `urn:vim25/<version>` to speak; negotiated from `/sdk/vimServiceVersions.xml` when absent. */
  version?: string;
  /** Limits on responses (size, depth). */
  limits?: DecodeOptions;
  /** A dispatcher to use instead of the client's own keep-alive agent. */
  dispatcher?: Dispatcher;
  /** The schema (the generated one by default). */
  schema?: Schema;
}

/**
 * How a {@link VimClient}'s own agent opens connections: for transfers that open connections of their
 * own to the same server (and must verify it exactly as the client does).
 */
export interface VimConnectOptions {
  /** False only when the client was created with `insecure`. */
  readonly rejectUnauthorized: boolean;
  /** The CA certificate(s) the client trusts, when given; else the system's. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Connect timeout in milliseconds. */
  readonly connectTimeoutMs: number;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Connect timeout of the client's own agent when none is given. */
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** The schema's API version: what the client speaks to newer servers. */
export const SCHEMA_API_VERSION = '6.7.1';

function normaliseUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch (cause) {
    throw new VimError(`${JSON.stringify(raw)} is not a URL`, 'VMKIT_VIM_INVALID_URL', { cause });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new VimError(`unsupported scheme in ${u.origin}`, 'VMKIT_VIM_INVALID_URL');
  if (u.username !== '' || u.password !== '') {
    throw new VimError('credentials do not belong in the URL; log in with the session', 'VMKIT_VIM_INVALID_URL');
  }
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/sdk';
  u.search = '';
  u.hash = '';
  return u;
}

const compareVersions = (a: string, b: string): number => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};

/** Classifies a failure of the HTTP exchange into vmkit's errors. */
function transportError(err: unknown, method: string, signal: AbortSignal | undefined): VimError {
  if (err instanceof VimError) return err;
  if (signal?.aborted === true) return new VimAbortError(`${method} aborted`, { cause: signal.reason ?? err });
  const code = (err as { code?: string }).code ?? '';
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new VimTimeoutError(`${method}: no answer in time`, { cause: err });
  }
  // Failures before a byte of the request left this machine: always safe to repeat.
  const beforeSending = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'];
  const tls = code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN';
  if (beforeSending.includes(code) || tls) {
    const what = tls ? `the server's TLS certificate was refused (${code})` : `cannot connect (${code})`;
    return new VimConnectionError(`${method}: ${what}`, { cause: err, mayHaveReachedServer: false, code: tls ? 'VMKIT_VIM_TLS' : 'VMKIT_VIM_CONNECTION' });
  }
  return new VimConnectionError(`${method}: the connection failed (${code === '' ? (err as Error).message : code})`, {
    cause: err,
    mayHaveReachedServer: true,
  });
}

/**
 * A client for one vCenter or ESX: encodes calls from the schema, sends them over a keep-alive undici
 * pool with the session cookie, and decodes the answers into typed values or typed faults. It holds
 * no credentials: `@vmkit/session` logs in through it and adds re-login and retries as middlewares.
 */
export class VimClient {
  /** The SDK URL. */
  readonly url: URL;
  /** The `urn:vim25` version spoken (`SOAPAction: urn:vim25/<version>`). */
  readonly version: string;
  readonly schema: Schema;
  /** The keep-alive dispatcher, for transfers that should share its TLS settings. */
  readonly dispatcher: Dispatcher;
  /**
   * How the client's own agent connects (TLS verification, trusted CAs, connect timeout), or undefined
   * when the client was given a dispatcher, whose settings it cannot know.
   */
  readonly connectOptions: VimConnectOptions | undefined;
  private readonly encoder: RequestEncoder;
  private readonly limits: DecodeOptions;
  private readonly requestTimeoutMs: number;
  private readonly opPrefix: string;
  private opCounter = 0;
  private cookie: string | undefined;
  private pipeline: RoundTrip;
  private readonly ownsDispatcher: boolean;

  private constructor(url: URL, version: string, schema: Schema, dispatcher: Dispatcher, owns: boolean, options: VimClientOptions) {
    this.url = url;
    this.version = version;
    this.schema = schema;
    this.dispatcher = dispatcher;
    this.ownsDispatcher = owns;
    this.connectOptions = owns
      ? {
          rejectUnauthorized: options.insecure !== true,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        }
      : undefined;
    this.encoder = new RequestEncoder(schema);
    this.limits = options.limits ?? {};
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30 * 60_000;
    this.opPrefix = options.operationIdPrefix ?? `vmkit-${randomUUID().slice(0, 8)}`;
    this.pipeline = (call) => this.send(call);
  }

  /**
   * Creates a client: sets up the connection pool and negotiates the API version from
   * `/sdk/vimServiceVersions.xml` (the server's version when the schema knows it, else the schema's).
   */
  static async create(options: VimClientOptions & { schema: Schema }, callOptions: CallOptions = {}): Promise<VimClient> {
    const url = normaliseUrl(options.url);
    if (options.insecure !== true && options.ca === undefined && url.protocol === 'https:') {
      // Verification stays on: the system's CAs are used.
    }
    const owns = options.dispatcher === undefined;
    const dispatcher =
      options.dispatcher ??
      new Agent({
        connections: options.connections ?? 10,
        connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        keepAliveTimeout: 60_000,
        connect: {
          rejectUnauthorized: options.insecure !== true,
          ...(options.ca === undefined ? {} : { ca: options.ca as string | Buffer | (string | Buffer)[] }),
        },
      });
    let version = options.version;
    if (version === undefined) {
      try {
        version = await negotiateVersion(url, dispatcher, callOptions.signal);
      } catch (err) {
        if (owns) await dispatcher.close();
        throw err;
      }
    }
    return new VimClient(url, version, options.schema, dispatcher, owns, options);
  }

  /** Adds a middleware around the round trip (the last added runs first). */
  use(middleware: Middleware): this {
    this.pipeline = middleware(this.pipeline);
    return this;
  }

  /** The session cookie's value, or undefined before Login. Secret: never log it. */
  get sessionCookie(): string | undefined {
    return this.cookie;
  }

  /** Sets the session cookie (e.g. to use a session obtained elsewhere), or clears it. */
  set sessionCookie(value: string | undefined) {
    this.cookie = value;
  }

  /** The PBM endpoint's URL (`/pbm` on the same server). */
  get pbmUrl(): URL {
    return new URL('/pbm', this.url);
  }

  /**
   * Calls `method` on `thisRef` with named parameters and resolves to the decoded result. Faults are
   * thrown as typed errors ({@link VimFaultError} and its subclasses).
   */
  invoke<M extends MethodName>(method: M, thisRef: ManagedObjectReference, ...args: InvokeArgs<M>): Promise<MethodResult<M>> {
    const [params = {}, options = {}] = args as [Record<string, unknown> | undefined, CallOptions | undefined];
    return this.invokeUntyped(method, thisRef, params, options) as Promise<MethodResult<M>>;
  }

  /** {@link VimClient.invoke} for a method known only at run time (validated against the schema all the same). */
  invokeUntyped(method: string, thisRef: ManagedObjectReference, params: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    const m = this.schema.method(method);
    const endpoint: Endpoint = m?.ns === 'pbm' ? 'pbm' : 'sdk';
    return this.pipeline({ method, endpoint, thisRef, params, operationId: this.nextOperationId(), signal: options.signal });
  }

  /** A fresh operation id with this client's prefix. */
  nextOperationId(): string {
    return `${this.opPrefix}-${++this.opCounter}`;
  }

  /**
   * Closes the connection pool (it does not log out: the session does). Requests still running get
   * `graceMs` (default 5 s) to finish; then their connections are destroyed, so that a forgotten
   * response stream cannot keep a process alive.
   */
  async close(graceMs = 5000): Promise<void> {
    if (!this.ownsDispatcher) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([this.dispatcher.close().then(() => 'closed' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') await this.dispatcher.destroy().catch(() => undefined);
  }

  /** The innermost round trip: one HTTP exchange. */
  private async send(call: SoapCall): Promise<unknown> {
    const { method, endpoint, signal } = call;
    if (signal?.aborted === true) throw new VimAbortError(`${method} aborted before it was sent`, { cause: signal.reason });
    const header =
      `<operationID>${escapeXml(call.operationId)}</operationID>` +
      (endpoint === 'pbm' && this.cookie !== undefined ? `<vcSessionCookie>${escapeXml(this.cookie.replace(/^"|"$/g, ''))}</vcSessionCookie>` : '');
    const body = this.encoder.envelope(method, call.thisRef, call.params, header);
    const target = endpoint === 'pbm' ? this.pbmUrl : this.url;
    const soapAction = endpoint === 'pbm' ? `urn:pbm/${pbmVersionFor(this.version)}` : `urn:vim25/${this.version}`;
    const started = performance.now();
    const trace = { method, endpoint, operationId: call.operationId, bytes: Buffer.byteLength(body) };
    if (soapRequestChannel.hasSubscribers) soapRequestChannel.publish(trace);
    try {
      const res = await request(target, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          soapaction: soapAction,
          'user-agent': 'vmkit',
          ...(this.cookie === undefined ? {} : { cookie: `vmware_soap_session=${this.cookie}` }),
        },
        body,
        signal,
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: this.requestTimeoutMs,
      }).catch((err: unknown) => {
        throw transportError(err, method, signal);
      });
      this.captureCookie(res.headers['set-cookie']);
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode !== 200 && !(res.statusCode === 500 && type.includes('xml'))) {
        await res.body.dump().catch(() => undefined);
        throw new VimHttpError(`${method}: HTTP ${res.statusCode} from ${target.host}${target.pathname}`, res.statusCode);
      }
      const decoder = new ResponseDecoder(this.schema, method, this.limits);
      const text = new Utf8Pieces();
      let received = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          received += chunk.byteLength;
          decoder.write(text.decode(chunk));
        }
        text.end();
      } catch (err) {
        res.body.destroy();
        if (err instanceof VimError) throw err;
        if (err instanceof InvalidUtf8Error) {
          throw new VimResponseError(`${method}: the response is not valid UTF-8`, { cause: err });
        }
        throw transportError(err, method, signal);
      }
      const value = decoder.end();
      const ms = performance.now() - started;
      if (soapResponseChannel.hasSubscribers) soapResponseChannel.publish({ ...trace, durationMs: ms, bytes: received, status: res.statusCode });
      debug('%s %s %s %dms %dB', endpoint, method, call.operationId, Math.round(ms), received);
      return value;
    } catch (err) {
      const error = transportError(err, method, signal);
      if (soapErrorChannel.hasSubscribers) soapErrorChannel.publish({ ...trace, durationMs: performance.now() - started, error });
      debug('%s %s %s failed: %s', endpoint, method, call.operationId, error.code);
      throw error;
    }
  }

  private captureCookie(setCookie: string | string[] | undefined): void {
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
      const m = /^\s*vmware_soap_session=([^;]*)/.exec(c);
      if (m !== null) this.cookie = m[1];
    }
  }
}

function pbmVersionFor(vimVersion: string): string {
  return compareVersions(vimVersion, '6.7.1') >= 0 ? '6.7.1' : compareVersions(vimVersion, '6.5') >= 0 ? '6.5' : '2.0';
}

/** Reads `/sdk/vimServiceVersions.xml` and picks the version to speak. */
async function negotiateVersion(url: URL, dispatcher: Dispatcher, signal: AbortSignal | undefined): Promise<string> {
  const target = new URL(`${url.pathname.replace(/\/$/, '')}/vimServiceVersions.xml`, url);
  let text: string;
  try {
    const res = await request(target, { dispatcher, signal, headersTimeout: 60_000, bodyTimeout: 60_000 });
    text = await res.body.text();
    if (res.statusCode !== 200) return SCHEMA_API_VERSION;
  } catch (err) {
    throw transportError(err, 'vimServiceVersions.xml', signal);
  }
  const ns = /<namespace>\s*<name>urn:vim25<\/name>\s*<version>([\d.]+)<\/version>/.exec(text);
  const server = ns?.[1];
  if (server === undefined) return SCHEMA_API_VERSION;
  // A newer server is spoken to in the schema's version, which it still accepts; an older one in its own.
  return compareVersions(server, SCHEMA_API_VERSION) > 0 ? SCHEMA_API_VERSION : server;
}
