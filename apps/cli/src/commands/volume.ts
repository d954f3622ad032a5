import { randomUUID } from 'node:crypto';
import { getConnectorProperties, type VmdkConnectionInfo } from '@vmkit/connector';
import { adapterTypes, cloneTypes, diskTypes, VolumeOps, type ConnectorProperties, type Volume } from '@vmkit/vmdk-driver';
import { positiveInt } from '../args.js';
import { withBackend, type Backend } from '../backend.js';
import type { Command, CommandContext } from '../command.js';
import { ConflictError, SnapshotNotFoundError, UsageError, VolumeNotFoundError } from '../errors.js';
import { writeJson } from '../output.js';
import { printDone, printVolume, printVolumes, renderKeyValues } from '../present.js';
import { toDriverVolume, type VolumeRecord } from '../volumes.js';

/** Refuses to change a volume attached to this host: its local file would no longer match it. */
export function requireNotAttached(v: VolumeRecord, what: string): void {
  if (v.attachedPath !== undefined) throw new ConflictError(`volume ${v.name} is attached to this host (${v.attachedPath}); detach it before you ${what} it`, 'VMKIT_CLI_IN_USE');
}

/** Takes exactly `n` positionals, named for the message. */
export function positionals(ctx: CommandContext, names: readonly string[]): string[] {
  if (ctx.positionals.length !== names.length) {
    throw new UsageError(`expected ${names.map((n) => `<${n}>`).join(' ') || 'no arguments'}, got ${ctx.positionals.length} argument(s)`);
  }
  for (const [i, p] of ctx.positionals.entries()) if (p.trim() === '') throw new UsageError(`<${names[i]!}> cannot be empty`);
  return ctx.positionals;
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  }
  return value as T;
}

export const typeOptions = {
  type: { type: 'string' },
  profile: { type: 'string' },
  adapter: { type: 'string' },
} as const;

/** The extra specs that `--type`, `--profile`, `--adapter` and `--clone-type` ask for, over `base`. */
export function extraSpecsFrom(options: CommandContext['options'], base: Readonly<Record<string, string>> = {}): Record<string, string> {
  const specs = { ...base };
  const type = oneOf('type', options.type, diskTypes);
  const adapter = oneOf('adapter', options.adapter, adapterTypes);
  const clone = oneOf('clone-type', options['clone-type'], cloneTypes);
  if (type !== undefined) specs['vmware:vmdk_type'] = type;
  if (adapter !== undefined) specs['vmware:adapter_type'] = adapter;
  if (clone !== undefined) specs['vmware:clone_type'] = clone;
  if (options.profile !== undefined) {
    if (typeof options.profile !== 'string' || options.profile === '') throw new UsageError('--profile needs a storage profile name');
    specs['vmware:storage_profile'] = options.profile;
  }
  return specs;
}

/** Refuses a name that a volume already has (vCenter itself would only refuse it within one folder). */
export async function requireFreeName(b: Backend, name: string): Promise<void> {
  const taken = (await b.list()).find((v) => v.name === name);
  if (taken !== undefined) throw new ConflictError(`a volume named ${JSON.stringify(name)} exists already (${taken.id})`, 'VMKIT_CLI_ALREADY_EXISTS');
}

/**
 * Runs `make` to create the volume `id`, then reads it back from the inventory. If `make` fails or is
 * interrupted, a backing that appeared for `id` anyway is deleted (with calls that are not aborted),
 * so nothing half-made stays behind.
 */
export async function createAndRead(ctx: CommandContext, b: Backend, id: string, make: () => Promise<unknown>): Promise<VolumeRecord> {
  try {
    await make();
    // Interrupted after the work was done: the user asked to stop, so the new volume goes too.
    ctx.signal.throwIfAborted();
  } catch (err) {
    const cleanup = new VolumeOps(b.conn.session, {});
    const left = await cleanup.getBacking(id).catch(() => undefined);
    if (left !== undefined) await cleanup.deleteBacking(left).catch(() => undefined);
    throw err;
  }
  try {
    return await b.find(id);
  } catch (err) {
    if (err instanceof VolumeNotFoundError) throw new ConflictError(`the driver made no backing for volume ${id} (the source has no backing)`, 'VMKIT_CLI_CONFLICT', { cause: err });
    throw err;
  }
}

