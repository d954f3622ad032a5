import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { HashingStream, TransferSizeMismatchError, type Checksum } from '@vmkit/transfer';
import { adapterTypes, type Volume } from '@vmkit/vmdk-driver';
import { positiveInt } from '../args.js';
import { withBackend, type Backend } from '../backend.js';
import type { Command, CommandContext } from '../command.js';
import { ConflictError, UsageError } from '../errors.js';
import { describeLocalImage, fileImageSink, fileImageSource, type LocalImage } from '../images.js';
import { writeJson } from '../output.js';
import { printVolume, renderKeyValues } from '../present.js';
import { createProgress, type Progress } from '../progress.js';
import { toDriverVolume, volumeJson, type VolumeRecord } from '../volumes.js';
import { createAndRead, extraSpecsFrom, positionals, requireFreeName, requireNotAttached, typeOptions } from './volume.js';

const GiB = 1024 ** 3;

/** The driver stages images in the system's temporary directory (`TMPDIR`), and removes what it staged. */
const imageConfig = () => ({ vmware_tmp_dir: tmpdir() });

/** Refuses to write over an existing file. */
async function requireNoFile(file: string): Promise<void> {
  const exists = await access(file).then(() => true, () => false);
  if (exists) throw new ConflictError(`${file} exists already; vmkit does not overwrite files`, 'VMKIT_CLI_ALREADY_EXISTS');
}

/**
 * Imports `image` into a new volume (the driver's `copyImageToVolume`): the backing is made by the
 * import itself; on failure or Ctrl-C nothing stays behind (no backing, no staging file).
 */
async function importInto(ctx: CommandContext, b: Backend, image: LocalImage, volume: Volume, checksum?: Checksum): Promise<VolumeRecord> {
  const progress = createProgress(ctx.io, !ctx.global.json, { label: `reading ${basename(image.path)}`, total: image.size });
  try {
    return await createAndRead(ctx, b, volume.id, () => b.driver.copyImageToVolume(volume, basename(image.path), fileImageSource(image, progress, checksum)));
  } finally {
    progress.end();
  }
}

/** The size of the new volume: `--size-gb`, or the disk's capacity rounded up to whole GiB. */
function sizeFor(ctx: CommandContext, capacity: number): number {
  const least = Math.max(1, Math.ceil(capacity / GiB));
  const size = positiveInt('size-gb', ctx.options['size-gb'] as string | undefined) ?? least;
  if (size < least) throw new UsageError(`--size-gb ${size} is smaller than the image's disk (${capacity} bytes, ${least} GiB)`);
  return size;
}

const importImage: Command = {
  name: 'image import',
  summary: 'import a VMDK (streamOptimized, monolithicSparse, raw flat) or an OVA into a new volume',
  usage: 'vmkit image import <file> [--name N] [--size-gb N] [--disk-type preallocated] [--type T] [--adapter A] [--profile P] [--project P] [--json]',
  options: { name: { type: 'string' }, 'size-gb': { type: 'string' }, 'disk-type': { type: 'string' }, project: { type: 'string' }, ...typeOptions },
  async run(ctx) {
    const [file] = positionals(ctx, ['file']);
    const diskType = ctx.options['disk-type'] as string | undefined;
    if (diskType !== undefined && diskType !== 'preallocated') throw new UsageError(`--disk-type takes only preallocated (a raw flat disk); other types are read from the file`);
    const adapter = ctx.options.adapter as string | undefined;
    if (adapter !== undefined && !(adapterTypes as readonly string[]).includes(adapter)) throw new UsageError(`--adapter must be one of ${adapterTypes.join(', ')}, not ${JSON.stringify(adapter)}`);
    const extraSpecs = extraSpecsFrom(ctx.options);
    const image = await describeLocalImage(file!, { ...(diskType === undefined ? {} : { diskType }), ...(adapter === undefined ? {} : { adapter }), signal: ctx.signal });
    const size = sizeFor(ctx, image.capacity);
    const name = (ctx.options.name as string | undefined) ?? basename(file!, extname(file!));
    const project = ctx.options.project as string | undefined;
    const v = await withBackend(ctx, async (b) => {
      await requireFreeName(b, name);
      const volume: Volume = { id: randomUUID(), name, size, extraSpecs, ...(project === undefined ? {} : { projectId: project }) };
      return importInto(ctx, b, image, volume);
    }, imageConfig());
    printVolume(ctx.io, ctx.global, v);
    return 0;
  },
};

