import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { generatorDuplex } from './duplex.js';
import { VmdkFormatError } from './errors.js';

async function* upper(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  for await (const c of source) yield Buffer.from(Buffer.from(c).toString('latin1').toUpperCase(), 'latin1');
}

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

describe('generatorDuplex', () => {
  it('is a byte stream that transforms in order', async () => {
    const d = generatorDuplex(upper, 4096);
    expect(d.readableObjectMode).toBe(false);
    expect(d.writableObjectMode).toBe(false);
    const parts: Buffer[] = [];
    await pipeline(Readable.from(['ab', 'cd', Buffer.from('ef')]), d, async (out: AsyncIterable<Buffer>) => {
      for await (const c of out) parts.push(c);
    });
    expect(Buffer.concat(parts).toString()).toBe('ABCDEF');
  });

  it('fails with the transform error, and runs its finally block', async () => {
    let cleaned = false;
    const d = generatorDuplex(async function* (source) {
      try {
        for await (const c of source) {
          yield Buffer.from(c);
          throw new VmdkFormatError('bad-marker', 'boom');
        }
      } finally {
        cleaned = true;
      }
    });
    await expect(pipeline(Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), d, sink())).rejects.toBeInstanceOf(VmdkFormatError);
    expect(cleaned).toBe(true);
  });

  it('holds writes back while the transform does not read, and never hangs a writer after it stops', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const d = generatorDuplex(async function* (source) {
      await gate;
      for await (const c of source) {
        yield Buffer.from(c.subarray(0, 1));
        return; // stops reading after one chunk
      }
    }, 1024);
    d.resume();
    let accepted = 0;
    const writer = (async () => {
      for (let i = 0; i < 100; i++) {
        if (!d.write(Buffer.alloc(512))) await new Promise((r) => d.once('drain', r));
        accepted++;
      }
      d.end();
    })();
    await new Promise((r) => setTimeout(r, 20));
    expect(accepted).toBeLessThan(10); // backpressure while the transform waits
    release();
    await writer; // the rest is dropped once the transform has finished, so the writer completes
    await new Promise((r) => d.once('close', r));
    expect(accepted).toBe(100);
  });

  it('destroying it early stops the transform', async () => {
    let cleaned = false;
    const d = generatorDuplex(async function* () {
      try {
        for (;;) yield await Promise.resolve(Buffer.alloc(65536));
      } finally {
        cleaned = true;
      }
    });
    let n = 0;
    for await (const c of d as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > 1 << 20) break;
    }
    await new Promise((r) => setImmediate(r));
    expect(cleaned).toBe(true);
  });
});
