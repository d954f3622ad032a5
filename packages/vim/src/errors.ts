/**
 * The error hierarchy of vmkit. Every error any vmkit package throws is a {@link VimError}: catch that
 * one class to catch them all, and branch on `code`, which is stable across releases.
 */

const brand = Symbol.for('vmkit.error');
const classBrand = Symbol.for('vmkit.error.class');

/** A class's identity for instanceof: its own brand when it set one, else its name. */
function brandName(cls: unknown): string {
  return Object.hasOwn(cls as object, classBrand)
    ? ((cls as { [classBrand]: string })[classBrand])
    : (cls as { name: string }).name;
}

/** Options every vmkit error takes. */
export interface VimErrorOptions {
  cause?: unknown;
}

/**
 * The root of vmkit's errors. `instanceof` works across two copies of the package (two installed
 * versions, or a bundled and an installed one): it checks a `Symbol.for` brand and the class name
 * chain rather than object identity.
 */
export class VimError extends Error {
  /** Stable, namespaced error code, e.g. `VMKIT_VIM_FAULT`. Branch on this, not on the message. */
  readonly code: string;
  declare readonly [brand]: readonly string[];

  constructor(message: string, code = 'VMKIT_ERROR', options?: VimErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    // The names of every class from this one up to VimError: what instanceof compares across copies.
    const names: string[] = [];
    for (let p: unknown = new.target; typeof p === 'function' && p !== Error; p = Object.getPrototypeOf(p)) {
      names.push(brandName(p));
    }
    Object.defineProperty(this, brand, { value: names, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const names = (value as { [brand]?: unknown })[brand];
    if (!Array.isArray(names)) return false;
    const mine = brandName(this);
    return names.includes(mine);
  }
}
Object.defineProperty(VimError, classBrand, { value: 'VimError' });

/** Transport-level failures: the request could not be completed. */
export class VimConnectionError extends VimError {
  /**
   * False when the request provably never reached the server (connection refused, DNS failure, TLS
   * handshake failure before any byte was sent): such a call is always safe to repeat.
   */
  readonly mayHaveReachedServer: boolean;
  constructor(message: string, options: VimErrorOptions & { mayHaveReachedServer: boolean; code?: string }) {
    super(message, options.code ?? 'VMKIT_VIM_CONNECTION', options);
    this.mayHaveReachedServer = options.mayHaveReachedServer;
  }
}

/** The server answered with an HTTP status that is neither 200 nor a SOAP fault (e.g. 503). */
export class VimHttpError extends VimError {
  readonly status: number;
  constructor(message: string, status: number, options?: VimErrorOptions) {
    super(message, 'VMKIT_VIM_HTTP_STATUS', options);
    this.status = status;
  }
}

/** A call or wait took longer than its timeout. */
export class VimTimeoutError extends VimError {
  constructor(message: string, options?: VimErrorOptions) {
    super(message, 'VMKIT_VIM_TIMEOUT', options);
  }
}

/** A call or wait was aborted through its AbortSignal. */
export class VimAbortError extends VimError {
  constructor(message: string, options?: VimErrorOptions) {
    super(message, 'VMKIT_VIM_ABORTED', options);
  }
}

/** Where in a response a decoding error happened. */
export interface XmlPosition {
  /** Character offset from the start of the body. */
  offset: number;
  line: number;
  column: number;
}

/** A response that is not well-formed XML, breaks the schema, or exceeds a limit. */
export class VimResponseError extends VimError {
  /** Where it happened, when known. */
  readonly position: XmlPosition | undefined;
  constructor(message: string, options?: VimErrorOptions & { position?: XmlPosition; code?: string }) {
    const at = options?.position === undefined ? '' : ` (line ${options.position.line}, column ${options.position.column})`;
    super(message + at, options?.code ?? 'VMKIT_VIM_MALFORMED_RESPONSE', options);
    this.position = options?.position;
  }
}

/** A value that does not fit the schema, found before anything is sent. */
export class VimEncodeError extends VimError {
  /** The path of the offending value, e.g. `spec.deviceChange[0].device.backing`. */
  readonly path: string;
  constructor(message: string, path: string, options?: VimErrorOptions) {
    super(`${path}: ${message}`, 'VMKIT_VIM_INVALID_REQUEST', options);
    this.path = path;
  }
}

/** A fault object as decoded: its wire type and members. */
export interface FaultObject {
  _type: string;
  [member: string]: unknown;
}

/**
 * A SOAP fault from vCenter, ESX or PBM. `faultName` is the fault's wire type (e.g. `FileNotFound`),
 * `fault` the decoded fault object with its members, `message` the server's faultstring.
 */
export class VimFaultError extends VimError {
  /** The `code` of errors of this class; each subclass sets its own. */
  static readonly faultCode: string = 'VMKIT_VIM_FAULT';
  /** The fault's wire type name, e.g. `InvalidLogin`. */
  readonly faultName: string;
  /** The decoded fault object (`_type` and members). */
  readonly fault: FaultObject;
  /** The server's message (faultstring). */
  readonly serverMessage: string;
  /** The names of the fault's type and its ancestors, most derived first (e.g. FileNotFound, FileFault, VimFault, MethodFault). */
  readonly faultChain: readonly string[];
  constructor(serverMessage: string, fault: FaultObject, faultChain: readonly string[], options?: VimErrorOptions) {
    super(`${fault._type}: ${serverMessage}`, new.target.faultCode, options);
    this.faultName = fault._type;
    this.fault = fault;
    this.serverMessage = serverMessage;
    this.faultChain = faultChain;
  }
}

type FaultClass = new (serverMessage: string, fault: FaultObject, chain: readonly string[], options?: VimErrorOptions) => VimFaultError;

/* The faults callers branch on, after oslo.vmware's exception map, plus login and argument faults. */

/** vCenter: the object already exists. */
export class AlreadyExistsError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_ALREADY_EXISTS';
}

/** A datastore file operation failed (base of the file faults). */
export class FileFaultError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_FILE';
}

