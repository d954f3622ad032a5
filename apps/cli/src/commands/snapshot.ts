import type { Snapshot } from '@vmkit/vmdk-driver';
import { withBackend, type Backend } from '../backend.js';
import type { Command, CommandContext } from '../command.js';
import { ConflictError, SnapshotNotFoundError } from '../errors.js';
import { printDone, printSnapshots } from '../present.js';
import { toDriverVolume, type VolumeRecord } from '../volumes.js';
import { positionals } from './volume.js';

/** The driver's snapshot object for the snapshot `name` of `v` (snapshots are VM snapshots, named by the user). */
function snapshotOf(v: VolumeRecord, name: string, description?: string): Snapshot {
  return { id: name, name, volume: toDriverVolume(v), volumeSize: v.sizeGb, ...(description === undefined ? {} : { description }) };
}

/**
 * Finds the volume `ref` and its snapshot `name` (a SnapshotNotFoundError when it has none), runs `act` on
 * them, and returns the volume as found.
 */
function onSnapshot(ctx: CommandContext, ref: string, name: string, act: (b: Backend, found: VolumeRecord, snapshot: Snapshot) => Promise<unknown>): Promise<VolumeRecord> {
  return withBackend(ctx, async (b) => {
    const found = await b.find(ref);
    if (!found.snapshots.some((s) => s.name === name)) throw new SnapshotNotFoundError(found.name, name);
    await act(b, found, snapshotOf(found, name));
    return found;
  });
}

const create: Command = {
  name: 'snapshot create',
  summary: 'snapshot a volume',
  usage: 'vmkit snapshot create <volume> <name> [--description TEXT] [--json]',
  options: { description: { type: 'string' } },
  async run(ctx) {
    const [ref, name] = positionals(ctx, ['volume', 'name']);
    const v = await withBackend(ctx, async (b) => {
      const found = await b.find(ref!);
      if (found.snapshots.some((s) => s.name === name)) throw new ConflictError(`volume ${found.name} has a snapshot named ${JSON.stringify(name)} already`, 'VMKIT_CLI_ALREADY_EXISTS');
      await b.driver.createSnapshot(snapshotOf(found, name!, ctx.options.description as string | undefined));
      return b.find(found.id);
    });
    const s = v.snapshots.find((x) => x.name === name);
    printDone(ctx.io, ctx.global, { volumeId: v.id, ...s }, `created snapshot ${name!} of volume ${v.name}`);
    return 0;
  },
};

const list: Command = {
  name: 'snapshot list',
  summary: "list a volume's snapshots",
  usage: 'vmkit snapshot list <volume> [--json]',
  options: {},
  async run(ctx) {
    const [ref] = positionals(ctx, ['volume']);
    const v = await withBackend(ctx, (b) => b.find(ref!));
    printSnapshots(ctx.io, ctx.global, v);
    return 0;
  },
};

const remove: Command = {
  name: 'snapshot delete',
  summary: "delete a volume's snapshot",
  usage: 'vmkit snapshot delete <volume> <name> [--json]',
  options: {},
  async run(ctx) {
    const [ref, name] = positionals(ctx, ['volume', 'name']);
    const v = await onSnapshot(ctx, ref!, name!, (b, _found, snapshot) => b.driver.deleteSnapshot(snapshot));
    printDone(ctx.io, ctx.global, { volumeId: v.id, name, deleted: true }, `deleted snapshot ${name!} of volume ${v.name}`);
    return 0;
  },
};

const revert: Command = {
  name: 'snapshot revert',
  summary: 'revert a volume to one of its snapshots',
  usage: 'vmkit snapshot revert <volume> <name> [--json]',
  options: {},
  async run(ctx) {
    const [ref, name] = positionals(ctx, ['volume', 'name']);
    const v = await onSnapshot(ctx, ref!, name!, (b, found, snapshot) => b.driver.revertToSnapshot(toDriverVolume(found), snapshot));
    printDone(ctx.io, ctx.global, { volumeId: v.id, name, reverted: true }, `reverted volume ${v.name} to snapshot ${name!}`);
    return 0;
  },
};

/** The `snapshot ...` commands. */
export const snapshotCommands: readonly Command[] = [create, list, remove, revert];
