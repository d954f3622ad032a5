/** Small helpers for writing TypeScript source text. */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A single-quoted string literal; non-ASCII and control characters are escaped, so output is ASCII. */
export function quote(s: string): string {
  let out = "'";
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "'" || ch === '\\') out += `\\${ch}`;
    else if (code < 0x20 || code > 0x7e) {
      out += code > 0xffff ? ch.split('').map(unicodeEscape).join('') : unicodeEscape(ch);
    } else out += ch;
  }
  return `${out}'`;
}

function unicodeEscape(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A property key: bare when it is an identifier, quoted otherwise. */
export function propKey(name: string): string {
  return IDENTIFIER.test(name) && name !== '__proto__' ? name : quote(name);
}

/** True when `name` can be used as a type or binding name. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** Splits a line at spaces so that no piece is longer than `width` (unless a single word is). */
export function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  out.push(current);
  return out;
}

/**
 * A TSDoc comment of the given lines at the given indentation, or nothing when there are no lines. Long
 * lines are wrapped at 110 columns.
 */
export function docComment(lines: readonly string[], indent = ''): string {
  const clean = lines.flatMap((l) => wrap(l.replace(/\*\//g, '*\\/'), 107 - indent.length));
  if (clean.length === 0) return '';
  if (clean.length === 1 && indent.length + clean[0]!.length < 110) return `${indent}/** ${clean[0]} */\n`;
  return `${indent}/**\n${clean.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

/** `import type { a, b } from 'from';` with one name per line, or nothing when `names` is empty. */
export function importTypes(names: Iterable<string>, from: string): string {
  const sorted = [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0) return '';
  if (sorted.length <= 3) return `import type { ${sorted.join(', ')} } from ${quote(from)};\n`;
  return `import type {\n${sorted.map((n) => `  ${n},\n`).join('')}} from ${quote(from)};\n`;
}
