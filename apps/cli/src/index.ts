/**
 * vmkit: The vmkit command line: volumes, snapshots, images, attach/detach and a demo, against vCenter or an embedded simulator.
 *
 * @packageDocumentation
 */

export {};
