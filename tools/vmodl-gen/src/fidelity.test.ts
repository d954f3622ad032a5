import { describe, expect, it } from 'vitest';
import { fixture } from '../test/fixture.js';
import { compareReleases, compareWithXsd, releaseOf } from './fidelity.js';
import { readXsd } from './xsd.js';

const XSD = `<schema targetNamespace="urn:vim25" xmlns="http://www.w3.org/2001/XMLSchema"
    xmlns:vim25="urn:vim25" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <complexType name="DynamicData"><sequence></sequence></complexType>
  <complexType name="VirtualDevice">
    <complexContent><extension base="vim25:DynamicData"><sequence>
      <element name="key" type="xsd:int" />
      <element name="label" type="xsd:string" minOccurs="0" />
    </sequence></extension></complexContent>
  </complexType>
  <complexType name="VirtualDisk">
    <complexContent><extension base="vim25:VirtualDevice"><sequence>
      <element name="capacityInKB" type="xsd:long" />
      <element name="datastore" type="vim25:ManagedObjectReference" minOccurs="0" />
      <element name="mode" type="vim25:DiskMode" />
      <element name="content" type="xsd:base64Binary" minOccurs="0" />
      <element name="created" type="xsd:dateTime" minOccurs="0" />
      <element name="anything" type="xsd:anyType" minOccurs="0" maxOccurs="unbounded" />
      <element name="lun" type="xsd:string" />
      <element name="password" type="xsd:string" minOccurs="0" />
    </sequence></extension></complexContent>
  </complexType>
  <complexType name="ArrayOfVirtualDisk"><sequence>
    <element name="VirtualDisk" type="vim25:VirtualDisk" minOccurs="0" maxOccurs="unbounded" />
  </sequence></complexType>
  <simpleType name="DiskMode"><restriction base="xsd:string">
    <enumeration value="persistent" /><enumeration value="it's" />
  </restriction></simpleType>
</schema>`;

function diff(xsd: string, release = '6.7', mutate?: (d: ReturnType<typeof fixture>) => void): string[] {
  const doc = fixture();
  mutate?.(doc);
  return compareWithXsd(doc, readXsd([{ file: 'x.xsd', text: xsd }]), release);
}

describe('compareReleases', () => {
  it('orders releases numerically', () => {
    expect(['7.0', '6.7.1', '2.5u2', '6.5', '6.7', '4.0', '2.5'].sort(compareReleases)).toEqual([
      '2.5',
      '2.5u2',
      '4.0',
      '6.5',
      '6.7',
      '6.7.1',
      '7.0',
    ]);
  });

  it('places PBM versions at the vSphere release that shipped them', () => {
    expect(releaseOf(fixture(), 'pbm.version.version1')).toBe('5.5');
    expect(releaseOf(fixture(), 'vim.version.version5')).toBe('4.0');
    expect(releaseOf(fixture(), 'vmodl.version.version0')).toBe('');
  });
});

describe('compareWithXsd', () => {
  it('finds nothing when the XSD agrees', () => {
    expect(diff(XSD)).toEqual([]);
  });

  it('reports optionality, array-ness, type, order, base and missing members', () => {
    const changed = XSD.replace('<element name="capacityInKB" type="xsd:long" />', '<element name="capacityInKB" type="xsd:int" minOccurs="0" maxOccurs="unbounded" />')
      .replace(
        '<element name="content" type="xsd:base64Binary" minOccurs="0" />\n      <element name="created" type="xsd:dateTime" minOccurs="0" />',
        '<element name="created" type="xsd:dateTime" minOccurs="0" />\n      <element name="content" type="xsd:base64Binary" minOccurs="0" />',
      )
      .replace('<element name="lun" type="xsd:string" />', '<element name="extra" type="xsd:string" />')
      .replace('extension base="vim25:VirtualDevice"', 'extension base="vim25:DynamicData"');
    expect(diff(changed)).toEqual([
      'VirtualDisk.capacityInKB: ours required single, XSD optional array',
      'VirtualDisk.capacityInKB: type ours long, XSD int',
      'VirtualDisk.extra: only in the XSD',
      'VirtualDisk.lun: only in ours',
      'VirtualDisk: base ours VirtualDevice, XSD DynamicData',
      'VirtualDisk: order (ours capacityInKB datastore mode content created anything password; XSD capacityInKB datastore mode created content anything password)',
    ]);
  });

  it('expects members newer than the XSD to be absent, and flags them when present', () => {
    const without = XSD.replace('<element name="label" type="xsd:string" minOccurs="0" />', '');
    expect(diff(without, '2.5')).toEqual([]);
    expect(diff(without, '4.0')).toEqual(['VirtualDevice.label: only in ours']);
    expect(diff(XSD, '2.5')).toEqual(['VirtualDevice.label: in this XSD, but ours says since 4.0']);
  });

  it('compares enum values one by one, and their order', () => {
    expect(diff(XSD.replace('<enumeration value="persistent" />', '<enumeration value="independent" />'))).toEqual([
      'enum DiskMode: value independent only in the XSD',
      'enum DiskMode: value persistent only in ours',
    ]);
    expect(diff(XSD.replace('<enumeration value="persistent" /><enumeration value="it\'s" />', '<enumeration value="it\'s" /><enumeration value="persistent" />'))).toEqual([
      "enum DiskMode: order (ours persistent it's; XSD it's persistent)",
    ]);
  });

  it('compares PBM methods with their request and response types, and lists operations it lacks', () => {
    const wsdl = `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"><types>
      <schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:pbm">
        <complexType name="PbmRetrieveThingsRequestType"><sequence>
          <element name="_this" type="vim25:ManagedObjectReference" />
          <element name="ids" type="xsd:string" maxOccurs="unbounded" />
        </sequence></complexType>
        <element name="PbmRetrieveThingsResponse"><complexType><sequence>
          <element name="returnval" type="pbm:PbmThing" maxOccurs="unbounded" />
        </sequence></complexType></element>
      </schema></types>
      <portType name="PbmPortType">
        <operation name="PbmRetrieveThings"><fault name="RuntimeFault" message="x"/></operation>
        <operation name="PbmSomethingNew"/>
      </portType></definitions>`;
    expect(compareWithXsd(fixture(), readXsd([{ file: 'pbm.wsdl', text: wsdl }]), '6.7')).toEqual([
      'PbmRetrieveThings().ids: ours optional array, XSD required array',
      'PbmRetrieveThings(): result ours optional array, XSD required array',
      'PbmSomethingNew(): only in the WSDL',
    ]);
  });
});