const create: Command = {
  name: 'volume create',
  summary: 'create a volume (a shadow VM with one disk) of the given size and type',
  usage: 'vmkit volume create <name> --size-gb N [--type thin|thick|eagerZeroedThick] [--profile P] [--adapter A] [--project P] [--json]',
  options: { 'size-gb': { type: 'string' }, project: { type: 'string' }, ...typeOptions },
  async run(ctx) {
    const [name] = positionals(ctx, ['name']);
    const size = positiveInt('size-gb', ctx.options['size-gb'] as string | undefined);
    if (size === undefined) throw new UsageError('--size-gb is required');
    const extraSpecs = extraSpecsFrom(ctx.options);
    const project = ctx.options.project as string | undefined;
    const record = await withBackend(ctx, async (b) => {
      await requireFreeName(b, name!);
      const volume: Volume = { id: randomUUID(), name: name!, size, extraSpecs, ...(project === undefined ? {} : { projectId: project }) };
      return createAndRead(ctx, b, volume.id, () => b.driver.createVolume(volume));
    });
    printVolume(ctx.io, ctx.global, record);
    return 0;
  },
};

const list: Command = {
  name: 'volume list',
  summary: 'list the volumes in the inventory',
  usage: 'vmkit volume list [--json]',
  options: {},
  async run(ctx) {
    positionals(ctx, []);
    const volumes = await withBackend(ctx, (b) => b.list());
    printVolumes(ctx.io, ctx.global, volumes);
    return 0;
  },
};

/** This host's connector properties (os-brick's keys, from `@vmkit/connector`). */
async function localConnector(): Promise<ConnectorProperties> {
  return { ...(await getConnectorProperties()) };
}

/** The connection info with its one secret, the clone ticket, replaced. */
function redact(info: VmdkConnectionInfo): VmdkConnectionInfo {
  if (info.data.config === undefined) return info;
  return { ...info, data: { ...info.data, config: { ...info.data.config, vmware_clone_ticket: '<redacted>' } } };
}

const show: Command = {
  name: 'volume show',
  summary: 'show a volume (by id or name); --connection-info: what the driver hands this host to attach it',
  usage: 'vmkit volume show <id|name> [--connection-info] [--json]',
  options: { 'connection-info': { type: 'boolean', default: false } },
  async run(ctx) {
    const [ref] = positionals(ctx, ['id|name']);
    const wantInfo = ctx.options['connection-info'] === true;
    const result = await withBackend(ctx, async (b) => {
      const v = await b.find(ref!);
      if (!wantInfo) return { v };
      return { v, info: redact(await b.driver.initializeConnection(toDriverVolume(v), await localConnector())) };
    });
    if (result.info === undefined) printVolume(ctx.io, ctx.global, result.v);
    else if (ctx.global.json) writeJson(ctx.io, result.info);
    else {
      const d = result.info.data;
      ctx.io.stdout.write(renderKeyValues([
        ['driver_volume_type', result.info.driver_volume_type],
        ['volume', d.volume],
        ['volume_id', d.volume_id],
        ['name', d.name],
        ['profile_id', d.profile_id],
        ['vmdk_path', d.vmdk_path],
        ['vmdk_size', d.vmdk_size],
        ['datastore', d.datastore],
        ['datacenter', d.datacenter],
        ['vmware_host_ip', d.config?.vmware_host_ip],
        ['vmware_host_username', d.config?.vmware_host_username],
        ['vmware_clone_ticket', d.config === undefined ? undefined : '<redacted: a one-use clone ticket>'],
      ]));
    }
    return 0;
  },
};

const remove: Command = {
  name: 'volume delete',
  summary: 'delete a volume: its backing and its disk',
  usage: 'vmkit volume delete <id|name> [--json]',
  options: {},
  async run(ctx) {
    const [ref] = positionals(ctx, ['id|name']);
    const v = await withBackend(ctx, async (b) => {
      const found = await b.find(ref!);
      requireNotAttached(found, 'delete');
      await b.driver.deleteVolume(toDriverVolume(found));
      return found;
    });
    printDone(ctx.io, ctx.global, { id: v.id, name: v.name, deleted: true }, `deleted volume ${v.name} (${v.id})`);
    return 0;
  },
};

const extend: Command = {
  name: 'volume extend',
  summary: 'grow a volume to a new size (in place, else after moving it to a datastore with room)',
  usage: 'vmkit volume extend <id|name> --size-gb N [--json]',
  options: { 'size-gb': { type: 'string' } },
  async run(ctx) {
    const [ref] = positionals(ctx, ['id|name']);
    const size = positiveInt('size-gb', ctx.options['size-gb'] as string | undefined);
    if (size === undefined) throw new UsageError('--size-gb is required');
    const v = await withBackend(ctx, async (b) => {
      const found = await b.find(ref!);
      requireNotAttached(found, 'extend');
      if (size <= found.sizeGb) throw new UsageError(`--size-gb ${size} does not grow volume ${found.name} (${found.sizeGb} GiB); volumes never shrink`);
      await b.driver.extendVolume(toDriverVolume(found), size);
      return b.find(found.id);
    });
    printVolume(ctx.io, ctx.global, v);
    return 0;
  },
};

