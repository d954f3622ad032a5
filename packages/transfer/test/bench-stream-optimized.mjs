#!/usr/bin/env node
// Stream-optimized VMDK throughput, vmkit beside qemu-img, on the same mixed image in the same run.
//
//   npm run build -w @vmkit/transfer
//   node packages/transfer/test/bench-stream-optimized.mjs [--size-mib 256] [--runs 3] [--concurrency 4 (encoder)] [--dir DIR]
//
// Makes a raw image of mixed content (half zero, a third random, the rest compressible text, in 1 MiB
// blocks), has qemu-img make the stream-optimized VMDK, then times, each `--runs` times (median kept):
//   decode: VMDK -> raw file: vmkit's createStreamOptimizedDecoder, qemu-img convert -O raw (sparse
//           output, its default) and qemu-img convert -O raw -S 0 (writes every zero, as vmkit does);
//           plus vmkit into a discarding sink (no file write)
//   encode: raw file -> VMDK: vmkit's createStreamOptimizedEncoder, qemu-img convert -o subformat=streamOptimized
// Throughput is virtual disk bytes per second in MB/s (10^6). Prints a table and one JSON line per
// figure in the shape tools/bench expects.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { createStreamOptimizedDecoder, createStreamOptimizedEncoder } from '@vmkit/transfer';
import { makeMixedImage } from './mixed-image.mjs';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '256' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const size = Number(values['size-mib']) * 1024 * 1024;
const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'vmkit-bench-so-'));

function qemu(...args) {
  const r = spawnSync('qemu-img', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-img ${args.join(' ')}: ${r.stderr || r.error}`);
}

async function time(f) {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function median(f) {
  const s = [];
  for (let i = 0; i < runs; i++) s.push(await time(f));
  s.sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const say = (line) => process.stdout.write(`${line}\n`);
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

try {
  const raw = join(dir, 'disk.raw');
  const vmdk = join(dir, 'disk.vmdk');
  await makeMixedImage(raw, { size, seed: 42 });
  qemu('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, vmdk);
  const rows = [];
  const add = (bench, impl, seconds, note) => rows.push({ bench, impl, note, seconds, mbps: size / seconds / 1e6 });

  add('transfer.vmdk.streamOptimized.decode', 'vmkit', await median(() =>
    pipeline(createReadStream(vmdk), createStreamOptimizedDecoder(), createWriteStream(join(dir, 'vmkit.raw')))), 'to a file');
  add('transfer.vmdk.streamOptimized.decode', 'vmkit', await median(() =>
    pipeline(createReadStream(vmdk), createStreamOptimizedDecoder(), sink())), 'to a discarding sink');
  add('transfer.vmdk.streamOptimized.decode', 'qemu-img', await median(() => qemu('convert', '-f', 'vmdk', '-O', 'raw', vmdk, join(dir, 'qemu.raw'))), 'convert -O raw (sparse output)');
  add('transfer.vmdk.streamOptimized.decode', 'qemu-img', await median(() => qemu('convert', '-S', '0', '-f', 'vmdk', '-O', 'raw', vmdk, join(dir, 'qemu-full.raw'))), 'convert -O raw -S 0 (writes zeros)');
  const same = spawnSync('cmp', [join(dir, 'vmkit.raw'), join(dir, 'qemu.raw')]).status === 0;

  add('transfer.vmdk.streamOptimized.encode', 'vmkit', await median(() =>
    pipeline(createReadStream(raw), createStreamOptimizedEncoder({ capacity: size, concurrency }), createWriteStream(join(dir, 'vmkit.vmdk')))), 'raw -> streamOptimized');
  add('transfer.vmdk.streamOptimized.encode', 'qemu-img', await median(() =>
    qemu('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, join(dir, 'qemu.vmdk'))), 'convert -o subformat=streamOptimized');

  say(`image: ${size / 1048576} MiB virtual, stream-optimized ${(statSync(vmdk).size / 1048576).toFixed(1)} MiB; runs ${runs} (median); encoder concurrency ${concurrency}; vmkit output identical to qemu-img's: ${same}`);
  say(`vmkit VMDK ${(statSync(join(dir, 'vmkit.vmdk')).size / 1048576).toFixed(1)} MiB, qemu-img VMDK ${(statSync(join(dir, 'qemu.vmdk')).size / 1048576).toFixed(1)} MiB`);
  for (const r of rows) say(`${r.bench.padEnd(38)} ${r.impl.padEnd(9)} ${r.mbps.toFixed(0).padStart(6)} MB/s  ${r.seconds.toFixed(3)} s  ${r.note}`);
  for (const r of rows) say(JSON.stringify({ bench: r.bench, impl: r.impl, metric: 'throughput', value: Number(r.mbps.toFixed(1)), unit: 'MB/s', note: r.note }));
  if (!same) process.exitCode = 1;
} finally {
  if (!values.keep && values.dir === undefined) rmSync(dir, { recursive: true, force: true });
}
