import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Io } from './output.js';
import { createProgress, formatBytes, formatEta, renderProgressLine } from './progress.js';

function io(tty: boolean): { io: Io; text: () => string } {
  const err = Object.assign(new PassThrough(), { isTTY: tty });
  let text = '';
  err.on('data', (b: Buffer) => (text += b.toString()));
  return { io: { stdout: new PassThrough(), stderr: err, env: {} }, text: () => text };
}

describe('progress', () => {
  it('formats sizes and times', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 2 ** 30)).toBe('3.0 GiB');
    expect(formatEta(59)).toBe('0:59');
    expect(formatEta(3661)).toBe('1:01:01');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('--:--');
  });

  it('shows the bar, amount, rate and ETA of a transfer', () => {
    const line = renderProgressLine({ label: 'upload', done: 50e6, total: 100e6, unit: 'bytes', elapsedMs: 1000, width: 10 });
    expect(line).toContain('[#####.....]  50%');
    expect(line).toContain('50.0 MB/s');
    expect(line).toContain('ETA 0:01');
  });

  it('shows nothing when stderr is not a terminal, or when disabled', () => {
    for (const [tty, enabled] of [[false, true], [true, false]] as const) {
      const t = io(tty);
      const p = createProgress(t.io, enabled, { label: 'x', total: 10 });
      p.update(5);
      p.end();
      expect(t.text()).toBe('');
    }
  });

  it('redraws in place on a terminal, at most once per interval, and clears the line at the end', () => {
    const t = io(true);
    let clock = 0;
    const p = createProgress(t.io, true, { label: 'x', total: 100, now: () => clock, intervalMs: 100 });
    p.update(1);
    clock = 50;
    p.update(2); // within the interval: not drawn
    clock = 200;
    p.update(3);
    p.end();
    p.end();
    const draws = t.text().split('\r\x1b[2K').filter((s) => s !== '');
    expect(draws).toHaveLength(2);
    expect(t.text().endsWith('\r\x1b[2K')).toBe(true);
  });
});
