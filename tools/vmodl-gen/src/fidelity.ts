/**
 * Compares the schema document with VMware's XSDs (and the PBM WSDL): for every complex type in both,
 * base, members, order, optionality (minOccurs) and array-ness (maxOccurs); enum values; PBM methods'
 * parameters and results. The result is a sorted list of differences, one readable line each, which the
 * fidelity test holds against an explicit list of accepted differences.
 */
import type { MemberDoc, VmodlDocument } from './document.js';
import type { XsdComplexType, XsdElement, XsdSchema } from './xsd.js';

/** `6.5` before `6.7` before `7.0`; suffixes such as `u2` and `server` sort with their release. */
export function compareReleases(a: string, b: string): number {
  const parse = (s: string): number[] => (s.match(/\d+/g) ?? []).slice(0, 3).map(Number);
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** PBM's own API versions, as the vSphere releases that shipped them. */
const PBM_RELEASES: Record<string, string> = { '1.0': '5.5', '2.0': '6.0' };

/** The vSphere release that introduced a VMODL version ('' for the vmodl core, older than any XSD here). */
export function releaseOf(doc: VmodlDocument, version: string): string {
  const v = doc.versions[version];
  if (v === undefined) throw new Error(`unknown version ${version}`);
  if (v.ns === 'pbm') return PBM_RELEASES[v.api] ?? v.api;
  return v.api;
}

/** True when something added in `version` exists in the XSDs of vSphere `release`. */
function existsIn(doc: VmodlDocument, version: string, release: string): boolean {
  const r = releaseOf(doc, version);
  return r === '' || compareReleases(r, release) <= 0;
}

function shape(m: { optional: boolean; array: boolean }): string {
  return `${m.optional ? 'optional' : 'required'} ${m.array ? 'array' : 'single'}`;
}

function compareMembers(
  where: string,
  ours: readonly MemberDoc[],
  xsd: readonly XsdElement[],
  doc: VmodlDocument,
  release: string,
  out: string[],
): void {
  const xsdNames = new Set(xsd.map((e) => e.name));
  const expected = ours.filter((m) => existsIn(doc, m.version, release) || xsdNames.has(m.name));
  for (const m of ours) {
    if (!existsIn(doc, m.version, release) && xsdNames.has(m.name)) {
      out.push(`${where}.${m.name}: in this XSD, but ours says since ${releaseOf(doc, m.version)}`);
    }
  }
  const oursNames = new Set(expected.map((m) => m.name));
  for (const m of expected) if (!xsdNames.has(m.name)) out.push(`${where}.${m.name}: only in ours`);
  for (const e of xsd) if (!oursNames.has(e.name)) out.push(`${where}.${e.name}: only in the XSD`);
  const common = expected.filter((m) => xsdNames.has(m.name)).map((m) => m.name);
  const xsdCommon = xsd.filter((e) => oursNames.has(e.name)).map((e) => e.name);
  if (common.join() !== xsdCommon.join()) {
    out.push(`${where}: order (ours ${common.join(' ')}; XSD ${xsdCommon.join(' ')})`);
  }
  const byName = new Map(xsd.map((e) => [e.name, e]));
  for (const m of expected) {
    const e = byName.get(m.name);
    if (e === undefined) continue;
    if (m.type !== e.type) out.push(`${where}.${m.name}: type ours ${m.type}, XSD ${e.type}`);
    if (shape(m) !== shape(e)) out.push(`${where}.${m.name}: ours ${shape(m)}, XSD ${shape(e)}`);
  }
}

function compareTypes(doc: VmodlDocument, xsd: XsdSchema, release: string, out: string[]): void {
  for (const [name, ct] of xsd.complexTypes) {
    const ours = doc.dataTypes[name];
    if (ours === undefined) continue;
    if (!existsIn(doc, ours.version, release)) out.push(`${name}: in this XSD, but ours says since ${releaseOf(doc, ours.version)}`);
    if (ours.base !== ct.base) out.push(`${name}: base ours ${ours.base ?? '(none)'}, XSD ${ct.base ?? '(none)'}`);
    compareMembers(name, ours.props, ct.elements, doc, release, out);
  }
}

function compareEnums(doc: VmodlDocument, xsd: XsdSchema, out: string[]): void {
  for (const [name, values] of xsd.enums) {
    const ours = doc.enums[name];
    if (ours === undefined) continue;
    const xsdSet = new Set(values);
    const oursSet = new Set(ours.values);
    const onlyOurs = ours.values.filter((v) => !xsdSet.has(v));
    const onlyXsd = values.filter((v) => !oursSet.has(v));
    for (const v of onlyOurs) out.push(`enum ${name}: value ${v} only in ours`);
    for (const v of onlyXsd) out.push(`enum ${name}: value ${v} only in the XSD`);
    const a = ours.values.filter((v) => xsdSet.has(v)).join(' ');
    const b = values.filter((v) => oursSet.has(v)).join(' ');
    if (a !== b) out.push(`enum ${name}: order (ours ${a}; XSD ${b})`);
  }
}

/** PBM methods against `<Method>RequestType` (parameters after `_this`) and `<Method>Response` (returnval). */
function compareMethods(doc: VmodlDocument, xsd: XsdSchema, release: string, out: string[]): void {
  for (const t of Object.values(doc.managedTypes)) {
    for (const m of t.methods) {
      const request: XsdComplexType | undefined = xsd.complexTypes.get(`${m.name}RequestType`);
      if (request === undefined) continue;
      const params = request.elements.filter((e) => e.name !== '_this');
      compareMembers(`${m.name}()`, m.params, params, doc, release, out);
      const response = xsd.elements.get(`${m.name}Response`);
      const returnval = response?.elements.find((e) => e.name === 'returnval');
      if (m.returns === undefined && returnval !== undefined) out.push(`${m.name}(): returns nothing in ours, ${returnval.type} in the XSD`);
      if (m.returns !== undefined && returnval === undefined) out.push(`${m.name}(): returns ${m.returns.type} in ours, nothing in the XSD`);
      if (m.returns !== undefined && returnval !== undefined) {
        const r = { optional: m.returns.optional === true, array: m.returns.array };
        if (m.returns.type !== returnval.type) out.push(`${m.name}(): result type ours ${m.returns.type}, XSD ${returnval.type}`);
        if (shape(r) !== shape(returnval)) out.push(`${m.name}(): result ours ${shape(r)}, XSD ${shape(returnval)}`);
      }
    }
  }
  const known = new Set(Object.values(doc.managedTypes).flatMap((t) => t.methods.map((m) => m.name)));
  for (const name of xsd.operations.keys()) if (!known.has(name)) out.push(`${name}(): only in the WSDL`);
}

/** Every difference between the document and the XSDs of vSphere `release`, sorted. */
export function compareWithXsd(doc: VmodlDocument, xsd: XsdSchema, release: string): string[] {
  const out: string[] = [];
  compareTypes(doc, xsd, release, out);
  compareEnums(doc, xsd, out);
  compareMethods(doc, xsd, release, out);
  return [...new Set(out)].sort();
}