/** Exports a volume to a local stream-optimized VMDK; resolves to its size and sha256. */
async function exportTo(ctx: CommandContext, b: Backend, v: VolumeRecord, file: string): Promise<{ size: number; sha256: string }> {
  const progress = createProgress(ctx.io, !ctx.global.json, { label: `writing ${basename(file)}` });
  try {
    const info = await b.driver.copyVolumeToImage(toDriverVolume(v), fileImageSink(file, progress));
    return { size: info.size, sha256: info.checksum?.value ?? '' };
  } finally {
    progress.end();
  }
}

const exportImage: Command = {
  name: 'image export',
  summary: 'export a volume to a local stream-optimized VMDK file',
  usage: 'vmkit image export <volume> <file> [--json]',
  options: {},
  async run(ctx) {
    const [ref, file] = positionals(ctx, ['volume', 'file']);
    await requireNoFile(file!);
    const r = await withBackend(ctx, async (b) => {
      const v = await b.find(ref!);
      return { v, ...(await exportTo(ctx, b, v, file!)) };
    }, imageConfig());
    const out = { volumeId: r.v.id, name: r.v.name, file: file!, format: 'vmdk/streamOptimized', size: r.size, sha256: r.sha256 };
    if (ctx.global.json) writeJson(ctx.io, out);
    else ctx.io.stdout.write(renderKeyValues(Object.entries(out)));
    return 0;
  },
};

/** What `backup` writes beside the disk, as `<file>.json`, and `restore` reads back. */
interface BackupManifest {
  format: 'vmkit-backup/1';
  volume: Record<string, unknown> & { id: string; name: string; sizeGb: number; type?: string; adapter?: string; project?: string };
  /** The disk file's size in bytes and sha256. */
  size: number;
  sha256: string;
  created: string;
}

const backup: Command = {
  name: 'backup',
  summary: "back up a volume to a local file through the driver and the VMDK connector (a stream-optimized VMDK plus <file>.json)",
  usage: 'vmkit backup <volume> <file> [--json]',
  options: {},
  async run(ctx) {
    const [ref, file] = positionals(ctx, ['volume', 'file']);
    const manifestFile = `${file!}.json`;
    await requireNoFile(file!);
    await requireNoFile(manifestFile);
    const part = `${file!}.part`;
    const manifest = await withBackend(ctx, async (b) => {
      const v = await b.find(ref!);
      const progress = createProgress(ctx.io, !ctx.global.json, { label: `backing up ${v.name}` });
      try {
        const out = createWriteStream(part, { flags: 'wx', mode: 0o600 });
        const { size, sha256 } = await b.driver.backupVolume(toDriverVolume(v), meter(out, progress));
        await finished(out);
        const m: BackupManifest = { format: 'vmkit-backup/1', volume: volumeJson(v) as BackupManifest['volume'], size, sha256, created: new Date().toISOString() };
        await writeFile(manifestFile, JSON.stringify(m, null, 2) + '\n', { flag: 'wx' });
        await rename(part, file!);
        return m;
      } catch (err) {
        await rm(part, { force: true });
        await rm(manifestFile, { force: true });
        throw err;
      } finally {
        progress.end();
      }
    }, imageConfig());
    const out = { volumeId: manifest.volume.id, name: manifest.volume.name, file: file!, manifest: manifestFile, size: manifest.size, sha256: manifest.sha256 };
    if (ctx.global.json) writeJson(ctx.io, out);
    else ctx.io.stdout.write(renderKeyValues(Object.entries(out)));
    return 0;
  },
};

