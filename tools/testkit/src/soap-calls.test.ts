import { channel } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { recordSoapCalls } from './soap-calls.js';

const requests = channel('vmkit:soap:request');

describe('recordSoapCalls', () => {
  it('returns the result and the methods published while fn ran, in order, and nothing after', async () => {
    requests.publish({ method: 'Before' });
    const [result, calls] = await recordSoapCalls(async () => {
      requests.publish({ method: 'RetrievePropertiesEx' });
      await Promise.resolve();
      requests.publish({ method: 'Logout' });
      return 42;
    });
    requests.publish({ method: 'After' });
    expect(result).toBe(42);
    expect(calls).toEqual(['RetrievePropertiesEx', 'Logout']);
  });

  it('passes a rejection through and stops recording', async () => {
    const err = new Error('boom');
    await expect(
      recordSoapCalls(async () => {
        await Promise.resolve();
        requests.publish({ method: 'Login' });
        throw err;
      }),
    ).rejects.toBe(err);
    expect(requests.hasSubscribers).toBe(false);
  });
});
