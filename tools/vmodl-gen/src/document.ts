/**
 * The schema document that `dump/dump_pyvmomi.py` writes (`packages/vim/schema/vmodl.json`): VMware's
 * type information as pyVmomi holds it, with wire (XSD) names.
 */

/** A wire namespace: `urn:vim25` or `urn:pbm`. */
export type WireNs = 'vim25' | 'pbm';

/** A member of a data object or managed object, or a method parameter, in wire order. */
export interface MemberDoc {
  name: string;
  /** XSD primitive local name, `ManagedObjectReference`, an enum or a data type wire name. */
  type: string;
  array: boolean;
  optional: boolean;
  /** The VMODL version that added the member (a key of {@link VmodlDocument.versions}). */
  version: string;
  /** For references: the wire name of the managed type referred to (`ManagedObject`: any). */
  moType?: string;
  /** For links (serialized as the key of another object): that object's wire type. */
  link?: string;
  /** pyVmomi's declared VMODL type, where the wire type differs (MethodFault -> LocalizedMethodFault). */
  vmodlType?: string;
  /** `false` where VMODL declares the member required but the wire makes it optional. */
  vmodlOptional?: boolean;
  /** A password or other secret (pyVmomi's F_SECRET). */
  secret?: boolean;
  privilege?: string;
}

/** A method's result. */
export interface ResultDoc {
  type: string;
  array: boolean;
  optional?: boolean;
  moType?: string;
  vmodlType?: string;
  /** A type that pyVmomi names but never defines (recorded as anyType). */
  undefined?: boolean;
}

/** A data object type (including faults). */
export interface DataTypeDoc {
  /** The VMODL name, e.g. `vim.vm.ConfigSpec`. */
  name: string;
  /** The base type's wire name; absent for roots (DynamicData, MethodFault, DynamicArray, DynamicProperty). */
  base?: string;
  ns: WireNs;
  version: string;
  /** Own members only, in wire order. */
  props: MemberDoc[];
}

/** An enumeration. */
export interface EnumDoc {
  name: string;
  ns: WireNs;
  version: string;
  values: string[];
}

/** A method of a managed type. */
export interface MethodDoc {
  /** The wire name, e.g. `CreateVirtualDisk_Task`. */
  name: string;
  /** The VMODL name, e.g. `createVirtualDisk`. */
  vmodlName: string;
  ns: WireNs;
  version: string;
  /** Parameters in wire order, without `_this`. */
  params: MemberDoc[];
  /** Absent for void methods. */
  returns?: ResultDoc;
  /** For methods that return a Task: the type of the task's `info.result` (null: none). */
  taskResult?: ResultDoc | null;
  /** Declared faults (wire names). */
  faults: string[];
  privilege?: string;
}

/** A managed object type. */
export interface ManagedTypeDoc {
  name: string;
  base?: string;
  ns: WireNs;
  version: string;
  props: MemberDoc[];
  methods: MethodDoc[];
}

/** The whole document. */
export interface VmodlDocument {
  about: {
    source: string;
    generator: string;
    namespaces: string[];
    apiVersions: Record<string, string>;
    counts: Record<string, number>;
    wireCorrections: { what: string; why: string }[];
    hidden: Record<string, string[]>;
    skippedMethods: { method: string; managedType: string; reason: string }[];
  };
  builtinTypes: {
    primitives: string[];
    vmodlPrimitives: Record<string, string>;
    managedObjectReference: Record<string, unknown>;
  };
  versions: Record<string, { ns: WireNs; api: string }>;
  dataTypes: Record<string, DataTypeDoc>;
  enums: Record<string, EnumDoc>;
  managedTypes: Record<string, ManagedTypeDoc>;
}

/** The XSD primitive types a member may have (local names in the XML Schema namespace). */
export const XSD_PRIMITIVES: ReadonlySet<string> = new Set([
  'string',
  'boolean',
  'byte',
  'short',
  'int',
  'long',
  'float',
  'double',
  'dateTime',
  'base64Binary',
  'anyType',
  'anyURI',
]);

/** The wire name of a managed object reference. */
export const MOREF = 'ManagedObjectReference';

function fail(message: string): never {
  throw new Error(`vmodl.json: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses the schema document and checks what the generator relies on: every member's type resolves,
 * every base exists, wire names are unique across data types, enums and managed types, and method wire
 * names are unique across managed types.
 */
export function parseDocument(text: string): VmodlDocument {
  const raw: unknown = JSON.parse(text);
  if (!isRecord(raw)) fail('not an object');
  for (const key of ['about', 'versions', 'dataTypes', 'enums', 'managedTypes']) {
    if (!isRecord(raw[key])) fail(`missing section "${key}"`);
  }
  const doc = raw as unknown as VmodlDocument;
  const owner = new Map<string, string>();
  for (const [section, table] of [
    ['dataTypes', doc.dataTypes],
    ['enums', doc.enums],
    ['managedTypes', doc.managedTypes],
  ] as const) {
    for (const name of Object.keys(table)) {
      const other = owner.get(name);
      if (other !== undefined) fail(`wire name ${name} is in both ${other} and ${section}`);
      owner.set(name, section);
    }
  }
  const checkType = (where: string, m: { type: string; moType?: string }): void => {
    if (XSD_PRIMITIVES.has(m.type)) return;
    if (m.type === MOREF) {
      if (m.moType !== undefined && m.moType !== 'ManagedObject' && !(m.moType in doc.managedTypes)) {
        fail(`${where}: unknown managed type ${m.moType}`);
      }
      return;
    }
    const section = owner.get(m.type);
    if (section !== 'dataTypes' && section !== 'enums') fail(`${where}: unknown type ${m.type}`);
  };
  for (const [name, t] of Object.entries(doc.dataTypes)) {
    if (t.base !== undefined && !(t.base in doc.dataTypes)) fail(`${name}: unknown base ${t.base}`);
    for (const p of t.props) checkType(`${name}.${p.name}`, p);
  }
  const methodOwner = new Map<string, string>();
  for (const [name, t] of Object.entries(doc.managedTypes)) {
    if (t.base !== undefined && !(t.base in doc.managedTypes)) fail(`${name}: unknown base ${t.base}`);
    for (const p of t.props) checkType(`${name}.${p.name}`, p);
    for (const m of t.methods) {
      const other = methodOwner.get(m.name);
      if (other !== undefined) fail(`method ${m.name} is declared by both ${other} and ${name}`);
      methodOwner.set(m.name, name);
      for (const p of m.params) checkType(`${name}.${m.name}(${p.name})`, p);
      if (m.returns) checkType(`${name}.${m.name}() result`, m.returns);
      for (const f of m.faults) {
        if (!(f in doc.dataTypes)) fail(`${name}.${m.name}: unknown fault ${f}`);
      }
    }
  }
  return doc;
}
