import { isUtf8 } from 'node:buffer';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { startSimulator } from '@vmkit/vcsim';
import { defaultSchema, PbmClient, RequestEncoder, ResponseDecoder, typed, VimClient } from '@vmkit/vim';
import { checkSoapRequest, loadVmwareXsd } from '@vmkit/vmodl-gen';
import { runJson } from '../child.js';
import { figure, median } from '../figure.js';
import type { Suite, SuiteContext } from '../suite.js';

const run = promisify(execFile);

/** tools/bench (this file is src/suites/vim.ts or dist/suites/vim.js). */
const benchDir = fileURLToPath(new URL('../../', import.meta.url));
const peersDir = join(benchDir, 'peers', 'vim');
const workDir = join(benchDir, '.work', 'vim');
const childScript = (name: string): string => fileURLToPath(new URL(`./${name}.js`, import.meta.url));

/** The RetrievePropertiesEx of the issue: five properties of every VM, through a container view. */
const PATHS = ['name', 'config.hardware.device', 'runtime.powerState', 'summary', 'datastore'];
/** VMs per resource pool (govmomi's counting): the default inventory has two pools, so 1000 VMs. */
const VMS_PER_POOL = 500;
/** VMware's PBM WSDL and types of the release the simulator's PBM imitates (python3-oslo.vmware). */
const PBM_RELEASE = '6.7';
const PBM_WSDL = `/usr/lib/python3/dist-packages/oslo_vmware/wsdl/${PBM_RELEASE}/pbmService.wsdl`;
/** Size of the response the memory figure decodes. */
const RSS_RESPONSE_BYTES = 50 * 1000 * 1000;

/**
 * A peer that serves measurements (tools/bench/peers/vim): set up and warmed once, then timed one run at a
 * time on request, so that the suite interleaves its runs with vmkit's and the other peers'.
 */
class ServedPeer {
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  private stderr = '';
  private exited: Error | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w !== undefined) w(line);
      else this.lines.push(line);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    child.on('close', (code) => {
      this.exited = new Error(`${name} exited with ${code}: ${this.stderr.trim()}`);
      const w = this.waiting;
      this.waiting = undefined;
      w?.('');
    });
  }

  /** Starts the peer, hands it `input` (a password) and waits until it is warmed up; returns it and its object count. */
  static async start(name: string, command: string, args: readonly string[], input?: string): Promise<[ServedPeer, number]> {
    const peer = new ServedPeer(name, spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    peer.child.on('error', (err) => (peer.exited = err));
    if (input !== undefined) peer.child.stdin.write(`${input}\n`);
    const ready = JSON.parse(await peer.next()) as { ready?: boolean; objects?: number };
    if (ready.ready !== true) throw new Error(`${name}: unexpected first line`);
    return [peer, ready.objects ?? 0];
  }

  private next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.exited !== undefined) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.waiting = (l) => (this.exited !== undefined && l === '' ? reject(this.exited) : resolve(l));
    });
  }

  /** CPU time of each run so far, in milliseconds, as the peer measured it. */
  readonly cpu: number[] = [];

  /** One timed run: its wall time in milliseconds as the peer measured it. */
  async run(): Promise<number> {
    this.child.stdin.write('run\n');
    const r = JSON.parse(await this.next()) as { ms: number; cpuMs: number };
    this.cpu.push(r.cpuMs);
    return r.ms;
  }

  /** Ends its input (it logs out, if it logged in) and waits for it to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.exited !== undefined) return;
    const done = new Promise((resolve) => this.child.once('close', resolve));
    this.child.stdin.end();
    await done;
  }
}

/**
 * Times each implementation `rounds` times, one run of each per round (after `warm` untimed rounds of
 * the in-process ones): a change in the machine's load during the suite then hits all of them alike.
 * Returns the median of each.
 */
async function interleaved(rounds: number, warm: number, impls: Record<string, () => Promise<number>>, settleMs = 0): Promise<Record<string, number>> {
  const samples = await interleavedSamples(rounds, warm, impls, settleMs);
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

/**
 * {@link interleaved}, returning every sample. The order rotates from round to round, and with `settleMs`
 * each run waits that long first: a run that follows another one's request would otherwise meet a
 * simulator still collecting the garbage of the previous 7.6 MB answer, which biases whoever comes next.
 */
async function interleavedSamples(
  rounds: number,
  warm: number,
  impls: Record<string, () => Promise<number>>,
  settleMs = 0,
): Promise<Record<string, number[]>> {
  const names = Object.keys(impls);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = -warm; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const impl = names[(i + r + warm) % names.length]!;
      if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
      const ms = await impls[impl]!();
      if (r >= 0) samples[impl]!.push(ms);
    }
  }
  return samples;
}

