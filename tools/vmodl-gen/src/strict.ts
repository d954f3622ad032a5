/**
 * Checks a SOAP request the way a strict vCenter (a validating JAX-WS/JAXB stack) reads it, against
 * VMware's own XSDs: every element in its type's sequence order with inherited members first, required
 * members present, repeated elements only where the schema allows, every element in the namespace of the
 * type that declares it, `xsi:type` present on every `anyType` value and naming a known subtype of the
 * declared type (with a prefix bound to the right namespace), enumeration values from the enumeration,
 * managed object references with their `type` attribute, and primitive texts of the right lexical form.
 * Used by @vmkit/vim's golden request tests and by the vim benchmark (to judge the `soap` package's
 * requests); nothing at run time uses it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localName, parseXml, type XmlElement } from './xml.js';
import { readXsd, type XsdElement, type XsdSchema } from './xsd.js';

/** Where Debian's python3-oslo.vmware installs VMware's XSDs and the PBM WSDL, one folder per release. */
export const VMWARE_WSDL_DIR = '/usr/lib/python3/dist-packages/oslo_vmware/wsdl';

/**
 * VMware's VIM and PBM types of one release (`6.5`, `6.7`, `7.0`), read from python3-oslo.vmware's
 * copies; undefined when they are not installed.
 */
export function loadVmwareXsd(release = '7.0', dir = VMWARE_WSDL_DIR): XsdSchema | undefined {
  const files = ['core-types.xsd', 'query-types.xsd', 'vim-types.xsd', 'pbm-types.xsd', 'pbm-messagetypes.xsd'].map((f) => join(dir, release, f));
  if (!files.every((f) => existsSync(f))) return undefined;
  return readXsd(files.map((file) => ({ file, text: readFileSync(file, 'utf8') })));
}

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const XSD = 'http://www.w3.org/2001/XMLSchema';

/** The namespace of the types a VMware schema file defines. */
export function namespaceOfFile(file: string): 'urn:vim25' | 'urn:pbm' {
  return /(^|\/)pbm[^/]*$/.test(file) ? 'urn:pbm' : 'urn:vim25';
}

/** A member of a request or complex type, with the namespace its element lives in. */
export interface StrictMember extends XsdElement {
  ns: string;
}

/** Options of {@link checkSoapRequest}. */
export interface StrictCheckOptions {
  /**
   * The parameters (with `_this` first) of an operation whose `<Op>RequestType` is not in the XSDs (VIM's
   * request messages are not shipped, only its data types); undefined when unknown.
   */
  requestMembers?: (operation: string) => readonly StrictMember[] | undefined;
}

const PRIMITIVE_TEXT: Readonly<Record<string, RegExp>> = {
  boolean: /^(true|false|1|0)$/,
  byte: /^[-+]?\d+$/,
  short: /^[-+]?\d+$/,
  int: /^[-+]?\d+$/,
  long: /^[-+]?\d+$/,
  float: /^([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|INF|-INF|NaN)$/,
  double: /^([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|INF|-INF|NaN)$/,
  dateTime: /^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[-+]\d\d:\d\d)?$/,
  base64Binary: /^[A-Za-z0-9+/\s]*={0,2}\s*$/,
  string: /[^]*/,
  anyURI: /[^]*/,
};

/**
 * Checks one request envelope; returns the problems found, one readable line each (empty: the request
 * passes). Malformed XML is reported as a single problem.
 */
export function checkSoapRequest(xml: string, xsd: XsdSchema, options: StrictCheckOptions = {}): string[] {
  const problems: string[] = [];
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    return [(err as Error).message];
  }
  const checker = new Checker(xsd, problems);
  const rootScope = scopeOf(root, new Map());
  if (localName(root.name) !== 'Envelope' || resolve(root.name, rootScope) !== SOAP_ENV) return ['the root is not a SOAP 1.1 Envelope'];
  const body = root.children.find((c) => localName(c.name) === 'Body' && resolve(c.name, scopeOf(c, rootScope)) === SOAP_ENV);
  if (body === undefined) return ['no SOAP Body'];
  const bodyScope = scopeOf(body, rootScope);
  const [op, ...extra] = body.children;
  if (op === undefined) return ['an empty SOAP Body'];
  if (extra.length > 0) problems.push('more than one element in the SOAP Body');
  const opName = localName(op.name);
  const opScope = scopeOf(op, bodyScope);
  const requestType = xsd.complexTypes.get(`${opName}RequestType`);
  const members: readonly StrictMember[] | undefined =
    requestType !== undefined
      ? requestType.elements.map((e) => ({ ...e, ns: namespaceOfFile(requestType.file) }))
      : options.requestMembers?.(opName);
  if (members === undefined) return [`${opName}: no request type known for this operation`];
  const opNs = resolve(op.name, opScope);
  if (opNs !== members[0]?.ns) problems.push(`${opName}: operation element in namespace ${String(opNs)}, expected ${String(members[0]?.ns)}`);
  checker.sequence(op, opScope, members, opName, `${opName}RequestType`);
  return problems;
}

type Scope = ReadonlyMap<string, string>;

/** The namespace bindings in force inside `el`. */
function scopeOf(el: XmlElement, parent: Scope): Scope {
  let scope: Map<string, string> | undefined;
  for (const [k, v] of Object.entries(el.attrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      scope ??= new Map(parent);
      scope.set(k === 'xmlns' ? '' : k.slice(6), v);
    }
  }
  return scope ?? parent;
}

/** The namespace of a qualified name (element names use the default namespace when unprefixed). */
function resolve(qname: string, scope: Scope): string | undefined {
  const colon = qname.indexOf(':');
  return scope.get(colon < 0 ? '' : qname.slice(0, colon));
}

