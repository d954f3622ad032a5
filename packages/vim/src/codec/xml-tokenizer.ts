import { VimResponseError, type XmlPosition } from '../errors.js';

/** Receives the tokens of a document, in order. Names are local names (any prefix removed). */
export interface XmlHandler {
  /**
   * An element starts. `xsiType` is the local part of an `xsi:type` attribute, `typeAttr` the value of
   * an unprefixed `type` attribute (a managed object reference's type); both undefined when absent.
   */
  open(name: string, xsiType: string | undefined, typeAttr: string | undefined): void;
  /** Character data inside the current element, entities already decoded; may come in pieces. */
  text(value: string): void;
  /** The current element ends. */
  close(name: string): void;
}

/** Limits that keep a hostile or broken response from exhausting memory or time. */
export interface XmlLimits {
  /** Most characters accepted in one response (default 1 GiB). */
  maxLength?: number;
  /** Deepest element nesting accepted (default 512). */
  maxDepth?: number;
}

const namedEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * A push tokenizer for the XML that SOAP servers send: elements, attributes, character data, CDATA,
 * comments and processing instructions, with the five predefined entities and character references.
 * Document type declarations and any other entity are refused. Input may be fed in pieces of any
 * size; memory holds only the unconsumed tail, not the document.
 */
export class XmlTokenizer {
  private buf = '';
  private pos = 0;
  private consumed = 0; // characters dropped from the front of buf
  private line = 1;
  private lineStart = 0; // absolute offset of the current line's first character
  private depth = 0;
  private readonly names: string[] = [];
  private readonly maxLength: number;
  private readonly maxDepth: number;
  private seenRoot = false;
  private ended = false;
  /** Pieces that arrived while markup was incomplete and could not have completed it. */
  private pending: string[] = [];
  private pendingLength = 0;

  constructor(
    private readonly handler: XmlHandler,
    limits: XmlLimits = {},
  ) {
    this.maxLength = limits.maxLength ?? 1 << 30;
    this.maxDepth = limits.maxDepth ?? 512;
  }

  /** Feeds the next piece of the document. */
  write(chunk: string): void {
    if (this.consumed + this.buf.length + this.pendingLength + chunk.length > this.maxLength) {
      throw new VimResponseError(`response larger than the limit of ${this.maxLength} characters`, { code: 'VMKIT_VIM_RESPONSE_TOO_LARGE' });
    }
    if (this.pos < this.buf.length && this.buf.charCodeAt(this.pos) === 60 /* < */ && !chunk.includes('>')) {
      // Markup (a tag, comment, CDATA section) is incomplete and cannot end in this piece: keep the
      // piece aside instead of scanning the markup again, so that a huge token costs linear time.
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      return;
    }
    if (this.pending.length > 0) {
      chunk = this.pending.join('') + chunk;
      this.pending = [];
      this.pendingLength = 0;
    }
    this.advanceLines(this.pos);
    this.consumed += this.pos;
    this.buf = this.pos === this.buf.length ? chunk : this.buf.slice(this.pos) + chunk;
    this.pos = 0;
    this.run(false);
  }

  /** Ends the document; throws when it is incomplete. */
  end(): void {
    if (this.pending.length > 0) {
      const rest = this.pending.join('');
      this.pending = [];
      this.pendingLength = 0;
      this.write(rest);
    }
    this.run(true);
    if (this.pos < this.buf.length) {
      const rest = this.buf.slice(this.pos);
      if (rest.trim() !== '') {
        this.fail(!this.seenRoot && !rest.includes('<') ? 'the response is not XML' : rest.includes('<') ? 'truncated markup at the end of the response' : 'text after the root element');
      }
    }
    if (this.depth > 0) this.fail(`response truncated: <${this.names[this.names.length - 1]}> is not closed`);
    if (!this.seenRoot) this.fail('the response is empty');
    this.ended = true;
  }

  /** Whether {@link end} has completed. */
  get done(): boolean {
    return this.ended;
  }

  private advanceLines(upTo: number): void {
    let i = this.buf.indexOf('\n');
    while (i >= 0 && i < upTo) {
      this.line++;
      this.lineStart = this.consumed + i + 1;
      i = this.buf.indexOf('\n', i + 1);
    }
  }

