/**
 * What the vmkit clients in this process send, seen through `@vmkit/vim`'s diagnostics channel (by its
 * name, so that testkit does not depend on `@vmkit/vim`).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/** The channel on which `@vmkit/vim` publishes `{ method, ... }` before each SOAP call. */
const soapRequestChannel = 'vmkit:soap:request';

/**
 * Runs `fn` and returns its result with the SOAP methods that vmkit clients called while it ran, in
 * order. A rejection of `fn` passes through (the recording stops either way).
 */
export async function recordSoapCalls<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const calls: string[] = [];
  const onMessage = (m: unknown) => void calls.push((m as { method: string }).method);
  subscribe(soapRequestChannel, onMessage);
  try {
    return [await fn(), calls];
  } finally {
    unsubscribe(soapRequestChannel, onMessage);
  }
}
