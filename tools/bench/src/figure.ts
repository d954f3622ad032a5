/** Implementations a figure may belong to: vmkit itself or one of the peers it is measured against. */
export const impls = ['vmkit', 'govmomi', 'pyvmomi', 'curl', 'qemu-img', 'cinder', 'floor', 'soap', 'oslo-polling'] as const;
/** One implementation's name. */
export type Impl = (typeof impls)[number];

/** The metrics of DESIGN.md and the unit each is printed in. */
export const metricUnits = {
  throughput: 'MB/s',
  latency: 'ms',
  rss: 'MiB',
  roundtrips: 'count',
  rate: 'ops/s',
} as const;
/** One metric's name. */
export type Metric = keyof typeof metricUnits;

/** One measured figure, printed as one JSON line. */
export interface Figure {
  bench: string;
  impl: Impl;
  metric: Metric;
  value: number;
  unit: (typeof metricUnits)[Metric];
}

/** Metrics where a larger value is better; for the others a smaller one is. */
const higherIsBetter: ReadonlySet<Metric> = new Set(['throughput', 'rate']);

/** Builds a figure with the metric's unit, refusing values that are not finite. */
export function figure(bench: string, impl: Impl, metric: Metric, value: number): Figure {
  if (!Number.isFinite(value)) throw new RangeError(`${bench}/${impl}/${metric}: value ${value} is not finite`);
  if (!/^[a-z0-9-]+\.[a-z0-9_.-]+$/.test(bench)) throw new RangeError(`bench name ${bench} is not "<suite>.<name>"`);
  return { bench, impl, metric, value: Math.round(value * 1000) / 1000, unit: metricUnits[metric] };
}

/** The JSON line of a figure, in the field order DESIGN.md gives. */
export function toJsonLine(f: Figure): string {
  return JSON.stringify({ bench: f.bench, impl: f.impl, metric: f.metric, value: f.value, unit: f.unit });
}

/**
 * A table for people: one row per bench and metric, one column per implementation, and each peer's
 * ratio to vmkit oriented so that a ratio above 1 means vmkit is better.
 */
export function renderTable(figures: readonly Figure[]): string {
  const rows = new Map<string, Figure[]>();
  for (const f of figures) {
    const key = `${f.bench}\u0000${f.metric}`;
    rows.set(key, [...(rows.get(key) ?? []), f]);
  }
  const lines: string[][] = [['bench', 'metric', 'unit', 'vmkit', 'peers (value, vmkit advantage)']];
  for (const group of rows.values()) {
    const first = group[0];
    if (first === undefined) continue;
    const mine = group.find((f) => f.impl === 'vmkit');
    const peers = group
      .filter((f) => f.impl !== 'vmkit')
      .map((f) => {
        if (mine === undefined || f.value === 0 || mine.value === 0) return `${f.impl} ${f.value}`;
        const ratio = higherIsBetter.has(f.metric) ? mine.value / f.value : f.value / mine.value;
        return `${f.impl} ${f.value} (${ratio.toFixed(2)}x)`;
      });
    lines.push([first.bench, first.metric, first.unit, mine === undefined ? '-' : String(mine.value), peers.join(', ')]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  return lines.map((l) => l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** Median of a non-empty list of samples. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('median of no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
