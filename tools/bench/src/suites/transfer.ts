import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DatastoreURL, VimSession } from '@vmkit/session';
import {
  convertStreamOptimizedToRaw,
  createSparseFileWriteStream,
  createStreamOptimizedDecoder,
  downloadDatastoreFile,
  openDatastoreFile,
  uploadDatastoreFile,
  writeDatastoreFile,
} from '@vmkit/transfer';
import { startSimulator } from '@vmkit/vcsim';
import { runCommand, runJson } from '../child.js';
import { figure, median } from '../figure.js';
import type { Suite } from '../suite.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/**
 * Runs per measured figure; the median is kept. Five, not three: on two cores shared with the
 * simulator, single 1 GiB runs of the same implementation spread by a factor of up to 1.5 (measured),
 * and the median of three still moved the ratios by some 10 %.
 */
const RUNS = 5;

/** Where a datastore file lives on the simulator: `/folder/<path>?dcPath=DC0&dsName=LocalDS_0`. */
function folderUrl(sdkUrl: string, path: string): DatastoreURL {
  return new DatastoreURL({ scheme: 'http', server: new URL(sdkUrl).host, path, datacenterPath: 'DC0', datastoreName: 'LocalDS_0' });
}

/**
 * Content of a transfer: 1 MiB blocks whose first 64 KiB are random and the rest zero, so that a
 * compressing layer has nothing to gain on the random part and the file is not all holes.
 */
function* blocks(size: number): Generator<Buffer> {
  for (let at = 0; at < size; at += MiB) {
    const block = Buffer.alloc(Math.min(MiB, size - at));
    randomFillSync(block, 0, Math.min(64 * 1024, block.length));
    yield block;
  }
}

/**
 * The source of the RSS figures: `size` bytes as 64 KiB chunks, every one a view of the same 1 MiB
 * block (64 KiB random, the rest zero), made once and never written again, so that handing the
 * same memory out many times is safe whatever the consumer keeps. A source that allocates a fresh
 * buffer per chunk (as the first version of this bench did, and as a file read stream does) leaves
 * its garbage to V8, which collects external memory only after some 64 MiB of it piled up: the peak
 * then measured the source and the collector's slack (the floor figure peaked above vmkit's), not
 * the transfer.
 */
function contentStream(size: number): Readable {
  const block = Buffer.alloc(MiB);
  randomFillSync(block, 0, 64 * 1024);
  const chunk = 64 * 1024;
  let at = 0;
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (at >= size) return void this.push(null);
      const n = Math.min(chunk, size - at);
      const offset = at % MiB;
      at += n;
      this.push(block.subarray(offset, offset + n));
    },
  });
}

/** A mixed raw disk image: per 1 MiB block, zero, random or compressible text (about 1/2, 1/3, 1/6). */
async function writeMixedImage(path: string, size: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    const random = Buffer.alloc(MiB);
    const text = Buffer.alloc(MiB, 'the quick brown fox jumps over the lazy disk 0123456789\n');
    for (let i = 0; i * MiB < size; i++) {
      const kind = i % 6;
      if (kind < 3) continue; // a hole: zeros
      const block = kind < 5 ? randomFillSync(random) : text;
      await file.write(block, 0, Math.min(MiB, size - i * MiB), i * MiB);
    }
    await file.truncate(size);
  } finally {
    await file.close();
  }
}

/** Runs a command to completion (its output dropped); rejects with its stderr when it fails. `input` goes to its stdin. */
async function run(command: string, args: readonly string[], input?: string): Promise<void> {
  await runCommand(command, args, input);
}

/** What a self-timed implementation resolves with: the seconds it measured itself. */
interface SelfTimed {
  seconds: number;
}

/** Seconds `fn` takes: its own figure when it measured itself ({@link SelfTimed}), else the wall time around it. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  const result = await fn();
  const own = (result as Partial<SelfTimed> | undefined)?.seconds;
  return typeof own === 'number' ? own : (performance.now() - t0) / 1000;
}

/**
 * The median time of {@link RUNS} runs of each implementation, interleaved so that drift hits both,
 * after one unmeasured round (JIT, connection pool, page cache warm for everyone alike). With
 * `settle`, it runs untimed before every run: see {@link flushDirtyPages}.
 */
async function race(
  signal: AbortSignal,
  impls: Record<string, () => Promise<unknown>>,
  settle?: () => Promise<void>,
): Promise<Map<string, number>> {
  for (const fn of Object.values(impls)) if (!signal.aborted) await fn();
  const samples = new Map<string, number[]>(Object.keys(impls).map((k) => [k, []]));
  for (let i = 0; i < RUNS && !signal.aborted; i++) {
    for (const [name, fn] of Object.entries(impls)) {
      await settle?.();
      samples.get(name)!.push(await timed(fn));
    }
  }
  return new Map([...samples].filter(([, s]) => s.length > 0).map(([k, s]) => [k, median(s)]));
}

