// Property-based round trips over the real generated schema: values of a random sample of VMware's data
// types, generated from the runtime schema table itself (members in their declared types, optional ones
// sometimes absent, arrays, polymorphic members holding a random subtype, anyType members holding
// primitives, dates, base64, references, typed objects and ArrayOfX values, longs anywhere within 2^53),
// are encoded as a call's parameter and decoded back as a response; the result must equal the value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataTypes, enumTypes, managedTypes, methods, type MethodEntry } from '../generated/schema.js';
import { decodeResponse } from './decode.js';
import { RequestEncoder, typed } from './encode.js';
import { Schema } from './schema.js';

const typeNames = Object.keys(dataTypes).sort();
/** One `Echo_<T>` method per data type: a parameter `v` of type T, and T as the result. */
const echo: Record<string, MethodEntry> = Object.fromEntries(
  typeNames.map((t) => [`Echo_${t}`, { ...(dataTypes[t]!.ns === 'pbm' ? { ns: 'pbm' as const } : {}), params: [['v', t, 0]], returns: [t, 0], faults: [] }]),
);
const schema = new Schema({ dataTypes, enumTypes, managedTypes, methods: { ...methods, ...echo } });
const encoder = new RequestEncoder(schema);

/** Every data type that is T or derives from it. */
const subtypes = new Map<string, string[]>();
for (const t of typeNames) for (const a of schema.chain(t)) subtypes.set(a, [...(subtypes.get(a) ?? []), t]);

/** Text XML 1.0 can carry (no lone surrogates, no C0 controls other than tab, newline, return). */
const text = fc
  .string({ unit: fc.oneof(fc.constantFrom('a', ' ', '&', '<', '>', '"', "'", '\r', '\n', '\t', ']]>', 'é', '\u263a', '\u{1F600}'), fc.string({ unit: 'grapheme', maxLength: 1 })), maxLength: 12 })
  // eslint-disable-next-line no-control-regex
  .filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s));
const dates = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true });
const doubles = fc.double().map((d) => (Object.is(d, -0) ? 0 : d));
const longs = fc.oneof(fc.maxSafeInteger(), fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0, 2 ** 32));
const mor = fc.record({ type: fc.constantFrom('VirtualMachine', 'Datastore', 'HostSystem', 'Folder'), value: text });

function primitive(type: string): fc.Arbitrary<unknown> | undefined {
  switch (type) {
    case 'string':
    case 'anyURI':
    case 'TypeName':
    case 'MethodName':
    case 'PropertyPath':
      return text;
    case 'boolean':
      return fc.boolean();
    case 'byte':
      return fc.integer({ min: -128, max: 127 });
    case 'short':
      return fc.integer({ min: -32768, max: 32767 });
    case 'int':
      return fc.integer();
    case 'long':
      return longs;
    case 'float':
    case 'double':
      return doubles;
    case 'dateTime':
      return dates;
    case 'base64Binary':
      return fc.uint8Array({ maxLength: 24 });
    default:
      return undefined;
  }
}

const MAX_DEPTH = 3;

/** A value for an anyType member: every kind the codec types by itself, plus explicitly typed ones. */
function anyValue(depth: number): fc.Arbitrary<unknown> {
  const leaves: fc.Arbitrary<unknown>[] = [
    text,
    fc.boolean(),
    longs,
    doubles.filter((d) => !Number.isSafeInteger(d)),
    dates,
    fc.uint8Array({ maxLength: 24 }),
    mor,
    fc.integer().map((n) => typed('int', n)),
    fc.integer({ min: -32768, max: 32767 }).map((n) => typed('short', n)),
    fc.array(text, { maxLength: 3 }),
    fc.array(longs, { maxLength: 3 }),
    fc.array(mor, { minLength: 1, maxLength: 3 }),
  ];
  if (depth >= MAX_DEPTH) return fc.oneof(...leaves);
  const someType = fc.constantFrom(...typeNames);
  return fc.oneof(
    ...leaves,
    someType.chain((t) => object(t, depth + 1)),
    someType.chain((t) => fc.array(object(t, depth + 1), { minLength: 1, maxLength: 2 })),
  );
}