/** The file cannot be deleted. */
export class CannotDeleteFileError extends FileFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_CANNOT_DELETE_FILE';
}

/** The file already exists. */
export class FileAlreadyExistsError extends FileFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_FILE_ALREADY_EXISTS';
}

/** The file is locked (in use by a running VM or another host). */
export class FileLockedError extends FileFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_FILE_LOCKED';
}

/** The file does not exist. */
export class FileNotFoundError extends FileFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_FILE_NOT_FOUND';
}

/** The name is already used in that folder. */
export class DuplicateNameError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_DUPLICATE_NAME';
}

/** The VM's power state does not allow the operation. */
export class InvalidPowerStateError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_INVALID_POWER_STATE';
}

/** A property path or property is invalid. */
export class InvalidPropertyError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_INVALID_PROPERTY';
}

/** The managed object no longer exists. */
export class ManagedObjectNotFoundError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_MANAGED_OBJECT_NOT_FOUND';
}

/** Not enough space on the datastore. */
export class NoDiskSpaceError extends FileFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_NO_DISK_SPACE';
}

/** The session's user lacks a privilege. */
export class NoPermissionError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_NO_PERMISSION';
}

/** The session is not (or no longer) authenticated. */
export class NotAuthenticatedError extends NoPermissionError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_NOT_AUTHENTICATED';
}

/** Another task is running on the object. */
export class TaskInProgressError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_TASK_IN_PROGRESS';
}

/** VMware Tools are not running in the guest. */
export class ToolsUnavailableError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_TOOLS_UNAVAILABLE';
}

/** Wrong user name or password. */
export class InvalidLoginError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_INVALID_LOGIN';
}

/** An argument is invalid. */
export class InvalidArgumentError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_INVALID_ARGUMENT';
}

/** A security fault (PBM answers an unauthenticated session with one). */
export class SecurityFaultError extends VimFaultError {
  static override readonly faultCode: string = 'VMKIT_VIM_FAULT_SECURITY';
}

/** The fault classes by the wire name they stand for. */
export const faultClasses: ReadonlyMap<string, FaultClass> = new Map<string, FaultClass>([
  ['AlreadyExists', AlreadyExistsError],
  ['FileFault', FileFaultError],
  ['CannotDeleteFile', CannotDeleteFileError],
  ['FileAlreadyExists', FileAlreadyExistsError],
  ['FileLocked', FileLockedError],
  ['FileNotFound', FileNotFoundError],
  ['DuplicateName', DuplicateNameError],
  ['InvalidPowerState', InvalidPowerStateError],
  ['InvalidProperty', InvalidPropertyError],
  ['ManagedObjectNotFound', ManagedObjectNotFoundError],
  ['NoDiskSpace', NoDiskSpaceError],
  ['NoPermission', NoPermissionError],
  ['NotAuthenticated', NotAuthenticatedError],
  ['TaskInProgress', TaskInProgressError],
  ['ToolsUnavailable', ToolsUnavailableError],
  ['InvalidLogin', InvalidLoginError],
  ['InvalidArgument', InvalidArgumentError],
  ['PbmFaultNotAuthenticated', NotAuthenticatedError],
  ['SecurityError', SecurityFaultError],
]);

/**
 * Builds the typed error for a decoded fault: the class of the most derived type in `chain` (the
 * fault's type and its ancestors, most derived first) that has one, else {@link VimFaultError}.
 */
export function faultError(serverMessage: string, fault: FaultObject, chain: readonly string[], options?: VimErrorOptions): VimFaultError {
  for (const name of chain) {
    const cls = faultClasses.get(name);
    if (cls !== undefined) return new cls(serverMessage, fault, chain, options);
  }
  return new VimFaultError(serverMessage, fault, chain, options);
}

/**
 * Finds a fault of the given wire type (or a subtype of it) anywhere in an error's `cause` chain, as
 * govmomi's `fault.In` does; undefined when there is none.
 */
export function findFault(err: unknown, faultName: string): VimFaultError | undefined {
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (e instanceof VimFaultError && e.faultChain.includes(faultName)) return e;
    if (e instanceof AggregateError) {
      for (const inner of e.errors) {
        const found = findFault(inner, faultName);
        if (found !== undefined) return found;
      }
    }
  }
  return undefined;
}