/** Times a function once, in milliseconds (resolved when it settles). */
function timed(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  const r = fn();
  return r instanceof Promise ? r.then(() => performance.now() - t0) : Promise.resolve(performance.now() - t0);
}

/** Go in GOPATH mode against Debian's govmomi: nothing is downloaded. */
const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '', GOTOOLCHAIN: 'local' });

/** Builds the govmomi peer (cached by a hash of its source and the Go version). */
async function govmomiPeer(): Promise<string> {
  const src = join(peersDir, 'govmomi');
  const h = createHash('sha256');
  h.update((await run('go', ['version'], { env: goEnv() })).stdout);
  h.update(await readFile(join(src, 'main.go')));
  const binary = join(workDir, `govmomi-peer-${h.digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return binary;
  await mkdir(workDir, { recursive: true });
  const tmp = `${binary}.tmp-${process.pid}`;
  await run('go', ['build', '-o', tmp, '.'], { cwd: src, env: goEnv(), maxBuffer: 64 << 20 });
  await rename(tmp, binary);
  return binary;
}

/**
 * Decodes a response the way the transport does (packages/vim/src/transport/client.ts): pieces of 64 KiB
 * cut after a whole character, each checked to be UTF-8 and turned into text, into the streaming decoder.
 */
function decodeLikeTransport(body: Buffer): { objects: unknown[] } {
  const decoder = new ResponseDecoder(defaultSchema, 'RetrievePropertiesEx');
  for (let at = 0; at < body.length; ) {
    let end = Math.min(at + 65536, body.length);
    while (end < body.length && (body[end]! & 0xc0) === 0x80) end--;
    const piece = body.subarray(at, end);
    if (!isUtf8(piece)) throw new Error('the response is not UTF-8');
    decoder.write(piece.toString('utf8'));
    at = end;
  }
  return decoder.end() as { objects: unknown[] };
}

/** A response of at least `bytes` made by repeating the objects of a real one. */
function enlarge(body: Buffer, bytes: number): Buffer {
  const s = body.toString('utf8');
  const first = s.indexOf('<objects>');
  const end = s.lastIndexOf('</returnval>');
  if (first < 0 || end < 0) throw new Error('the response has no objects to repeat');
  const objects = s.slice(first, end);
  const copies = Math.ceil((bytes - s.length) / objects.length) + 1;
  return Buffer.from(s.slice(0, first) + objects.repeat(copies) + s.slice(end));
}

/** Runs a peer and logs instead of failing the suite when it cannot run here. */
async function peer<T>(ctx: SuiteContext, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    ctx.log(`vim: ${name} could not run: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * @vmkit/vim next to govmomi, pyVmomi, a raw replay and the `soap` package, on the same simulator and the
 * same bytes: decoding a RetrievePropertiesEx response of 1000 VMs (throughput), retrieving it end to end
 * (latency), PBM client creation and calls (latency, with each request judged by VMware's XSDs), and the
 * peak memory of decoding a 50 MB response.
 */
export const vimSuite: Suite = {
  name: 'vim',
  description: 'SOAP decode throughput and retrieval latency (govmomi, pyVmomi, raw replay), PBM next to the soap package, decode memory',
  async run(ctx) {
    await mkdir(workDir, { recursive: true });
    ctx.log(`vim: starting the simulator with ${VMS_PER_POOL} VMs per resource pool`);
    await using sim = await startSimulator({ vms: VMS_PER_POOL, startTimeoutMs: 300_000 });
    const client = await VimClient.create({ url: sim.url, schema: defaultSchema });
    const si = { type: 'ServiceInstance', value: 'ServiceInstance' };
    const content = await client.invoke('RetrieveServiceContent', si);
    await client.invoke('Login', content.sessionManager!, { userName: sim.username, password: sim.password });
    const floorAgent = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
    try {
      const view = await client.invoke('CreateContainerView', content.viewManager!, { container: content.rootFolder, type: ['VirtualMachine'], recursive: true });
      const params = {
        specSet: [
          {
            propSet: [{ type: 'VirtualMachine', pathSet: PATHS }],
            objectSet: [{ obj: view, skip: true, selectSet: [{ _type: 'TraversalSpec', type: 'ContainerView', path: 'view', skip: false }] }],
          },
        ],
        options: {},
      };
      // The floor: the very request bytes vmkit sends, replayed over one keep-alive connection, the
      // answer read whole and not parsed.
      const requestBody = new RequestEncoder(defaultSchema).envelope('RetrievePropertiesEx', content.propertyCollector, params, '<operationID>vmkit-bench-floor</operationID>');
      const replay = async (): Promise<Buffer> => {
        const res = await request(client.url, {
          method: 'POST',
          dispatcher: floorAgent,
          headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `urn:vim25/${client.version}`, cookie: `vmware_soap_session=${client.sessionCookie ?? ''}` },
          body: requestBody,
        });
        const body = Buffer.from(await res.body.arrayBuffer());
        if (res.statusCode !== 200) throw new Error(`replay: HTTP ${res.statusCode}`);
        return body;
      };
      const response = await replay();
      const responseFile = join(workDir, 'retrieve-1000.xml');
      await writeFile(responseFile, response);
      const vmCount = decodeLikeTransport(response).objects.length;
      const mb = response.length / 1e6;
      ctx.log(`vim: the response has ${vmCount} VMs in ${mb.toFixed(2)} MB (saved as ${responseFile})`);

      // Decoding the same bytes, interleaved.
      const goBinary = await peer(ctx, 'the govmomi peer build', govmomiPeer);
      const python = '/usr/bin/python3';
      const pyScript = join(peersDir, 'pyvmomi_peer.py');
      const started: ServedPeer[] = [];
      const startPeer = async (name: string, command: string, args: string[], input?: string): Promise<ServedPeer | undefined> => {
        const r = await peer(ctx, name, () => ServedPeer.start(name, command, args, input));
        if (r === undefined) return undefined;
        started.push(r[0]);
        if (r[1] !== vmCount) throw new Error(`${name} found ${r[1]} objects, not ${vmCount}`);
        return r[0];
      };
      const stopPeers = async (): Promise<void> => {
        await Promise.all(started.splice(0).map((p) => p.close()));
      };
      let decodeMs: Record<string, number>;
      // CPU time of each run too (every thread of the process): on a shared machine it shows the cost of
      // each decoder better than wall time does; it is logged, the figures are wall time.
      const cpu: Record<string, number[]> = { vmkit: [] };
      const WARM = 2;
      try {
        const impls: Record<string, () => Promise<number>> = {
          vmkit: () => {
            const c0 = process.cpuUsage();
            const ms = timed(() => decodeLikeTransport(response));
            const c = process.cpuUsage(c0);
            cpu.vmkit!.push((c.user + c.system) / 1000);
            return ms;
          },
        };
        const go = goBinary === undefined ? undefined : await startPeer('govmomi decode', goBinary, ['decode', responseFile]);
        if (go !== undefined) {
          impls.govmomi = () => go.run();
          cpu.govmomi = go.cpu;
        }
        const py = await startPeer('pyVmomi decode', python, [pyScript, 'decode', responseFile]);
        if (py !== undefined) {
          impls.pyvmomi = () => py.run();
          cpu.pyvmomi = py.cpu;
        }
        decodeMs = await interleaved(9, WARM, impls);
      } finally {
        await stopPeers();
      }
      for (const [impl, ms] of Object.entries(decodeMs)) ctx.emit(figure('vim.decode', impl as 'vmkit', 'throughput', mb / (ms / 1000)));
      const cpuRate = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, mb / (median(v.slice(WARM)) / 1000)]));
      ctx.log(`vim: decode throughput per CPU second: ${Object.entries(cpuRate).map(([k, v]) => `${k} ${v.toFixed(1)} MB/s`).join(', ')}`);

      // Retrieving it end to end, interleaved, next to the raw replay of vmkit's request.
      let retrieveMs: Record<string, number>;
      try {
        const impls: Record<string, () => Promise<number>> = {
          floor: () => timed(replay),
          vmkit: () => timed(() => client.invoke('RetrievePropertiesEx', content.propertyCollector, params)),
        };
        const go = goBinary === undefined ? undefined : await startPeer('govmomi retrieve', goBinary, ['retrieve', sim.url, sim.username], sim.password);
        if (go !== undefined) impls.govmomi = () => go.run();
        const py = await startPeer('pyVmomi retrieve', python, [pyScript, 'retrieve', sim.url, sim.username], sim.password);
        if (py !== undefined) impls.pyvmomi = () => py.run();
        retrieveMs = await interleaved(8, 1, impls, 500);
      } finally {
        await stopPeers();
      }
      for (const [impl, ms] of Object.entries(retrieveMs)) ctx.emit(figure('vim.retrieve', impl as 'vmkit', 'latency', ms));
      await client.invoke('DestroyView', view);

      // PBM: vmkit's codec next to a `soap` client built from VMware's PBM WSDL.
      await pbm(ctx, sim.url, client);

      // Targets of issue 3, as ratios.
      const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);
      ctx.log(`vim: decode speed vmkit/govmomi ${ratio(decodeMs.govmomi, decodeMs.vmkit)} (target >= 2x), vmkit/pyVmomi ${ratio(decodeMs.pyvmomi, decodeMs.vmkit)} (target >= 8x)`);
      ctx.log(`vim: decode speed per CPU second vmkit/govmomi ${ratio(cpuRate.vmkit, cpuRate.govmomi)}, vmkit/pyVmomi ${ratio(cpuRate.vmkit, cpuRate.pyvmomi)}`);
      ctx.log(`vim: retrieval time vmkit/govmomi ${ratio(retrieveMs.vmkit, retrieveMs.govmomi)} (target <= 0.5x), vmkit/floor ${ratio(retrieveMs.vmkit, retrieveMs.floor)}`);

      // Memory: a 50 MB response decoded in a child process.
      const big = enlarge(response, RSS_RESPONSE_BYTES);
      const bigFile = join(workDir, 'retrieve-50mb.xml');
      await writeFile(bigFile, big);
      const rss = await runJson<{ bytes: number; objects: number; baselineMiB: number; peakMiB: number }>(process.execPath, [childScript('vim-rss-child'), bigFile]);
      ctx.emit(figure('vim.decode-rss', 'vmkit', 'rss', rss.peakMiB));
      const size = rss.bytes / (1024 * 1024);
      ctx.log(
        `vim: decoding ${size.toFixed(1)} MiB (${rss.objects} VMs): peak RSS ${rss.peakMiB.toFixed(0)} MiB = ${(rss.peakMiB / size).toFixed(2)}x the response ` +
          `(${((rss.peakMiB - rss.baselineMiB) / size).toFixed(2)}x above the ${rss.baselineMiB.toFixed(0)} MiB before decoding; target < 4x)`,
      );
    } finally {
      await floorAgent.close();
      await client.invoke('Logout', content.sessionManager!).catch(() => undefined);
      await client.close();
    }
  },
};

