import { setTimeout as sleep } from 'node:timers/promises';
import { channel } from 'node:diagnostics_channel';
import {
  InvalidLoginError,
  NotAuthenticatedError,
  PbmClient,
  SecurityFaultError,
  VimAbortError,
  VimClient,
  VimError,
  VimFaultError,
  defaultSchema,
  findFault,
  type CallOptions,
  type InvokeArgs,
  type ManagedObjectReference,
  type MethodName,
  type MethodResult,
  type Middleware,
  type ServiceContent,
  type SoapCall,
  type UserSession,
} from '@vmkit/vim';
import { OutcomeUnknownError, SessionClosedError } from './errors.js';
import { backoffMs, retryDecision } from './retry.js';

/** Published when a call is retried: `{ method, attempt, delayMs, error }`. */
export const retryChannel = channel('vmkit:session:retry');
/** Published when the session logs in again: `{ reason }`. */
export const reloginChannel = channel('vmkit:session:relogin');

/** Options of {@link VimSession.connect}, after oslo.vmware's `VMwareAPISession` and Cinder's `vmware_*` options. */
export interface VimSessionOptions {
  /** vCenter or ESX host name or address, or a full SDK URL (`https://host/sdk`). */
  host: string;
  /** Port, when not the scheme's default (and not given in `host`). */
  port?: number;
  /** The user to log in as; with `password`. Not needed with `cloneTicket`. */
  username?: string;
  /** Never logged, never placed in an error. */
  password?: string;
  /**
   * Log in with a clone ticket (`SessionManager.AcquireCloneTicket` of another session) through
   * `CloneSession` instead of a user and password. A ticket works once and for a short time, so such a
   * session cannot log in again: when it expires, calls fail with the server's fault (InvalidLogin).
   * Never logged, never placed in an error.
   */
  cloneTicket?: string;
  /** PEM CA certificate(s) to trust. TLS verification is on by default. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Turn TLS verification off; only when asked for. */
  insecure?: boolean;
  /** Connections kept to the server (Cinder's `vmware_connection_pool_size`, default 10). */
  poolSize?: number;
  /** Attempts of a retriable call (Cinder's `vmware_api_retry_count`, default 10). */
  apiRetryCount?: number;
  /** First backoff between attempts in ms (default 100), doubled per attempt up to `retryCapMs` (default 5000). */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** How long a single WaitForUpdatesEx call may wait, in seconds (default 10); see Cinder's `vmware_task_poll_interval`. */
  taskPollIntervalSeconds?: number;
  /** Prefix of every call's `operationID` (default `vmkit-<random>`). */
  operationIdPrefix?: string;
  /** Interval of the keepalive that keeps an idle session from expiring, in ms (default 5 min; 0 turns it off). */
  keepaliveIntervalMs?: number;
  /** Connect timeout in ms (default 30 000). */
  connectionTimeoutMs?: number;
  /** Login attempts on transient failures (default 3); InvalidLogin is never retried. */
  loginAttempts?: number;
  /** A client to use instead of creating one (its middlewares are added to). */
  client?: VimClient;
  signal?: AbortSignal;
}

/** A user and password, or a clone ticket: exactly one of the two. */
function credentialsOf(o: VimSessionOptions): { username: string; password: string } | { cloneTicket: string } {
  if (o.cloneTicket !== undefined) {
    if (o.username !== undefined || o.password !== undefined) throw new VimError('give either a clone ticket or a user and password, not both', 'VMKIT_SESSION_INVALID_OPTIONS');
    if (o.cloneTicket === '') throw new VimError('the clone ticket is empty', 'VMKIT_SESSION_INVALID_OPTIONS');
    return { cloneTicket: o.cloneTicket };
  }
  if (o.username === undefined || o.password === undefined) throw new VimError('a user and password, or a clone ticket, is needed to log in', 'VMKIT_SESSION_INVALID_OPTIONS');
  return { username: o.username, password: o.password };
}

