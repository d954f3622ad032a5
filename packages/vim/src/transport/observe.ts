import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/** Published before each SOAP call: `{ method, endpoint, operationId, bytes }` (never the body). */
export const soapRequestChannel = channel('vmkit:soap:request');
/** Published after each successful SOAP call: `{ method, endpoint, operationId, durationMs, bytes, status }`. */
export const soapResponseChannel = channel('vmkit:soap:response');
/** Published after each failed SOAP call: `{ method, endpoint, operationId, durationMs, error }` (the typed error). */
export const soapErrorChannel = channel('vmkit:soap:error');

/** `NODE_DEBUG=vmkit` traces of calls (method, operation id, duration, size; never bodies or cookies). */
export const debug = debuglog('vmkit');
