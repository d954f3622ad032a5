import { VimConnectionError, VimHttpError, VimResponseError, VimTimeoutError } from '@vmkit/vim';
import { describe, expect, it } from 'vitest';
import { backoffMs, retryClassOf, retryDecision } from './retry.js';

describe('the retry table', () => {
  it.each([
    ['RetrievePropertiesEx', 'safe'],
    ['RetrieveServiceContent', 'safe'],
    ['QueryVirtualDiskUuid', 'safe'],
    ['FindByInventoryPath', 'safe'],
    ['PbmQueryProfile', 'safe'],
    ['PbmRetrieveContent', 'safe'],
    ['WaitForUpdatesEx', 'safe'],
    ['Login', 'safe'],
    ['ContinueRetrievePropertiesEx', 'unsafe'],
    ['CreateVM_Task', 'unsafe'],
    ['SearchDatastore_Task', 'unsafe'],
    ['MakeDirectory', 'unsafe'],
    ['CreateContainerView', 'unsafe'],
    ['HttpNfcLeaseComplete', 'unsafe'],
  ])('%s is %s', (method, cls) => {
    expect(retryClassOf(method)).toBe(cls);
  });

  const neverSent = new VimConnectionError('refused', { mayHaveReachedServer: false });
  const reset = new VimConnectionError('reset', { mayHaveReachedServer: true });
  it('repeats anything that never reached the server', () => {
    expect(retryDecision('CreateVM_Task', neverSent)).toBe('retry');
    expect(retryDecision('RetrievePropertiesEx', neverSent)).toBe('retry');
  });
  it('repeats reads after ambiguous failures, and reports unsafe calls as unknown', () => {
    for (const err of [reset, new VimHttpError('503', 503), new VimHttpError('502', 502), new VimHttpError('504', 504), new VimTimeoutError('t')]) {
      expect(retryDecision('RetrievePropertiesEx', err)).toBe('retry');
      expect(retryDecision('CreateVM_Task', err)).toBe('unknown');
    }
  });
  it('never repeats other failures', () => {
    expect(retryDecision('RetrievePropertiesEx', new VimHttpError('500', 500))).toBe('fail');
    expect(retryDecision('RetrievePropertiesEx', new VimResponseError('bad'))).toBe('fail');
    expect(retryDecision('RetrievePropertiesEx', new Error('bug'))).toBe('fail');
  });
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(1, 100, 5000, () => 0)).toBe(50);
    expect(backoffMs(1, 100, 5000, () => 1)).toBe(100);
    expect(backoffMs(4, 100, 5000, () => 1)).toBe(800);
    expect(backoffMs(20, 100, 5000, () => 1)).toBe(5000);
  });
});