/** A value of the declared type: a subtype at random for data types. */
function valueOf(type: string, depth: number): fc.Arbitrary<unknown> {
  const p = primitive(type);
  if (p !== undefined) return p;
  if (type === 'ManagedObjectReference') return mor;
  if (type === 'anyType') return anyValue(depth);
  const values = schema.enumValues(type);
  if (values !== undefined) return fc.constantFrom(...values);
  const subs = subtypes.get(type) ?? [type];
  return fc.oneof(fc.constant(type), fc.constantFrom(...subs)).chain((t) => object(t, depth + 1));
}

const objects = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

/** An object of exactly type `type`, with `_type` set as the decoder sets it. */
function object(type: string, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const key = `${type}@${Math.min(depth, MAX_DEPTH)}`;
  let arb = objects.get(key);
  if (arb === undefined) {
    const shape: Record<string, fc.Arbitrary<unknown>> = { _type: fc.constant(type) };
    const required = ['_type'];
    for (const m of schema.members(type).list) {
      const complex = !primitive(m.type) && m.type !== 'ManagedObjectReference' && !schema.isEnum(m.type);
      // Deep down, optional structured members are left out so that values stay finite.
      if (m.optional && complex && depth >= MAX_DEPTH) continue;
      const one = fc.constant(null).chain(() => valueOf(m.type, depth));
      shape[m.name] = m.array ? fc.array(one, { minLength: 1, maxLength: 2 }) : one;
      if (!m.optional) required.push(m.name);
    }
    arb = fc.record(shape, { requiredKeys: required });
    objects.set(key, arb);
  }
  return arb;
}

/** What the decoder gives back for a value: explicitly typed primitives come back as plain values. */
function expected(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(expected);
  if (v instanceof Date || v instanceof Uint8Array || v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('_value' in o && Object.keys(o).length === 2) return o._value;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, expected(x)]));
}

/** Encodes `value` as the parameter of `Echo_<type>` and decodes the same element as its result. */
function roundTrip(type: string, value: unknown): unknown {
  const xml = encoder.envelope(`Echo_${type}`, { type: 'Echo', value: 'echo' }, { v: value });
  const start = xml.indexOf('</_this>') + '</_this>'.length;
  const end = xml.lastIndexOf(`</Echo_${type}>`);
  const element = xml.slice(start, end);
  expect(element.startsWith('<v>') || element.startsWith('<v ')).toBe(true);
  const body = `<returnval${element.slice(2, -4)}</returnval>`;
  const response =
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vim25="urn:vim25" xmlns:pbm="urn:pbm">' +
    `<soapenv:Body><Echo_${type}Response xmlns="${schema.namespaceOf(type)}">${body}</Echo_${type}Response></soapenv:Body></soapenv:Envelope>`;
  return decodeResponse(schema, `Echo_${type}`, response);
}

describe('encode then decode over the generated schema', () => {
  it(
    'gives back any value of a randomly chosen data type',
    () => {
      const sample = fc.constantFrom(...typeNames).chain((type) => fc.tuple(fc.constant(type), valueOf(type, 0)));
      fc.assert(
        fc.property(sample, ([type, value]) => {
          expect(roundTrip(type, value)).toEqual(expected(value));
        }),
        { numRuns: 1000 },
      );
    },
    120_000,
  );

  it(
    'gives back the types callers build most: config specs, property filters, PBM profiles',
    () => {
      for (const type of ['VirtualMachineConfigSpec', 'PropertyFilterSpec', 'VirtualMachineRelocateSpec', 'PbmCapabilityProfileCreateSpec', 'HostDatastoreBrowserSearchSpec']) {
        fc.assert(
          fc.property(object(type, 1), (value) => {
            expect(roundTrip(type, value)).toEqual(expected(value));
          }),
          { numRuns: 40 },
        );
      }
    },
    120_000,
  );

  it('keeps longs exact up to 2^53 and refuses a decoded long beyond it', () => {
    fc.assert(
      fc.property(longs, (n) => {
        expect(roundTrip('VirtualDisk', { _type: 'VirtualDisk', key: 1, capacityInKB: n })).toEqual({ _type: 'VirtualDisk', key: 1, capacityInKB: n });
      }),
    );
    const xml = encoder.envelope('Echo_VirtualDisk', { type: 'Echo', value: 'echo' }, { v: { key: 1, capacityInKB: Number.MAX_SAFE_INTEGER } });
    expect(xml).toContain('<capacityInKB>9007199254740991</capacityInKB>');
    expect(() => encoder.envelope('Echo_VirtualDisk', { type: 'Echo', value: 'echo' }, { v: { key: 1, capacityInKB: 2 ** 53 } })).toThrow(/whole number/);
  });
});
