#!/usr/bin/env node
// Starts the vCenter simulator and serves until Ctrl-C: node tools/vcsim/bin/start.mjs --vms 50 [--model esx] [--tls] [--control] [--ds-types vmfs,nfs,vsan]
// (build the harness first: npm run build -w @vmkit/vcsim). Prints the simulator's JSON line.
import { parseArgs } from 'node:util';
import { startSimulator } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    vms: { type: 'string' },
    hosts: { type: 'string' },
    clusters: { type: 'string' },
    'cluster-hosts': { type: 'string' },
    datacenters: { type: 'string' },
    datastores: { type: 'string' },
    tls: { type: 'boolean' },
    'idle-timeout-ms': { type: 'string' },
    listen: { type: 'string' },
    verbose: { type: 'boolean' },
    control: { type: 'boolean' },
    'ds-types': { type: 'string' },
  },
});
const int = (v) => (v === undefined ? undefined : Number(v));
const sim = await startSimulator({
  model: values.model,
  vms: int(values.vms),
  hosts: int(values.hosts),
  clusters: int(values.clusters),
  clusterHosts: int(values['cluster-hosts']),
  datacenters: int(values.datacenters),
  datastores: int(values.datastores),
  tls: values.tls,
  idleTimeoutMs: int(values['idle-timeout-ms']),
  listen: values.listen,
  verbose: values.verbose,
  control: values.control,
  datastoreTypes: values['ds-types']?.split(','),
});
const { stop: _stop, control: _control, ...info } = sim;
console.log(JSON.stringify(info));
const shutdown = () => void sim.stop().then(() => process.exit(0));
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
