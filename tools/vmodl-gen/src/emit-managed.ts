import type { Model } from './model.js';
import { docComment, importTypes, propKey } from './ts.js';
import { TypeRefs, memberNotes, tsType } from './typeref.js';

/**
 * `managed.ts`: an interface per managed type with its properties as the property collector returns
 * them (inherited ones through `extends`), and `ManagedTypeMap`.
 */
export function emitManaged(model: Model): string {
  const refs = new TypeRefs();
  let body = '';
  for (const name of model.managedNames) {
    const t = model.managed(name);
    const lines = [`\`${t.name}\` (managed object, since ${model.versionLabel(t.version)}): its properties.`];
    if (t.methods.length > 0) lines.push(`Methods: ${t.methods.map((m) => `\`${m.name}\``).join(', ')}.`);
    body += `\n${docComment(lines)}`;
    body += `export interface ${name}${t.base === undefined ? '' : ` extends ${t.base}`} {\n`;
    for (const p of t.props) {
      const notes = memberNotes(model, p, t.version);
      if (p.privilege !== undefined) notes.push(`Privilege: \`${p.privilege}\`.`);
      body += docComment(notes.length > 1 ? [notes.join(' ')] : notes, '  ');
      body += `  readonly ${propKey(p.name)}${p.optional ? '?' : ''}: ${tsType(model, p, refs)};\n`;
    }
    body += '}\n';
  }
  body += `\n${docComment(['Every managed type by wire name (the `type` of a `ManagedObjectReference`).'])}`;
  body += 'export interface ManagedTypeMap {\n';
  for (const name of model.managedNames) body += `  ${propKey(name)}: ${name};\n`;
  body += '}\n';
  return `${importTypes(refs.enums, './enums.js')}${importTypes(refs.types, './types.js')}${body}`;
}
