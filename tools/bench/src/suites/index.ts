import type { Suite } from '../suite.js';
import { sessionSuite } from './session.js';
import { simSuite } from './sim.js';
import { vimSuite } from './vim.js';
import { transferSuite } from './transfer.js';
import { driverSuite } from './driver.js';
import { connectorSuite } from './connector.js';

/** Every suite by name; later packages add theirs here. */
export const suites: ReadonlyMap<string, Suite> = new Map([simSuite, sessionSuite, transferSuite, connectorSuite, vimSuite, driverSuite].map((s) => [s.name, s]));
