import type { Model } from './model.js';
import { docComment, importTypes, propKey } from './ts.js';
import { TypeRefs, memberNotes, tsType, unionName } from './typeref.js';

/** `types.ts`: an interface per data type, the data type map and the unions of polymorphic bases. */
export function emitTypes(model: Model): string {
  const refs = new TypeRefs();
  let body = '';

  body += docComment([
    'A reference to a managed object: `type` is the wire name of its managed type (`VirtualMachine`),',
    '`value` its id on the server (`vm-42`). `T` narrows the managed type where hand-written code knows it.',
  ]);
  body += 'export interface ManagedObjectReference<T extends string = string> {\n  type: T;\n  value: string;\n}\n';

  for (const name of model.dataNames) {
    const t = model.data(name);
    const kind = name === 'MethodFault' || model.isFault(name) ? 'fault' : 'data object';
    const lines = [`\`${t.name}\` (${kind}, since ${model.versionLabel(t.version)}).`];
    if (model.isPolymorphic(name)) lines.push(`Where it is declared, any of {@link ${unionName(name)}} may travel.`);
    body += `\n${docComment(lines)}`;
    body += `export interface ${name}${t.base === undefined ? '' : ` extends ${t.base}`} {\n`;
    if (t.base === undefined) {
      body += docComment(
        [
          'The wire type name. The decoder always sets it; the encoder writes it as `xsi:type` where it differs',
          'from the declared type (a `VirtualDisk` in a `VirtualDevice` member).',
        ],
        '  ',
      );
      body += '  _type?: string;\n';
    }
    for (const p of t.props) {
      body += docComment(memberNotes(model, p, t.version), '  ');
      body += `  ${propKey(p.name)}${p.optional ? '?' : ''}: ${tsType(model, p, refs)};\n`;
    }
    body += '}\n';
  }

  body += `\n${docComment(['Every data type by wire name (the `_type` the decoder sets).'])}`;
  body += 'export interface DataTypeMap {\n';
  for (const name of model.dataNames) body += `  ${propKey(name)}: ${name};\n`;
  body += '}\n';

  for (const name of model.dataNames) {
    if (!model.isPolymorphic(name)) continue;
    const members = [name, ...model.dataDescendants(name)];
    body += `\n${docComment([`\`${name}\` or any of its ${members.length - 1} descendants.`])}`;
    body += `export type ${unionName(name)} =\n${members.map((m) => `  | ${m}`).join('\n')};\n`;
  }

  return `${importTypes(refs.enums, './enums.js')}\n${body}`;
}
