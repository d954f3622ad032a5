/**
 * A small, strict, non-validating XML reader for OVF descriptors: elements, attributes, text, CDATA,
 * comments, processing instructions, the five predefined entities and character references, and
 * namespaces. It refuses DTDs (so no entity expansion) and limits depth. Not a general XML library:
 * it holds the whole (small) document and builds a tree.
 */

/** An element with its namespace resolved. */
export interface XmlElement {
  /** The local name (without prefix). */
  readonly name: string;
  /** The namespace URI, '' when none. */
  readonly ns: string;
  /** Attributes: `{ ns, name, value }`, namespace resolved ('' for unprefixed attributes). */
  readonly attributes: readonly { readonly ns: string; readonly name: string; readonly value: string }[];
  /** Child elements, in order. */
  readonly children: readonly XmlElement[];
  /** The concatenated text directly inside this element. */
  readonly text: string;
}

/** Thrown by {@link parseXml}; the caller wraps it in its own typed error. */
export class XmlSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at character ${position}`);
    this.name = 'XmlSyntaxError';
    this.position = position;
  }
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const NAME = /[A-Za-z_:\u00C0-\uFFFF][\w.:\-\u00B7\u00C0-\uFFFF]*/y;
const MAX_DEPTH = 256;

function decodeEntities(s: string, at: number): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z]+);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlSyntaxError('bare "&"', at);
    if (ref.startsWith('#x') || ref.startsWith('#')) {
      const code = ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff) throw new XmlSyntaxError(`invalid character reference ${m}`, at);
      return String.fromCodePoint(code);
    }
    switch (ref) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        throw new XmlSyntaxError(`undefined entity ${m}`, at);
    }
  });
}

interface Building {
  qname: string;
  attrs: { qname: string; value: string }[];
  scope: Map<string, string>;
  children: XmlElement[];
  text: string[];
}

function resolve(qname: string, scope: Map<string, string>, isAttribute: boolean, at: number): { ns: string; name: string } {
  const colon = qname.indexOf(':');
  if (colon < 0) return { ns: isAttribute ? '' : (scope.get('') ?? ''), name: qname };
  const prefix = qname.slice(0, colon);
  const name = qname.slice(colon + 1);
  if (prefix === 'xml') return { ns: XML_NS, name };
  const ns = scope.get(prefix);
  if (ns === undefined) throw new XmlSyntaxError(`undeclared namespace prefix "${prefix}"`, at);
  return { ns, name };
}

/**
 * Parses a whole XML document and returns its root element.
 * @throws XmlSyntaxError on anything that is not well-formed, a DTD, or nesting deeper than 256.
 */
export function parseXml(text: string): XmlElement {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: Building[] = [];
  let root: XmlElement | undefined;
  const n = text.length;

  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (m === null) throw new XmlSyntaxError('expected a name', i);
    i += m[0].length;
    return m[0];
  };
  const skipSpace = (): void => {
    while (i < n && ' \t\r\n'.includes(text.charAt(i))) i++;
  };

  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunkEnd = lt < 0 ? n : lt;
    if (chunkEnd > i) {
      const chunk = text.slice(i, chunkEnd);
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (chunk.trim() !== '') throw new XmlSyntaxError('text outside the root element', i);
      } else top.text.push(decodeEntities(chunk, i));
      i = chunkEnd;
      if (lt < 0) break;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) throw new XmlSyntaxError('unterminated comment', i);
      i = end + 3;
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) throw new XmlSyntaxError('unterminated processing instruction', i);
      i = end + 2;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (end < 0) throw new XmlSyntaxError('unterminated CDATA section', i);
      const top = stack[stack.length - 1];
      if (top === undefined) throw new XmlSyntaxError('CDATA outside the root element', i);
      top.text.push(text.slice(i + 9, end));
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      throw new XmlSyntaxError('DTDs and declarations are not accepted', i);
    } else if (text.startsWith('</', i)) {
      const at = i;
      i += 2;
      const qname = readName();
      skipSpace();
      if (text.charAt(i) !== '>') throw new XmlSyntaxError('expected ">"', i);
      i++;
      const top = stack.pop();
      if (top === undefined || top.qname !== qname) throw new XmlSyntaxError(`unexpected </${qname}>`, at);
      const done = finish(top, at);
      const parent = stack[stack.length - 1];
      if (parent === undefined) root = done;
      else parent.children.push(done);
    } else {
      const at = i;
      if (root !== undefined) throw new XmlSyntaxError('a second root element', at);
      i++;
      const qname = readName();
      const attrs: { qname: string; value: string }[] = [];
      let selfClosing = false;
      for (;;) {
        const before = i;
        skipSpace();
        const c = text.charAt(i);
        if (c === '>') {
          i++;
          break;
        }
        if (c === '/' && text.charAt(i + 1) === '>') {
          i += 2;
          selfClosing = true;
          break;
        }
        if (i === before) throw new XmlSyntaxError('expected white space between attributes', i);
        const aname = readName();
        skipSpace();
        if (text.charAt(i) !== '=') throw new XmlSyntaxError(`attribute ${aname} without a value`, i);
        i++;
        skipSpace();
        const quote = text.charAt(i);
        if (quote !== '"' && quote !== "'") throw new XmlSyntaxError('attribute value without quotes', i);
        const end = text.indexOf(quote, i + 1);
        if (end < 0) throw new XmlSyntaxError('unterminated attribute value', i);
        const raw = text.slice(i + 1, end);
        if (raw.includes('<')) throw new XmlSyntaxError('"<" in an attribute value', i);
        if (attrs.some((a) => a.qname === aname)) throw new XmlSyntaxError(`duplicate attribute ${aname}`, i);
        attrs.push({ qname: aname, value: decodeEntities(raw, i).replace(/[\t\r\n]/g, ' ') });
        i = end + 1;
      }
      if (stack.length >= MAX_DEPTH) throw new XmlSyntaxError('elements nested too deeply', at);
      const parentScope = stack[stack.length - 1]?.scope ?? new Map<string, string>();
      let scope = parentScope;
      for (const a of attrs) {
        if (a.qname === 'xmlns' || a.qname.startsWith('xmlns:')) {
          if (scope === parentScope) scope = new Map(parentScope);
          scope.set(a.qname === 'xmlns' ? '' : a.qname.slice(6), a.value);
        }
      }
      const building: Building = { qname, attrs, scope, children: [], text: [] };
      if (selfClosing) {
        const done = finish(building, at);
        const parent = stack[stack.length - 1];
        if (parent === undefined) root = done;
        else parent.children.push(done);
      } else stack.push(building);
    }
  }
  if (stack.length > 0) throw new XmlSyntaxError(`unclosed element <${stack[stack.length - 1]?.qname ?? ''}>`, n);
  if (root === undefined) throw new XmlSyntaxError('no root element', n);
  return root;
}

function finish(b: Building, at: number): XmlElement {
  const { ns, name } = resolve(b.qname, b.scope, false, at);
  const attributes = b.attrs
    .filter((a) => a.qname !== 'xmlns' && !a.qname.startsWith('xmlns:'))
    .map((a) => ({ ...resolve(a.qname, b.scope, true, at), value: a.value }));
  return { name, ns, attributes, children: b.children, text: b.text.join('') };
}
