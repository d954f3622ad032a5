/**
 * A small XML parser for VMware's XSD and WSDL files (the tests read them; nothing at run time does).
 * Elements, attributes, text, comments, CDATA and processing instructions; no DTDs, no entities beyond
 * the five predefined ones and character references.
 */

/** One element: its qualified name as written, its attributes, child elements and direct text. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string, at: number): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (match, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`XML: stray & near offset ${at}`);
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const value = PREDEFINED[ref];
    if (value === undefined) throw new Error(`XML: unknown entity ${match} near offset ${at}`);
    return value;
  });
}

const NAME = /[A-Za-z_:][\w.:-]*/y;
const ATTR = /\s*([A-Za-z_:][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

/** Parses a document and returns its root element. Throws on malformed input or a DTD. */
export function parseXml(text: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  function fail(message: string): never {
    throw new Error(`XML: ${message} at offset ${i}`);
  }
  function expectEnd(close: string): number {
    const end = text.indexOf(close, i);
    if (end < 0) fail(`unterminated ${close}`);
    return end;
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    const top = stack[stack.length - 1];
    if (top) top.text += decode(chunk, i);
    else if (chunk.trim() !== '') fail('text outside the root element');
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      i = expectEnd('-->') + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = expectEnd(']]>');
      if (!top) fail('CDATA outside the root element');
      top.text += text.slice(i + 9, end);
      i = end + 3;
    } else if (text.startsWith('<?', i)) {
      i = expectEnd('?>') + 2;
    } else if (text.startsWith('<!', i)) {
      fail('DTDs and declarations are refused');
    } else if (text.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(text);
      if (!m) fail('bad end tag');
      const open = stack.pop();
      if (!open || open.name !== m[0]) fail(`end tag </${m[0]}> does not close <${open?.name ?? ''}>`);
      i = expectEnd('>') + 1;
      if (text.slice(NAME.lastIndex, i - 1).trim() !== '') fail('junk in end tag');
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(text);
      if (!m) fail('bad start tag');
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      let j = NAME.lastIndex;
      for (;;) {
        ATTR.lastIndex = j;
        const a = ATTR.exec(text);
        if (!a) break;
        const key = a[1]!;
        if (Object.hasOwn(el.attrs, key)) fail(`duplicate attribute ${key}`);
        el.attrs[key] = decode(a[3] ?? a[4] ?? '', j);
        j = ATTR.lastIndex;
      }
      while (j < text.length && /\s/.test(text[j]!)) j++;
      const selfClosing = text.startsWith('/>', j);
      if (!selfClosing && text[j] !== '>') {
        i = j;
        fail(`bad start tag <${el.name}>`);
      }
      i = j + (selfClosing ? 2 : 1);
      if (top) top.children.push(el);
      else if (root) fail('second root element');
      else root = el;
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) fail('no root element');
  return root;
}

/** The local part of a qualified name (`xsd:string` -> `string`). */
export function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/** Every descendant element (depth first, document order) whose local name is `name`. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (localName(c.name) === name) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

/** The child elements whose local name is `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => localName(c.name) === name);
}