/**
 * Writes the page cache's dirty pages out (`sync`), untimed. A run that writes a 1 GiB file leaves
 * some 0.5-1 GiB of dirty pages, and the kernel writes them back while the next run goes (on two cores,
 * with its CPU): without this, each implementation paid for the one before it, and the convert
 * figures of one implementation moved by half depending on which ran before it (measured).
 */
async function flushDirtyPages(): Promise<void> {
  await run('sync', []);
}

const discard = () => new Writable({ write: (_chunk, _enc, done) => done() });

/**
 * The child processes of this suite, chosen by `VMKIT_BENCH_CHILD`; each prints one JSON line.
 *
 * - `upload`: connects, warms up, uploads `VMKIT_BENCH_SIZE` generated bytes with
 *   `writeDatastoreFile`, and prints the peak RSS in MiB during that upload (and the process's peak
 *   before it). In a process of its own so that the peak is this transfer's alone.
 *   With `VMKIT_BENCH_FLOOR=1` it does everything but the transfer: the same modules, the same
 *   session and the same source, drained into a sink that discards, so that the figure next to
 *   vmkit's shows what Node, the loaded modules and the source cost without it.
 * - `convert`: converts the stream-optimized VMDK `VMKIT_BENCH_VMDK` to the raw file
 *   `VMKIT_BENCH_RAW` once with `convertStreamOptimizedToRaw` (file to file, as qemu-img) and prints
 *   the seconds that took. `convert-stream` does the same through the streams (file read stream ->
 *   decoder -> sparse file writer), what a caller with a stream from elsewhere uses. qemu-img runs in a process of its own; so does vmkit, and neither shares a heap (and
 *   its garbage collections) with the bench and its simulator. Node's start and module loading are
 *   not counted (an application pays them once, not per disk); qemu-img's start, a few milliseconds,
 *   is.
 */
