/** What a block of a mixed image holds. */
export type BlockKind = 'zero' | 'random' | 'text';

/** Options of {@link makeMixedImage}. */
export interface MixedImageOptions {
  /** Image size in bytes. */
  size: number;
  /** Seed of the content (default 1). */
  seed?: number;
  /** Block size in bytes (default 1 MiB); each block is wholly one kind. */
  block?: number;
  /** Shares of zero / random / compressible-text blocks (default 0.5 / 0.35 / 0.15). */
  mix?: { zero: number; random: number; text: number };
}

/** Fills `buf` with xorshift32 output from `seed`; returns the generator's last state. */
export function fillRandom(buf: Buffer, seed: number): number;
/** The kind of each block of a mixed image: deterministic for the same options. */
export function mixedLayout(options: MixedImageOptions): BlockKind[];
/** Writes a raw image with mixed content to `path` (zero blocks are holes). */
export function makeMixedImage(path: string, options: MixedImageOptions): Promise<void>;
