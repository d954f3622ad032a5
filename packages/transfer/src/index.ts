/**
 * @vmkit/transfer: vSphere transfer handles as Node streams: datastore files, NFC VMDK import and export, image transfer, VMDK and OVA formats.
 *
 * @packageDocumentation
 */

export {};
