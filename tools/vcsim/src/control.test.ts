import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorControlError, createSimulatorControl } from './control.js';

// A stand-in HTTP server records what the client sends; the real endpoint is tested against the
// simulator in control.integ.test.ts. This checks the client's own validation and error mapping.
const seen: { method: string; url: string; body: string }[] = [];
let reply: { status: number; body: string } = { status: 200, body: '{}' };
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (d: string) => (body += d));
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', body });
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
  });
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sdk`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the control client', () => {
  it('rejects every call when the endpoint is off, without a request', async () => {
    const c = createSimulatorControl(url, { enabled: false });
    const before = seen.length;
    await expect(c.queueFault('CurrentTime')).rejects.toThrow(SimulatorControlError);
    await expect(c.calls()).rejects.toThrow(/control: true/);
    expect(seen.length).toBe(before);
    await c.close();
  });

  it('validates arguments before sending anything', async () => {
    const c = createSimulatorControl(url, { enabled: true });
    const before = seen.length;
    await expect(c.queueFault('')).rejects.toThrow(TypeError);
    await expect(c.queueFault('X', { count: 1.5 })).rejects.toThrow(RangeError);
    await expect(c.queueFault('X', { drop: true, fault: 'FileLocked' })).rejects.toThrow(TypeError);
    await expect(c.setLatency('X', -5)).rejects.toThrow(RangeError);
    await expect(c.setTaskDelay(Number.NaN)).rejects.toThrow(RangeError);
    await expect(c.setDatastore('ds', { freeSpace: -1 })).rejects.toThrow(RangeError);
    await expect(c.setDatastore('ds', { maintenanceMode: 'entering' as 'normal' })).rejects.toThrow(TypeError);
    expect(seen.length).toBe(before);
    await c.close();
  });

  it('sends JSON to /vmkit-control/<request> and maps refusals to SimulatorControlError with the status', async () => {
    const c = createSimulatorControl(url, { enabled: true });
    reply = { status: 200, body: '{}' };
    await c.queueFault('CreateVM_Task', { count: 2, fault: 'FileLocked' });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/vmkit-control/fault',
      body: JSON.stringify({ method: 'CreateVM_Task', count: 2, fault: 'FileLocked', message: '', drop: false }),
    });
    reply = { status: 200, body: '{"calls":{"A":3}}' };
    expect(await c.calls('A')).toBe(3);
    expect(await c.calls('B')).toBe(0);
    expect(await c.calls()).toEqual({ A: 3 });
    expect(seen.at(-1)?.method).toBe('GET');
    reply = { status: 400, body: '{"error":"no datastore named \\"x\\""}' };
    const err = await c.setDatastore('x', { accessible: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulatorControlError);
    expect((err as SimulatorControlError).status).toBe(400);
    expect((err as Error).message).toContain('no datastore named "x"');
    reply = { status: 200, body: 'not json' };
    await expect(c.reset()).rejects.toThrow(/not JSON/);
    await c.close();
  });
});
