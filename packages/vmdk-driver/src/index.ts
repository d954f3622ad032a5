/**
 * @vmkit/vmdk-driver: A VMDK volume driver for vCenter and ESX after Cinder's VMware VMDK driver, with Nova's image pipeline.
 *
 * @packageDocumentation
 */

export {};
