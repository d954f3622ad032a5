/**
 * Test helper: an OVA (a tar of a minimal OVF and its one stream-optimized disk), as `tar` packs it.
 */
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `vm.ovf` next to `disk1.vmdk` in the folder `members` (naming the disk file's size and a
 * capacity of `capacity` bytes) and packs both, OVF first, into the tar file `ova`.
 */
export function packOva(members: string, ova: string, capacity: number): void {
  const size = statSync(join(members, 'disk1.vmdk')).size;
  writeFileSync(
    join(members, 'vm.ovf'),
    `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References><File ovf:id="file1" ovf:href="disk1.vmdk" ovf:size="${size}"/></References>
  <DiskSection><Info>disks</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="${capacity}" ovf:capacityAllocationUnits="byte"
      ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="vm"><Info>vm</Info></VirtualSystem>
</Envelope>
`,
  );
  execFileSync('tar', ['-cf', ova, '-C', members, 'vm.ovf', 'disk1.vmdk']);
}
