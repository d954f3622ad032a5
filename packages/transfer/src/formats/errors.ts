/**
 * The typed errors of the VMDK and OVA format layer.
 *
 * Every class derives from `VimError` of `@vmkit/vim` (so `instanceof VimError` catches them, across two
 * copies of the packages too) and carries a stable, namespaced `code` (branch on it, not on the
 * message), a `name`, and the ES2022 `cause` when another error led to it. A `reason` narrows the code
 * further for callers and tests that care which check failed; `offset` says where in the input.
 */
import { VimError } from '@vmkit/vim';

/** Options accepted by every error constructor of this module. */
export interface FormatErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
  /** Byte position in the input where the problem was found, when it is known. */
  offset?: number;
}

/** Common base of the format errors (not exported from the package): the offset in the input. */
abstract class FormatErrorBase extends VimError {
  /** Byte position in the input where the problem was found, when it is known. */
  readonly offset: number | undefined;

  constructor(message: string, code: string, options?: FormatErrorOptions) {
    super(message, code, options?.cause === undefined ? undefined : { cause: options.cause });
    this.offset = options?.offset;
  }
}

/**
 * Which check of a VMDK file failed. Stable strings: new ones may be added, existing ones keep their
 * meaning.
 */
export type VmdkFormatReason =
  /** The first bytes are neither a known sparse magic nor a text descriptor. */
  | 'bad-magic'
  /** The input ended inside a structure (header, descriptor, marker, grain, table). */
  | 'truncated'
  /** A header field is out of range or inconsistent with another one. */
  | 'bad-header'
  /** The header's newline-detection bytes are wrong: the file went through a text-mode transfer. */
  | 'newline-corruption'
  /** The descriptor text cannot be parsed, or lacks a required entry. */
  | 'bad-descriptor'
  /** The descriptor does not fit where it must (its sectors, or the size limit for descriptor files). */
  | 'descriptor-too-large'
  /** Header and descriptor disagree (capacity, create type). */
  | 'inconsistent'
  /** A stream-optimized marker has an unknown type or an impossible size. */
  | 'bad-marker'
  /** A grain lies at or beyond the disk's capacity, or is not grain-aligned. */
  | 'grain-out-of-range'
  /** A compressed grain does not inflate, or inflates to the wrong length. */
  | 'bad-grain'
  /** A grain directory or grain table entry points outside the file or into its metadata. */
  | 'bad-table'
  /** The footer is missing or does not match the header. */
  | 'bad-footer';

/**
 * A VMDK file or descriptor is malformed: bad magic, truncated header, impossible field, broken marker,
 * grain beyond capacity, a compressed size that lies... Code `VMKIT_TRANSFER_VMDK_FORMAT`.
 */
export class VmdkFormatError extends FormatErrorBase {
  /** Always `VMKIT_TRANSFER_VMDK_FORMAT`. */
  declare readonly code: 'VMKIT_TRANSFER_VMDK_FORMAT';
  /** Which check failed. */
  readonly reason: VmdkFormatReason;

  constructor(reason: VmdkFormatReason, message: string, options?: FormatErrorOptions) {
    super(message, 'VMKIT_TRANSFER_VMDK_FORMAT', options);
    this.reason = reason;
  }
}

/**
 * A well-formed VMDK that this code does not handle: an unknown version or compression algorithm, a
 * sparse extent with a parent, a disk type that the requested conversion cannot read (say, seSparse, or
 * monolithicSparse through the streaming decoder). A caller may fall back to another tool on this code.
 * Code `VMKIT_TRANSFER_VMDK_UNSUPPORTED`.
 */
export class VmdkUnsupportedError extends FormatErrorBase {
  /** Always `VMKIT_TRANSFER_VMDK_UNSUPPORTED`. */
  declare readonly code: 'VMKIT_TRANSFER_VMDK_UNSUPPORTED';
  /** A short stable name of what is unsupported, e.g. `version`, `compression`, `parent`, `disk-type`. */
  readonly feature: string;

  constructor(feature: string, message: string, options?: FormatErrorOptions) {
    super(message, 'VMKIT_TRANSFER_VMDK_UNSUPPORTED', options);
    this.feature = feature;
  }
}

/** Which check of an OVA (tar) or its OVF descriptor failed. */
export type OvaFormatReason =
  /** A tar header's checksum does not match its bytes. */
  | 'tar-checksum'
  /** A tar header field cannot be parsed (size, type, a pax record). */
  | 'tar-header'
  /** The archive ends inside a header or a member. */
  | 'truncated'
  /** The archive holds no `.ovf` descriptor. */
  | 'no-ovf'
  /** The OVF is not well-formed XML, or lacks what an import needs. */
  | 'bad-ovf'
  /** The OVF names a disk that the archive does not contain (or the disk precedes the OVF). */
  | 'disk-missing'
  /** A member's size differs from the size the OVF declares. */
  | 'size-mismatch'
  /** A member's digest differs from the one in the manifest (`.mf`). */
  | 'digest-mismatch';

/** An OVA archive or its OVF descriptor is malformed or incomplete. Code `VMKIT_TRANSFER_OVA_FORMAT`. */
export class OvaFormatError extends FormatErrorBase {
  /** Always `VMKIT_TRANSFER_OVA_FORMAT`. */
  declare readonly code: 'VMKIT_TRANSFER_OVA_FORMAT';
  /** Which check failed. */
  readonly reason: OvaFormatReason;

  constructor(reason: OvaFormatReason, message: string, options?: FormatErrorOptions) {
    super(message, 'VMKIT_TRANSFER_OVA_FORMAT', options);
    this.reason = reason;
  }
}

/**
 * A byte stream was shorter or longer than it had to be: raw input against the capacity given to the
 * stream-optimized encoder. A truncated download shows up here. Code `VMKIT_TRANSFER_SIZE_MISMATCH`.
 */
export class TransferSizeMismatchError extends FormatErrorBase {
  /** Always `VMKIT_TRANSFER_SIZE_MISMATCH`. */
  declare readonly code: 'VMKIT_TRANSFER_SIZE_MISMATCH';
  /** The number of bytes expected. */
  readonly expected: number;
  /** The number of bytes seen (for a longer input: at least this many). */
  readonly actual: number;

  constructor(expected: number, actual: number, message?: string, options?: FormatErrorOptions) {
    super(message ?? `expected ${expected} bytes, got ${actual}`, 'VMKIT_TRANSFER_SIZE_MISMATCH', options);
    this.expected = expected;
    this.actual = actual;
  }
}
