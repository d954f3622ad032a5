import { VimError, type VimErrorOptions } from '@vmkit/vim';

/** A datastore path or URL that cannot be parsed or built. */
export class InvalidDatastorePathError extends VimError {
  constructor(message: string, options?: VimErrorOptions) {
    super(message, 'VMKIT_SESSION_INVALID_DATASTORE_PATH', options);
  }
}

/** The session was closed (or is closing); no further call is made. */
export class SessionClosedError extends VimError {
  constructor(message = 'the session is closed', options?: VimErrorOptions) {
    super(message, 'VMKIT_SESSION_CLOSED', options);
  }
}

/**
 * A call that changes state failed in a way that leaves its outcome unknown: the request may have
 * reached the server (the connection broke after sending, the answer was cut short, a proxy answered
 * 502/503/504 after forwarding). It was not sent again; look at the inventory (or the task list)
 * before deciding what to do. The transport error is the `cause`.
 */
export class OutcomeUnknownError extends VimError {
  /** The method whose outcome is unknown. */
  readonly method: string;
  constructor(method: string, options: VimErrorOptions) {
    super(`${method} may or may not have been carried out (the request may have reached the server); it was not sent again`, 'VMKIT_SESSION_OUTCOME_UNKNOWN', options);
    this.method = method;
  }
}

/** A property collector result named a property it could not return (`missingSet`), e.g. for lack of a privilege. */
export class MissingPropertyError extends VimError {
  readonly object: { type: string; value: string };
  readonly path: string;
  constructor(object: { type: string; value: string }, path: string, options: VimErrorOptions) {
    super(`property ${path} of ${object.type}:${object.value} could not be read`, 'VMKIT_SESSION_MISSING_PROPERTY', options);
    this.object = object;
    this.path = path;
  }
}
