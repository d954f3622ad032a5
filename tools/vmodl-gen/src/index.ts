/**
 * @vmkit/vmodl-gen: generates @vmkit/vim's bindings (`packages/vim/src/generated/`) from the schema JSON
 * that `dump/dump_pyvmomi.py` extracts from Debian's python3-pyvmomi.
 *
 * @packageDocumentation
 */

export { main, schemaLabel, findRepoRoot } from './cli.js';
export {
  parseDocument,
  XSD_PRIMITIVES,
  MOREF,
  type VmodlDocument,
  type DataTypeDoc,
  type EnumDoc,
  type ManagedTypeDoc,
  type MethodDoc,
  type MemberDoc,
  type ResultDoc,
  type WireNs,
} from './document.js';
export { generate, generateFromFile, writeFiles, compareFiles, type GeneratedFile, type GenerateOptions } from './generate.js';
export { Model, byCodePoint, type OwnedMethod } from './model.js';
export { FLAG_ARRAY, FLAG_OPTIONAL } from './emit-schema.js';
export { parseXml, type XmlElement } from './xml.js';
export { readXsd, type XsdComplexType, type XsdElement, type XsdOperation, type XsdSchema } from './xsd.js';
export { compareWithXsd, compareReleases, releaseOf } from './fidelity.js';
export { VMWARE_WSDL_DIR, checkSoapRequest, loadVmwareXsd, namespaceOfFile, type StrictCheckOptions, type StrictMember } from './strict.js';
