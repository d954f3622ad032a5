/** A small, realistic OVF descriptor for OVA tests, in the shape ovftool and govmomi write. */
export interface TestOvfOptions {
  /** The disk file's name in the archive. */
  href: string;
  /** The disk file's size in bytes (ovf:size); left out when undefined. */
  size?: number | undefined;
  /** The disk's capacity in GiB units or bytes (see `units`). */
  capacity: number;
  /** ovf:capacityAllocationUnits (default "byte"). */
  units?: string;
  /** ovf:compression, e.g. "gzip". */
  compression?: string;
  /** ovf:chunkSize. */
  chunkSize?: number;
  /** A second, blank disk (no fileRef) before the real one. */
  blankDiskFirst?: boolean;
}

export function testOvf(o: TestOvfOptions): string {
  const size = o.size === undefined ? '' : ` ovf:size="${o.size}"`;
  const compression = o.compression === undefined ? '' : ` ovf:compression="${o.compression}"`;
  const chunk = o.chunkSize === undefined ? '' : ` ovf:chunkSize="${o.chunkSize}"`;
  const blank = o.blankDiskFirst === true
    ? `\n    <Disk ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="blank" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>`
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<!--Generated for vmkit tests-->
<Envelope vmw:buildId="build-1" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:href="${o.href}" ovf:id="file1"${size}${compression}${chunk}/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>${blank}
    <Disk ovf:capacity="${o.capacity}" ovf:capacityAllocationUnits="${o.units ?? 'byte'}" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" ovf:populatedSize="0"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="VM Network">
      <Description>The VM Network network &amp; its &lt;description&gt;</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="test-vm">
    <Info>A virtual machine</Info>
    <Name>test-vm</Name>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>test-vm</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI Controller</rasd:Description>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>8</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
        <vmw:Config ovf:required="false" vmw:key="backing.writeThrough" vmw:value="false"/>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
}
