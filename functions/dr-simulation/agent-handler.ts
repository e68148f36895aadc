import { createAgentHandler } from './create-agent-handler.js';

/** The DR agent's Lambda entry point (in the DR VPC): configuration from the function's environment, real clients. */
export const handler = createAgentHandler();