/** The PBM part: client creation, call latency and the strict check of each request. */
async function pbm(ctx: SuiteContext, url: string, vim: VimClient): Promise<void> {
  if (!existsSync(PBM_WSDL)) {
    ctx.log(`vim: ${PBM_WSDL} is missing (python3-oslo.vmware); the PBM figures are skipped`);
    return;
  }
  const create: Record<'vmkit' | 'soap', number[]> = { vmkit: [], soap: [] };
  for (let i = 0; i < 5; i++) {
    for (const impl of ['vmkit', 'soap'] as const) {
      create[impl].push((await runJson<{ ms: number }>(process.execPath, [childScript('vim-pbm-create-child'), impl, url, PBM_WSDL])).ms);
    }
  }
  for (const impl of ['vmkit', 'soap'] as const) ctx.emit(figure('vim.pbm-client-create', impl, 'latency', median(create[impl])));

  const pbmClient = new PbmClient(vim);
  const pbmContent = await pbmClient.serviceContent();
  const profileManager = pbmContent.profileManager;
  const queryParams = { resourceType: { resourceType: 'STORAGE' }, profileCategory: 'REQUIREMENT' };
  const ids = await pbmClient.invoke('PbmQueryProfile', profileManager, queryParams);
  if (ids === undefined || ids.length === 0) throw new Error('PbmQueryProfile found no profiles');
  const retrieveParams = { profileIds: ids.map((p) => ({ uniqueId: p.uniqueId })) };

  const soap = await import('soap');
  const sc = await soap.createClientAsync(PBM_WSDL, { endpoint: vim.pbmUrl.href, disableCache: true });
  const cookie = vim.sessionCookie ?? '';
  sc.addSoapHeader(`<vcSessionCookie>${cookie.replace(/^"|"$/g, '')}</vcSessionCookie>`);
  sc.addHttpHeader('Cookie', `vmware_soap_session=${cookie}`);
  const ref = (type: string, value: string) => ({ attributes: { type }, $value: value });
  const pm = ref(profileManager.type, profileManager.value);
  type SoapCall = (args: unknown) => Promise<[unknown, string, unknown, string]>;
  const soapClient = sc as unknown as Record<string, SoapCall> & { lastRequest?: string };
  const soapCalls: Record<'query-profile' | 'retrieve-content', () => Promise<unknown>> = {
    'query-profile': () => soapClient.PbmQueryProfileAsync!({ _this: pm, resourceType: { resourceType: 'STORAGE' }, profileCategory: 'REQUIREMENT' }),
    'retrieve-content': () => soapClient.PbmRetrieveContentAsync!({ _this: pm, profileIds: retrieveParams.profileIds }),
  };
  const vmkitCalls: Record<'query-profile' | 'retrieve-content', () => Promise<unknown>> = {
    'query-profile': () => pbmClient.invoke('PbmQueryProfile', profileManager, queryParams),
    'retrieve-content': () => pbmClient.invoke('PbmRetrieveContent', profileManager, retrieveParams),
  };

  const placementSolver = pbmContent.placementSolver;
  const matchingSpec = (vmkit: boolean) => ({
    hubsToSearch: [{ hubType: 'Datastore', hubId: 'datastore-1' }],
    createSpec: {
      name: 'bench-policy',
      resourceType: { resourceType: 'STORAGE' },
      constraints: {
        ...(vmkit ? { _type: 'PbmCapabilitySubProfileConstraints' } : {}),
        subProfiles: [
          {
            name: 'rules',
            capability: [
              {
                id: { namespace: 'VSAN', id: 'hostFailuresToTolerate' },
                constraint: [{ propertyInstance: [{ id: 'hostFailuresToTolerate', value: vmkit ? typed('int', 1) : 1 }] }],
              },
            ],
          },
        ],
      },
    },
  });

  // The strict check of each request against VMware's PBM types.
  const xsd = loadVmwareXsd(PBM_RELEASE);
  const encoder = new RequestEncoder(defaultSchema);
  const requests: [string, string, () => Promise<string>][] = [
    ['vmkit', 'PbmQueryProfile', () => Promise.resolve(encoder.envelope('PbmQueryProfile', profileManager, queryParams))],
    ['vmkit', 'PbmRetrieveContent', () => Promise.resolve(encoder.envelope('PbmRetrieveContent', profileManager, retrieveParams))],
    ['soap', 'PbmQueryProfile', async () => (await soapCalls['query-profile'](), soapClient.lastRequest ?? '')],
    ['soap', 'PbmRetrieveContent', async () => (await soapCalls['retrieve-content'](), soapClient.lastRequest ?? '')],
    // The same call with its arguments written in another key order: soap writes object-key order.
    [
      'soap (arguments in another key order)',
      'PbmQueryProfile',
      async () => (await soapClient.PbmQueryProfileAsync!({ _this: pm, profileCategory: 'REQUIREMENT', resourceType: { resourceType: 'STORAGE' } }), soapClient.lastRequest ?? ''),
    ],
    // A request with polymorphic values (a constraints subtype, an anyType property value), written the
    // way each library's user writes it: vmkit's with `_type` and `typed`, soap's as plain objects.
    ['vmkit', 'PbmQueryMatchingHubWithSpec', () => Promise.resolve(encoder.envelope('PbmQueryMatchingHubWithSpec', placementSolver, matchingSpec(true)))],
    [
      'soap',
      'PbmQueryMatchingHubWithSpec',
      async () => {
        await soapClient.PbmQueryMatchingHubWithSpecAsync!({ _this: ref(placementSolver.type, placementSolver.value), ...matchingSpec(false) }).catch(() => undefined);
        return soapClient.lastRequest ?? '';
      },
    ],
  ];
  for (const [impl, method, make] of requests) {
    const xml = await make();
    if (xsd === undefined) {
      ctx.log(`vim: strict check skipped (VMware's ${PBM_RELEASE} XSDs are not installed)`);
      break;
    }
    const problems = checkSoapRequest(xml, xsd);
    ctx.log(`vim: strict element order and xsi:type, ${impl} ${method}: ${problems.length === 0 ? 'passes' : `FAILS (${problems.join('; ')})`}`);
  }

  const samples: Record<'vmkit' | 'soap', number[]> = { vmkit: [], soap: [] };
  for (const call of ['query-profile', 'retrieve-content'] as const) {
    const byImpl = (await interleavedSamples(30, 5, { vmkit: () => timed(vmkitCalls[call]), soap: () => timed(soapCalls[call]) })) as Record<'vmkit' | 'soap', number[]>;
    for (const impl of ['vmkit', 'soap'] as const) {
      samples[impl].push(...byImpl[impl]);
      ctx.emit(figure(`vim.pbm-call.${call}`, impl, 'latency', median(byImpl[impl])));
    }
  }
  for (const impl of ['vmkit', 'soap'] as const) ctx.emit(figure('vim.pbm-call', impl, 'latency', median(samples[impl])));
}
