import { VimError, FileNotFoundError, ManagedObjectNotFoundError, DuplicateNameError, VimConnectionError, VimAbortError } from '@vmkit/vim';
import { OutcomeUnknownError } from '@vmkit/session';
import { describe, expect, it } from 'vitest';
import { InvalidVolumeSpecError, InvalidSnapshotError, NoValidDatastoreError, ProfileNotFoundError } from '@vmkit/vmdk-driver';
import { TransferSizeMismatchError } from '@vmkit/transfer';
import { ConflictError, SnapshotNotFoundError, UsageError, VolumeNotFoundError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { exitCodeOf } from './main.js';

const fault = (cls: typeof FileNotFoundError, type: string) => new cls('x', { _type: type }, [type]);

describe('exit codes', () => {
  it('map errors by their code', () => {
    expect(exitCodeOf(new UsageError('bad'))).toBe(ExitCode.usage);
    expect(exitCodeOf(fault(ManagedObjectNotFoundError, 'ManagedObjectNotFound'))).toBe(ExitCode.notFound);
    expect(exitCodeOf(fault(FileNotFoundError, 'FileNotFound'))).toBe(ExitCode.notFound);
    expect(exitCodeOf(fault(DuplicateNameError, 'DuplicateName'))).toBe(ExitCode.conflict);
    expect(exitCodeOf(new VimConnectionError('down', { mayHaveReachedServer: false }))).toBe(ExitCode.backendFault);
    expect(exitCodeOf(new OutcomeUnknownError('CreateVM_Task', {}))).toBe(ExitCode.backendFault);
    expect(exitCodeOf(new VimAbortError('stop'))).toBe(ExitCode.interrupted);
    expect(exitCodeOf(new Error('bug'))).toBe(ExitCode.failure);
  });

  it("map the CLI's and the driver's errors", () => {
    expect(exitCodeOf(new VolumeNotFoundError('v1'))).toBe(ExitCode.notFound);
    expect(exitCodeOf(new SnapshotNotFoundError('v1', 's1'))).toBe(ExitCode.notFound);
    expect(exitCodeOf(new ConflictError('taken', 'VMKIT_CLI_ALREADY_EXISTS'))).toBe(ExitCode.conflict);
    expect(exitCodeOf(new ConflictError('busy'))).toBe(ExitCode.conflict);
    expect(exitCodeOf(new InvalidVolumeSpecError('vmware:vmdk_type', 'sparse', ['thin']))).toBe(ExitCode.usage);
    expect(exitCodeOf(new ProfileNotFoundError('gold'))).toBe(ExitCode.notFound);
    expect(exitCodeOf(new InvalidSnapshotError('template'))).toBe(ExitCode.conflict);
    expect(exitCodeOf(new NoValidDatastoreError('full'))).toBe(ExitCode.backendFault);
    expect(exitCodeOf(new TransferSizeMismatchError(10, 5))).toBe(ExitCode.transferFailed);
  });

  it('the CLI errors are VimErrors with stable codes', () => {
    const e = new VolumeNotFoundError('v1');
    expect(e).toBeInstanceOf(VimError);
    expect(e.code).toBe('VMKIT_CLI_VOLUME_NOT_FOUND');
    expect(new UsageError('x', { cause: e }).cause).toBe(e);
  });
});
