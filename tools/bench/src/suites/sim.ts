import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { startSimulator } from '@vmkit/vcsim';
import { figure, median } from '../figure.js';
import type { Suite } from '../suite.js';

const body =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:vim25="urn:vim25">' +
  '<soapenv:Body><vim25:RetrieveServiceContent><vim25:_this type="ServiceInstance">ServiceInstance</vim25:_this>' +
  '</vim25:RetrieveServiceContent></soapenv:Body></soapenv:Envelope>';
const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/6.7' };

async function undiciCall(url: string): Promise<void> {
  const res = await request(url, { method: 'POST', headers, body });
  await res.body.arrayBuffer();
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
}

function curlCalls(url: string, count: number): Promise<number[]> {
  // One curl process per request would measure process start-up; instead one curl process makes all
  // the requests over one keep-alive connection and reports each one's total time.
  const args = ['-s', '-o', '/dev/null'];
  for (let i = 0; i < count; i++) {
    if (i > 0) args.push('--next', '-s', '-o', '/dev/null');
    args.push('-X', 'POST', '-H', `content-type: ${headers['content-type']}`, '-H', `soapaction: ${headers.soapaction}`,
      '--data-binary', body, '-w', '%{time_total}\\n', url);
  }
  return new Promise((resolve, reject) => {
    const child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`curl exited with ${code}`));
      resolve(out.trim().split('\n').map((s) => Number(s) * 1000));
    });
  });
}

/** The simulator harness itself: start-up time, and one SOAP round trip over loopback. */
export const simSuite: Suite = {
  name: 'sim',
  description: 'simulator start-up latency and the loopback round-trip floor (RetrieveServiceContent)',
  async run(ctx) {
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const sim = await startSimulator();
      starts.push(performance.now() - t0);
      await sim.stop();
    }
    ctx.emit(figure('sim.start', 'vmkit', 'latency', median(starts)));

    const sim = await startSimulator();
    try {
      const n = 200;
      for (let i = 0; i < 20; i++) await undiciCall(sim.url); // warm-up
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await undiciCall(sim.url);
        samples.push(performance.now() - t0);
      }
      ctx.emit(figure('sim.roundtrip', 'floor', 'latency', median(samples)));
      ctx.emit(figure('sim.roundtrip', 'curl', 'latency', median(await curlCalls(sim.url, n))));
    } finally {
      await sim.stop();
    }
  },
};