function newSize(options: CommandContext['options'], sourceGb: number): number {
  const size = positiveInt('size-gb', options['size-gb'] as string | undefined) ?? sourceGb;
  if (size < sourceGb) throw new UsageError(`--size-gb ${size} is smaller than the source's ${sourceGb} GiB`);
  return size;
}

const clone: Command = {
  name: 'volume clone',
  summary: 'clone a volume into a new one (full, or linked through a temporary snapshot)',
  usage: 'vmkit volume clone <id|name> <new-name> [--clone-type full|linked] [--size-gb N] [--type T] [--profile P] [--adapter A] [--json]',
  options: { 'clone-type': { type: 'string' }, 'size-gb': { type: 'string' }, ...typeOptions },
  async run(ctx) {
    const [ref, name] = positionals(ctx, ['id|name', 'new-name']);
    extraSpecsFrom(ctx.options); // validate before connecting
    const v = await withBackend(ctx, async (b) => {
      const source = await b.find(ref!);
      await requireFreeName(b, name!);
      const src = toDriverVolume(source);
      const volume: Volume = { ...src, id: randomUUID(), name: name!, size: newSize(ctx.options, source.sizeGb), extraSpecs: extraSpecsFrom(ctx.options, src.extraSpecs) };
      return createAndRead(ctx, b, volume.id, () => b.driver.createClonedVolume(volume, src));
    });
    printVolume(ctx.io, ctx.global, v);
    return 0;
  },
};

const fromSnapshot: Command = {
  name: 'volume from-snapshot',
  summary: "create a volume from a volume's snapshot (full, or linked to the snapshot)",
  usage: 'vmkit volume from-snapshot <id|name> <snapshot> <new-name> [--clone-type full|linked] [--size-gb N] [--type T] [--profile P] [--adapter A] [--json]',
  options: { 'clone-type': { type: 'string' }, 'size-gb': { type: 'string' }, ...typeOptions },
  async run(ctx) {
    const [ref, snapshot, name] = positionals(ctx, ['id|name', 'snapshot', 'new-name']);
    extraSpecsFrom(ctx.options);
    const v = await withBackend(ctx, async (b) => {
      const source = await b.find(ref!);
      if (!source.snapshots.some((s) => s.name === snapshot)) throw new SnapshotNotFoundError(source.name, snapshot!);
      await requireFreeName(b, name!);
      const src = toDriverVolume(source);
      const volume: Volume = { ...src, id: randomUUID(), name: name!, size: newSize(ctx.options, source.sizeGb), extraSpecs: extraSpecsFrom(ctx.options, src.extraSpecs) };
      return createAndRead(ctx, b, volume.id, () => b.driver.createVolumeFromSnapshot(volume, { id: snapshot!, name: snapshot!, volume: src, volumeSize: source.sizeGb }));
    });
    printVolume(ctx.io, ctx.global, v);
    return 0;
  },
};

const retype: Command = {
  name: 'volume retype',
  summary: "change a volume's disk type, storage profile or adapter type",
  usage: 'vmkit volume retype <id|name> [--type T] [--profile P] [--adapter A] [--json]',
  options: { ...typeOptions },
  async run(ctx) {
    const [ref] = positionals(ctx, ['id|name']);
    if (ctx.options.type === undefined && ctx.options.profile === undefined && ctx.options.adapter === undefined) {
      throw new UsageError('give at least one of --type, --profile, --adapter');
    }
    extraSpecsFrom(ctx.options);
    const v = await withBackend(ctx, async (b) => {
      const found = await b.find(ref!);
      const volume = toDriverVolume(found);
      const done = await b.driver.retype(volume, extraSpecsFrom(ctx.options, volume.extraSpecs));
      if (!done) throw new ConflictError(`volume ${found.name} cannot be retyped now: it is in use, or no datastore fits the new type`);
      return b.find(found.id);
    });
    printVolume(ctx.io, ctx.global, v);
    return 0;
  },
};

/** The `volume ...` commands. */
export const volumeCommands: readonly Command[] = [create, list, show, remove, extend, clone, fromSnapshot, retype];
