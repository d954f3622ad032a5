/**
 * @vmkit/connector: Host-side connector in the manner of os-brick: initiator properties and attach/detach, the VMDK connector first.
 *
 * @packageDocumentation
 */

export {};