export async function transferChild(): Promise<void> {
  const env = process.env;
  let result: object;
  if (env.VMKIT_BENCH_CHILD === 'convert') {
    const t0 = performance.now();
    await convertStreamOptimizedToRaw(env.VMKIT_BENCH_VMDK!, env.VMKIT_BENCH_RAW!);
    result = { seconds: (performance.now() - t0) / 1000 } satisfies SelfTimed;
  } else if (env.VMKIT_BENCH_CHILD === 'convert-stream') {
    const t0 = performance.now();
    await pipeline(createReadStream(env.VMKIT_BENCH_VMDK!, { highWaterMark: MiB }), createStreamOptimizedDecoder(), createSparseFileWriteStream(env.VMKIT_BENCH_RAW!));
    result = { seconds: (performance.now() - t0) / 1000 } satisfies SelfTimed;
  } else {
    const url = env.VMKIT_BENCH_URL!;
    const size = Number(env.VMKIT_BENCH_SIZE);
    const session = await VimSession.connect({ host: url, username: env.VMKIT_BENCH_USER!, password: env.VMKIT_BENCH_PASSWORD! });
    const target = folderUrl(url, env.VMKIT_BENCH_PATH!);
    const transfer = (bytes: number): Promise<void> =>
      env.VMKIT_BENCH_FLOOR === '1'
        ? pipeline(contentStream(bytes), new Writable({ write: (_chunk, _enc, done) => setImmediate(done) }))
        : writeDatastoreFile(target, { session }, contentStream(bytes), bytes);
    try {
      // A warm-up transfer, then a pause: V8 compiles undici's HTTP parser (WebAssembly) with its
      // optimizing tier in the background once it is hot, which briefly costs some 25 MiB whatever
      // the process does next (measured: under --liftoff-only a cold 1 GiB upload process peaks at
      // 84 MiB, not 108-111). That is a one-off of the process, not of a transfer: the peak is
      // reset after it (Linux's clear_refs), and the whole-process peak is reported beside.
      await transfer(WARM_UP_BYTES);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const processPeakMiB = peakRssMiB();
      const reset = resetPeakRss();
      await transfer(size);
      result = { rssMiB: peakRssMiB(), processPeakMiB, reset };
    } finally {
      await session.close();
    }
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Bytes of the RSS children's warm-up transfer. */
const WARM_UP_BYTES = 64 * MiB;

/** The process's peak RSS in MiB: VmHWM, which {@link resetPeakRss} resets (getrusage's maxRSS elsewhere). */
function peakRssMiB(): number {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib !== undefined) return Number(kib) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Resets the peak RSS to the current RSS (Linux 4.0+: `5` into /proc/self/clear_refs); false where that is not possible. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Runs {@link transferChild} in a fresh Node process with `env` added and returns what it printed. */
function runChild<T>(env: Record<string, string>): Promise<T> {
  const entry = new URL(import.meta.url).href;
  const script = `import(${JSON.stringify(entry)}).then((m) => m.transferChild())`;
  return runJson<T>(process.execPath, ['--input-type=module', '-e', script], '', { ...process.env, ...env });
}

/** What an upload child reports: the peak during the measured transfer, and the process's peak before it. */
interface UploadRss {
  rssMiB: number;
  processPeakMiB: number;
  /** False when the peak could not be reset: `rssMiB` is then the whole process's peak. */
  reset: boolean;
}

/** Peak RSS in MiB of a `size`-byte upload (or of its floor) in a fresh Node process. */
function rssOfUpload(sim: { url: string; username: string; password: string }, size: number, path: string, floor = false): Promise<UploadRss> {
  const env = { VMKIT_BENCH_URL: sim.url, VMKIT_BENCH_USER: sim.username, VMKIT_BENCH_PASSWORD: sim.password, VMKIT_BENCH_SIZE: String(size), VMKIT_BENCH_PATH: path };
  return runChild<UploadRss>({ VMKIT_BENCH_CHILD: 'upload', ...env, VMKIT_BENCH_FLOOR: floor ? '1' : '0' });
}

/**
 * Datastore file transfers through `/folder`, vmkit next to curl against the same simulator (the
 * loopback floor); vmkit's peak RSS for 1 GiB and 4 GiB uploads (each in its own process); and
 * stream-optimized -> raw conversion next to `qemu-img convert`, each conversion in a process of its
 * own (see {@link transferChild}).
 */
export const transferSuite: Suite = {
  name: 'transfer',
  description:
    '1 GiB /folder upload and download (vmkit vs curl; also through streams), peak RSS of 1 and 4 GiB uploads, stream-optimized -> raw (vmkit vs qemu-img; also through streams)',
  async run(ctx) {
    const dir = await mkdtemp(join(tmpdir(), 'vmkit-bench-transfer-'));
    try {
      await using sim = await startSimulator();
      await using session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
      const fileManager = session.serviceContent.fileManager!;
      const remove = async (path: string) => {
        await session.invoke('DeleteDatastoreFile_Task', fileManager, { name: `[LocalDS_0] ${path}` }).catch(() => undefined);
      };

      // ---- 1 GiB up and down: vmkit and curl move the same local file to and from the same simulator.
      const size = GiB;
      const local = join(dir, 'one-gib.bin');
      await pipeline(Readable.from(blocks(size)), createWriteStream(local));
      const up = folderUrl(sim.url, 'bench/up.bin');
      // curl reads the cookie from its stdin (a config file), never from its command line.
      const curlConfig = `header = "Cookie: vmware_soap_session=${session.client.sessionCookie ?? ''}"\n`;
      // Upload: both send the local file, curl from its one buffer, vmkit with uploadDatastoreFile (a
      // ring of reused buffers); writeDatastoreFile with a file read stream is measured beside it as
      // `transfer.upload-stream`.
      ctx.log('transfer: 1 GiB upload, vmkit (from the file and from a stream) and curl');
      const upload = await race(ctx.signal, {
        vmkit: () => uploadDatastoreFile(up, { session }, local),
        stream: () => writeDatastoreFile(up, { session }, createReadStream(local, { highWaterMark: MiB }), size),
        curl: () => run('curl', ['-sSf', '-K', '-', '-H', 'Expect:', '-T', local, '-o', '/dev/null', up.toString()], curlConfig),
      }, flushDirtyPages);
      // Download: both write the file to /dev/null, curl through its one buffer, vmkit with
      // downloadDatastoreFile (a ring of reused buffers). The openDatastoreFile stream, drained into a
      // sink that discards, is measured beside it as `transfer.download-stream`: a Node stream hands out
      // a new buffer per socket read, and that allocation (with the page faults of memory glibc gave
      // back) is most of its cost.
      ctx.log('transfer: 1 GiB download, vmkit (to a file and as a stream) and curl');
      const devNull = await open('/dev/null', 'w');
      let download: Map<string, number>;
      try {
        download = await race(ctx.signal, {
          vmkit: () => downloadDatastoreFile(up, { session }, devNull),
          stream: async () => {
            const { stream } = await openDatastoreFile(up, { session });
            await pipeline(stream, discard());
          },
          curl: () => run('curl', ['-sSf', '-K', '-', '-o', '/dev/null', up.toString()], curlConfig),
        });
      } finally {
        await devNull.close();
      }
      for (const [bench, times] of [['transfer.upload', upload], ['transfer.download', download]] as const) {
        for (const impl of ['vmkit', 'curl'] as const) {
          const t = times.get(impl);
          if (t !== undefined) ctx.emit(figure(bench, impl, 'throughput', size / t / 1e6));
        }
      }
      for (const [bench, times] of [['transfer.upload-stream', upload], ['transfer.download-stream', download]] as const) {
        for (const [impl, key] of [['vmkit', 'stream'], ['curl', 'curl']] as const) {
          const t = times.get(key);
          if (t !== undefined) ctx.emit(figure(bench, impl, 'throughput', size / t / 1e6));
        }
      }
      await remove('bench/up.bin');
      await rm(local, { force: true });
      if (ctx.signal.aborted) return;

      // ---- Peak RSS of an upload, 1 GiB and 4 GiB, each in a process of its own.
      for (const [bench, bytes] of [['transfer.upload-1g', GiB], ['transfer.upload-4g', 4 * GiB]] as const) {
        if (ctx.signal.aborted) return;
        ctx.log(`transfer: peak RSS of a ${bytes / GiB} GiB upload`);
        for (const impl of ['vmkit', 'floor'] as const) {
          const rss = await rssOfUpload(sim, bytes, 'bench/rss.bin', impl === 'floor');
          await remove('bench/rss.bin');
          ctx.emit(figure(bench, impl, 'rss', rss.rssMiB));
          ctx.log(
            rss.reset
              ? `transfer: ${impl}: peak ${rss.rssMiB.toFixed(0)} MiB during the transfer; ${rss.processPeakMiB.toFixed(0)} MiB for the process before it (start, warm-up)`
              : `transfer: ${impl}: the peak RSS could not be reset; ${rss.rssMiB.toFixed(0)} MiB is the whole process's`,
          );
        }
      }
      if (ctx.signal.aborted) return;

      // ---- Stream-optimized -> raw: vmkit (file to file, and through streams) and qemu-img convert, the same VMDK to a raw file.
      if (spawnSync('qemu-img', ['--version']).status !== 0) {
        ctx.log('transfer: qemu-img is not installed (Debian qemu-utils); transfer.convert skipped');
        return;
      }
      // qemu-img leaves zero runs as holes in a raw target; vmkit's createSparseFileWriteStream does too.
      ctx.log('transfer: stream-optimized -> raw, vmkit and qemu-img');
      const raw = join(dir, 'mixed.raw');
      const vmdk = join(dir, 'mixed.vmdk');
      await writeMixedImage(raw, GiB);
      await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, vmdk]);
      await rm(raw, { force: true });
      // Each run writes a new file: the last run's output is removed first, outside the timing, so that
      // no one pays for truncating a 1 GiB file whose pages may still be dirty (measured: up to 0.4 s).
      const fresh = async (path: string): Promise<string> => {
        await rm(path, { force: true });
        return path;
      };
      const convert = await race(ctx.signal, {
        vmkit: async () => runChild<SelfTimed>({ VMKIT_BENCH_CHILD: 'convert', VMKIT_BENCH_VMDK: vmdk, VMKIT_BENCH_RAW: await fresh(join(dir, 'vmkit.raw')) }),
        stream: async () =>
          runChild<SelfTimed>({ VMKIT_BENCH_CHILD: 'convert-stream', VMKIT_BENCH_VMDK: vmdk, VMKIT_BENCH_RAW: await fresh(join(dir, 'stream.raw')) }),
        'qemu-img': async () => {
          const target = await fresh(join(dir, 'qemu.raw'));
          const t0 = performance.now();
          await run('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', vmdk, target]);
          return { seconds: (performance.now() - t0) / 1000 } satisfies SelfTimed;
        },
      }, flushDirtyPages);
      // A conversion counts only if it is right: vmkit's raw file must equal qemu-img's.
      if (!ctx.signal.aborted) {
        await run('cmp', ['-s', join(dir, 'vmkit.raw'), join(dir, 'qemu.raw')]);
        await run('cmp', ['-s', join(dir, 'stream.raw'), join(dir, 'qemu.raw')]);
      }
      for (const impl of ['vmkit', 'qemu-img'] as const) {
        const t = convert.get(impl);
        if (t !== undefined) ctx.emit(figure('transfer.convert', impl, 'throughput', GiB / t / 1e6));
      }
      for (const [impl, key] of [['vmkit', 'stream'], ['qemu-img', 'qemu-img']] as const) {
        const t = convert.get(key);
        if (t !== undefined) ctx.emit(figure('transfer.convert-stream', impl, 'throughput', GiB / t / 1e6));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
