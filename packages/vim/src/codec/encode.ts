import { VimEncodeError } from '../errors.js';
import { fitsInteger, primitiveTypes, type Member, type Schema } from './schema.js';

/** A managed object reference: the object's type and its id (`{ type: 'VirtualMachine', value: 'vm-42' }`). */
export interface ManagedObjectReference<T extends string = string> {
  type: T;
  value: string;
}

/**
 * A primitive placed in an `anyType` member (such as `OptionValue.value`) with an explicit XSD type,
 * e.g. `typed('int', 5)`. Plain JavaScript values there are typed by their kind: string as
 * `xsd:string`, boolean as `xsd:boolean`, integer as `xsd:long`, other numbers as `xsd:double`, Date
 * as `xsd:dateTime`, Uint8Array as `xsd:base64Binary`.
 */
export interface TypedPrimitive {
  _type: string;
  _value: unknown;
}

/** Wraps a primitive with its XSD type for an `anyType` member. */
export function typed(type: 'string' | 'boolean' | 'byte' | 'short' | 'int' | 'long' | 'float' | 'double' | 'dateTime' | 'base64Binary', value: unknown): TypedPrimitive {
  return { _type: type, _value: value };
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

/** Escapes text for element content and attribute values. */
export function escapeXml(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s)) {
    throw new TypeError('the text contains a character that XML 1.0 cannot carry');
  }
  return /[&<>"'\r]/.test(s) ? s.replace(/[&<>"'\r]/g, (c) => escapes[c]!) : s;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Encodes the SOAP envelope of a call, validating every value against the schema first: members in
 * schema order (inherited ones first), `xsi:type` wherever the value's type differs from the declared
 * one, arrays as repeated elements. A value of the wrong shape is a {@link VimEncodeError}; nothing is
 * sent.
 */
export class RequestEncoder {
  constructor(private readonly schema: Schema) {}

  /** The whole envelope for `method` on `thisRef` with named `params`. */
  envelope(method: string, thisRef: ManagedObjectReference, params: Record<string, unknown>, header = ''): string {
    const m = this.schema.method(method);
    if (m === undefined) throw new VimEncodeError('unknown method', method);
    const ns = m.ns === 'pbm' ? 'urn:pbm' : 'urn:vim25';
    const out: string[] = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vim25="urn:vim25" xmlns:pbm="urn:pbm">',
      header === '' ? '' : `<soapenv:Header>${header}</soapenv:Header>`,
      `<soapenv:Body><${method} xmlns="${ns}">`,
    ];
    if (!isObject(thisRef) || typeof thisRef.type !== 'string' || typeof thisRef.value !== 'string') {
      throw new VimEncodeError('must be a ManagedObjectReference { type, value }', `${method}._this`);
    }
    out.push(`<_this type="${escapeXml(thisRef.type)}">${escapeXml(thisRef.value)}</_this>`);
    const known = new Set(m.params.map((p) => p[0]));
    for (const k of Object.keys(params)) {
      if (!known.has(k) && params[k] !== undefined) throw new VimEncodeError(`unknown parameter of ${method}`, `${method}.${k}`);
    }
    for (const [name, type, flags] of m.params) {
      this.member(out, { name, type, array: (flags & 1) !== 0, optional: (flags & 2) !== 0 }, params[name], `${method}.${name}`);
    }
    out.push(`</${method}></soapenv:Body></soapenv:Envelope>`);
    return out.join('');
  }

  private member(out: string[], m: Member, value: unknown, path: string): void {
    if (value === undefined || value === null) {
      if (!m.optional) throw new VimEncodeError('is required', path);
      return;
    }
    if (m.array) {
      if (!Array.isArray(value)) throw new VimEncodeError(`must be an array of ${m.type}`, path);
      value.forEach((v, i) => {
        if (v === undefined || v === null) throw new VimEncodeError('array elements cannot be empty', `${path}[${i}]`);
        this.value(out, m.name, m.type, v, `${path}[${i}]`);
      });
      return;
    }
    if (Array.isArray(value) && m.type !== 'anyType') throw new VimEncodeError(`must be a single ${m.type}, not an array`, path);
    this.value(out, m.name, m.type, value, path);
  }

  private xsiType(type: string): string {
    if (primitiveTypes.has(type) || type === 'anyType') return `xsd:${type === 'TypeName' || type === 'MethodName' || type === 'PropertyPath' ? 'string' : type}`;
    if (type.startsWith('ArrayOf') && !this.schema.isDataType(type)) {
      const item = this.schema.arrayItemType(type);
      return `${item !== undefined && this.schema.namespaceOf(item) === 'urn:pbm' ? 'pbm' : 'vim25'}:${type}`;
    }
    return `${this.schema.namespaceOf(type) === 'urn:pbm' ? 'pbm' : 'vim25'}:${type}`;
  }

  /** Writes one element `name` holding `value` declared as `declared`. */
  private value(out: string[], name: string, declared: string, value: unknown, path: string): void {
    const s = this.schema;
    if (declared === 'anyType') {
      this.anyValue(out, name, value, path);
      return;
    }
    if (declared === 'ManagedObjectReference') {
      if (!isObject(value) || typeof value.type !== 'string' || typeof value.value !== 'string') {
        throw new VimEncodeError('must be a ManagedObjectReference { type, value }', path);
      }
      out.push(`<${name} type="${escapeXml(value.type)}">${escapeXml(value.value)}</${name}>`);
      return;
    }
    if (primitiveTypes.has(declared)) {
      out.push(`<${name}>${this.primitiveText(declared, value, path)}</${name}>`);
      return;
    }
    const values = s.enumValues(declared);
    if (values !== undefined) {
      if (typeof value !== 'string') throw new VimEncodeError(`must be a ${declared} string`, path);
      if (!values.includes(value)) throw new VimEncodeError(`${JSON.stringify(value)} is not a ${declared} (one of ${values.join(', ')})`, path);
      out.push(`<${name}>${escapeXml(value)}</${name}>`);
      return;
    }
    if (!s.isDataType(declared)) throw new VimEncodeError(`the schema has no type ${declared}`, path);
    if (!isObject(value) || value instanceof Date || value instanceof Uint8Array) throw new VimEncodeError(`must be a ${declared} object`, path);
    const actual = value._type === undefined ? declared : value._type;
    if (typeof actual !== 'string' || !s.isDataType(actual)) throw new VimEncodeError(`unknown _type ${JSON.stringify(actual)}`, path);
    if (!s.isSubtype(actual, declared)) throw new VimEncodeError(`a ${actual} is not a ${declared}`, path);
    out.push(actual === declared ? `<${name}>` : `<${name} xsi:type="${this.xsiType(actual)}">`);
    this.objectBody(out, actual, value, path);
    out.push(`</${name}>`);
  }

  private objectBody(out: string[], type: string, value: Record<string, unknown>, path: string): void {
    const { list, byName } = this.schema.members(type);
    for (const k of Object.keys(value)) {
      if (k !== '_type' && !byName.has(k) && value[k] !== undefined) throw new VimEncodeError(`${type} has no member ${k}`, `${path}.${k}`);
    }
    for (const m of list) this.member(out, m, value[m.name], `${path}.${m.name}`);
  }

  /** A value in an anyType member: always with its xsi:type. */
  private anyValue(out: string[], name: string, value: unknown, path: string): void {
    if (Array.isArray(value)) {
      const item = inferItemType(value, path);
      const arrayType = this.schema.arrayTypeName(item);
      out.push(`<${name} xsi:type="${this.xsiType(arrayType)}">`);
      // VMware's ArrayOfX types name their items after X itself: <string>, <long>, <OptionValue>.
      const elem = item;
      value.forEach((v, i) => this.value(out, elem, item, v, `${path}[${i}]`));
      out.push(`</${name}>`);
      return;
    }
    if (isObject(value) && !(value instanceof Date) && !(value instanceof Uint8Array)) {
      if ('_value' in value && typeof value._type === 'string' && primitiveTypes.has(value._type)) {
        out.push(`<${name} xsi:type="${this.xsiType(value._type)}">${this.primitiveText(value._type, value._value, path)}</${name}>`);
        return;
      }
      if (value._type === undefined && typeof value.type === 'string' && typeof value.value === 'string' && Object.keys(value).length === 2) {
        out.push(`<${name} xsi:type="vim25:ManagedObjectReference" type="${escapeXml(value.type)}">${escapeXml(value.value)}</${name}>`);
        return;
      }
      if (typeof value._type !== 'string') throw new VimEncodeError('an object in an anyType member needs its _type', path);
      if (value._type === 'ManagedObjectReference') {
        out.push(`<${name} xsi:type="vim25:ManagedObjectReference" type="${escapeXml(String(value.type))}">${escapeXml(String(value.value))}</${name}>`);
        return;
      }
      if (!this.schema.isDataType(value._type)) throw new VimEncodeError(`unknown _type ${JSON.stringify(value._type)}`, path);
      out.push(`<${name} xsi:type="${this.xsiType(value._type)}">`);
      this.objectBody(out, value._type, value, path);
      out.push(`</${name}>`);
      return;
    }
    const type = primitiveTypeOf(value, path);
    out.push(`<${name} xsi:type="xsd:${type}">${this.primitiveText(type, value, path)}</${name}>`);
  }

  private primitiveText(type: string, value: unknown, path: string): string {
    switch (type) {
      case 'string':
      case 'anyURI':
      case 'TypeName':
      case 'MethodName':
      case 'PropertyPath':
        if (typeof value !== 'string') throw new VimEncodeError(`must be a string, not ${typeof value}`, path);
        try {
          return escapeXml(value);
        } catch (err) {
          throw new VimEncodeError((err as Error).message, path);
        }
      case 'boolean':
        if (typeof value !== 'boolean') throw new VimEncodeError(`must be a boolean, not ${typeof value}`, path);
        return value ? 'true' : 'false';
      case 'byte':
      case 'short':
      case 'int':
      case 'long': {
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new VimEncodeError(`must be a whole number (${type})`, path);
        if (!fitsInteger(type, value)) throw new VimEncodeError(`${value} is out of range for ${type}`, path);
        return String(value);
      }
      case 'float':
      case 'double':
        if (typeof value !== 'number') throw new VimEncodeError(`must be a number (${type})`, path);
        return Number.isNaN(value) ? 'NaN' : value === Infinity ? 'INF' : value === -Infinity ? '-INF' : String(value);
      case 'dateTime':
        if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new VimEncodeError('must be a valid Date', path);
        return value.toISOString();
      case 'base64Binary':
        if (!(value instanceof Uint8Array)) throw new VimEncodeError('must be a Uint8Array', path);
        return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      default:
        throw new VimEncodeError(`unknown primitive type ${type}`, path);
    }
  }
}

function primitiveTypeOf(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isSafeInteger(value) ? 'long' : 'double';
    default:
      if (value instanceof Date) return 'dateTime';
      if (value instanceof Uint8Array) return 'base64Binary';
      throw new VimEncodeError(`cannot encode a ${typeof value} in an anyType member`, path);
  }
}

function inferItemType(values: unknown[], path: string): string {
  const first = values[0];
  if (first === undefined) return 'string';
  if (isObject(first) && !(first instanceof Date) && !(first instanceof Uint8Array)) {
    if (typeof first._type === 'string') return first._type;
    if (typeof first.type === 'string' && typeof first.value === 'string') return 'ManagedObjectReference';
    throw new VimEncodeError('objects in an anyType array need their _type', `${path}[0]`);
  }
  const t = primitiveTypeOf(first, `${path}[0]`);
  return t === 'long' && values.some((v) => typeof v === 'number' && !Number.isSafeInteger(v)) ? 'double' : t;
}
