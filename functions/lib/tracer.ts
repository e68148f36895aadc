import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One Tracer per process for the functions that trace their AWS calls (passed to `opsHandler`). Its own module, so
 * a function that does not trace (the Slack ingress, whose cold acknowledgement it would slow) never loads the X-Ray
 * SDK: about 110 KB, and async hooks on every promise.
 */
export const tracer = new Tracer();
