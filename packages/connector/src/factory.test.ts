import { describe, expect, it } from 'vitest';
import { VimError } from '@vmkit/vim';
import { UnsupportedProtocolError } from './errors.js';
import { createConnector } from './factory.js';
import { IscsiConnector } from './iscsi.js';
import { VmdkConnector } from './vmdk/connector.js';

describe('createConnector', () => {
  it('picks the connector by protocol, whatever the case', () => {
    expect(createConnector('VMDK')).toBeInstanceOf(VmdkConnector);
    expect(createConnector('vmdk').protocol).toBe('VMDK');
    expect(createConnector('iSCSI')).toBeInstanceOf(IscsiConnector);
    expect(createConnector('ISCSI').protocol).toBe('ISCSI');
    expect(createConnector(' iscsi ' as string)).toBeInstanceOf(IscsiConnector);
  });

  it('refuses an unknown protocol with a typed error naming the ones it knows', () => {
    for (const p of ['FIBRE_CHANNEL', 'nvmeof', '', 'vmdk2']) {
      const err = (() => {
        try {
          createConnector(p);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UnsupportedProtocolError);
      expect(err).toBeInstanceOf(VimError);
      expect((err as UnsupportedProtocolError).code).toBe('VMKIT_CONNECTOR_UNSUPPORTED_PROTOCOL');
      expect((err as UnsupportedProtocolError).protocol).toBe(p);
      expect((err as Error).message).toContain('VMDK, ISCSI');
    }
  });
});
