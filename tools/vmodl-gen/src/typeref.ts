import { MOREF, type MemberDoc, type ResultDoc } from './document.js';
import type { Model } from './model.js';

/** The TypeScript type of each XSD primitive. */
export const PRIMITIVE_TS: Readonly<Record<string, string>> = {
  string: 'string',
  anyURI: 'string',
  boolean: 'boolean',
  byte: 'number',
  short: 'number',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  dateTime: 'Date',
  base64Binary: 'Uint8Array',
  anyType: 'unknown',
};

/** The name of the union of a polymorphic data type and its descendants. */
export function unionName(dataType: string): string {
  return `Any${dataType}`;
}

/** Collects the generated names a file refers to, so that it can import them. */
export class TypeRefs {
  readonly types = new Set<string>();
  readonly enums = new Set<string>();
}

/**
 * The TypeScript type of a member, parameter or result. A polymorphic data type becomes the union of it
 * and its descendants, so that an object literal of any subtype is accepted where the base is declared.
 */
export function tsType(model: Model, m: MemberDoc | ResultDoc, refs: TypeRefs): string {
  let t = PRIMITIVE_TS[m.type];
  if (t === undefined) {
    if (m.type === MOREF) {
      t = MOREF;
      refs.types.add(t);
    } else if (model.isEnum(m.type)) {
      t = m.type;
      refs.enums.add(t);
    } else {
      t = model.isPolymorphic(m.type) ? unionName(m.type) : m.type;
      refs.types.add(t);
    }
  }
  return m.array ? `${t}[]` : t;
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

/** `a reference to a \`Datastore\``, `references to \`Datastore\` objects`, or the same for any type. */
export function referencePhrase(moType: string, array: boolean): string {
  if (moType === 'ManagedObject') return array ? 'references to managed objects of any type' : 'a reference to a managed object of any type';
  return array ? `references to \`${moType}\` objects` : `a reference to ${article(moType)} \`${moType}\``;
}

/** Reader's notes on a member: where it refers to, since when, and what the wire makes of it. */
export function memberNotes(model: Model, m: MemberDoc, ownerVersion: string): string[] {
  const notes: string[] = [];
  if (m.moType !== undefined) {
    const phrase = referencePhrase(m.moType, m.array);
    notes.push(`${phrase.charAt(0).toUpperCase()}${phrase.slice(1)}.`);
  }
  if (m.link !== undefined) {
    notes.push(`The \`key\` of ${m.array ? 'each' : article(m.link)} \`${m.link}\` referred to (a link).`);
  }
  if (m.vmodlType !== undefined) notes.push(`Declared \`${m.vmodlType}\`; travels as a \`${m.type}\`.`);
  if (m.secret === true) notes.push('A secret: never log it.');
  if (m.version !== ownerVersion) notes.push(`Since ${model.versionLabel(m.version)}.`);
  return notes.length === 0 ? [] : [notes.join(' ')];
}
