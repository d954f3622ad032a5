#!/usr/bin/env node
// Installs the Debian packages that vmkit's tests, benchmarks and demo use, when they are missing.
// As root it runs apt-get; otherwise it names what is missing and carries on, and the tests that need
// a missing package skip with that reason (the simulator harness refuses with the same names).
import { execFileSync, spawnSync } from 'node:child_process';

const packages = {
  'golang-go': 'builds the vCenter simulator (tools/vcsim)',
  'golang-github-vmware-govmomi-dev': "VMware's vCenter simulator and govmomi (simulator, bench peer)",
  'python3-pyvmomi': "pyVmomi's type tables (schema dump check, bench peer)",
  'python3-oslo.vmware': "VMware's VIM XSDs and PBM WSDL (schema fidelity test, soap bench)",
  'qemu-utils': 'qemu-img, the maker and checker of real VMDK files',
  curl: 'the loopback floor in benchmarks',
  tgt: "an iSCSI target on loopback for @vmkit/connector's discovery test",
  'open-iscsi': "iscsiadm, which @vmkit/connector's iSCSI connector runs",
};

function installed(name) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

const missing = Object.keys(packages).filter((p) => !installed(p));
if (missing.length === 0) process.exit(0);
if (process.getuid?.() !== 0) {
  console.error(`vmkit: missing Debian packages (install them as root): apt-get install -y ${missing.join(' ')}`);
  for (const p of missing) console.error(`  ${p}: ${packages[p]}`);
  process.exit(0);
}
console.error(`vmkit: installing ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
} catch {
  // A fresh machine has no package lists yet.
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
}
