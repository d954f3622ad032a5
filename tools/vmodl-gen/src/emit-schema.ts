import {
  MOREF,
  type DataTypeDoc,
  type EnumDoc,
  type ManagedTypeDoc,
  type MemberDoc,
  type MethodDoc,
  type ResultDoc,
  type WireNs,
} from './document.js';
import type { Model } from './model.js';
import { docComment, quote } from './ts.js';

/** Bit 1 of a member's flags: an array. */
export const FLAG_ARRAY = 1;
/** Bit 2 of a member's flags: optional (minOccurs 0). */
export const FLAG_OPTIONAL = 2;

function flags(m: { array: boolean; optional?: boolean }): number {
  return (m.array ? FLAG_ARRAY : 0) | (m.optional === true ? FLAG_OPTIONAL : 0);
}

/** The JSON of a value, with every non-ASCII character escaped so that the output is ASCII. */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function tuple(m: MemberDoc): (string | number)[] {
  const t: (string | number)[] = [m.name, m.type, flags(m)];
  if (m.type === MOREF && m.moType !== undefined) t.push(m.moType);
  return t;
}

/** The runtime entry of a data type, enum, method or managed type: optional keys only when present. */
function dataEntry(t: DataTypeDoc): object {
  return { ...(t.base === undefined ? {} : { base: t.base }), ...ns(t.ns), props: t.props.map(tuple) };
}

function enumEntry(e: EnumDoc): object {
  return { ...ns(e.ns), values: e.values };
}

function methodEntry(m: MethodDoc): object {
  const r: ResultDoc | undefined = m.returns;
  return {
    ...ns(m.ns),
    params: m.params.map(tuple),
    ...(r === undefined ? {} : { returns: [r.type, flags(r)] }),
    faults: m.faults,
  };
}

function managedEntry(t: ManagedTypeDoc): object {
  return {
    ...(t.base === undefined ? {} : { base: t.base }),
    ...ns(t.ns),
    props: t.props.map(tuple),
    methods: t.methods.map((m) => m.name),
  };
}

function ns(value: WireNs): { ns?: 'pbm' } {
  return value === 'pbm' ? { ns: 'pbm' } : {};
}

/**
 * A table as a template literal holding JSON, one entry per line: V8 parses JSON about twice as fast as
 * the same object literal, and tsc has nothing to check in it.
 */
function tableSource(exported: string, entryType: string, count: number, what: string, entries: [string, object][]): string {
  const lines = entries.map(([name, entry], i) => `${json(name)}:${json(entry)}${i < entries.length - 1 ? ',' : ''}`);
  const text = `{\n${lines.join('\n')}\n}`.replace(/[\\`]|\$\{/g, (c) => `\\${c}`);
  return (
    `\n${docComment([`${what} by wire name (${count}).`])}` +
    `export const ${exported}: Readonly<Record<string, ${entryType}>> = table<${entryType}>(\`${text}\`);\n`
  );
}

const CONTRACT = `/** The source of the type information. */
export const SCHEMA_SOURCE: string = %SOURCE%;

/**
 * A member of a data object or managed object, or a method parameter: \`[name, wireType, flags, moType?]\`.
 * \`wireType\` is an XSD primitive local name (string, boolean, byte, short, int, long, float, double,
 * dateTime, base64Binary, anyType, anyURI), \`ManagedObjectReference\`, an enum wire name or a data type
 * wire name. \`flags\`: bit 1 (value 1) array, bit 2 (value 2) optional. \`moType\`: for references, the
 * wire name of the managed type referred to (\`ManagedObject\`: any type).
 */
export type PropTuple = readonly [name: string, type: string, flags: number, moType?: string];

/** A data object type: its own members in wire order; \`base\` is the parent's wire name (absent for roots). */
export interface DataTypeEntry {
  readonly base?: string;
  readonly ns?: 'pbm';
  readonly props: readonly PropTuple[];
}

/** An enumeration and its values. */
export interface EnumEntry {
  readonly ns?: 'pbm';
  readonly values: readonly string[];
}

/** A method: its parameters in order (without \`_this\`), its result (absent: void) and declared faults. */
export interface MethodEntry {
  readonly ns?: 'pbm';
  readonly params: readonly PropTuple[];
  readonly returns?: readonly [type: string, flags: number];
  readonly faults: readonly string[];
}

/** A managed object type: its own properties and the wire names of the methods it declares. */
export interface ManagedTypeEntry {
  readonly base?: string;
  readonly ns?: 'pbm';
  readonly props: readonly PropTuple[];
  readonly methods: readonly string[];
}

/** Parses a table and drops its prototype, so that a wire name such as \`constructor\` finds nothing. */
function table<T>(json: string): Readonly<Record<string, T>> {
  return Object.setPrototypeOf(JSON.parse(json), null) as Readonly<Record<string, T>>;
}
`;

/**
 * `schema.ts`: the runtime table the codec reads. Every table has a null prototype, so that a wire name
 * such as `constructor` finds nothing rather than a member of Object.prototype.
 */
export function emitSchema(model: Model): string {
  return (
    CONTRACT.replace('%SOURCE%', quote(model.source)) +
    tableSource(
      'dataTypes',
      'DataTypeEntry',
      model.dataNames.length,
      'Data object types',
      model.dataNames.map((n) => [n, dataEntry(model.data(n))]),
    ) +
    tableSource(
      'enumTypes',
      'EnumEntry',
      model.enumNames.length,
      'Enumerations',
      model.enumNames.map((n) => [n, enumEntry(model.doc.enums[n]!)]),
    ) +
    tableSource(
      'methods',
      'MethodEntry',
      model.methods.length,
      'Methods',
      model.methods.map(({ method }) => [method.name, methodEntry(method)]),
    ) +
    tableSource(
      'managedTypes',
      'ManagedTypeEntry',
      model.managedNames.length,
      'Managed object types',
      model.managedNames.map((n) => [n, managedEntry(model.managed(n))]),
    )
  );
}
