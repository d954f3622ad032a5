import { faultError, VimResponseError, type FaultObject, type VimFaultError } from '../errors.js';
import { fitsInteger, primitiveTypes, type Member, type Schema } from './schema.js';
import { XmlTokenizer, type XmlHandler, type XmlLimits } from './xml-tokenizer.js';

/** A value of a type this client does not know (a newer server's): kept with its wire type and raw members. */
export interface RawValue {
  _type: string;
  [member: string]: unknown;
}

const enum K {
  Envelope,
  Body,
  Response,
  Fault,
  FaultDetail,
  Object,
  Text,
  Mor,
  AnyArray,
  Raw,
  Skip,
}

interface Frame {
  k: K;
  /** The wire type being decoded (Object, Text, AnyArray item type, Raw). */
  type: string;
  /** The element's name in its parent (the member it fills). */
  name: string;
  /** Whether the member is an array (collect repeated elements). */
  array: boolean;
  obj: Record<string, unknown> | undefined;
  arr: unknown[] | undefined;
  text: string;
  /** The managed object type (Mor frames). */
  moType: string | undefined;
  /** Raw frames: whether any child element was seen. */
  hadChild: boolean;
  /** Object frames: the type's members by name. */
  members: ReadonlyMap<string, Slot> | undefined;
}

const NO_TEXT = '';

/** How the decoder treats a declared type, computed once per schema and type. */
const enum Kind {
  Primitive,
  Enum,
  Data,
  Mor,
  Any,
  Other,
}
const kinds = new WeakMap<Schema, Map<string, Kind>>();

/** The kind cache of a schema (shared by every decoder of that schema). */
function kindCache(schema: Schema): Map<string, Kind> {
  let cache = kinds.get(schema);
  if (cache === undefined) kinds.set(schema, (cache = new Map<string, Kind>()));
  return cache;
}

function kindOf(schema: Schema, cache: Map<string, Kind>, type: string): Kind {
  let k = cache.get(type);
  if (k === undefined) {
    k =
      type === 'ManagedObjectReference'
        ? Kind.Mor
        : primitiveTypes.has(type)
          ? Kind.Primitive
          : schema.isEnum(type)
            ? Kind.Enum
            : schema.isDataType(type)
              ? Kind.Data
              : type === 'anyType'
                ? Kind.Any
                : Kind.Other;
    // Only the schema's own types are remembered: a server's unknown xsi:types must not grow the cache.
    if (k !== Kind.Other) cache.set(type, k);
  }
  return k;
}

/** A member as the decoder uses it: its declared type and how to treat it. */
interface Slot {
  readonly type: string;
  readonly array: boolean;
  readonly kind: Kind;
}
const slotTables = new WeakMap<Schema, Map<string, ReadonlyMap<string, Slot>>>();

/** An integer written plainly (optional '-', at most 15 digits), or undefined for anything else. */
function plainInteger(t: string): number | undefined {
  const len = t.length;
  if (len === 0 || len > 16) return undefined;
  let i = t.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (i === len || len - i > 15) return undefined;
  let n = 0;
  for (; i < len; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return t.charCodeAt(0) === 45 ? -n : n;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Converts the text of a primitive-typed element. */
export function decodePrimitive(type: string, text: string): unknown {
  switch (type) {
    case 'string':
    case 'anyURI':
    case 'TypeName':
    case 'MethodName':
    case 'PropertyPath':
      return text;
    case 'boolean': {
      if (text === 'true') return true;
      if (text === 'false') return false;
      const t = text.trim();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      throw new Error(`${JSON.stringify(t)} is not a boolean`);
    }
    case 'byte':
    case 'short':
    case 'int':
    case 'long': {
      const plain = plainInteger(text);
      if (plain !== undefined) {
        if (!fitsInteger(type, plain)) throw new Error(`${text} is out of range for ${type}`);
        return plain;
      }
      const t = text.trim();
      if (!/^[-+]?\d+$/.test(t)) throw new Error(`${JSON.stringify(t.slice(0, 40))} is not an integer`);
      const n = Number(t);
      if (!Number.isSafeInteger(n)) {
        const b = BigInt(t);
        if (b > MAX_SAFE || b < -MAX_SAFE) throw new Error(`${type} ${t} is beyond 2^53 and cannot be represented exactly`);
      }
      if (!fitsInteger(type, n)) throw new Error(`${t} is out of range for ${type}`);
      return n;
    }
    case 'float':
    case 'double': {
      const t = text.trim();
      if (t === 'INF') return Infinity;
      if (t === '-INF') return -Infinity;
      if (t === 'NaN') return NaN;
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) throw new Error(`${JSON.stringify(t.slice(0, 40))} is not a number`);
      return Number(t);
    }
    case 'dateTime': {
      const t = text.trim();
      const d = new Date(t);
      if (!/^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(t) || Number.isNaN(d.getTime())) throw new Error(`${JSON.stringify(t.slice(0, 40))} is not a dateTime`);
      return d;
    }
    case 'base64Binary': {
      const t = text.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 === 1) throw new Error('malformed base64');
      return new Uint8Array(Buffer.from(t, 'base64'));
    }
    default:
      throw new Error(`unknown primitive type ${type}`);
  }
}

