/**
 * The exit codes of `vmkit`, stable across releases so that scripts can branch on them.
 */
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** An unexpected failure (a bug, or an error without a more specific code). */
  failure: 1,
  /** Bad arguments: an unknown command or option, a missing or malformed value. */
  usage: 2,
  /** The named volume, snapshot, image or object does not exist. */
  notFound: 3,
  /** The request conflicts with the current state (already exists, in use, has snapshots, wrong power state). */
  conflict: 4,
  /** vCenter or ESX refused or failed the operation (a fault other than the above), or could not be reached. */
  backendFault: 5,
  /** A disk or file transfer failed (size or checksum mismatch, lease aborted, stream error). */
  transferFailed: 6,
  /** Interrupted by SIGINT or SIGTERM; what was started was cleaned up. */
  interrupted: 130,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
