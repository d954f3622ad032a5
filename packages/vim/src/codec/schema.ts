import type { DataTypeEntry, EnumEntry, ManagedTypeEntry, MethodEntry } from '../generated/schema.js';

export type { DataTypeEntry, EnumEntry, ManagedTypeEntry, MethodEntry, PropTuple } from '../generated/schema.js';

/** The runtime tables the generator writes (see tools/vmodl-gen). */
export interface SchemaTables {
  readonly dataTypes: Readonly<Record<string, DataTypeEntry>>;
  readonly enumTypes: Readonly<Record<string, EnumEntry>>;
  readonly methods: Readonly<Record<string, MethodEntry>>;
  readonly managedTypes: Readonly<Record<string, ManagedTypeEntry>>;
}

export const ARRAY = 1;
export const OPTIONAL = 2;

/** The exclusive magnitude bound of each bounded XSD integer type (`long` is bounded by 2^53 instead). */
export const integerBounds: Readonly<Record<string, number>> = { byte: 0x80, short: 0x8000, int: 0x80000000 };

/** Whether an integer fits its XSD type (values must be safe integers in any case). */
export function fitsInteger(type: string, n: number): boolean {
  const range = integerBounds[type];
  return range === undefined || (n >= -range && n < range);
}

/** One member as the codec uses it. */
export interface Member {
  readonly name: string;
  readonly type: string;
  readonly array: boolean;
  readonly optional: boolean;
}

/** XSD primitive types and the JavaScript values they map to. */
export const primitiveTypes: ReadonlySet<string> = new Set([
  'string', 'boolean', 'byte', 'short', 'int', 'long', 'float', 'double', 'dateTime', 'base64Binary', 'anyURI',
  'TypeName', 'MethodName', 'PropertyPath',
]);

const arrayOfPrimitive: Record<string, string> = {
  String: 'string', Boolean: 'boolean', Byte: 'byte', Short: 'short', Int: 'int', Long: 'long', Float: 'float',
  Double: 'double', DateTime: 'dateTime', Base64Binary: 'base64Binary', AnyURI: 'anyURI', AnyType: 'anyType',
  ManagedObjectReference: 'ManagedObjectReference', TypeName: 'string', MethodName: 'string', PropertyPath: 'string',
};

const own = (o: object, k: string): boolean => Object.hasOwn(o, k);

/**
 * The schema as the codec reads it: members with inherited ones first, subtype tests, namespaces and
 * `ArrayOfX` wrapper types, computed lazily from the generated tables and cached.
 */
export class Schema {
  private readonly memberCache = new Map<string, { list: readonly Member[]; byName: ReadonlyMap<string, Member> }>();
  private readonly chainCache = new Map<string, readonly string[]>();

  constructor(readonly tables: SchemaTables) {}

  isDataType(name: string): boolean {
    return own(this.tables.dataTypes, name);
  }

  isEnum(name: string): boolean {
    return own(this.tables.enumTypes, name);
  }

  enumValues(name: string): readonly string[] | undefined {
    return own(this.tables.enumTypes, name) ? this.tables.enumTypes[name]!.values : undefined;
  }

  method(name: string): MethodEntry | undefined {
    return own(this.tables.methods, name) ? this.tables.methods[name] : undefined;
  }

  /** The XML namespace a type or method lives in. */
  namespaceOf(typeName: string): 'urn:vim25' | 'urn:pbm' {
    const entry = own(this.tables.dataTypes, typeName)
      ? this.tables.dataTypes[typeName]
      : own(this.tables.enumTypes, typeName)
        ? this.tables.enumTypes[typeName]
        : undefined;
    return entry?.ns === 'pbm' ? 'urn:pbm' : 'urn:vim25';
  }

  /** The type's name followed by its ancestors' names, most derived first. */
  chain(name: string): readonly string[] {
    let c = this.chainCache.get(name);
    if (c === undefined) {
      const out: string[] = [];
      for (let t: string | undefined = name; t !== undefined && !out.includes(t); ) {
        out.push(t);
        t = own(this.tables.dataTypes, t) ? this.tables.dataTypes[t]!.base : undefined;
      }
      c = out;
      this.chainCache.set(name, c);
    }
    return c;
  }

  /** True when `name` is `ancestor` or derives from it. Everything derives from anyType. */
  isSubtype(name: string, ancestor: string): boolean {
    return ancestor === 'anyType' || name === ancestor || this.chain(name).includes(ancestor);
  }

  /** Every member of a data type, inherited ones first, in wire order. */
  members(name: string): { list: readonly Member[]; byName: ReadonlyMap<string, Member> } {
    let m = this.memberCache.get(name);
    if (m === undefined) {
      const list: Member[] = [];
      for (const t of [...this.chain(name)].reverse()) {
        for (const [pname, ptype, flags] of this.tables.dataTypes[t]?.props ?? []) {
          list.push({ name: pname, type: ptype, array: (flags & ARRAY) !== 0, optional: (flags & OPTIONAL) !== 0 });
        }
      }
      m = { list, byName: new Map(list.map((x) => [x.name, x])) };
      this.memberCache.set(name, m);
    }
    return m;
  }

  /** For `ArrayOfX` wrapper type names (used inside anyType values), the item type X; else undefined. */
  arrayItemType(name: string): string | undefined {
    if (!name.startsWith('ArrayOf') || own(this.tables.dataTypes, name)) return undefined;
    const item = name.slice(7);
    return arrayOfPrimitive[item] ?? (own(this.tables.dataTypes, item) || own(this.tables.enumTypes, item) ? item : undefined);
  }

  /** The `ArrayOfX` wrapper name for an item type. */
  arrayTypeName(itemType: string): string {
    if (itemType === 'ManagedObjectReference') return 'ArrayOfManagedObjectReference';
    return `ArrayOf${itemType.charAt(0).toUpperCase()}${itemType.slice(1)}`;
  }
}