/** Options of the decoder. */
export type DecodeOptions = XmlLimits;

/**
 * Decodes a SOAP response for a method, type-directed by the schema, as the XML streams in: feed it
 * with {@link ResponseDecoder.write} and take the result from {@link ResponseDecoder.end}. A SOAP fault
 * becomes a typed {@link VimFaultError} thrown by `end`.
 */
export class ResponseDecoder implements XmlHandler {
  private readonly tokenizer: XmlTokenizer;
  private readonly stack: Frame[] = [];
  private readonly pool: Frame[] = [];
  private readonly kinds: Map<string, Kind>;
  private readonly slots: Map<string, ReadonlyMap<string, Slot>>;
  private readonly returnType: string | undefined;
  private readonly returnsArray: boolean;
  private readonly results: unknown[] = [];
  private sawResponse = false;
  private faultString = '';
  private faultCode = '';
  private faultValue: unknown;
  private isFault = false;

  constructor(
    private readonly schema: Schema,
    private readonly methodName: string,
    options: DecodeOptions = {},
  ) {
    const m = schema.method(methodName);
    if (m === undefined) throw new VimResponseError(`unknown method ${methodName}`);
    this.returnType = m.returns?.[0];
    this.returnsArray = ((m.returns?.[1] ?? 0) & 1) !== 0;
    this.kinds = kindCache(schema);
    let slots = slotTables.get(schema);
    if (slots === undefined) slotTables.set(schema, (slots = new Map<string, ReadonlyMap<string, Slot>>()));
    this.slots = slots;
    this.tokenizer = new XmlTokenizer(this, options);
  }

  write(chunk: string): void {
    this.tokenizer.write(chunk);
  }

  /** Ends the input and returns the decoded result; throws the typed fault for a SOAP fault. */
  end(): unknown {
    this.tokenizer.end();
    if (this.isFault) throw this.buildFault();
    if (!this.sawResponse) throw new VimResponseError(`the response has no ${this.methodName}Response element`);
    if (this.returnsArray) return this.results;
    return this.results[0];
  }

  private fail(message: string): never {
    throw new VimResponseError(message, { position: this.tokenizer.position() });
  }

  private buildFault(): VimFaultError {
    const detail = this.faultValue as FaultObject | undefined;
    const fault: FaultObject =
      detail !== undefined && typeof detail === 'object' && typeof detail._type === 'string' ? detail : { _type: this.faultCode === '' ? 'MethodFault' : 'SoapFault', faultCode: this.faultCode };
    const chain = this.schema.chain(fault._type);
    return faultError(this.faultString, fault, chain.length > 0 ? chain : [fault._type]);
  }

