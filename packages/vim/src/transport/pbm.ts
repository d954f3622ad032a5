import type { PbmServiceInstanceContent } from '../generated/types.js';
import type { CallOptions, InvokeArgs, MethodResult, VimClient } from './client.js';
import type { PbmMethodName } from '../generated/methods.js';
import type { ManagedObjectReference } from '../codec/encode.js';

/** The PBM service instance every PBM session starts from. */
export const PBM_SERVICE_INSTANCE: ManagedObjectReference<'PbmServiceInstance'> = { type: 'PbmServiceInstance', value: 'ServiceInstance' };

/**
 * The storage policy (PBM) service at `/pbm`, reached with the vCenter session of a {@link VimClient}:
 * the same cookie travels as the HTTP cookie and as the `vcSessionCookie` SOAP header.
 */
export class PbmClient {
  private content: Promise<PbmServiceInstanceContent> | undefined;

  constructor(readonly vim: VimClient) {}

  /** PBM's service content (cached after the first call succeeds). */
  serviceContent(options: CallOptions = {}): Promise<PbmServiceInstanceContent> {
    this.content ??= this.vim.invoke('PbmRetrieveServiceContent', PBM_SERVICE_INSTANCE, {}, options).catch((err: unknown) => {
      this.content = undefined;
      throw err;
    });
    return this.content;
  }

  /** Calls a PBM method; typed like {@link VimClient.invoke}. */
  invoke<M extends PbmMethodName>(method: M, thisRef: ManagedObjectReference, ...args: InvokeArgs<M>): Promise<MethodResult<M>> {
    return this.vim.invoke(method, thisRef, ...args);
  }
}
