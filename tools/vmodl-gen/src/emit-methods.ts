import type { MethodDoc, ResultDoc } from './document.js';
import type { Model, OwnedMethod } from './model.js';
import { docComment, importTypes, propKey, quote } from './ts.js';
import { TypeRefs, memberNotes, referencePhrase, tsType } from './typeref.js';

function resultType(model: Model, r: ResultDoc, refs: TypeRefs): string {
  const t = tsType(model, r, refs);
  return r.optional === true ? `${t} | undefined` : t;
}

function methodEntry(model: Model, { owner, method: m }: OwnedMethod, refs: TypeRefs): string {
  const lines = [`\`${model.managed(owner).name}.${m.vmodlName}\`, since ${model.versionLabel(m.version)}.`];
  if (m.privilege !== undefined) lines.push(`Privilege: \`${m.privilege}\`.`);
  if (m.faults.length > 0) lines.push(`Faults: ${m.faults.map((f) => `\`${f}\``).join(', ')}.`);
  if (m.returns?.moType !== undefined) lines.push(`Returns ${referencePhrase(m.returns.moType, m.returns.array)}.`);
  let out = docComment(lines, '  ');
  out += `  ${propKey(m.name)}: {\n`;
  const receivers = [owner, ...model.managedDescendants(owner)];
  out += `    this: ${receivers.map(quote).join(' | ')};\n`;
  out += paramsType(model, m, refs);
  out += `    returns: ${m.returns === undefined ? 'void' : resultType(model, m.returns, refs)};\n`;
  if (m.taskResult !== undefined) {
    out += docComment(["The type of the task's `info.result` once the task succeeds."], '    ');
    out += `    taskResult: ${m.taskResult === null ? 'void' : tsType(model, m.taskResult, refs)};\n`;
  }
  out += '  };\n';
  return out;
}

function paramsType(model: Model, m: MethodDoc, refs: TypeRefs): string {
  if (m.params.length === 0) return '    params: Record<string, never>;\n';
  let out = '    params: {\n';
  for (const p of m.params) {
    out += docComment(memberNotes(model, p, m.version), '      ');
    out += `      ${propKey(p.name)}${p.optional ? '?' : ''}: ${tsType(model, p, refs)};\n`;
  }
  return `${out}    };\n`;
}

/**
 * `methods.ts`: `VimMethodMap` and `PbmMethodMap`, keyed by wire method name: the managed types that
 * declare or inherit the method (`this`), its parameters by name, its result, and for methods that
 * start a task, the task's result.
 */
export function emitMethods(model: Model): string {
  const refs = new TypeRefs();
  let body = '';
  for (const [mapName, ns, service] of [
    ['VimMethodMap', 'vim25', 'VIM (urn:vim25, including the vmodl.query property collector)'],
    ['PbmMethodMap', 'pbm', 'PBM (urn:pbm)'],
  ] as const) {
    const methods = model.methods.filter((m) => m.method.ns === ns);
    body += `\n${docComment([`Every ${service} method by wire name (${methods.length} methods).`])}`;
    body += `export interface ${mapName} {\n`;
    body += methods.map((m) => methodEntry(model, m, refs)).join('');
    body += '}\n';
    const nameType = mapName.replace('Map', 'Name');
    body += `\n${docComment([`The wire name of a ${ns === 'pbm' ? 'PBM' : 'VIM'} method.`])}`;
    body += `export type ${nameType} = keyof ${mapName};\n`;
  }
  return `${importTypes(refs.enums, './enums.js')}${importTypes(refs.types, './types.js')}${body}`;
}