/** A writable that reports the bytes written through it to `progress`. */
function meter(target: NodeJS.WritableStream, progress: Progress): NodeJS.WritableStream {
  let bytes = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      progress.update(bytes);
      done(null, chunk);
    },
  });
  t.pipe(target as Writable);
  (target as Writable).on('error', (e) => t.destroy(e));
  return t;
}

async function readManifest(file: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(`${file}.json`, 'utf8');
  } catch (cause) {
    throw new UsageError(`${file}.json, the backup's manifest, cannot be read: ${(cause as Error).message}`, { cause });
  }
  let m: Partial<BackupManifest>;
  try {
    m = JSON.parse(text) as Partial<BackupManifest>;
  } catch (cause) {
    throw new UsageError(`${file}.json is not JSON`, { cause });
  }
  if (m.format !== 'vmkit-backup/1' || typeof m.sha256 !== 'string' || typeof m.size !== 'number' || typeof m.volume?.id !== 'string' || typeof m.volume.sizeGb !== 'number') {
    throw new UsageError(`${file}.json is not a vmkit backup manifest`);
  }
  return m as BackupManifest;
}

/** Checks the backup file against its manifest (size and sha256) before anything is changed. */
async function verifyBackup(file: string, manifest: BackupManifest, signal: AbortSignal): Promise<void> {
  const size = (await stat(file)).size;
  if (size !== manifest.size) throw new TransferSizeMismatchError(manifest.size, size, `${file} has ${size} bytes, not the ${manifest.size} its manifest says`);
  const hashing = new HashingStream('sha256');
  await pipeline(createReadStream(file), hashing, new Writable({ write: (_c, _e, done) => done() }), { signal });
  await hashing.verify({ algorithm: 'sha256', value: manifest.sha256 });
}

const restore: Command = {
  name: 'restore',
  summary: "restore a backup through the driver and the VMDK connector: into --volume (its disk replaced), else into a new volume",
  usage: 'vmkit restore <file> [--volume <id|name>] [--name N] [--json]',
  options: { volume: { type: 'string' }, name: { type: 'string' } },
  async run(ctx) {
    const [file] = positionals(ctx, ['file']);
    const manifest = await readManifest(file!);
    await verifyBackup(file!, manifest, ctx.signal);
    const v = await withBackend(ctx, async (b) => {
      const target = ctx.options.volume as string | undefined;
      const progress = createProgress(ctx.io, !ctx.global.json, { label: `restoring ${basename(file!)}`, total: manifest.size });
      const source = () => fileImageSource({ path: file!, size: manifest.size, properties: {}, capacity: 0 }, progress).open(ctx.signal);
      try {
        if (target !== undefined) {
          const into = await b.find(target);
          requireNotAttached(into, 'restore into');
          if (into.sizeGb < manifest.volume.sizeGb) throw new ConflictError(`volume ${into.name} (${into.sizeGb} GiB) is smaller than the backed-up volume (${manifest.volume.sizeGb} GiB)`);
          await b.driver.restoreBackup(toDriverVolume(into), await source());
          return b.find(into.id);
        }
        // Cinder's restore to a new volume: create the volume, then restore into it; a failure deletes it.
        const name = (ctx.options.name as string | undefined) ?? manifest.volume.name;
        await requireFreeName(b, name);
        const specs: Record<string, string> = {};
        if (manifest.volume.type !== undefined) specs['vmware:vmdk_type'] = manifest.volume.type;
        if (manifest.volume.adapter !== undefined) specs['vmware:adapter_type'] = manifest.volume.adapter;
        const volume: Volume = {
          id: randomUUID(),
          name,
          size: manifest.volume.sizeGb,
          extraSpecs: specs,
          ...(manifest.volume.project === undefined ? {} : { projectId: manifest.volume.project }),
        };
        return await createAndRead(ctx, b, volume.id, async () => {
          await b.driver.createVolume(volume);
          await b.driver.restoreBackup(volume, await source());
        });
      } finally {
        progress.end();
      }
    });
    printVolume(ctx.io, ctx.global, v);
    return 0;
  },
};

/** `image import|export`, `backup` and `restore`. */
export const imageCommands: readonly Command[] = [importImage, exportImage, backup, restore];
