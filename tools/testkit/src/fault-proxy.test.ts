import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultKind } from './fault-proxy.js';

let hits = 0;
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    hits++;
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end('<ok>' + 'x'.repeat(1000) + '</ok>');
  });
});
let target = '';
beforeAll(async () => {
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

const soap = (method: string) =>
  `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><${method} xmlns="urn:vim25"/></soapenv:Body></soapenv:Envelope>`;

async function call(origin: string, dispatcher: Agent, method = 'RetrieveServiceContent') {
  const res = await request(`${origin}/sdk`, { method: 'POST', body: soap(method), dispatcher });
  return { status: res.statusCode, text: await res.body.text() };
}

describe('fault proxy', () => {
  it.each<[FaultKind, boolean]>([
    ['reset-before', false],
    ['reset-after', true],
    ['truncate', true],
  ])('%s fails the call; reached server: %s', async (kind, reached) => {
    await using proxy = await startFaultProxy({ target, decide: () => kind });
    const agent = new Agent();
    const before = hits;
    await expect(call(proxy.origin, agent)).rejects.toThrow();
    expect(hits - before).toBe(reached ? 1 : 0);
    expect(proxy.records).toEqual([{ index: 0, fault: kind, soapMethod: 'RetrieveServiceContent', reachedServer: reached }]);
    await agent.close();
  });

  it('answers 503 without forwarding, and passes otherwise', async () => {
    await using proxy = await startFaultProxy({ target, decide: ({ index }) => (index === 0 ? 'status-503' : 'pass') });
    const agent = new Agent();
    const before = hits;
    expect((await call(proxy.origin, agent)).status).toBe(503);
    const ok = await call(proxy.origin, agent, 'CreateVM_Task');
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/^<ok>x+<\/ok>$/);
    expect(hits - before).toBe(1);
    expect(proxy.records.map((r) => r.soapMethod)).toEqual(['RetrieveServiceContent', 'CreateVM_Task']);
    await agent.close();
  });

  it('injects at the set rate, reproducibly for a seed', async () => {
    const run = async () => {
      await using proxy = await startFaultProxy({ target, seed: 42, rates: { 'status-503': 0.2 } });
      const agent = new Agent();
      for (let i = 0; i < 200; i++) await call(proxy.origin, agent);
      await agent.close();
      return proxy.records.map((r) => r.fault);
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    const faults = a.filter((f) => f === 'status-503').length;
    expect(faults).toBeGreaterThan(20);
    expect(faults).toBeLessThan(60);
  }, 120_000);
});
