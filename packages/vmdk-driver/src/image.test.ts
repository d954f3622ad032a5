import { describe, expect, it } from 'vitest';
import { ImageUnacceptableError, InvalidVolumeSpecError } from './errors.js';
import { validateImage } from './image.js';

const info = (properties: Record<string, string>) => ({ size: 1024, properties });

describe('validateImage', () => {
  it("reads the image's properties with Cinder's defaults", () => {
    expect(validateImage('i', info({}), 'lsiLogic')).toMatchObject({ diskType: 'preallocated', adapterType: 'lsiLogic', containerFormat: 'bare', linkedClone: false, size: 1024 });
    expect(validateImage('i', info({ disk_format: 'VMDK', container_format: 'ova', vmware_disktype: 'streamOptimized', vmware_adaptertype: 'ide', vmware_linked_clone: 'True' }), 'lsiLogic')).toMatchObject({
      diskType: 'streamOptimized',
      adapterType: 'ide',
      containerFormat: 'ova',
      linkedClone: true,
    });
  });

  it('refuses other disk and container formats, and unknown disk or adapter types', () => {
    expect(() => validateImage('i', info({ disk_format: 'qcow2' }), 'lsiLogic')).toThrow(ImageUnacceptableError);
    expect(() => validateImage('i', info({ container_format: 'docker' }), 'lsiLogic')).toThrow(ImageUnacceptableError);
    expect(() => validateImage('i', info({ vmware_disktype: 'raw' }), 'lsiLogic')).toThrow(InvalidVolumeSpecError);
    expect(() => validateImage('i', info({ vmware_adaptertype: 'nvme' }), 'lsiLogic')).toThrow(InvalidVolumeSpecError);
  });
});
