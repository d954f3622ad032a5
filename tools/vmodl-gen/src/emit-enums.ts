import type { Model } from './model.js';
import { docComment, quote } from './ts.js';

/**
 * `enums.ts`: a string-literal union per enum. The values exist at run time only in `schema.ts`
 * (`enumTypes`), which is what the codec reads.
 */
export function emitEnums(model: Model): string {
  let body = '';
  for (const name of model.enumNames) {
    const e = model.doc.enums[name]!;
    body += `\n${docComment([`\`${e.name}\` (enum, since ${model.versionLabel(e.version)}).`])}`;
    if (e.values.length === 0) body += `export type ${name} = never;\n`;
    else body += `export type ${name} =\n${e.values.map((v) => `  | ${quote(v)}`).join('\n')};\n`;
  }
  return body;
}
