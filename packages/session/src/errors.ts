/** A datastore path or URL that cannot be parsed or built. */
export class InvalidDatastorePathError extends Error {
  readonly code = 'VMKIT_SESSION_INVALID_DATASTORE_PATH';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidDatastorePathError';
  }
}
