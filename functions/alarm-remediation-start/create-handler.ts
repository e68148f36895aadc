import { startFunctionHandler } from '../lib/start-once.js';
import { startRemediation } from './start.js';

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export const createHandler = startFunctionHandler(startRemediation, { started: 'Remediation started', duplicate: 'Duplicate event: its remediation was already started' });
