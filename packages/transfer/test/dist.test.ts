/**
 * The built entry (`dist`, as consumers import it): the format API is there and its errors carry their
 * codes, names and causes.
 */
import { VimError } from '@vmkit/vim';
import { describe, expect, it } from 'vitest';
import * as transfer from '@vmkit/transfer';

describe('@vmkit/transfer built entry', () => {
  it('exports the VMDK and OVA format API, the transfer handles and the image transfers', () => {
    for (const name of [
      'inspectVmdk',
      'detectDiskType',
      'isVmdkDiskType',
      'parseSparseExtentHeader',
      'parseVmdkDescriptor',
      'formatVmdkDescriptor',
      'vmdkGeometry',
      'createStreamOptimizedDecoder',
      'createStreamOptimizedEncoder',
      'createSparseVmdkReadStream',
      'readTar',
      'parseOvf',
      'openOvaDisk',
      'createSparseFileWriteStream',
      'openDatastoreFile',
      'writeDatastoreFile',
      'deleteDatastoreFile',
      'importVmdk',
      'exportVmdk',
      'deviceUrlFor',
      'copyImageToDatastoreFile',
      'importStreamOptimizedImage',
      'copyVmDiskToImage',
    ] as const) {
      expect(typeof transfer[name], name).toBe('function');
    }
  });

  it.each([
    ['VmdkFormatError', () => new transfer.VmdkFormatError('truncated', 'm', { offset: 3, cause: 'c' }), 'VMKIT_TRANSFER_VMDK_FORMAT'],
    ['VmdkUnsupportedError', () => new transfer.VmdkUnsupportedError('version', 'm', { cause: 'c' }), 'VMKIT_TRANSFER_VMDK_UNSUPPORTED'],
    ['OvaFormatError', () => new transfer.OvaFormatError('no-ovf', 'm', { cause: 'c' }), 'VMKIT_TRANSFER_OVA_FORMAT'],
    ['TransferSizeMismatchError', () => new transfer.TransferSizeMismatchError(10, 5, undefined, { cause: 'c' }), 'VMKIT_TRANSFER_SIZE_MISMATCH'],
  ] as const)('%s is a VimError with its code, name and cause', (name, make, code) => {
    const e = make();
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(VimError);
    expect(e.name).toBe(name);
    expect(e.code).toBe(code);
    expect(e.cause).toBe('c');
    expect(e.message).toBeTruthy();
  });

  it('rejects with the typed error from the built code', async () => {
    await expect(transfer.inspectVmdk(Buffer.alloc(1024))).rejects.toBeInstanceOf(transfer.VmdkFormatError);
  });
});