class Checker {
  private readonly memberCache = new Map<string, readonly StrictMember[]>();

  constructor(
    private readonly xsd: XsdSchema,
    private readonly problems: string[],
  ) {}

  private fail(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  /** Inherited members first, then the type's own, each with its namespace. */
  private members(type: string): readonly StrictMember[] {
    let m = this.memberCache.get(type);
    if (m === undefined) {
      const ct = this.xsd.complexTypes.get(type);
      m = ct === undefined ? [] : [...(ct.base === undefined ? [] : this.members(ct.base)), ...ct.elements.map((e) => ({ ...e, ns: namespaceOfFile(ct.file) }))];
      this.memberCache.set(type, m);
    }
    return m;
  }

  private isSubtype(type: string, ancestor: string): boolean {
    for (let t: string | undefined = type, n = 0; t !== undefined && n < 64; t = this.xsd.complexTypes.get(t)?.base, n++) {
      if (t === ancestor) return true;
    }
    return false;
  }

  /** The children of `el` against a sequence of members. */
  sequence(el: XmlElement, scope: Scope, members: readonly StrictMember[], path: string, typeName: string): void {
    if (el.text.trim() !== '') this.fail(path, `text inside the ${typeName} element`);
    let last = -1; // the member the previous element matched
    let count = 0; // how many elements matched it
    for (const child of el.children) {
      const childScope = scopeOf(child, scope);
      const name = localName(child.name);
      const ns = resolve(child.name, childScope);
      let j: number;
      if (last >= 0 && members[last]!.name === name && members[last]!.array) {
        j = last;
        count++;
      } else {
        j = members.findIndex((m, k) => k > last && m.name === name);
        if (j < 0) {
          const what =
            last >= 0 && members[last]!.name === name
              ? `<${name}> is repeated but ${typeName}.${name} is not an array`
              : members.some((m) => m.name === name)
                ? `<${name}> is out of order in ${typeName} (it comes after <${members[last]?.name ?? '?'}>)`
                : `<${name}> is not a member of ${typeName}`;
          this.fail(path, what);
          continue;
        }
        for (let k = last + 1; k < j; k++) {
          if (!members[k]!.optional) this.fail(path, `required <${members[k]!.name}> of ${typeName} is missing before <${name}>`);
        }
        last = j;
        count = 1;
      }
      const m = members[j]!;
      if (ns !== m.ns) this.fail(`${path}.${name}`, `element in namespace ${String(ns)}, expected ${m.ns}`);
      this.value(child, childScope, m.type, `${path}.${name}${m.array ? `[${count - 1}]` : ''}`);
    }
    for (let k = last + 1; k < members.length; k++) {
      if (!members[k]!.optional) this.fail(path, `required <${members[k]!.name}> of ${typeName} is missing`);
    }
  }

  /** One element holding a value declared as `declared`. */
  private value(el: XmlElement, scope: Scope, declared: string, path: string): void {
    let actual = declared;
    const xsiAttr = Object.keys(el.attrs).find((k) => k.endsWith(':type') && scope.get(k.slice(0, -5)) === XSI);
    if (xsiAttr !== undefined) {
      const raw = el.attrs[xsiAttr]!;
      const colon = raw.indexOf(':');
      const ns = scope.get(colon < 0 ? '' : raw.slice(0, colon));
      const local = localName(raw);
      const ct = this.xsd.complexTypes.get(local);
      const isEnum = this.xsd.enums.has(local);
      if (ct === undefined && !isEnum) {
        if (ns !== XSD || PRIMITIVE_TEXT[local] === undefined) {
          this.fail(path, `xsi:type ${raw} is not a type of the schema`);
          return;
        }
      } else {
        const want = ct !== undefined ? namespaceOfFile(ct.file) : this.enumNamespace(local);
        if (ns !== want) this.fail(path, `xsi:type ${raw}: prefix bound to ${String(ns)}, expected ${want}`);
      }
      if (declared !== 'anyType' && local !== declared && !this.isSubtype(local, declared)) {
        this.fail(path, `xsi:type ${raw} is not a subtype of the declared ${declared}`);
        return;
      }
      actual = local;
    } else if (declared === 'anyType') {
      this.fail(path, 'an anyType value without xsi:type');
      return;
    }
    if (actual === 'ManagedObjectReference') {
      if (typeof el.attrs.type !== 'string' || el.attrs.type === '') this.fail(path, 'a ManagedObjectReference without its type attribute');
      if (el.children.length > 0) this.fail(path, 'child elements inside a ManagedObjectReference');
      return;
    }
    const ct = this.xsd.complexTypes.get(actual);
    if (ct !== undefined) {
      this.sequence(el, scope, this.members(actual), path, actual);
      return;
    }
    if (el.children.length > 0) {
      this.fail(path, `child elements inside a ${actual} value`);
      return;
    }
    const values = this.xsd.enums.get(actual);
    if (values !== undefined) {
      if (!values.includes(el.text)) this.fail(path, `${JSON.stringify(el.text)} is not a value of ${actual}`);
      return;
    }
    const pattern = PRIMITIVE_TEXT[actual];
    if (pattern === undefined) this.fail(path, `unknown type ${actual}`);
    else if (!pattern.test(el.text.trim())) this.fail(path, `${JSON.stringify(el.text.slice(0, 40))} is not a ${actual}`);
  }

  private enumNamespace(name: string): string {
    // readXsd keeps no file for enumerations; PBM's all start with Pbm.
    return name.startsWith('Pbm') ? 'urn:pbm' : 'urn:vim25';
  }
}
