import { Readable } from 'node:stream';
import { VMwareAPISession } from '@vmkit/legacy/cinder/volume/drivers/vmware/api';
import {
  FileAlreadyExistsException,
  FileNotFoundException,
  ImageTransferException,
  VimException,
  VimFaultException,
} from '@vmkit/legacy/cinder/volume/drivers/vmware/exceptions';
import { get_profile_id_by_name } from '@vmkit/legacy/cinder/volume/drivers/vmware/pbm';
import { VMwareHTTPReadFile, VMwareHTTPWriteFile } from '@vmkit/legacy/cinder/volume/drivers/vmware/read_write_util';
import { DatastoreURL, file_delete, get_datacenter_ref } from '@vmkit/legacy/nova/virt/vmwareapi/ds_util';
import { listStorageProfiles, waitForTask } from '@vmkit/session';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A consumer that still speaks the legacy names, against the simulator: what the new stack throws is
// caught by the old exception names, and the old entry points do the real work.
let sim: Simulator;
let session: VMwareAPISession;
beforeAll(async () => {
  sim = await startSimulator();
  session = await VMwareAPISession.connect({ host: sim.url, username: sim.username, password: sim.password });
}, 300_000);
afterAll(async () => {
  await session?.close();
  await sim?.stop();
});

const urlOf = (path: string): DatastoreURL =>
  new DatastoreURL({ scheme: 'http', server: new URL(sim.url).host, path, datacenterPath: 'DC0', datastoreName: 'LocalDS_0' });

describe('legacy names against the simulator', () => {
  it("a missing datastore file's fault is a FileNotFoundException, a VimFaultException and a VimException", async () => {
    const dc = await get_datacenter_ref(session, 'DC0');
    expect(dc?.type).toBe('Datacenter');
    const task = await session.invoke('DeleteDatastoreFile_Task', session.serviceContent.fileManager!, {
      name: '[LocalDS_0] legacy-test/no-such-file.vmdk',
      datacenter: dc,
    });
    const err: unknown = await waitForTask(session, task).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FileNotFoundException);
    expect(err).toBeInstanceOf(VimFaultException);
    expect(err).toBeInstanceOf(VimException);
    expect(err).not.toBeInstanceOf(FileAlreadyExistsException);
  });

  it('an existing directory is a FileAlreadyExistsException', async () => {
    const dc = await get_datacenter_ref(session, 'DC0');
    const fm = session.serviceContent.fileManager!;
    await session.invoke('MakeDirectory', fm, { name: '[LocalDS_0] legacy-test-dir', datacenter: dc, createParentDirectories: true });
    const err: unknown = await session
      .invoke('MakeDirectory', fm, { name: '[LocalDS_0] legacy-test-dir', datacenter: dc, createParentDirectories: false })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(FileAlreadyExistsException);
    await waitForTask(session, await session.invoke('DeleteDatastoreFile_Task', fm, { name: '[LocalDS_0] legacy-test-dir', datacenter: dc }));
  });

  it('the read/write handles move bytes, and a missing file is an ImageTransferException', async () => {
    const body = Buffer.from('written through a legacy name\n');
    await VMwareHTTPWriteFile(urlOf('legacy-test/a.txt'), { session }, Readable.from([body]), body.length);
    const { stream } = await VMwareHTTPReadFile(urlOf('legacy-test/a.txt'), { session });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(body);
    await expect(VMwareHTTPReadFile(urlOf('legacy-test/missing.txt'), { session })).rejects.toBeInstanceOf(ImageTransferException);
    await file_delete(urlOf('legacy-test/a.txt'), { session });
  });

  it("PBM helpers answer under Cinder's names", async () => {
    const [first] = await listStorageProfiles(session);
    expect(first).toBeDefined();
    expect(await get_profile_id_by_name(session, first!.name)).toEqual(first!.profileId);
  });
});
