import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureTables } from '../../test/fixture-schema.js';
import {
  FileFaultError,
  FileNotFoundError,
  InvalidLoginError,
  ManagedObjectNotFoundError,
  VimEncodeError,
  VimError,
  VimFaultError,
  VimResponseError,
  findFault,
} from '../errors.js';
import { decodeResponse } from './decode.js';
import { RequestEncoder, typed } from './encode.js';
import { Schema } from './schema.js';

const schema = new Schema(fixtureTables);
const enc = new RequestEncoder(schema);
const env = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const vm = { type: 'VirtualMachine', value: 'vm-1' };

describe('encoder', () => {
  it('writes _this first, members in schema order with inherited ones first, and xsi:type where the type differs', () => {
    const xml = enc.envelope('ReconfigVM_Task', vm, {
      spec: {
        // Written in a different key order from the schema's on purpose.
        deviceChange: [
          {
            device: {
              _type: 'VirtualDisk',
              capacityInKB: 1024,
              unitNumber: 0,
              controllerKey: 1000,
              key: -101,
              backing: { _type: 'VirtualDiskFlatVer2BackingInfo', diskMode: 'persistent', fileName: '', thinProvisioned: true },
            },
            fileOperation: 'create',
            operation: 'add',
          },
        ],
        name: 'v<1>&"x"',
      },
    });
    const body = xml.slice(xml.indexOf('<ReconfigVM_Task'));
    expect(body).toBe(
      '<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">vm-1</_this><spec><name>v&lt;1&gt;&amp;&quot;x&quot;</name>' +
        '<deviceChange><operation>add</operation><fileOperation>create</fileOperation><device xsi:type="vim25:VirtualDisk">' +
        '<key>-101</key><backing xsi:type="vim25:VirtualDiskFlatVer2BackingInfo"><fileName></fileName><diskMode>persistent</diskMode><thinProvisioned>true</thinProvisioned></backing>' +
        '<controllerKey>1000</controllerKey><unitNumber>0</unitNumber><capacityInKB>1024</capacityInKB></device></deviceChange></spec></ReconfigVM_Task></soapenv:Body></soapenv:Envelope>',
    );
  });

  it('types anyType values, including ArrayOfX wrappers, dates and base64', () => {
    const xml = enc.envelope('ReconfigVM_Task', vm, {
      spec: {
        extraConfig: [
          { key: 's', value: 'text' },
          { key: 'i', value: typed('int', 5) },
          { key: 'l', value: 7 },
          { key: 'b', value: false },
          { key: 'a', value: ['x', 'y'] },
          { key: 'm', value: [{ type: 'Datastore', value: 'ds-1' }] },
          { key: 'o', value: [{ _type: 'OptionValue', key: 'k', value: 1.5 }] },
        ],
        createDate: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
        nvram: new Uint8Array([1, 2, 3]),
      },
    });
    expect(xml).toContain('<value xsi:type="xsd:string">text</value>');
    expect(xml).toContain('<value xsi:type="xsd:int">5</value>');
    expect(xml).toContain('<value xsi:type="xsd:long">7</value>');
    expect(xml).toContain('<value xsi:type="xsd:boolean">false</value>');
    expect(xml).toContain('<value xsi:type="vim25:ArrayOfString"><string>x</string><string>y</string></value>');
    expect(xml).toContain('<value xsi:type="vim25:ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore">ds-1</ManagedObjectReference></value>');
    expect(xml).toContain('<value xsi:type="vim25:ArrayOfOptionValue"><OptionValue><key>k</key><value xsi:type="xsd:double">1.5</value></OptionValue></value>');
    expect(xml).toContain('<createDate>2026-01-02T03:04:05.000Z</createDate>');
    expect(xml).toContain('<nvram>AQID</nvram>');
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a missing required member', { spec: { deviceChange: [{ operation: 'add' }] } }, /spec\.deviceChange\[0\]\.device: is required/],
    ['an unknown member', { spec: { nmae: 'x' } }, /VirtualMachineConfigSpec has no member nmae/],
    ['a wrong primitive', { spec: { memoryMB: '1024' } }, /memoryMB: must be a whole number/],
    ['a long that is not exact', { spec: { memoryMB: 2 ** 60 } }, /memoryMB: must be a whole number/],
    ['a bad enum value', { spec: { deviceChange: [{ operation: 'delete', device: { key: 1 } }] } }, /"delete" is not a VirtualDeviceConfigSpecOperation/],
    ['an unknown _type', { spec: { deviceChange: [{ device: { _type: 'VirtualFloppy', key: 1 } }] } }, /unknown _type "VirtualFloppy"/],
    ['a _type that is not a subtype', { spec: { deviceChange: [{ device: { _type: 'OptionValue', key: 'x' } }] } }, /a OptionValue is not a VirtualDevice/],
    ['a scalar for an array', { spec: { deviceChange: { device: { key: 1 } } } }, /must be an array/],
    ['an unknown parameter', { spec: {}, force: true }, /unknown parameter/],
    ['a control character', { spec: { name: 'a\u0001' } }, /cannot carry/],
  ])('refuses %s before sending', (_what, params, message) => {
    expect(() => enc.envelope('ReconfigVM_Task', vm, params)).toThrow(VimEncodeError);
    expect(() => enc.envelope('ReconfigVM_Task', vm, params)).toThrow(message);
  });
});

