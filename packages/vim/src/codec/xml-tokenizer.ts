import { VimResponseError, type XmlPosition } from '../errors.js';

/** Receives the tokens of a document, in order. Names are local names (any prefix removed). */
export interface XmlHandler {
  /**
   * An element starts. `xsiType` is the local part of an `xsi:type` attribute, `typeAttr` the value of
   * an unprefixed `type` attribute (a managed object reference's type); both undefined when absent.
   */
  open(name: string, xsiType: string | undefined, typeAttr: string | undefined): void;
  /** Whether character data at this point matters (when not, it is not even made into a string). */
  acceptsText(): boolean;
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

/** Size of the name table (a power of two). */
const NAME_SLOTS = 1024;

/** Longest unconsumed tail that {@link XmlTokenizer.write} finishes apart from the next piece. */
const JOIN_LIMIT = 4096;

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
  /** Names seen, by a hash of their characters (a collision just makes a new string). */
  private readonly nameTable: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS);
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
    let joined = false;
    if (this.pending.length > 0) {
      chunk = this.pending.join('') + chunk;
      this.pending = [];
      this.pendingLength = 0;
      joined = true;
    }
    this.advanceLines(this.pos);
    this.consumed += this.pos;
    const rest = this.buf.length - this.pos;
    if (rest === 0) {
      this.buf = chunk;
      this.pos = 0;
      this.run(false);
      return;
    }
    if (!joined && rest <= JOIN_LIMIT) {
      // The unconsumed tail (usually a tag cut in two) joined with the whole piece would make a
      // concatenated string that every later character access pays for. Finish the tail with the
      // piece's start up to its first '>' instead, then go on in the piece itself.
      const gt = chunk.indexOf('>');
      if (gt >= 0 && gt + 1 < chunk.length) {
        this.buf = this.buf.slice(this.pos) + chunk.slice(0, gt + 1);
        this.pos = 0;
        this.run(false);
        const at = this.pos;
        if (at >= rest) {
          this.advanceLines(rest);
          this.consumed += rest;
          this.buf = chunk;
          this.pos = at - rest;
          this.run(false);
          return;
        }
        // The tail's token goes on past that '>' (one in an attribute value or a comment): as usual.
        this.advanceLines(at);
        this.consumed += at;
        this.buf = this.buf.slice(at) + chunk.slice(gt + 1);
        this.pos = 0;
        this.run(false);
        return;
      }
    }
    this.buf = this.buf.slice(this.pos) + chunk;
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
        const names = this.names;
        const top = names[names.length - 1];
        if (top !== undefined && buf.charCodeAt(pos + 2 + top.length) === 62 /* > */ && sameChars(buf, pos + 2, top)) {
          // The common case: the closing tag is exactly </name>.
          names.pop();
          this.depth--;
          this.handler.close(top);
          pos += 3 + top.length;
          continue;
        }
        const gt = buf.indexOf('>', pos);
        if (gt < 0) break;
        const expected = names.pop();
        if (expected === undefined || !closes(buf, pos + 2, gt, expected)) {
          const raw = buf.slice(pos + 2, gt).trimEnd();
          if (expected === undefined) this.fail(`unexpected closing tag </${raw}>`, pos);
          this.fail(`closing tag </${raw}> does not match <${expected}>`, pos);
        }
        this.depth--;
        this.handler.close(expected);
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
    let colon = -1;
    let h = 0x811c9dc5 | 0; // FNV-1a of the local name, to find it among the names seen before
    // The name, checked as it is scanned: ASCII letters, digits, '_', '-', '.', at most one ':'.
    for (; i < len; i++) {
      const ch = buf.charCodeAt(i);
      if (ch < 128 && NAME_CHAR[ch] === 1) {
        h = Math.imul(h ^ ch, 0x01000193);
        continue;
      }
      if (ch === 58 /* : */ && colon < 0) {
        colon = i;
        h = 0x811c9dc5 | 0;
        continue;
      }
      break;
    }
    if (i >= len) return -1;
    const end = buf.charCodeAt(i);
    if (
      (end !== 62 && end !== 47 && end !== 32 && end !== 10 && end !== 13 && end !== 9) ||
      !nameStart(buf.charCodeAt(start + 1)) ||
      (colon >= 0 && !nameStart(buf.charCodeAt(colon + 1)))
    ) {
      let stop = i;
      while (stop < len && ![62, 47, 32, 10, 13, 9].includes(buf.charCodeAt(stop))) stop++;
      this.fail(`malformed tag name ${JSON.stringify(buf.slice(start + 1, Math.min(stop, start + 41)))}`, start);
    }
    const name = this.intern(buf, colon < 0 ? start + 1 : colon + 1, i, h);
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
        this.handler.open(name, xsiType, typeAttr);
        if (selfClosing) this.handler.close(name);
        else {
          this.depth++;
          this.names.push(name);
        }
        return i + 1;
      }
      // An attribute: name = "value" or 'value'. Only `type` and `<prefix>:type` are kept.
      const attrStart = i;
      let attrColon = -1;
      for (; i < len; i++) {
        const ch = buf.charCodeAt(i);
        if (ch < 128 && NAME_CHAR[ch] === 1) continue;
        if (ch === 58 /* : */ && attrColon < 0) {
          attrColon = i;
          continue;
        }
        break;
      }
      const attrEnd = i;
      while (i < len && isSpace(buf.charCodeAt(i))) i++;
      if (i >= len) return -1;
      if (attrEnd === attrStart || buf.charCodeAt(i) !== 61 /* = */ || !nameStart(buf.charCodeAt(attrStart)) || (attrColon >= 0 && !nameStart(buf.charCodeAt(attrColon + 1)))) {
        const eq = buf.indexOf('=', attrStart);
        this.fail(`malformed attribute ${JSON.stringify(buf.slice(attrStart, eq < 0 ? attrStart + 40 : Math.min(eq, attrStart + 40)).trim())}`, attrStart);
      }
      let q = i + 1;
      while (q < len && isSpace(buf.charCodeAt(q))) q++;
      if (q >= len) return -1;
      const quote = buf.charCodeAt(q);
      if (quote !== 34 && quote !== 39) this.fail(`attribute ${buf.slice(attrStart, attrEnd)} is not quoted`, q);
      const close = buf.indexOf(quote === 34 ? '"' : "'", q + 1);
      if (close < 0) return -1;
      const lt = buf.indexOf('<', q + 1);
      if (lt >= 0 && lt < close) this.fail(`"<" in the value of attribute ${buf.slice(attrStart, attrEnd)}`, q);
      if (attrColon < 0) {
        if (attrEnd - attrStart === 4 && buf.startsWith('type', attrStart)) typeAttr = this.attrValue(buf, q + 1, close);
      } else if (attrEnd - attrColon === 5 && buf.startsWith('type', attrColon + 1) && !buf.startsWith('xmlns', attrStart)) {
        const v = this.attrValue(buf, q + 1, close);
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

  /**
   * buf[from, to) as a string, the same string as the last time this name was seen: a response repeats
   * a few hundred names millions of times, and not allocating each one again saves much of the garbage.
   */
  private intern(buf: string, from: number, to: number, hash: number): string {
    const slot = hash & (NAME_SLOTS - 1);
    const known = this.nameTable[slot];
    if (known !== undefined && known.length === to - from && sameChars(buf, from, known)) return known;
    const name = buf.slice(from, to);
    this.nameTable[slot] = name;
    return name;
  }

  private attrValue(buf: string, from: number, to: number): string {
    const raw = buf.slice(from, to);
    return raw.includes('&') ? this.decodeEntities(raw, from) : raw;
  }

  private emitText(buf: string, from: number, to: number): void {
    if (!this.handler.acceptsText()) {
      // Still refuse what would be refused if it mattered: markup characters in the wrong place. The
      // '&' is looked for within the text only (a search of the piece from here would scan the rest
      // of it again for every run of white space between elements).
      for (let i = from; i < to; i++) {
        if (buf.charCodeAt(i) === 38 /* & */) {
          this.decodeEntities(buf.slice(from, to), from);
          break;
        }
      }
      return;
    }
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

/** 1 for the ASCII characters of a name other than ':' (letters, digits, '_', '-', '.'). */
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[\w.-]/.test(ch)) NAME_CHAR[c] = 1;
}

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/** Whether a character may start a name (or the part after a prefix). */
function nameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Whether `s` occurs in `buf` at `at` (a loop: faster than startsWith on the short names it compares). */
function sameChars(buf: string, at: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (buf.charCodeAt(at + i) !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * Whether buf[from, gt) (a closing tag's name, maybe followed by white space) names the local name
 * `expected`, with or without a prefix, without making a string of it.
 */
function closes(buf: string, from: number, gt: number, expected: string): boolean {
  let end = gt;
  for (let c = buf.charCodeAt(end - 1); end > from && (c === 32 || c === 10 || c === 13 || c === 9); c = buf.charCodeAt(end - 1)) end--;
  const local = end - expected.length;
  if (local < from || !sameChars(buf, local, expected)) return false;
  if (local === from) return true;
  if (buf.charCodeAt(local - 1) !== 58 /* : */ || local - 1 === from || !nameStart(buf.charCodeAt(from))) return false;
  for (let i = from; i < local - 1; i++) {
    const c = buf.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] !== 1) return false;
  }
  return true;
}
