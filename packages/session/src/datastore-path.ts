import { InvalidDatastorePathError } from './errors.js';

/** Splits a relative path into its segments, refusing what vSphere would not accept or could misread. */
function segments(path: string, whole: string): string[] {
  if (path.includes('\0')) throw new InvalidDatastorePathError(`datastore path ${JSON.stringify(whole)} contains a NUL character`);
  const out: string[] = [];
  for (const s of path.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      // Never resolve upwards: a path that climbs out of its folder is refused rather than guessed at,
      // so that no delete or overwrite can reach a file its caller did not name.
      throw new InvalidDatastorePathError(`datastore path ${JSON.stringify(whole)} contains ".."`);
    }
    out.push(s);
  }
  return out;
}

/**
 * A file or folder on a datastore, written `[datastore] folder/file.vmdk`: the datastore name in square
 * brackets, one space, then a path relative to the datastore's root with `/` separators. Immutable;
 * the relative path is kept normalised (no empty, `.` or `..` segments).
 */
export class DatastorePath {
  /** The datastore's name (between the brackets). */
  readonly datastore: string;
  /** The path relative to the datastore's root, without leading or trailing slashes; '' for the root. */
  readonly relPath: string;

  /**
   * @param datastore - the datastore name; must be non-empty and may not contain `]`.
   * @param parts - path components joined as by {@link DatastorePath.join}.
   * @throws InvalidDatastorePathError on an empty name, a `]` in the name, or a `..` or NUL in the path.
   */
  constructor(datastore: string, ...parts: string[]) {
    if (datastore === '') throw new InvalidDatastorePathError('datastore name is empty');
    if (datastore.includes(']')) {
      throw new InvalidDatastorePathError(`datastore name ${JSON.stringify(datastore)} contains "]"`);
    }
    this.datastore = datastore;
    let rel: string[] = [];
    for (const part of parts) {
      const segs = segments(part, part);
      rel = part.startsWith('/') ? segs : [...rel, ...segs];
    }
    this.relPath = rel.join('/');
  }

  /**
   * Parses `[datastore] path/to/file`. Surrounding white space is ignored, the space after the bracket
   * is optional, and `[datastore]` alone names the datastore's root.
   * @throws InvalidDatastorePathError when the text is not of that form.
   */
  static parse(text: string): DatastorePath {
    const s = text.trim();
    const close = s.indexOf(']');
    if (!s.startsWith('[') || close < 0) {
      throw new InvalidDatastorePathError(`${JSON.stringify(text)} is not a datastore path of the form "[datastore] path"`);
    }
    return new DatastorePath(s.slice(1, close), s.slice(close + 1).trim());
  }

  /** Like {@link DatastorePath.parse} but returns undefined instead of throwing. */
  static tryParse(text: string): DatastorePath | undefined {
    try {
      return DatastorePath.parse(text);
    } catch {
      return undefined;
    }
  }

  /**
   * A path below this one. A component that starts with `/` restarts from the datastore's root, as
   * POSIX joins do.
   */
  join(...parts: string[]): DatastorePath {
    return new DatastorePath(this.datastore, this.relPath, ...parts);
  }

  /** The containing folder; the root's parent is the root. */
  get parent(): DatastorePath {
    return new DatastorePath(this.datastore, this.dirname);
  }

  /** The last path segment ('' for the root). */
  get basename(): string {
    const i = this.relPath.lastIndexOf('/');
    return i < 0 ? this.relPath : this.relPath.slice(i + 1);
  }

  /** The relative path of the containing folder ('' at the top level). */
  get dirname(): string {
    const i = this.relPath.lastIndexOf('/');
    return i < 0 ? '' : this.relPath.slice(0, i);
  }

  /** True when both name the same datastore and the same normalised path. */
  equals(other: DatastorePath): boolean {
    return this.datastore === other.datastore && this.relPath === other.relPath;
  }

  /** `[datastore] rel/path`, or `[datastore]` for the root. */
  toString(): string {
    return this.relPath === '' ? `[${this.datastore}]` : `[${this.datastore}] ${this.relPath}`;
  }

  /** The same as {@link DatastorePath.toString}, so that JSON carries the vSphere form. */
  toJSON(): string {
    return this.toString();
  }
}

