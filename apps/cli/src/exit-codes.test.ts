import { FileNotFoundError, ManagedObjectNotFoundError, DuplicateNameError, VimConnectionError, VimAbortError } from '@vmkit/vim';
import { OutcomeUnknownError } from '@vmkit/session';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
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
});
