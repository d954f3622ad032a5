/**
 * @vmkit/legacy: Legacy import paths (Cinder, Nova, oslo.vmware, os-brick module names) re-exported from the vmkit packages, for migrating one import at a time.
 *
 * @packageDocumentation
 */

export {};
