import type { Io } from './output.js';

/** A progress display for one transfer or long task. */
export interface Progress {
  /** Reports `done` units (bytes, or percent for tasks) out of the total given at creation. */
  update(done: number): void;
  /** Ends the display (clears the line on a terminal). Idempotent. */
  end(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** What is in progress, shown before the bar. */
  label: string;
  /** The total in units; 0 or undefined when unknown (then no ETA and no bar, only the amount and rate). */
  total?: number;
  /** `bytes` shows sizes and MB/s; `percent` shows a task's percentage. Default `bytes`. */
  unit?: 'bytes' | 'percent';
  /** The clock, in milliseconds (tests). Default `Date.now`. */
  now?: () => number;
  /** Least milliseconds between two redraws. Default 100. */
  intervalMs?: number;
}

const NONE: Progress = { update: () => undefined, end: () => undefined };

/** Formats a byte count with a binary unit (`1.5 GiB`). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]!}`;
}

/** Formats seconds as `m:ss` or `h:mm:ss`. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * One line of progress for people: label, bar, amount, rate and ETA, redrawn in place on stderr.
 * Off when stderr is not a terminal or under `--json` (the caller passes `enabled: false`): machines
 * get the final result only.
 */
export function renderProgressLine(o: { label: string; done: number; total?: number; unit: 'bytes' | 'percent'; elapsedMs: number; width?: number }): string {
  const { label, done, unit, elapsedMs } = o;
  const total = o.total !== undefined && o.total > 0 ? o.total : undefined;
  const fraction = total === undefined ? undefined : Math.min(1, done / total);
  const width = o.width ?? 24;
  const parts = [label];
  if (fraction !== undefined) {
    const full = Math.round(fraction * width);
    parts.push(`[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
  }
  if (unit === 'bytes') {
    parts.push(total === undefined ? formatBytes(done) : `${formatBytes(done)}/${formatBytes(total)}`);
    const rate = elapsedMs > 0 ? (done / (elapsedMs / 1000)) : 0;
    parts.push(`${(rate / 1e6).toFixed(1)} MB/s`);
    if (total !== undefined && rate > 0) parts.push(`ETA ${formatEta((total - done) / rate)}`);
  } else if (fraction !== undefined && fraction > 0) {
    parts.push(`ETA ${formatEta(((elapsedMs / fraction) - elapsedMs) / 1000)}`);
  }
  return parts.join('  ');
}

/**
 * A progress display on `io.stderr` when it is a terminal and `enabled` holds; otherwise one that shows
 * nothing, so piped and `--json` output stay clean.
 */
export function createProgress(io: Io, enabled: boolean, options: ProgressOptions): Progress {
  if (!enabled || io.stderr.isTTY !== true) return NONE;
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 100;
  const start = now();
  let last = -Infinity;
  let ended = false;
  let shown = false;
  const draw = (done: number) => {
    const line = renderProgressLine({ label: options.label, done, total: options.total, unit: options.unit ?? 'bytes', elapsedMs: now() - start });
    io.stderr.write(`\r\x1b[2K${line}`);
    shown = true;
  };
  return {
    update(done) {
      if (ended) return;
      const t = now();
      if (t - last < interval && done !== options.total) return;
      last = t;
      draw(done);
    },
    end() {
      if (ended) return;
      ended = true;
      if (shown) io.stderr.write('\r\x1b[2K');
    },
  };
}
