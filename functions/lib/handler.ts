import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { logger, metrics } from './powertools.js';

/**
 * What a test or a rehearsal gives a handler instead of Lambda's, when the handler is built (`createHandler`),
 * merged over the defaults as middy merges options: never patched afterwards.
 */
export interface HandlerOverrides<TClients extends object> {
  /** The function's environment variables, as its template sets them. @default process.env */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Any of the clients the handler builds: SDK clients, the clock `now`, `fetch`. */
  readonly clients?: Partial<TClients>;
}

export interface OpsHandlerOptions {
  /** JMESPath into the event for the correlation id (Step Functions execution, SNS message id, ...). */
  readonly correlationIdPath?: string;
  /** Traces each invocation as a subsegment (with the clients the function captured). @default not traced */
  readonly tracer?: Tracer;
}

/**
 * Logs a failure once with its cause and rethrows it, so Lambda retries, DLQs and Step Functions
 * Catch all see it. Nothing is swallowed here: handlers that must answer (Slack) catch for themselves.
 */
export function errorBoundary(): MiddlewareObj {
  return {
    onError: async (request) => {
      const error = request.error;
      logger.error('Invocation failed', {
        error,
        cause: error instanceof Error ? error.cause : undefined,
      });
      metrics.addMetric('InvocationFailed', 'Count', 1);
    },
  };
}

/**
 * Flushes the metrics a handler recorded, once per invocation, including on failure. Unlike Powertools' logMetrics
 * it publishes nothing (and warns nothing) when a step recorded no metric, which most workflow steps do not.
 */
export function publishMetrics(): MiddlewareObj {
  const publish = async () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    before: async (request) => {
      metrics.captureColdStartMetric(request.context.functionName);
    },
    after: publish,
    onError: publish,
  };
}

/** The middy stack every handler of this project uses: context-aware logs, flushed metrics, traces when given a tracer. */
export function opsHandler<TEvent, TResult>(
  lambdaHandler: (event: TEvent, context: Context) => Promise<TResult>,
  options: OpsHandlerOptions = {},
) {
  const stack = middy<TEvent, TResult>();
  if (options.tracer) stack.use(captureLambdaHandler(options.tracer));
  return stack
    .use(injectLambdaContext(logger, { correlationIdPath: options.correlationIdPath, resetKeys: true }))
    .use(publishMetrics())
    .use(errorBoundary())
    .handler(lambdaHandler);
}
