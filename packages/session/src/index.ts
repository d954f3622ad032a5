/**
 * @vmkit/session: The vSphere session client: login and single-flight re-login, safe retries, task and lease waits, property collector helpers, datastore paths and PBM helpers.
 *
 * @packageDocumentation
 */

export {};
