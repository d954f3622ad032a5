import { VimConnectionError, VimHttpError, VimTimeoutError } from '@vmkit/vim';

/**
 * Whether a method may be sent again after a failure that left its outcome unknown. Reads and queries
 * are; anything that creates, changes or deletes is not, nor is anything that advances server-side
 * state (`ContinueRetrievePropertiesEx` moves a paging token: repeating it could skip a page).
 */
export type RetryClass = 'safe' | 'unsafe';

/** Exact methods that are safe to repeat although their names do not say so. */
const safeMethods: ReadonlySet<string> = new Set<string>([
  'RetrieveServiceContent',
  'RetrieveProperties',
  'RetrievePropertiesEx',
  'CurrentTime',
  'SessionIsActive',
  'Login', // a repeated Login only opens a second session, which the old one's expiry cleans up
  'WaitForUpdatesEx', // with the same version it answers the same changes again
  'HttpNfcLeaseProgress', // sets the same percentage again
  'PbmRetrieveServiceContent',
  'PbmCheckCompliance', // reads compliance; PbmCheckRollupCompliance likewise
  'PbmCheckRollupCompliance',
]);

/** Name prefixes of read-only methods. */
const safePrefixes = ['Retrieve', 'Query', 'Find', 'Fetch', 'Browse', 'Search', 'PbmQuery', 'PbmRetrieve', 'PbmFetch'] as const;

/** Exceptions to the prefixes: these change state. (Every `*_Task` is unsafe too, e.g. SearchDatastore_Task.) */
const unsafeMethods: ReadonlySet<string> = new Set<string>(['ContinueRetrievePropertiesEx']);

/** The retry class of a method, from the table above. */
export function retryClassOf(method: string): RetryClass {
  if (unsafeMethods.has(method)) return 'unsafe';
  if (safeMethods.has(method)) return 'safe';
  if (method.endsWith('_Task')) return 'unsafe';
  return safePrefixes.some((p) => method.startsWith(p)) ? 'safe' : 'unsafe';
}

/** What to do about a failed attempt. */
export type RetryDecision =
  /** Send it again after a backoff. */
  | 'retry'
  /** Give up and report the failure as it is. */
  | 'fail'
  /** Give up and report that the outcome is unknown (a state-changing call that may have reached the server). */
  | 'unknown';

/**
 * Decides whether a failed call is repeated. A call whose request provably never reached the server is
 * always repeated; overload (502/503/504), broken connections and timeouts repeat only safe calls;
 * faults and malformed answers are never repeated here (re-login handles NotAuthenticated).
 */
export function retryDecision(method: string, err: unknown): RetryDecision {
  const transient =
    err instanceof VimConnectionError ||
    err instanceof VimTimeoutError ||
    (err instanceof VimHttpError && (err.status === 502 || err.status === 503 || err.status === 504));
  if (!transient) return 'fail';
  if (err instanceof VimConnectionError && !err.mayHaveReachedServer) return 'retry';
  return retryClassOf(method) === 'safe' ? 'retry' : 'unknown';
}

/** Capped exponential backoff with full jitter: attempt 1 waits up to `baseMs`, doubling up to `capMs`. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
