import type { GlobalOptions } from './args.js';
import { renderTable, writeJson, type Io } from './output.js';
import { volumeJson, type SnapshotRecord, type VolumeRecord } from './volumes.js';

/** Prints one volume: a `key value` block for people, the record under `--json`. */
export function printVolume(io: Io, global: GlobalOptions, v: VolumeRecord): void {
  if (global.json) {
    writeJson(io, volumeJson(v));
    return;
  }
  const rows: [string, unknown][] = [
    ['id', v.id],
    ['name', v.name],
    ['size', `${v.sizeGb} GiB`],
    ['type', v.type],
    ['adapter', v.adapter],
    ['datastore', v.datastore],
    ['path', v.path],
    ['linked clone', v.linked ? 'yes' : 'no'],
    ['project', v.project],
    ['snapshots', v.snapshots.map((s) => s.name).join(', ')],
    ['attached here', v.attachedPath],
  ];
  io.stdout.write(renderKeyValues(rows));
}

/** Renders `key value` lines with the keys padded to one width; empty values print as '-'. */
export function renderKeyValues(rows: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  const text = (v: unknown): string => {
    if (v === undefined || v === null || v === '') return '-';
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return JSON.stringify(v);
  };
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${text(v)}`).join('\n') + '\n';
}

/** Prints volumes as a table, or as a JSON array under `--json`. */
export function printVolumes(io: Io, global: GlobalOptions, list: readonly VolumeRecord[]): void {
  if (global.json) {
    writeJson(io, list.map(volumeJson));
    return;
  }
  if (list.length === 0) {
    io.stdout.write('no volumes\n');
    return;
  }
  io.stdout.write(renderTable(list, [
    { header: 'id', get: (v) => v.id },
    { header: 'name', get: (v) => v.name },
    { header: 'size (GiB)', get: (v) => v.sizeGb, right: true },
    { header: 'type', get: (v) => v.type },
    { header: 'adapter', get: (v) => v.adapter },
    { header: 'datastore', get: (v) => v.datastore },
    { header: 'snapshots', get: (v) => v.snapshots.length, right: true },
  ]));
}

/** Prints a volume's snapshots as a table, or as a JSON array under `--json`. */
export function printSnapshots(io: Io, global: GlobalOptions, volume: VolumeRecord): void {
  if (global.json) {
    writeJson(io, volume.snapshots.map((s) => ({ volumeId: volume.id, ...s })));
    return;
  }
  if (volume.snapshots.length === 0) {
    io.stdout.write(`volume ${volume.name} has no snapshots\n`);
    return;
  }
  io.stdout.write(renderTable<SnapshotRecord>(volume.snapshots, [
    { header: 'name', get: (s) => s.name },
    { header: 'created', get: (s) => s.created },
    { header: 'parent', get: (s) => s.parent },
    { header: 'description', get: (s) => s.description },
  ]));
}

/** Prints the outcome of a command that returns no record: a sentence for people, an object under `--json`. */
export function printDone(io: Io, global: GlobalOptions, json: Record<string, unknown>, sentence: string): void {
  if (global.json) writeJson(io, json);
  else io.stdout.write(`${sentence}\n`);
}
