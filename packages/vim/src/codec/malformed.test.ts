// Hostile and broken responses: every one gives a typed VimResponseError (or a value), never another
// exception, never a hang. Built on the real generated schema.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultSchema } from '../default-schema.js';
import { VimError, VimResponseError } from '../errors.js';
import { decodeResponse, ResponseDecoder } from './decode.js';

const env = (body: string) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

const retrieve = env(
  '<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="VirtualMachine">vm-1</obj>' +
    '<propSet><name>config.hardware.device</name><val xsi:type="ArrayOfVirtualDevice"><VirtualDevice xsi:type="VirtualDisk"><key>2000</key>' +
    '<deviceInfo><label>Hard disk 1</label><summary>1,024 KB</summary></deviceInfo><backing xsi:type="VirtualDiskFlatVer2BackingInfo">' +
    '<fileName>[ds] a/a.vmdk</fileName><datastore type="Datastore">ds-1</datastore><diskMode>persistent</diskMode><thinProvisioned>true</thinProvisioned></backing>' +
    '<controllerKey>1000</controllerKey><unitNumber>0</unitNumber><capacityInKB>1024</capacityInKB></VirtualDevice></val></propSet>' +
    '<propSet><name>name</name><val xsi:type="xsd:string">a &amp; b &#x263A;</val></propSet>' +
    '<propSet><name>summary.runtime.bootTime</name><val xsi:type="xsd:dateTime">2026-11-23T01:02:03.5Z</val></propSet>' +
    '<propSet><name>config.extraConfig</name><val xsi:type="ArrayOfOptionValue"><OptionValue><key>k</key><value xsi:type="xsd:base64Binary">AQID</value></OptionValue></val></propSet>' +
    '</objects></returnval></RetrievePropertiesExResponse>',
);

