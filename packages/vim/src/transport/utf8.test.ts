import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidUtf8Error, Utf8Pieces } from './utf8.js';

/** What a fatal TextDecoder makes of the pieces: the string, or 'invalid'. */
function reference(pieces: readonly Uint8Array[]): string {
  const d = new TextDecoder('utf-8', { fatal: true });
  try {
    return pieces.map((p) => d.decode(p, { stream: true })).join('') + d.decode();
  } catch {
    return 'invalid';
  }
}

function viaPieces(pieces: readonly Uint8Array[]): string {
  const u = new Utf8Pieces();
  try {
    const out = pieces.map((p) => u.decode(p)).join('');
    u.end();
    return out;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidUtf8Error);
    return 'invalid';
  }
}

/** `bytes` cut at the given points. */
function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of at) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

describe('Utf8Pieces', () => {
  const text = '\ufeff<a>caf\u00e9 \u263a \u{1f600} \u4e2d\u6587</a>';
  const bytes = new Uint8Array(Buffer.from(text, 'utf8'));

  it('gives the text of valid UTF-8 whatever the cuts, a multi-byte character or the byte order mark cut in two', () => {
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        expect(viaPieces(cut(bytes, [i, j]))).toBe(text.slice(1));
      }
    }
  });

  it('refuses invalid bytes and a character cut off at the end, like a fatal TextDecoder', () => {
    expect(viaPieces([Buffer.from([0x3c, 0xff, 0x3e])])).toBe('invalid');
    expect(viaPieces([Buffer.from([0x3c, 0xe2, 0x98])])).toBe('invalid');
    expect(viaPieces([Buffer.from([0xef, 0xbb])])).toBe('invalid');
    expect(viaPieces([Buffer.from([0xed, 0xa0, 0x80])])).toBe('invalid'); // a surrogate
    expect(viaPieces([Buffer.from([0xc0, 0xaf])])).toBe('invalid'); // an overlong form
  });

  it('agrees with a fatal TextDecoder on random bytes cut anywhere', () => {
    const utf8ish = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
      fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => new Uint8Array(Buffer.from(`\ufeff${s}`, 'utf8'))),
    );
    fc.assert(
      fc.property(utf8ish, fc.array(fc.nat(40), { maxLength: 5 }), (b, points) => {
        const pieces = cut(b, points);
        expect(viaPieces(pieces)).toBe(reference(pieces));
      }),
      { numRuns: 2000 },
    );
  });
});