describe('decoder', () => {
  it('decodes typed values, MoRefs, arrays of one, polymorphic values and anyType', () => {
    const xml = env(`<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>t1</token><objects>
      <obj type="VirtualMachine">vm-1</obj>
      <propSet><name>config.hardware.device</name><val xsi:type="ArrayOfVirtualDevice">
        <VirtualDevice xsi:type="VirtualDisk"><key>2000</key><deviceInfo><label>Hard disk 1</label><summary>1,024 KB</summary></deviceInfo>
          <backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[ds] a/a.vmdk</fileName><datastore type="Datastore">ds-1</datastore><diskMode>persistent</diskMode><thinProvisioned>1</thinProvisioned></backing>
          <controllerKey>1000</controllerKey><capacityInKB>1024</capacityInKB><capacityInBytes>1048576</capacityInBytes><newerMember>ignored<deep/></newerMember></VirtualDevice>
        <VirtualDevice xsi:type="VirtualLsiLogicController"><key>1000</key><busNumber>0</busNumber><device>2000</device><sharedBus>noSharing</sharedBus></VirtualDevice>
      </val></propSet>
      <propSet><name>name</name><val xsi:type="xsd:string">a &amp; b &#x263A;</val></propSet>
      <propSet><name>future</name><val xsi:type="FutureThing"><x>1</x><x>2</x><y><z>3</z></y></val></propSet>
      <propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore">ds-1</ManagedObjectReference></val></propSet>
    </objects></returnval></RetrievePropertiesExResponse>`);
    const r = decodeResponse(schema, 'RetrievePropertiesEx', xml) as Record<string, unknown>;
    expect(r).toEqual({
      _type: 'RetrieveResult',
      token: 't1',
      objects: [
        {
          _type: 'ObjectContent',
          obj: { type: 'VirtualMachine', value: 'vm-1' },
          propSet: [
            {
              _type: 'DynamicProperty',
              name: 'config.hardware.device',
              val: [
                {
                  _type: 'VirtualDisk',
                  key: 2000,
                  deviceInfo: { _type: 'Description', label: 'Hard disk 1', summary: '1,024 KB' },
                  backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[ds] a/a.vmdk', datastore: { type: 'Datastore', value: 'ds-1' }, diskMode: 'persistent', thinProvisioned: true },
                  controllerKey: 1000,
                  capacityInKB: 1024,
                  capacityInBytes: 1048576,
                },
                { _type: 'VirtualLsiLogicController', key: 1000, busNumber: 0, device: [2000], sharedBus: 'noSharing' },
              ],
            },
            { _type: 'DynamicProperty', name: 'name', val: 'a & b \u263a' },
            { _type: 'DynamicProperty', name: 'future', val: { _type: 'FutureThing', x: ['1', '2'], y: { z: '3' } } },
            { _type: 'DynamicProperty', name: 'datastore', val: [{ type: 'Datastore', value: 'ds-1' }] },
          ],
        },
      ],
    });
  });

  it('returns an array for array results even with one element, and [] for none', () => {
    expect(decodeResponse(schema, 'QueryList', env('<QueryListResponse><returnval>a</returnval></QueryListResponse>'))).toEqual(['a']);
    expect(decodeResponse(schema, 'QueryList', env('<QueryListResponse/>'))).toEqual([]);
    expect(decodeResponse(schema, 'Logout', env('<LogoutResponse/>'))).toBeUndefined();
  });

  it('decodes the same result whatever the chunking', () => {
    const xml = env(`<LoginResponse><returnval><key>k&amp;1</key><userName>u</userName><loginTime>2026-11-23T01:02:03.5Z</loginTime></returnval></LoginResponse>`);
    const whole = decodeResponse(schema, 'Login', xml);
    expect(whole).toEqual({ _type: 'UserSession', key: 'k&1', userName: 'u', loginTime: new Date('2026-11-23T01:02:03.500Z') });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: xml.length - 1 }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const { ResponseDecoder } = decoderModule;
        const dec = new ResponseDecoder(schema, 'Login');
        let last = 0;
        for (const p of points) {
          dec.write(xml.slice(last, p));
          last = p;
        }
        dec.write(xml.slice(last));
        expect(dec.end()).toEqual(whole);
      }),
    );
  });

  it('reads numbers and booleans the same whether their text comes whole, in pieces, with padding or with references', () => {
    const val = (type: string, text: string) => `<propSet><name>p</name><val xsi:type="xsd:${type}">${text}</val></propSet>`;
    const cases: [string, string, unknown][] = [
      ['int', '12', 12],
      ['int', '-0', -0],
      ['int', ' 7\n', 7],
      ['int', '+5', 5],
      ['int', '&#x31;2', 12],
      ['int', '<![CDATA[3]]>4', 34],
      ['long', '-123456789012345', -123456789012345],
      ['long', '9007199254740991', 9007199254740991],
      ['short', '-32768', -32768],
      ['byte', '127', 127],
      ['boolean', 'true', true],
      ['boolean', 'false', false],
      ['boolean', ' 1 ', true],
      ['boolean', 'f&#x61;lse', false],
    ];
    const xml = env(
      `<RetrievePropertiesExResponse><returnval><objects><obj type="VirtualMachine">vm-1</obj>${cases.map(([t, x]) => val(t, x)).join('')}</objects></returnval></RetrievePropertiesExResponse>`,
    );
    const { ResponseDecoder } = decoderModule;
    for (let piece = 1; piece <= 40; piece++) {
      const dec = new ResponseDecoder(schema, 'RetrievePropertiesEx');
      for (let at = 0; at < xml.length; at += piece) dec.write(xml.slice(at, at + piece));
      const r = dec.end() as { objects: { propSet: { val: unknown }[] }[] };
      expect(r.objects[0]!.propSet.map((p) => p.val)).toEqual(cases.map((c) => c[2]));
    }
    for (const [type, text] of [['byte', '128'], ['short', '32768'], ['int', '2147483648'], ['long', '9007199254740993'], ['int', '1.5'], ['boolean', 'yes']]) {
      const bad = env(`<RetrievePropertiesExResponse><returnval><objects><obj type="VirtualMachine">vm-1</obj>${val(type!, text!)}</objects></returnval></RetrievePropertiesExResponse>`);
      const messages = [1, 3, bad.length].map((piece) => {
        const dec = new ResponseDecoder(schema, 'RetrievePropertiesEx');
        try {
          for (let at = 0; at < bad.length; at += piece) dec.write(bad.slice(at, at + piece));
          dec.end();
          return 'decoded';
        } catch (err) {
          expect(err).toBeInstanceOf(VimResponseError);
          return (err as Error).message;
        }
      });
      expect(messages[0]).not.toBe('decoded');
      expect(new Set(messages).size).toBe(1);
    }
  });

  it('turns SOAP faults into typed errors that know their ancestry', () => {
    const fault = (type: string, extra = '') =>
      env(`<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>it failed</faultstring><detail><${type}Fault xsi:type="${type}">${extra}</${type}Fault></detail></soapenv:Fault>`);
    const login = (() => {
      try {
        decodeResponse(schema, 'Login', fault('InvalidLogin'));
      } catch (e) {
        return e;
      }
    })();
    expect(login).toBeInstanceOf(InvalidLoginError);
    expect(login).toBeInstanceOf(VimFaultError);
    expect(login).toBeInstanceOf(VimError);
    expect((login as VimFaultError).code).toBe('VMKIT_VIM_FAULT_INVALID_LOGIN');
    expect((login as VimFaultError).serverMessage).toBe('it failed');

    expect(() => decodeResponse(schema, 'Login', fault('FileNotFound', '<file>[ds] x</file>'))).toThrow(FileNotFoundError);
    // A fault without a class of its own gets its nearest ancestor's.
    let access: unknown;
    try {
      decodeResponse(schema, 'Login', fault('CannotAccessFile', '<file>[ds] y</file>'));
    } catch (e) {
      access = e;
    }
    expect(access).toBeInstanceOf(FileFaultError);
    expect(access).not.toBeInstanceOf(FileNotFoundError);
    expect((access as VimFaultError).fault).toEqual({ _type: 'CannotAccessFile', file: '[ds] y' });
    const wrapped = new VimError('outer', 'X', { cause: access });
    expect(findFault(wrapped, 'FileFault')).toBe(access);
    expect(findFault(wrapped, 'CannotAccessFile')).toBe(access);
    expect(findFault(wrapped, 'FileNotFound')).toBeUndefined();
    expect(() => decodeResponse(schema, 'Login', fault('ManagedObjectNotFound', '<obj type="VirtualMachine">vm-9</obj>'))).toThrow(ManagedObjectNotFoundError);
    // Unknown fault types still give a VimFaultError with the wire name.
    expect(() => decodeResponse(schema, 'Login', fault('BrandNewFault'))).toThrow(/BrandNewFault: it failed/);
  });

  it.each<[string, string, RegExp]>([
    ['a DTD', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', /document type declarations are refused/],
    ['an undeclared entity', env('<LoginResponse><returnval><key>&xxe;</key></returnval></LoginResponse>'), /undeclared entity &xxe;/],
    ['truncation', env('<LoginResponse><returnval><key>k</key></returnval></LoginResponse>').slice(0, 230), /truncated|not closed/],
    ['mismatched tags', env('<LoginResponse><returnval></key></returnval></LoginResponse>'), /does not match/],
    ['a long beyond 2^53', env('<ReconfigVM_TaskResponse/>').replace('ReconfigVM_TaskResponse/', 'QueryListResponse/'), /$^/],
    ['an empty body', '', /empty/],
    ['garbage', 'HTTP/1.1 500 oops', /not XML/],
    ['a bad boolean', env('<LoginResponse><returnval><key>k</key><userName>u</userName><loginTime>yesterday</loginTime></returnval></LoginResponse>'), /loginTime.*not a dateTime/],
  ])('refuses %s with a typed error', (what, xml, message) => {
    if (what === 'a long beyond 2^53') {
      const big = env('<RetrievePropertiesExResponse><returnval><objects><obj type="X">x</obj><propSet><name>n</name><val xsi:type="xsd:long">9007199254740993</val></propSet></objects></returnval></RetrievePropertiesExResponse>');
      expect(() => decodeResponse(schema, 'RetrievePropertiesEx', big)).toThrow(/beyond 2\^53/);
      return;
    }
    expect(() => decodeResponse(schema, 'Login', xml)).toThrow(VimResponseError);
    expect(() => decodeResponse(schema, 'Login', xml)).toThrow(message);
  });

  it('enforces depth and size limits', () => {
    const deep = env(`<LoginResponse>${'<a>'.repeat(1000)}${'</a>'.repeat(1000)}</LoginResponse>`);
    expect(() => decodeResponse(schema, 'Login', deep)).toThrow(/nested deeper than the limit/);
    expect(() => decodeResponse(schema, 'Login', env('<LoginResponse/>'), { maxLength: 100 })).toThrow(/larger than the limit/);
  });

  it('gives a value or a typed error for any mutation of a valid response, never another exception', () => {
    const xml = env(`<LoginResponse><returnval><key>k</key><userName>u</userName><loginTime>2026-11-23T01:02:03Z</loginTime></returnval></LoginResponse>`);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: xml.length - 1 }), fc.string({ maxLength: 3 }), fc.nat(3), (at, insert, del) => {
        const mutated = xml.slice(0, at) + insert + xml.slice(at + del);
        try {
          decodeResponse(schema, 'Login', mutated);
        } catch (e) {
          expect(e).toBeInstanceOf(VimError);
        }
      }),
      { numRuns: 2000 },
    );
  }, 60_000);

  it('reports where malformed XML went wrong', () => {
    try {
      decodeResponse(schema, 'Login', '<s:Envelope>\n  <s:Body>\n</s:Envelope>');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(VimResponseError);
      expect((e as VimResponseError).position).toEqual({ offset: 24, line: 3, column: 1 });
    }
  });
});

describe('encode then decode', () => {
  it('round-trips a device spec through the decoder of the same type', () => {
    const spec = {
      _type: 'VirtualMachineConfigSpec',
      name: 'x',
      memoryMB: 2048,
      deviceChange: [
        {
          _type: 'VirtualDeviceConfigSpec',
          operation: 'add',
          device: { _type: 'VirtualLsiLogicController', key: 1000, busNumber: 0, sharedBus: 'noSharing', device: [1, 2] },
        },
      ],
    };
    const xml = enc.envelope('ReconfigVM_Task', vm, { spec });
    const inner = xml.slice(xml.indexOf('<spec>') + 6, xml.indexOf('</spec>'));
    const back = decodeResponse(
      new Schema({ ...fixtureTables, methods: { Echo: { params: [], returns: ['VirtualMachineConfigSpec', 0], faults: [] } } }),
      'Echo',
      env(`<EchoResponse xmlns:vim25="urn:vim25"><returnval>${inner}</returnval></EchoResponse>`),
    );
    expect(back).toEqual(spec);
  });
});

import * as decoderModule from './decode.js';
