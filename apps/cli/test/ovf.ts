/** Test helpers of the CLI's tests. */

/** A minimal OVF naming one stream-optimized disk of `capacity` bytes. */
export function minimalOvf(href: string, capacity: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References><File ovf:href="${href}" ovf:id="file1"/></References>
  <DiskSection>
    <Info>disks</Info>
    <Disk ovf:capacity="${capacity}" ovf:capacityAllocationUnits="byte" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="vm"><Info>a VM</Info></VirtualSystem>
</Envelope>
`;
}
