import { createHandler } from './create-handler.js';

/** The Lambda entry point: configuration from the function's environment, real clients. */
export const handler = createHandler();
