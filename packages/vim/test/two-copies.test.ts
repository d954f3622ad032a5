import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as mine from '../src/errors.js';

// A second copy of the module, as when two versions of @vmkit/vim are installed side by side: the
// same source loaded under another URL gives other class objects.
const other = (await import(`${pathToFileURL(new URL('../src/errors.ts', import.meta.url).pathname).href}?copy=2`)) as typeof mine;

describe('instanceof across two copies of the package', () => {
  it('loads distinct class objects', () => {
    expect(other.VimError).not.toBe(mine.VimError);
  });

  it('recognises errors of the other copy by class and ancestry', () => {
    const fault = new other.FileNotFoundError('gone', { _type: 'FileNotFound' }, ['FileNotFound', 'FileFault']);
    expect(fault).toBeInstanceOf(mine.FileNotFoundError);
    expect(fault).toBeInstanceOf(mine.FileFaultError);
    expect(fault).toBeInstanceOf(mine.VimFaultError);
    expect(fault).toBeInstanceOf(mine.VimError);
    expect(fault).not.toBeInstanceOf(mine.FileLockedError);
    expect(fault).not.toBeInstanceOf(mine.VimConnectionError);
    expect(mine.findFault(new Error('outer', { cause: fault }), 'FileFault')).toBe(fault);
  });

  it('does not mistake plain errors or look-alikes for vmkit errors', () => {
    expect(new Error('x')).not.toBeInstanceOf(mine.VimError);
    expect({ code: 'VMKIT_VIM_FAULT', name: 'VimError' }).not.toBeInstanceOf(mine.VimError);
    expect(null).not.toBeInstanceOf(mine.VimError);
  });
});
