import { startFunctionHandler } from '../lib/start-once.js';
import { startSmokeTest } from './start.js';

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export const createHandler = startFunctionHandler(startSmokeTest, { started: 'Smoke test started', duplicate: 'Duplicate event: this deployment\'s smoke test was already started' });