/** What a {@link DatastoreURL} is made of. */
export interface DatastoreURLParts {
  /** `https` (the default) or `http`. */
  scheme?: 'http' | 'https';
  /** Host name or address, with `:port` when not the scheme's default; IPv6 in brackets. */
  server: string;
  /** The path relative to the datastore's root. */
  path: string;
  /** The datacenter's inventory path (its name, or `folder/name` when inside folders). */
  datacenterPath: string;
  /** The datastore's name. */
  datastoreName: string;
}

/**
 * The HTTP address of a datastore file for the `/folder` file service of vCenter or ESX:
 * `https://host/folder/<path>?dcPath=<datacenter>&dsName=<datastore>`. Path segments and query values
 * are percent-encoded (a space as `%20`), so names with spaces, `&`, `#` or non-ASCII survive.
 */
export class DatastoreURL {
  readonly scheme: 'http' | 'https';
  readonly server: string;
  /** The relative path, normalised as in {@link DatastorePath}. */
  readonly path: string;
  readonly datacenterPath: string;
  readonly datastoreName: string;

  constructor(parts: DatastoreURLParts) {
    const scheme = parts.scheme ?? 'https';
    if (scheme !== 'http' && scheme !== 'https') throw new InvalidDatastorePathError(`unsupported scheme ${JSON.stringify(scheme)}`);
    if (parts.server === '' || /[/?#@\s]/.test(parts.server)) {
      throw new InvalidDatastorePathError(`invalid server ${JSON.stringify(parts.server)}`);
    }
    if (parts.datacenterPath === '') throw new InvalidDatastorePathError('datacenter path is empty');
    this.scheme = scheme;
    this.server = parts.server;
    this.path = new DatastorePath(parts.datastoreName, parts.path).relPath;
    this.datacenterPath = parts.datacenterPath;
    this.datastoreName = parts.datastoreName;
  }

  /** The URL of a datastore path on a server. */
  static fromPath(path: DatastorePath, server: string, datacenterPath: string, scheme: 'http' | 'https' = 'https'): DatastoreURL {
    return new DatastoreURL({ scheme, server, path: path.relPath, datacenterPath, datastoreName: path.datastore });
  }

  /**
   * Parses a `/folder` URL.
   * @throws InvalidDatastorePathError when it is not an http(s) `/folder/...` URL with `dcPath` and `dsName`.
   */
  static parse(text: string): DatastoreURL {
    let url: URL;
    try {
      url = new URL(text);
    } catch (cause) {
      throw new InvalidDatastorePathError(`${JSON.stringify(text)} is not a URL`, { cause });
    }
    const scheme = url.protocol.slice(0, -1);
    if (scheme !== 'http' && scheme !== 'https') throw new InvalidDatastorePathError(`unsupported scheme in ${JSON.stringify(text)}`);
    if (!url.pathname.startsWith('/folder/') && url.pathname !== '/folder') {
      throw new InvalidDatastorePathError(`${JSON.stringify(text)} is not a /folder URL`);
    }
    const dcPath = url.searchParams.get('dcPath');
    const dsName = url.searchParams.get('dsName');
    if (dcPath === null || dsName === null) {
      throw new InvalidDatastorePathError(`${JSON.stringify(text)} lacks dcPath or dsName`);
    }
    // The WHATWG parser resolves dot segments ("/folder/a/../b" becomes "/folder/b"); take the path
    // from the text as written, so that a climbing path is refused instead of silently rewritten.
    const written = text.trim().replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/, 1)[0] ?? '';
    let path: string;
    try {
      path = written.slice('/folder'.length).split('/').map(decodeURIComponent).join('/');
    } catch (cause) {
      throw new InvalidDatastorePathError(`${JSON.stringify(text)} has a malformed percent-encoding`, { cause });
    }
    return new DatastoreURL({ scheme, server: url.host, path, datacenterPath: dcPath, datastoreName: dsName });
  }

  /** The datastore path this URL points at. */
  get datastorePath(): DatastorePath {
    return new DatastorePath(this.datastoreName, this.path);
  }

  /** The path and query part, `/folder/...?dcPath=..&dsName=..`, as a request target. */
  get requestTarget(): string {
    const path = this.path.split('/').map(encodeURIComponent).join('/');
    return `/folder/${path}?dcPath=${encodeURIComponent(this.datacenterPath)}&dsName=${encodeURIComponent(this.datastoreName)}`;
  }

  toString(): string {
    return `${this.scheme}://${this.server}${this.requestTarget}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