  /** The members of a data type by name, with their kinds (cached per schema). */
  private slotsOf(type: string): ReadonlyMap<string, Slot> {
    let slots = this.slots.get(type);
    if (slots === undefined) {
      slots = new Map(this.schema.members(type).list.map((m: Member) => [m.name, { type: m.type, array: m.array, kind: kindOf(this.schema, this.kinds, m.type) }]));
      this.slots.set(type, slots);
    }
    return slots;
  }

  /** A frame, reused from the pool when one is free (a response has millions of elements). */
  private frame(k: K, type: string, name: string, array: boolean): Frame {
    const f = this.pool.pop();
    if (f === undefined) return { k, type, name, array, obj: undefined, arr: undefined, text: NO_TEXT, moType: undefined, hadChild: false, members: undefined };
    f.k = k;
    f.type = type;
    f.name = name;
    f.array = array;
    f.obj = undefined;
    f.arr = undefined;
    f.text = NO_TEXT;
    f.moType = undefined;
    f.hadChild = false;
    f.members = undefined;
    return f;
  }

  /** The frame that decodes a value of `type` (or of its xsi:type) found in element `name`. */
  private valueFrame(declared: string, xsiType: string | undefined, typeAttr: string | undefined, name: string, array: boolean, declaredKind?: Kind): Frame {
    const s = this.schema;
    let type = declared;
    let kind = declaredKind;
    if (xsiType !== undefined && xsiType !== declared) {
      // The server says what the value is. Known types decode as such; unknown ones are kept raw.
      const k = kindOf(s, this.kinds, xsiType);
      if (k !== Kind.Other && k !== Kind.Any) {
        type = xsiType;
        kind = k;
      } else {
        const item = s.arrayItemType(xsiType);
        if (item !== undefined) return this.frame(K.AnyArray, item, name, array);
        const f = this.frame(K.Raw, xsiType, name, array);
        return f;
      }
    }
    switch (kind ?? kindOf(s, this.kinds, type)) {
      case Kind.Mor: {
        const f = this.frame(K.Mor, type, name, array);
        f.moType = typeAttr;
        return f;
      }
      case Kind.Primitive:
        return this.frame(K.Text, type, name, array);
      case Kind.Enum:
        return this.frame(K.Text, 'string', name, array);
      case Kind.Data: {
        const f = this.frame(K.Object, type, name, array);
        f.obj = { _type: type };
        f.members = this.slotsOf(type);
        return f;
      }
      case Kind.Any:
        return this.frame(K.Raw, '', name, array);
      default:
        break;
    }
    const item = s.arrayItemType(type);
    if (item !== undefined) return this.frame(K.AnyArray, item, name, array);
    return this.frame(K.Raw, type, name, array);
  }

