/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** A column of a table: the header and how to read the cell from a row. */
export interface Column<T> {
  header: string;
  get: (row: T) => string | number | boolean | undefined | null;
  /** Right-align (numbers). */
  right?: boolean;
}

/** Renders rows as a plain-text table with a header line; empty cells print as '-'. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => {
    const v = c.get(r);
    return v === undefined || v === null || v === '' ? '-' : String(v);
  }));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) =>
    values.map((v, i) => (columns[i]!.right === true ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** Writes a value as one JSON document followed by a newline. */
export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value, jsonReplacer, 2) + '\n');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}