/** The parts of an SDK URL. */
function sdkUrl(host: string, port: number | undefined): string {
  if (/^https?:\/\//i.test(host)) return host;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `https://${h}${port === undefined ? '' : `:${port}`}/sdk`;
}

const SERVICE_INSTANCE: ManagedObjectReference = { type: 'ServiceInstance', value: 'ServiceInstance' };

/**
 * A logged-in session with vCenter or ESX: the client every other vmkit package calls through.
 *
 * - Re-login: when the server says NotAuthenticated (or PBM a SecurityError), one Login is shared by
 *   every concurrent caller, then the call is repeated once.
 * - Retries: capped exponential backoff, only for calls that are safe to repeat or provably never
 *   reached the server (see {@link retryDecision}); a state-changing call whose request may have
 *   arrived is reported as {@link OutcomeUnknownError}, never re-sent.
 * - Keepalive: an idle session is kept from expiring by a light call.
 * - `close()` logs out; `await using` does it too.
 */
export class VimSession {
  /** The client calls go through (with this session's middlewares). */
  readonly client: VimClient;
  /** The PBM service on the same session. */
  readonly pbm: PbmClient;
  private content!: ServiceContent;
  private userSession: UserSession | undefined;
  private loginInFlight: Promise<void> | undefined;
  /** Bumped by every successful Login: a call that failed under an older one needs no new Login. */
  private generation = 0;
  private closed = false;
  private keepalive: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  private readonly options: Required<Pick<VimSessionOptions, 'apiRetryCount' | 'retryBaseMs' | 'retryCapMs' | 'loginAttempts' | 'keepaliveIntervalMs' | 'taskPollIntervalSeconds'>>;

  private constructor(
    client: VimClient,
    private readonly credentials: { username: string; password: string } | { cloneTicket: string },
    options: VimSessionOptions,
  ) {
    this.client = client;
    this.pbm = new PbmClient(client);
    this.options = {
      apiRetryCount: options.apiRetryCount ?? 10,
      retryBaseMs: options.retryBaseMs ?? 100,
      retryCapMs: options.retryCapMs ?? 5000,
      loginAttempts: options.loginAttempts ?? 3,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5 * 60_000,
      taskPollIntervalSeconds: options.taskPollIntervalSeconds ?? 10,
    };
    // Order matters: the retry wrapper is innermost, re-login wraps it, the closed check is outermost.
    client.use(this.retryMiddleware()).use(this.reloginMiddleware()).use(this.guardMiddleware());
  }

  /** Connects, retrieves the service content and logs in. */
  static async connect(options: VimSessionOptions): Promise<VimSession> {
    const credentials = credentialsOf(options);
    const client =
      options.client ??
      (await VimClient.create(
        {
          url: sdkUrl(options.host, options.port),
          schema: defaultSchema,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          ...(options.insecure === undefined ? {} : { insecure: options.insecure }),
          connections: options.poolSize ?? 10,
          connectTimeoutMs: options.connectionTimeoutMs ?? 30_000,
          ...(options.operationIdPrefix === undefined ? {} : { operationIdPrefix: options.operationIdPrefix }),
        },
        options.signal === undefined ? {} : { signal: options.signal },
      ));
    const session = new VimSession(client, credentials, options);
    try {
      session.content = await client.invoke('RetrieveServiceContent', SERVICE_INSTANCE, {}, options.signal === undefined ? {} : { signal: options.signal });
      await session.login('connect', options.signal);
    } catch (err) {
      await client.close();
      throw err;
    }
    session.startKeepalive();
    return session;
  }

  /** The service content read at connect time. */
  get serviceContent(): ServiceContent {
    return this.content;
  }

  /** The current user session (key, user name, login time); undefined once closed. */
  get currentSession(): UserSession | undefined {
    return this.userSession;
  }

  /** Calls a method through the session (re-login, retries); typed from the generated method maps. */
  invoke<M extends MethodName>(method: M, thisRef: ManagedObjectReference, ...args: InvokeArgs<M>): Promise<MethodResult<M>> {
    return this.client.invoke(method, thisRef, ...args);
  }

  /** Logs out and closes the connections. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepalive !== undefined) clearInterval(this.keepalive);
    try {
      if (this.userSession !== undefined && this.content.sessionManager !== undefined) {
        await this.client.invokeUntyped('Logout', this.content.sessionManager, {}, {}).catch(() => undefined);
      }
    } finally {
      this.userSession = undefined;
      this.client.sessionCookie = undefined;
      await this.client.close();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One Login, bounded: transient failures are retried `loginAttempts` times, InvalidLogin never. */
  private async login(reason: string, signal?: AbortSignal): Promise<void> {
    const sm = this.content.sessionManager;
    if (sm === undefined) throw new VimError('this server has no session manager', 'VMKIT_SESSION_NO_SESSION_MANAGER');
    for (let attempt = 1; ; attempt++) {
      try {
        // A stale cookie must not ride along with a new Login.
        this.client.sessionCookie = undefined;
        const opts: CallOptions = signal === undefined ? {} : { signal };
        const creds = this.credentials;
        this.userSession = (
          'cloneTicket' in creds
            ? await this.client.invokeUntyped('CloneSession', sm, { cloneTicket: creds.cloneTicket }, opts)
            : await this.client.invokeUntyped('Login', sm, { userName: creds.username, password: creds.password }, opts)
        ) as UserSession;
        this.generation++;
        this.lastActivity = Date.now();
        if (reason !== 'connect' && reloginChannel.hasSubscribers) reloginChannel.publish({ reason });
        return;
      } catch (err) {
        // A clone ticket is spent by a CloneSession that reached the server: only a request that never did is sent again.
        const method = 'cloneTicket' in this.credentials ? 'CloneSession' : 'Login';
        if (err instanceof InvalidLoginError || attempt >= this.options.loginAttempts || retryDecision(method, err) !== 'retry') throw err;
        await sleep(backoffMs(attempt, this.options.retryBaseMs, this.options.retryCapMs), undefined, signal === undefined ? {} : { signal });
      }
    }
  }

  /** Starts (or joins) the one Login that every caller waiting on a dead session shares. */
  private relogin(seenGeneration: number, reason: string): Promise<void> {
    if (this.generation !== seenGeneration) return Promise.resolve(); // someone already logged in again
    this.loginInFlight ??= this.login(reason).finally(() => {
      this.loginInFlight = undefined;
    });
    return this.loginInFlight;
  }

  private guardMiddleware(): Middleware {
    return (next) => async (call) => {
      if (this.closed && call.method !== 'Logout') throw new SessionClosedError();
      this.lastActivity = Date.now();
      return next(call);
    };
  }

  private reloginMiddleware(): Middleware {
    return (next) => async (call) => {
      if (isLogin(call)) return next(call);
      const seen = this.generation;
      let result: unknown;
      try {
        result = await next(call);
        if (!(await this.resultSaysNotAuthenticated(call, result))) return result;
      } catch (err) {
        const isAuth = err instanceof NotAuthenticatedError || (call.endpoint === 'pbm' && err instanceof SecurityFaultError);
        if (!isAuth || this.closed) throw err;
      }
      await this.relogin(seen, `${call.method}: not authenticated`);
      return next({ ...call, operationId: this.client.nextOperationId() });
    };
  }

  /**
   * vCenter and the simulator answer a property collector call of an expired session either with
   * `missingSet` entries holding NotAuthenticated, or with an empty result; the latter is confirmed
   * with SessionIsActive.
   */
  private async resultSaysNotAuthenticated(call: SoapCall, result: unknown): Promise<boolean> {
    if (call.method !== 'RetrievePropertiesEx' && call.method !== 'RetrieveProperties') return false;
    const objects = (Array.isArray(result) ? result : (result as { objects?: unknown[] } | undefined)?.objects) as
      | { missingSet?: { fault?: { fault?: { _type?: string } } }[] }[]
      | undefined;
    if (objects !== undefined && objects.length > 0) {
      return objects.some((o) => o.missingSet?.some((m) => m.fault?.fault?._type === 'NotAuthenticated') === true);
    }
    const sm = this.content.sessionManager;
    const us = this.userSession;
    if (sm === undefined || us === undefined) return false;
    try {
      const active = await this.client.invokeUntyped('SessionIsActive', sm, { sessionID: us.key, userName: us.userName });
      return active === false;
    } catch (err) {
      return findFault(err, 'NotAuthenticated') !== undefined;
    }
  }

  private retryMiddleware(): Middleware {
    return (next) => async (call) => {
      // Login and CloneSession have their own, shorter bound (loginAttempts) in login().
      if (call.method === 'Login' || call.method === 'CloneSession') return next(call);
      for (let attempt = 1; ; attempt++) {
        try {
          return await next(attempt === 1 ? call : { ...call, operationId: this.client.nextOperationId() });
        } catch (err) {
          if (err instanceof VimFaultError || err instanceof VimAbortError) throw err;
          const decision = retryDecision(call.method, err);
          if (decision === 'unknown') throw new OutcomeUnknownError(call.method, { cause: err });
          if (decision === 'fail' || attempt >= this.options.apiRetryCount || this.closed) throw err;
          const delayMs = backoffMs(attempt, this.options.retryBaseMs, this.options.retryCapMs);
          if (retryChannel.hasSubscribers) retryChannel.publish({ method: call.method, attempt, delayMs, error: err });
          await sleep(delayMs, undefined, call.signal === undefined ? {} : { signal: call.signal }).catch((cause: unknown) => {
            throw new VimAbortError(`${call.method} aborted while waiting to retry`, { cause });
          });
        }
      }
    };
  }

  private startKeepalive(): void {
    const every = this.options.keepaliveIntervalMs;
    if (every <= 0) return;
    this.keepalive = setInterval(() => {
      if (this.closed || Date.now() - this.lastActivity < every) return;
      // A light authenticated read; through the middlewares, so an expired session logs in again.
      void this.client
        .invoke('RetrievePropertiesEx', this.content.propertyCollector, {
          specSet: [{ propSet: [{ type: 'SessionManager', pathSet: ['currentSession'] }], objectSet: [{ obj: this.content.sessionManager! }] }],
          options: {},
        })
        .catch(() => undefined);
    }, Math.max(1000, Math.floor(every / 2)));
    this.keepalive.unref();
  }
}

function isLogin(call: SoapCall): boolean {
  return call.method === 'Login' || call.method === 'CloneSession' || call.method === 'Logout' || call.method === 'SessionIsActive';
}
