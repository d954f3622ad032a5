import type { DatastoreURL } from './datastore-path.js';
import type { PropertyOptions } from './properties.js';
import type { VimSession } from './session.js';

/**
 * A one-use ticket for a file transfer straight to a host (`/folder` on ESX), sent as the cookie
 * `vmware_cgi_ticket=<id>`. Secret: never log it.
 */
export async function acquireGenericServiceTicket(
  session: VimSession,
  url: DatastoreURL | string,
  method: 'httpGet' | 'httpPut' | 'httpPost' | 'httpDelete' | 'httpHead' = 'httpGet',
  options: PropertyOptions = {},
): Promise<{ id: string; cookie: string }> {
  const ticket = await session.invoke(
    'AcquireGenericServiceTicket',
    session.serviceContent.sessionManager!,
    { spec: { _type: 'SessionManagerHttpServiceRequestSpec', url: String(url), method } },
    options,
  );
  return { id: ticket.id, cookie: `vmware_cgi_ticket="${ticket.id}"` };
}
