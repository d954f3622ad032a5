import type { DataTypeDoc, ManagedTypeDoc, MethodDoc, VmodlDocument, WireNs } from './document.js';

/** Code-point order: the same on every machine and locale. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).sort(byCodePoint);
}

/** A method with the managed type that declares it. */
export interface OwnedMethod {
  owner: string;
  method: MethodDoc;
}

/** The schema document plus what the emitters derive from it: sorted names, subtypes, method owners. */
export class Model {
  readonly dataNames: readonly string[];
  readonly enumNames: readonly string[];
  readonly managedNames: readonly string[];
  /** Every method, sorted by wire name. */
  readonly methods: readonly OwnedMethod[];
  private readonly dataChildren = new Map<string, string[]>();
  private readonly managedChildren = new Map<string, string[]>();

  constructor(readonly doc: VmodlDocument) {
    this.dataNames = sortedKeys(doc.dataTypes);
    this.enumNames = sortedKeys(doc.enums);
    this.managedNames = sortedKeys(doc.managedTypes);
    for (const name of this.dataNames) {
      const base = this.data(name).base;
      if (base !== undefined) pushTo(this.dataChildren, base, name);
    }
    for (const name of this.managedNames) {
      const base = this.managed(name).base;
      if (base !== undefined) pushTo(this.managedChildren, base, name);
    }
    const methods: OwnedMethod[] = [];
    for (const owner of this.managedNames) {
      for (const method of this.managed(owner).methods) methods.push({ owner, method });
    }
    this.methods = methods.sort((a, b) => byCodePoint(a.method.name, b.method.name));
  }

  /** The source line of the generated headers, e.g. `pyVmomi 6.7.1 (Debian python3-pyvmomi)`. */
  get source(): string {
    return this.doc.about.source;
  }

  data(name: string): DataTypeDoc {
    const t = this.doc.dataTypes[name];
    if (t === undefined) throw new Error(`no data type ${name}`);
    return t;
  }

  managed(name: string): ManagedTypeDoc {
    const t = this.doc.managedTypes[name];
    if (t === undefined) throw new Error(`no managed type ${name}`);
    return t;
  }

  isData(name: string): boolean {
    return Object.hasOwn(this.doc.dataTypes, name);
  }

  isEnum(name: string): boolean {
    return Object.hasOwn(this.doc.enums, name);
  }

  /** A data type with subtypes: members of this type may hold any of its descendants. */
  isPolymorphic(name: string): boolean {
    return this.dataChildren.has(name);
  }

  /** Every data type below `name`, sorted by name. */
  dataDescendants(name: string): string[] {
    return descendants(this.dataChildren, name);
  }

  /** Every managed type below `name`, sorted by name. */
  managedDescendants(name: string): string[] {
    return descendants(this.managedChildren, name);
  }

  /** `name` and its ancestors, nearest first. */
  dataAncestry(name: string): string[] {
    const out: string[] = [];
    for (let n: string | undefined = name; n !== undefined; n = this.data(n).base) out.push(n);
    return out;
  }

  /** True for MethodFault and its descendants. */
  isFault(name: string): boolean {
    return this.dataAncestry(name).includes('MethodFault');
  }

  /** A reader's label for a VMODL version: `vSphere API 6.7`, `PBM API 6.5`, or the VMODL name. */
  versionLabel(version: string): string {
    const v = this.doc.versions[version];
    if (v === undefined || v.api === '') return version;
    return `${v.ns === 'pbm' ? 'PBM' : 'vSphere'} API ${v.api}`;
  }

  namespaceOf(ns: WireNs): 'pbm' | undefined {
    return ns === 'pbm' ? 'pbm' : undefined;
  }
}

function pushTo(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function descendants(children: Map<string, string[]>, name: string): string[] {
  const out: string[] = [];
  const walk = (n: string): void => {
    for (const c of children.get(n) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(name);
  return out.sort(byCodePoint);
}