/** Decodes, fed in the given pieces; returns the error it threw (or undefined). */
function attempt(xml: string, options?: { maxLength?: number; maxDepth?: number }, piece = 0): unknown {
  try {
    if (piece === 0) decodeResponse(defaultSchema, 'RetrievePropertiesEx', xml, options);
    else {
      const d = new ResponseDecoder(defaultSchema, 'RetrievePropertiesEx', options);
      for (let at = 0; at < xml.length; at += piece) d.write(xml.slice(at, at + piece));
      d.end();
    }
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('malformed responses', () => {
  it('decodes the valid response the other cases start from', () => {
    expect(attempt(retrieve)).toBeUndefined();
  });

  it('refuses every truncation of a valid response, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: retrieve.length - 1 }), fc.constantFrom(0, 1, 7, 64), (cut, piece) => {
        const err = attempt(retrieve.slice(0, cut), undefined, piece);
        expect(err).toBeInstanceOf(VimResponseError);
      }),
      { numRuns: 600 },
    );
  }, 60_000);

  it('gives a typed error or a value for random bytes spliced into a valid response', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: retrieve.length }), fc.string({ unit: 'binary', maxLength: 8 }), fc.nat(8), (at, insert, del) => {
        const err = attempt(retrieve.slice(0, at) + insert + retrieve.slice(at + del));
        if (err !== undefined) expect(err).toBeInstanceOf(VimError);
      }),
      { numRuns: 1500 },
    );
  }, 60_000);

  it.each<[string, string, RegExp]>([
    ['an internal DTD with an entity', '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x "y">]><e>&x;</e>', /document type declarations are refused/],
    ['an external entity', '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><e>&x;</e>', /document type declarations are refused/],
    ['a billion laughs', `<!DOCTYPE l [<!ENTITY a "ha">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${'b'.repeat(i + 1)} "${'&a;'.repeat(10)}">`).join('')}]><l>&bbbbbbbbb;</l>`, /document type declarations are refused/],
    ['a DTD after the root has started', env('<!DOCTYPE x><RetrievePropertiesExResponse/>'), /document type declarations are refused/],
    ['an entity declaration without a DTD', env('<!ENTITY x "y"><RetrievePropertiesExResponse/>'), /unsupported markup declaration/],
    ['an undeclared entity', retrieve.replace('a &amp; b', 'a &xxe; b'), /undeclared entity &xxe;/],
    ['a parameter entity reference', retrieve.replace('a &amp; b', 'a &%pe; b'), /undeclared entity|starts no entity/],
    ['a reference to a character XML cannot carry', retrieve.replace('&#x263A;', '&#0;'), /invalid character reference/],
    ['a reference to a surrogate', retrieve.replace('&#x263A;', '&#xD800;'), /invalid character reference/],
    ['a bare ampersand', retrieve.replace('a &amp; b', 'a & b'), /starts no entity/],
    ['mismatched tags', retrieve.replace('</fileName>', '</fileNam>'), /does not match/],
    ['an unquoted attribute', retrieve.replace('type="VirtualMachine"', 'type=VirtualMachine'), /not quoted/],
    ['a second root', `${retrieve}<x/>`, /second root/],
    ['text after the root', `${retrieve}junk`, /text after the root element/],
    ['an HTML error page', '<html><body>Service Unavailable</body></html>', /expected a SOAP Envelope/],
    ['plain text', 'Service Unavailable', /not XML/],
    ['a long beyond 2^53', retrieve.replace('<capacityInKB>1024</capacityInKB>', '<capacityInKB>9007199254740993</capacityInKB>'), /beyond 2\^53/],
    ['an int out of range', retrieve.replace('<key>2000</key>', '<key>2147483648</key>'), /out of range for int/],
    ['a bad dateTime', retrieve.replace('2026-11-23T01:02:03.5Z', 'yesterday'), /not a dateTime/],
    ['bad base64', retrieve.replace('AQID', 'A*ID'), /malformed base64/],
    ['a bad boolean', retrieve.replace('<thinProvisioned>true<', '<thinProvisioned>yes<'), /not a boolean/],
    ['a reference without its type', retrieve.replace('<datastore type="Datastore">', '<datastore>'), /without its type attribute/],
    ['an element inside a primitive', retrieve.replace('<fileName>[ds] a/a.vmdk</fileName>', '<fileName>[ds] <b>a</b></fileName>'), /unexpected element <b>/],
    ['an unexpected body element', env('<SomethingElseResponse/>'), /unexpected <SomethingElseResponse>/],
  ])('refuses %s with a typed error', (_what, xml, message) => {
    for (const piece of [0, 1, 5]) {
      const err = attempt(xml, undefined, piece);
      expect(err).toBeInstanceOf(VimResponseError);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('says where malformed XML went wrong', () => {
    const err = attempt(retrieve.replace('</fileName>', '</fileNam>')) as VimResponseError;
    expect(err.position?.line).toBe(2);
    expect(err.position?.offset).toBe(retrieve.indexOf('</fileName>'));
  });

  it('decodes the same value whatever the chunking, with ">" inside attribute values and comments', () => {
    const tricky = retrieve
      .replace('<obj type="VirtualMachine">', '<obj other="a>b" type="VirtualMachine">')
      .replace('<propSet><name>name</name>', '<!-- a > b --><propSet><name>name</name>')
      .replace(/<propSet>/g, '\n<propSet>');
    const decode = (piece: number): unknown => {
      const d = new ResponseDecoder(defaultSchema, 'RetrievePropertiesEx');
      for (let at = 0; at < tricky.length; at += piece) d.write(tricky.slice(at, at + piece));
      return d.end();
    };
    const whole = decode(tricky.length);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (piece) => {
        expect(decode(piece)).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('reports the same position whatever the chunking', () => {
    const multiline = retrieve.replace(/<propSet>/g, '\n<propSet>').replace('</fileName>', '</fileNam>');
    const whole = (attempt(multiline) as VimResponseError).position;
    expect(whole?.line).toBeGreaterThan(2);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (piece) => {
        expect((attempt(multiline, undefined, piece) as VimResponseError).position).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it('reports the same position whatever the chunking, with line breaks inside tags cut in two', () => {
    const broken = retrieve.replace(/<propSet>/g, '<propSet\n>').replace(/<name>/g, '<name\r\n\t>').replace('</fileName>', '</fileNam>');
    const whole = (attempt(broken) as VimResponseError).position;
    expect(whole?.line).toBeGreaterThan(2);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), (piece) => {
        expect((attempt(broken, undefined, piece) as VimResponseError).position).toEqual(whole);
      }),
      { numRuns: 120 },
    );
  });

  it('enforces the size limit across pieces', () => {
    const err = attempt(retrieve, { maxLength: 1000 }, 64) as VimResponseError;
    expect(err).toBeInstanceOf(VimResponseError);
    expect(err.code).toBe('VMKIT_VIM_RESPONSE_TOO_LARGE');
    expect(attempt(retrieve, { maxLength: retrieve.length }, 64)).toBeUndefined();
  });

  it('enforces the depth limit, in known members and in unknown (skipped or raw) values alike', () => {
    const nest = (n: number) => `${'<a>'.repeat(n)}${'</a>'.repeat(n)}`;
    const inSkipped = (n: number) => retrieve.replace('<unitNumber>', `<newerMember>${nest(n)}</newerMember><unitNumber>`);
    const inRaw = (n: number) => retrieve.replace('<propSet><name>name</name>', `<propSet><name>x</name><val xsi:type="FutureType">${nest(n)}</val></propSet><propSet><name>name</name>`);
    for (const make of [inSkipped, inRaw]) {
      expect(attempt(make(100))).toBeUndefined();
      const err = attempt(make(100), { maxDepth: 50 }) as VimResponseError;
      expect(err.code).toBe('VMKIT_VIM_RESPONSE_TOO_DEEP');
    }
    // Far deeper than any stack: refused at the limit, without recursion.
    const err = attempt(inSkipped(200_000), undefined, 65536) as VimResponseError;
    expect(err.code).toBe('VMKIT_VIM_RESPONSE_TOO_DEEP');
  });

  it(
    'takes linear time on huge tokens fed in small pieces (a 32 MB text, a 16 MB attribute, a 16 MB comment)',
    () => {
      const big = 'x'.repeat(32 * 1024 * 1024);
      const text = retrieve.replace('<label>Hard disk 1</label>', `<label>${big}</label>`);
      const attr = retrieve.replace('<obj type="VirtualMachine">', `<obj type="VirtualMachine" other="${big.slice(0, 16 << 20)}">`);
      const comment = retrieve.replace('<objects>', `<objects><!--${big.slice(0, 16 << 20)}-->`);
      for (const xml of [text, attr, comment]) {
        const d = new ResponseDecoder(defaultSchema, 'RetrievePropertiesEx');
        for (let at = 0; at < xml.length; at += 16384) d.write(xml.slice(at, at + 16384));
        const r = d.end() as { objects: { propSet: { val: unknown }[] }[] };
        expect(r.objects).toHaveLength(1);
      }
    },
    60_000,
  );

  it(
    'takes linear time on white space between many elements in one large piece',
    () => {
      // 40 000 objects, pretty-printed, and no '&' anywhere: each run of white space is checked for
      // references without scanning the rest of the piece again.
      const start = retrieve.indexOf('<objects>');
      const end = retrieve.lastIndexOf('</returnval>');
      const one = retrieve.slice(start, end).replace(/></g, '>\n  <').replace(/&[^;]*;/g, '');
      const xml = retrieve.slice(0, start) + one.repeat(40_000) + retrieve.slice(end);
      const r = decodeResponse(defaultSchema, 'RetrievePropertiesEx', xml) as { objects: unknown[] };
      expect(r.objects).toHaveLength(40_000);
    },
    60_000,
  );
});
