import { Schema } from './codec/schema.js';
import { dataTypes, enumTypes, managedTypes, methods } from './generated/schema.js';

/** The schema generated from VMware's type tables (vim25 and pbm, API 6.7.1). */
export const defaultSchema: Schema = new Schema({ dataTypes, enumTypes, methods, managedTypes });