  /** The position of buf[at], for messages. */
  position(at = this.pos): XmlPosition {
    let line = this.line;
    let lineStart = this.lineStart;
    for (let i = this.buf.indexOf('\n'); i >= 0 && i < at; i = this.buf.indexOf('\n', i + 1)) {
      line++;
      lineStart = this.consumed + i + 1;
    }
    const offset = this.consumed + at;
    return { offset, line, column: offset - lineStart + 1 };
  }

  private fail(message: string, at = this.pos): never {
    throw new VimResponseError(message, { position: this.position(at) });
  }

  private run(final: boolean): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = this.pos;
    while (pos < len) {
      this.pos = pos; // so that a handler's error reports where it is
      const lt = buf.indexOf('<', pos);
      if (lt < 0) {
        if (this.depth === 0) {
          // Only white space may stand outside the root element; anything else fails at once.
          if (buf.slice(pos).trim() !== '') {
            if (!this.seenRoot) this.fail('the response is not XML', pos);
            this.fail('text after the root element', pos);
          }
          pos = len;
          break;
        }
        if (final) this.fail('response truncated inside character data');
        // The text goes on in the next piece. Hand over what is complete now (all of it but an entity
        // reference cut in two), so that a long text is not scanned again with every piece.
        const amp = buf.lastIndexOf('&');
        const cut = amp >= pos && buf.indexOf(';', amp) < 0 ? amp : len;
        if (cut > pos) this.emitText(buf, pos, cut);
        pos = cut;
        break;
      }
      if (lt > pos) {
        if (this.depth > 0) this.emitText(buf, pos, lt);
        else if (buf.slice(pos, lt).trim() !== '') this.fail('text outside the root element', pos);
      }
      pos = lt;
      this.pos = pos;
      const c = buf.charCodeAt(pos + 1);
      if (Number.isNaN(c)) break;
      if (c === 47 /* / */) {
        const gt = buf.indexOf('>', pos);
        if (gt < 0) break;
        const raw = buf.slice(pos + 2, gt).trimEnd();
        const expected = this.names.pop();
        if (expected === undefined) this.fail(`unexpected closing tag </${raw}>`, pos);
        const colon = raw.indexOf(':');
        const name = colon < 0 ? raw : raw.slice(colon + 1);
        if (name !== expected) this.fail(`closing tag </${raw}> does not match <${expected}>`, pos);
        this.depth--;
        this.handler.close(name);
        pos = gt + 1;
      } else if (c === 63 /* ? */) {
        const end = buf.indexOf('?>', pos + 2);
        if (end < 0) break;
        pos = end + 2;
      } else if (c === 33 /* ! */) {
        if (buf.startsWith('<!--', pos)) {
          const end = buf.indexOf('-->', pos + 4);
          if (end < 0) break;
          pos = end + 3;
        } else if (buf.startsWith('<![CDATA[', pos)) {
          const end = buf.indexOf(']]>', pos + 9);
          if (end < 0) break;
          if (this.depth === 0) this.fail('CDATA outside the root element', pos);
          this.handler.text(buf.slice(pos + 9, end));
          pos = end + 3;
        } else if (len - pos < 9 && !final) {
          break;
        } else {
          this.fail(buf.startsWith('<!DOCTYPE', pos) ? 'document type declarations are refused' : 'unsupported markup declaration', pos);
        }
      } else {
        const next = this.openTag(buf, pos);
        if (next < 0) break;
        pos = next;
      }
    }
    this.pos = pos;
    if (final && pos < len && this.depth > 0) this.fail('response truncated inside markup');
  }

  /** Parses a start tag at buf[pos] ('<'); returns the position after it, or -1 when incomplete. */
  private openTag(buf: string, start: number): number {
    const len = buf.length;
    let i = start + 1;
    while (i < len) {
      const ch = buf.charCodeAt(i);
      if (ch === 62 || ch === 47 || ch === 32 || ch === 10 || ch === 13 || ch === 9) break;
      i++;
    }
    if (i >= len) return -1;
    const qname = buf.slice(start + 1, i);
    if (qname === '' || !isName(qname)) this.fail(`malformed tag name ${JSON.stringify(qname.slice(0, 40))}`, start);
    let xsiType: string | undefined;
    let typeAttr: string | undefined;
    for (;;) {
      while (i < len) {
        const ch = buf.charCodeAt(i);
        if (ch !== 32 && ch !== 10 && ch !== 13 && ch !== 9) break;
        i++;
      }
      if (i >= len) return -1;
      const ch = buf.charCodeAt(i);
      if (ch === 62 /* > */ || ch === 47 /* / */) {
        let selfClosing = false;
        if (ch === 47) {
          if (i + 1 >= len) return -1;
          if (buf.charCodeAt(i + 1) !== 62) this.fail('malformed empty-element tag', i);
          selfClosing = true;
          i++;
        }
        if (this.depth === 0) {
          if (this.seenRoot) this.fail('a second root element', start);
          this.seenRoot = true;
        }
        if (this.depth >= this.maxDepth) {
          throw new VimResponseError(`elements nested deeper than the limit of ${this.maxDepth}`, {
            code: 'VMKIT_VIM_RESPONSE_TOO_DEEP',
            position: this.position(start),
          });
        }
        const colon = qname.indexOf(':');
        const name = colon < 0 ? qname : qname.slice(colon + 1);
        this.handler.open(name, xsiType, typeAttr);
        if (selfClosing) this.handler.close(name);
        else {
          this.depth++;
          this.names.push(name);
        }
        return i + 1;
      }
      // An attribute: name = "value" or 'value'.
      const eq = buf.indexOf('=', i);
      if (eq < 0) return -1;
      const attr = buf.slice(i, eq).trim();
      if (!isName(attr)) this.fail(`malformed attribute ${JSON.stringify(attr.slice(0, 40))}`, i);
      let q = eq + 1;
      while (q < len && (buf.charCodeAt(q) === 32 || buf.charCodeAt(q) === 10 || buf.charCodeAt(q) === 13 || buf.charCodeAt(q) === 9)) q++;
      if (q >= len) return -1;
      const quote = buf.charCodeAt(q);
      if (quote !== 34 && quote !== 39) this.fail(`attribute ${attr} is not quoted`, q);
      const close = buf.indexOf(quote === 34 ? '"' : "'", q + 1);
      if (close < 0) return -1;
      const rawValue = buf.slice(q + 1, close);
      if (rawValue.includes('<')) this.fail(`"<" in the value of attribute ${attr}`, q);
      if (attr === 'type') typeAttr = this.decodeEntities(rawValue, q + 1);
      else if (attr.endsWith(':type') && !attr.startsWith('xmlns')) {
        const v = this.decodeEntities(rawValue, q + 1);
        const c = v.indexOf(':');
        xsiType = c < 0 ? v : v.slice(c + 1);
      }
      i = close + 1;
      const after = buf.charCodeAt(i);
      if (i < len && after !== 32 && after !== 10 && after !== 13 && after !== 9 && after !== 62 && after !== 47) {
        this.fail('attributes must be separated by white space', i);
      }
    }
  }

  private emitText(buf: string, from: number, to: number): void {
    const raw = buf.slice(from, to);
    this.handler.text(raw.includes('&') ? this.decodeEntities(raw, from) : raw);
  }

  private decodeEntities(raw: string, at: number): string {
    let out = '';
    let last = 0;
    for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', last)) {
      const semi = raw.indexOf(';', amp + 1);
      if (semi < 0 || semi - amp > 12) this.fail('an "&" that starts no entity', at + amp);
      const name = raw.slice(amp + 1, semi);
      if (!/^(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*)$/.test(name)) this.fail('an "&" that starts no entity', at + amp);
      let ch: string | undefined;
      if (name.charCodeAt(0) === 35 /* # */) {
        const code = name.charCodeAt(1) === 120 /* x */ ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        const digits = name.charCodeAt(1) === 120 ? /^[0-9a-fA-F]+$/.test(name.slice(2)) : /^[0-9]+$/.test(name.slice(1));
        // XML 1.0's Char production: no other controls, no surrogates, not U+FFFE or U+FFFF.
        if (!digits || !(code === 9 || code === 10 || code === 13 || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff))) {
          this.fail(`invalid character reference &${name};`, at + amp);
        }
        ch = String.fromCodePoint(code);
      } else {
        ch = namedEntities[name];
        if (ch === undefined) this.fail(`undeclared entity &${name}; (entities are refused)`, at + amp);
      }
      out += raw.slice(last, amp) + ch;
      last = semi + 1;
    }
    return out + raw.slice(last);
  }
}

function isName(s: string): boolean {
  return /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/.test(s);
}
