import { describe, expect, it } from 'vitest';
import { checkSoapRequest, loadVmwareXsd } from './strict.js';

const xsd = loadVmwareXsd('7.0');
const envelope = (body: string): string =>
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vim25="urn:vim25" xmlns:pbm="urn:pbm">' +
  `<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const query = (inner: string): string =>
  envelope(`<PbmQueryProfile xmlns="urn:pbm"><_this type="PbmProfileProfileManager">ProfileManager</_this>${inner}</PbmQueryProfile>`);
const reconfig = (spec: string): string =>
  envelope(`<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">vm-1</_this><spec>${spec}</spec></ReconfigVM_Task>`);
const requestMembers = (op: string) =>
  op === 'ReconfigVM_Task'
    ? [
        { name: '_this', type: 'ManagedObjectReference', optional: false, array: false, ns: 'urn:vim25' },
        { name: 'spec', type: 'VirtualMachineConfigSpec', optional: false, array: false, ns: 'urn:vim25' },
      ]
    : undefined;

describe.skipIf(xsd === undefined)('strict request check against VMware 7.0 XSDs', () => {
  const check = (xml: string) => checkSoapRequest(xml, xsd!, { requestMembers });

  it('passes a request in schema order with xsi:type on the polymorphic values', () => {
    expect(check(query('<resourceType><resourceType>STORAGE</resourceType></resourceType><profileCategory>REQUIREMENT</profileCategory>'))).toEqual([]);
    expect(
      check(
        reconfig(
          '<name>x</name><deviceChange><operation>add</operation><fileOperation>create</fileOperation><device xsi:type="vim25:VirtualDisk"><key>-1</key>' +
            '<backing xsi:type="vim25:VirtualDiskFlatVer2BackingInfo"><fileName></fileName><diskMode>persistent</diskMode></backing>' +
            '<controllerKey>1000</controllerKey><unitNumber>0</unitNumber><capacityInKB>1024</capacityInKB></device></deviceChange>' +
            '<extraConfig><key>a</key><value xsi:type="xsd:string">b</value></extraConfig><extraConfig><key>c</key><value xsi:type="vim25:ArrayOfString"><string>d</string></value></extraConfig>',
        ),
      ),
    ).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['out of order', query('<profileCategory>REQUIREMENT</profileCategory><resourceType><resourceType>STORAGE</resourceType></resourceType>'), /out of order|missing/],
    ['a missing required member', query(''), /required <resourceType> of PbmQueryProfileRequestType is missing/],
    ['an unknown member', query('<resourceType><resourceType>STORAGE</resourceType><x/></resourceType>'), /<x> is not a member of PbmProfileResourceType/],
    ['a member written without its xsi:type', reconfig('<deviceChange><operation>add</operation><device><key>1</key><capacityInKB>1</capacityInKB></device></deviceChange>'), /<capacityInKB> is not a member of VirtualDevice/],
    ['an anyType value without xsi:type', reconfig('<extraConfig><key>a</key><value>b</value></extraConfig>'), /anyType value without xsi:type/],
    ['an xsi:type that is not a subtype', reconfig('<deviceChange><operation>add</operation><device xsi:type="vim25:OptionValue"><key>1</key></device></deviceChange>'), /not a subtype/],
    ['an xsi:type in the wrong namespace', reconfig('<deviceChange><operation>add</operation><device xsi:type="pbm:VirtualDisk"><key>1</key><capacityInKB>1</capacityInKB></device></deviceChange>'), /prefix bound to urn:pbm/],
    ['a bad enum value', reconfig('<deviceChange><operation>delete</operation><device><key>1</key></device></deviceChange>'), /"delete" is not a value of VirtualDeviceConfigSpecOperation/],
    ['a repeated single member', reconfig('<name>a</name><name>b</name>'), /repeated/],
    ['a reference without its type', reconfig('<cpuAllocation><limit>1</limit></cpuAllocation><vAppConfig><product><operation>add</operation></product></vAppConfig>').replace('<_this type="VirtualMachine">', '<_this>'), /without its type attribute/],
    ['a member in the wrong namespace', query('<resourceType xmlns="urn:vim25"><resourceType>STORAGE</resourceType></resourceType>'), /namespace urn:vim25, expected urn:pbm/],
    ['a bad primitive', reconfig('<memoryMB>lots</memoryMB>'), /"lots" is not a long/],
  ])('reports %s', (_what, xml, problem) => {
    const problems = check(xml);
    expect(problems.join('\n')).toMatch(problem);
  });
});
