import { describe, expect, it } from 'vitest';
import { figure, median, renderTable, toJsonLine } from './figure.js';

describe('figures', () => {
  it('prints the JSON line of DESIGN.md with the metric unit', () => {
    expect(toJsonLine(figure('vim.decode', 'vmkit', 'throughput', 71.23456))).toBe(
      '{"bench":"vim.decode","impl":"vmkit","metric":"throughput","value":71.235,"unit":"MB/s"}',
    );
    expect(figure('session.calls-8', 'vmkit', 'rate', 10).unit).toBe('ops/s');
  });

  it('refuses non-finite values and malformed bench names', () => {
    expect(() => figure('vim.decode', 'vmkit', 'latency', Number.NaN)).toThrow(RangeError);
    expect(() => figure('decode', 'vmkit', 'latency', 1)).toThrow(/suite/);
  });

  it('orients ratios so that above 1 means vmkit is better', () => {
    const table = renderTable([
      figure('vim.decode', 'vmkit', 'throughput', 100),
      figure('vim.decode', 'govmomi', 'throughput', 25),
      figure('vim.retrieve', 'vmkit', 'latency', 10),
      figure('vim.retrieve', 'govmomi', 'latency', 30),
    ]);
    expect(table).toContain('govmomi 25 (4.00x)');
    expect(table).toContain('govmomi 30 (3.00x)');
  });

  it('takes the median of odd and even sample counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});
