/**
 * @vmkit/vim: VIM and PBM bindings for vSphere: generated types, a schema-driven SOAP codec, the undici transport and typed faults.
 *
 * @packageDocumentation
 */

export {};
