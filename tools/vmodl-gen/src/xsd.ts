/** Reads the parts of VMware's XSD and WSDL files that the schema fidelity tests compare. */
import { childrenNamed, findAll, localName, parseXml, type XmlElement } from './xml.js';

/** An element of a complex type's sequence. */
export interface XsdElement {
  name: string;
  /** The local name of the element's type (`string`, `DynamicData`). */
  type: string;
  /** minOccurs="0". */
  optional: boolean;
  /** maxOccurs="unbounded" (or more than one). */
  array: boolean;
}

/** A complex type: its base (local name) and its own elements in order. */
export interface XsdComplexType {
  name: string;
  base?: string;
  elements: XsdElement[];
  /** The file that defines it. */
  file: string;
}

/** An operation of a WSDL port type. */
export interface XsdOperation {
  name: string;
  /** Fault names (the `name` of each `<fault>`, e.g. `InvalidArgumentFault`). */
  faults: string[];
}

/** What a set of XSD/WSDL files define. */
export interface XsdSchema {
  complexTypes: Map<string, XsdComplexType>;
  /** Enumerations: simple types restricted to a list of values. */
  enums: Map<string, string[]>;
  /** Top-level elements with an inline complex type (a WSDL's `XResponse` wrappers). */
  elements: Map<string, XsdComplexType>;
  operations: Map<string, XsdOperation>;
}

function sequenceElements(ct: XmlElement): XsdElement[] {
  return findAll(ct, 'element').map((e) => {
    const max = e.attrs.maxOccurs ?? '1';
    return {
      name: e.attrs.name ?? '',
      type: localName(e.attrs.type ?? ''),
      optional: e.attrs.minOccurs === '0',
      array: max === 'unbounded' || Number(max) > 1,
    };
  });
}

function complexType(ct: XmlElement, name: string, file: string): XsdComplexType {
  const extension = findAll(ct, 'extension')[0];
  const base = extension?.attrs.base;
  return { name, ...(base === undefined ? {} : { base: localName(base) }), elements: sequenceElements(ct), file };
}

/** Reads complex types, enumerations, wrapper elements and operations from the given files. */
export function readXsd(files: readonly { file: string; text: string }[]): XsdSchema {
  const schema: XsdSchema = { complexTypes: new Map(), enums: new Map(), elements: new Map(), operations: new Map() };
  for (const { file, text } of files) {
    const root = parseXml(text);
    const schemas = localName(root.name) === 'schema' ? [root] : findAll(root, 'schema');
    for (const s of schemas) {
      for (const ct of childrenNamed(s, 'complexType')) {
        const name = ct.attrs.name ?? '';
        if (schema.complexTypes.has(name)) throw new Error(`${file}: complexType ${name} defined twice`);
        schema.complexTypes.set(name, complexType(ct, name, file));
      }
      for (const st of childrenNamed(s, 'simpleType')) {
        const values = findAll(st, 'enumeration').map((e) => e.attrs.value ?? '');
        if (values.length > 0) schema.enums.set(st.attrs.name ?? '', values);
      }
      for (const el of childrenNamed(s, 'element')) {
        const inline = childrenNamed(el, 'complexType')[0];
        const name = el.attrs.name ?? '';
        if (inline) schema.elements.set(name, complexType(inline, name, file));
      }
    }
    for (const pt of findAll(root, 'portType')) {
      for (const op of childrenNamed(pt, 'operation')) {
        const name = op.attrs.name ?? '';
        schema.operations.set(name, { name, faults: childrenNamed(op, 'fault').map((f) => f.attrs.name ?? '') });
      }
    }
  }
  return schema;
}