  open(name: string, xsiType: string | undefined, typeAttr: string | undefined): void {
    const stack = this.stack;
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (name !== 'Envelope') this.fail(`expected a SOAP Envelope, found <${name}>`);
      stack.push(this.frame(K.Envelope, '', name, false));
      return;
    }
    switch (top.k) {
      case K.Object: {
        const m = top.members!.get(name);
        // A member this client does not know (a newer server's) is skipped, not an error.
        stack.push(m === undefined ? this.frame(K.Skip, '', name, false) : this.valueFrame(m.type, xsiType, typeAttr, name, m.array, m.kind));
        return;
      }
      case K.AnyArray:
        stack.push(this.valueFrame(top.type, xsiType, typeAttr, name, true));
        return;
      case K.Raw: {
        top.hadChild = true;
        if (xsiType !== undefined) stack.push(this.valueFrame(xsiType, xsiType, typeAttr, name, false));
        else {
          const f = this.frame(K.Raw, '', name, false);
          f.moType = typeAttr;
          stack.push(f);
        }
        return;
      }
      case K.Envelope:
        stack.push(this.frame(name === 'Body' ? K.Body : K.Skip, '', name, false));
        return;
      case K.Body:
        if (name === 'Fault') {
          this.isFault = true;
          stack.push(this.frame(K.Fault, '', name, false));
        } else if (name === `${this.methodName}Response`) {
          this.sawResponse = true;
          stack.push(this.frame(K.Response, '', name, false));
        } else this.fail(`unexpected <${name}> in the SOAP Body of a ${this.methodName} response`);
        return;
      case K.Response:
        if (name !== 'returnval' || this.returnType === undefined) stack.push(this.frame(K.Skip, '', name, false));
        else stack.push(this.valueFrame(this.returnType, xsiType, typeAttr, name, this.returnsArray));
        return;
      case K.Fault:
        if (name === 'detail') stack.push(this.frame(K.FaultDetail, '', name, false));
        else stack.push(this.frame(K.Text, 'string', name, false));
        return;
      case K.FaultDetail:
        // <XFault xsi:type="X">: the fault object. Without an xsi:type the element name says it.
        stack.push(this.valueFrame(xsiType ?? name.replace(/Fault$/, ''), xsiType, typeAttr, name, false));
        return;
      case K.Text:
      case K.Mor:
        this.fail(`unexpected element <${name}> inside a ${top.k === K.Mor ? 'ManagedObjectReference' : top.type} value`);
        break;
      default:
        stack.push(this.frame(K.Skip, '', name, false));
    }
  }

  acceptsText(): boolean {
    const top = this.stack[this.stack.length - 1];
    return top !== undefined && (top.k === K.Text || top.k === K.Mor || top.k === K.Raw);
  }

  text(value: string): void {
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && (top.k === K.Text || top.k === K.Mor || top.k === K.Raw)) top.text += value;
  }

  close(): void {
    const f = this.stack.pop()!;
    this.closeFrame(f);
    if (this.pool.length < 256) this.pool.push(f);
  }

  private closeFrame(f: Frame): void {
    let value: unknown;
    switch (f.k) {
      case K.Object:
        value = f.obj;
        break;
      case K.Text:
        try {
          value = decodePrimitive(f.type, f.text);
        } catch (err) {
          this.fail(`<${f.name}>: ${(err as Error).message}`);
        }
        break;
      case K.Mor:
        if (f.moType === undefined) this.fail(`<${f.name}>: a ManagedObjectReference without its type attribute`);
        value = { type: f.moType, value: f.text };
        break;
      case K.AnyArray:
        value = f.arr ?? [];
        break;
      case K.Raw:
        if (f.hadChild || f.type !== '') {
          value = f.obj ?? { _type: f.type };
          if (f.type !== '' && (value as RawValue)._type === undefined) (value as RawValue)._type = f.type;
          if (!f.hadChild && f.text.trim() !== '') (value as Record<string, unknown>)._value = f.text;
        } else value = f.moType !== undefined ? { type: f.moType, value: f.text } : f.text;
        break;
      case K.Skip:
      case K.Envelope:
      case K.Body:
      case K.Response:
      case K.FaultDetail:
        return;
      case K.Fault:
        return;
    }
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) return;
    switch (parent.k) {
      case K.Object:
      case K.Raw: {
        parent.obj ??= parent.type === '' ? {} : { _type: parent.type };
        const o = parent.obj;
        if (f.array) ((o[f.name] as unknown[] | undefined) ?? (o[f.name] = [])).push(value);
        else if (parent.k === K.Raw && Object.hasOwn(o, f.name)) {
          const prev = o[f.name];
          o[f.name] = Array.isArray(prev) ? [...(prev as unknown[]), value] : [prev, value];
        } else o[f.name] = value;
        break;
      }
      case K.AnyArray:
        (parent.arr ??= []).push(value);
        break;
      case K.Response:
        this.results.push(value);
        break;
      case K.Fault:
        if (f.name === 'faultstring') this.faultString = String(value);
        else if (f.name === 'faultcode') this.faultCode = String(value);
        break;
      case K.FaultDetail:
        this.faultValue ??= value;
        break;
      default:
        break;
    }
  }
}

/** Decodes a whole response body at once. */
export function decodeResponse(schema: Schema, methodName: string, body: string, options?: DecodeOptions): unknown {
  const d = new ResponseDecoder(schema, methodName, options);
  d.write(body);
  return d.end();
}
